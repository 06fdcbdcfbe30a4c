"""The bot as a Telegram user meets it: the real service, python-telegram-bot, and the local
fake Bot API on 127.0.0.1 (tests/support/fake_telegram.py) which enforces the platform's rules."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.commands.table import COMMANDS
from bot.config import load_settings
from bot.service import run_service
from digests.store import Store
from tests.support.fake_telegram import (  # noqa: F401  (fixture)
    FakeTelegram,
    entity_texts,
    fake_telegram,
)
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, Story, rss

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"
ADMIN, USER, CHANNEL, ADMIN_CHAT = 1001, 2002, -1001234567890, -1009999
# Written for these tests.
IRAN_STORY = Story(
    "iran-talks",
    "جولة جديدة من المحادثات النووية بين إيران والوكالة الدولية",
    (
        "استأنفت طهران والوكالة الدولية للطاقة الذرية محادثاتهما بشأن البرنامج النووي "
        "الإيراني، في جولة جديدة تستمر يومين في فيينا.",
        "وقال مسؤول إيراني إن بلاده مستعدة للتعاون إذا رفعت العقوبات المفروضة عليها.",
    ),
)
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def write_config(tmp_path: Path, server: FeedServer, fake: FakeTelegram, extra: str = "") -> Path:
    path = tmp_path / "newsdigest.toml"
    path.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n\n'
        "[ops]\nport = 0\n\n"
        "[poll]\ntimeout_seconds = 2\ntick_seconds = 1\nper_host_concurrency = 8\n"
        "full_content_min_chars = 150\n\n"
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n\n'
        f'[telegram]\nbase_url = "{fake.base_url}"\nbase_file_url = "{fake.base_file_url}"\n'
        f"admin_ids = [{ADMIN}]\nadmin_chat_id = {ADMIN_CHAT}\npoll_timeout_seconds = 1\n\n"
        "[admin]\nallow_private_feed_urls = true\n\n"
        f'[[feeds]]\nname = "مصدر الاختبار"\nurl = "{server.url("/rss")}"\n\n'
        '[[destinations]]\nname = "channel"\nplatform = "telegram"\n'
        f'chat = "{CHANNEL}"\nschedule = "0 8 * * *"\ndigest_on_start = true\n{extra}',
        encoding="utf-8",
    )
    return path


@pytest.fixture
async def running(
    tmp_path: Path,
    feed_server: FeedServer,
    fake_telegram: FakeTelegram,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[FakeTelegram, Path]]:
    """The whole service running against the fixture feed server and the fake Bot API."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    feed_server.add("/rss", rss(feed_server.base, (*STORIES, IRAN_STORY)))
    fake_telegram.add_chat(CHANNEL, "channel", title="قناة الأخبار")
    fake_telegram.add_chat(ADMIN_CHAT, "supergroup", title="المشرفون")
    config = write_config(tmp_path, feed_server, fake_telegram)
    settings = load_settings(
        config, environ={"TELEGRAM_BOT_TOKEN": fake_telegram.token}, dotenv=None
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(settings, stop=stop))
    await fake_telegram.wait_for_request("getUpdates", 1, 10)
    yield fake_telegram, tmp_path
    stop.set()
    await asyncio.wait_for(task, 20)


def shown(message: dict[str, Any]) -> str:
    """What a message shows, without the invisible bidi isolates around Latin and digits."""
    return str(message["visible_text"]).replace("\u2068", "").replace("\u2069", "")


def texts(fake: FakeTelegram, chat: int) -> list[str]:
    return [shown(m) for m in fake.sent(chat)]


async def digest_posted(fake: FakeTelegram, within: float = 20) -> str:
    """Wait until the channel has every story, then return what it was sent."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        posted = "\n".join(texts(fake, CHANNEL))
        if all(story.title in posted for story in STORIES):
            return posted
        await asyncio.sleep(0.1)
    raise AssertionError(f"digest incomplete: {texts(fake, CHANNEL)} rejected={fake.rejected}")


async def test_channel_gets_the_digest_on_schedule(running: tuple[FakeTelegram, Path]) -> None:
    fake, _ = running
    posted = await digest_posted(fake)
    assert "موجز الأخبار" in posted
    assert not fake.rejected  # every part passed the Bot API's HTML and length rules
    assert all(m.get("parse_mode") == "HTML" for m in fake.sent(CHANNEL))


async def test_search_from_a_user_in_arabic(running: tuple[FakeTelegram, Path]) -> None:
    fake, _ = running
    await digest_posted(fake)  # polled by now

    fake.inject_message(USER, USER, "/search إيران")
    reply = await fake.wait_for_sent(lambda m: m["chat_id"] == USER, timeout=10)

    assert IRAN_STORY.title in shown(reply) and "<b>" in reply["text"]  # the match is marked
    assert STORIES[0].title not in shown(reply)
    fake.inject_message(USER, USER, "/nosuchcommand")
    unknown = await fake.wait_for_sent(
        lambda m: m["chat_id"] == USER and "nosuchcommand" in m["visible_text"], timeout=10
    )
    assert "/help" in shown(unknown)


async def test_admin_commands_refuse_everyone_else(running: tuple[FakeTelegram, Path]) -> None:
    fake, tmp_path = running
    await digest_posted(fake)

    fake.inject_message(USER, USER, "/pausefeed مصدر الاختبار")
    refusal = await fake.wait_for_sent(lambda m: m["chat_id"] == USER, timeout=10)
    fake.inject_message(ADMIN, ADMIN, "/stats")
    stats = await fake.wait_for_sent(lambda m: m["chat_id"] == ADMIN, timeout=10)

    assert "مشرف" in shown(refusal) and "5" in shown(stats)
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'newsdigest.sqlite3'}")
    try:
        assert not any(f.paused for f in await store.feeds.all())  # nothing changed
    finally:
        await store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command_update(update_id: int, user: int, text: str) -> dict[str, Any]:
    """A Bot API Update for a /command in a private chat, as Telegram would post it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_764_000_000,
            "chat": {"id": user, "type": "private", "first_name": "قارئ"},
            "from": {"id": user, "is_bot": False, "first_name": "قارئ"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


async def test_webhook_mode_checks_the_secret_token(
    tmp_path: Path,
    feed_server: FeedServer,
    fake_telegram: FakeTelegram,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    feed_server.add("/rss", rss(feed_server.base))
    fake_telegram.add_chat(CHANNEL, "channel", title="قناة")
    port = free_port()
    config = write_config(tmp_path, feed_server, fake_telegram)
    text = config.read_text(encoding="utf-8").replace(
        "poll_timeout_seconds = 1\n",
        f'poll_timeout_seconds = 1\nmode = "webhook"\n'
        f'webhook_url = "https://news.example/telegram"\nwebhook_port = {port}\n',
    )
    config.write_text(text, encoding="utf-8")
    secret = "s3cret-token_for-tests"
    environ = {"TELEGRAM_BOT_TOKEN": fake_telegram.token, "TELEGRAM_WEBHOOK_SECRET": secret}
    settings = load_settings(config, environ=environ, dotenv=None)
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(settings, stop=stop))
    try:
        await fake_telegram.wait_for_request("setWebhook", 1, 10)
        url = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient() as client:
            for _ in range(50):  # the webhook server starts right after setWebhook
                try:
                    forged = await client.post(url, json=command_update(1, USER, "/help"))
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            wrong = await client.post(
                url,
                json=command_update(2, USER, "/help"),
                headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
            )
            right = await client.post(
                url,
                json=command_update(3, USER, "/help"),
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            )
        assert (forged.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
        reply = await fake_telegram.wait_for_sent(lambda m: m["chat_id"] == USER, timeout=10)
        assert "/search" in shown(reply)
        await asyncio.sleep(0.3)
        assert len(fake_telegram.sent(USER)) == 1  # only the call with the secret was handled
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def test_a_subscriber_who_blocked_the_bot_is_deactivated(
    running: tuple[FakeTelegram, Path],
) -> None:
    fake, tmp_path = running
    await digest_posted(fake)
    fake.inject_message(USER, USER, "/follow الاقتصاد")
    await fake.wait_for_sent(lambda m: m["chat_id"] == USER, timeout=10)
    fake.block(USER)
    # The schedule is stored (its reply is refused: blocked), so the personal digest is due at
    # once, and Telegram answers it with 403 too.
    fake.inject_message(USER, USER, "/schedule 00:00 UTC")

    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'newsdigest.sqlite3'}")
    try:
        subscriptions = store.subscriptions
        for _ in range(100):
            subscriber = await subscriptions.get("telegram", str(USER))
            if subscriber is not None and not subscriber.active:
                break
            await asyncio.sleep(0.1)
        assert subscriber is not None and not subscriber.active
    finally:
        await store.close()
    assert any(r.error_code == 403 and r.params["chat_id"] == USER for r in fake.rejected)
    assert len(texts(fake, CHANNEL)) >= 1  # the channel was not held back


async def reply_to(fake: FakeTelegram, user: int, text: str) -> dict[str, Any]:
    """Send ``text`` as ``user`` and wait for the bot's next message to them."""
    before = len(fake.sent(user))
    fake.inject_message(user, user, text)
    await fake.wait_for_sent(lambda m: m["chat_id"] == user and len(fake.sent(user)) > before, 10)
    return fake.sent(user)[before]


async def test_every_command_in_start_help_and_hints_can_be_tapped(
    running: tuple[FakeTelegram, Path],
) -> None:
    fake, _ = running
    listed = {f"/{command.name}" for command in COMMANDS if command.name != "start"}
    for text in ("/help", "/start"):
        reply = await reply_to(fake, ADMIN, text)
        assert "/search" in shown(reply)
        assert set(entity_texts(reply, "bot_command")) >= listed, text
    schedule = await reply_to(fake, USER, "/schedule")  # «/schedule 08:00 …» examples
    assert "/schedule" in entity_texts(schedule, "bot_command")
    unknown = await reply_to(fake, USER + 1, "/nosuchcommand")  # «اكتب /help …»
    assert "/help" in entity_texts(unknown, "bot_command")


@pytest.mark.parametrize(
    "text",
    [
        "/\u2068follow\u2069 الاقتصاد",  # copied from the help as it used to be sent
        "\u2068/follow\u2069 الاقتصاد",
        "\u200f/follow الاقتصاد",
        "\u200e/fol\u200blow\u200f الاقتصاد\u200f",
        "\u2066/follow@newsdigest_test_bot\u2069 \u2067الاقتصاد\u2069",
    ],
)
async def test_a_command_with_stray_invisible_characters_is_understood(
    running: tuple[FakeTelegram, Path], text: str
) -> None:
    fake, _ = running
    reply = await reply_to(fake, USER, text)
    assert "تتابع الآن «الاقتصاد»" in shown(reply) or "تتابع «الاقتصاد»" in shown(reply)


async def test_digest_on_request_shows_typing_then_only_the_digest(
    running: tuple[FakeTelegram, Path],
) -> None:
    fake, _ = running
    await digest_posted(fake)
    followed = await reply_to(fake, USER, "/follow الاقتصاد")
    assert {"/schedule", "/digest"} <= set(entity_texts(followed, "bot_command"))
    before = len(fake.sent(USER))
    fake.inject_message(USER, USER, "/digest")
    digest = await fake.wait_for_sent(
        lambda m: m["chat_id"] == USER and STORIES[0].title in shown(m), timeout=10
    )
    answer = fake.sent(USER)[before:]
    assert [shown(m) for m in answer] == [shown(digest)]  # no «…» placeholder before it
    position = next(i for i, m in enumerate(fake.sent()) if m == digest)
    assert any(
        action["chat_id"] == USER and action["action"] == "typing" and action["after"] <= position
        for action in fake.actions
    )


async def test_a_search_result_is_one_link_per_headline(
    running: tuple[FakeTelegram, Path],
) -> None:
    fake, _ = running
    await digest_posted(fake)
    reply = await reply_to(fake, USER, "/search إيران")
    assert entity_texts(reply, "text_link") == [IRAN_STORY.title]  # «إيران» marked inside it
    assert "</a><a" not in reply["text"]
