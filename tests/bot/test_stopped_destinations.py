"""A destination its platform refuses for good, end to end: the admins are told why and what
to do in the destination's language, and ``/destinations`` shows it stopped (since when, why,
what to do). The real service against the fake Slack and the fake Telegram Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.service import run_service
from tests.bot.test_slack import ADMIN, ADMIN_CHANNEL, CHANNEL, TAXONOMY, write_config
from tests.bot.test_slack_replies import EXTRA, command, not_slack_commands, strings
from tests.support.fake_slack import FakeSlack, fake_slack
from tests.support.fake_telegram import FakeTelegram, fake_telegram
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, rss

__all__ = ["fake_slack", "fake_telegram"]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
_ISOLATES = str.maketrans("", "", "\u2066\u2067\u2068\u2069")


async def slack_refused(
    tmp_path: Path,
    server: FeedServer,
    fake: FakeSlack,
    refuse: Callable[[str], None],
    language: str,
) -> tuple[str, str]:
    """Start with the channel refusing posts (``refuse``), wait for the admins' notice, then ask
    ``/news destinations`` as the admin; returns both texts."""
    refuse(CHANNEL)
    server.add("/rss", rss(server.base, STORIES))
    config = write_config(tmp_path, server, fake, EXTRA, f'language = "{language}"\n')
    environ = {"SLACK_BOT_TOKEN": fake.bot_token, "SLACK_APP_TOKEN": fake.app_token}
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_service(load_settings(config, environ=environ, dotenv=None), stop=stop)
    )
    try:
        await fake.wait_connected(10)
        await fake.wait_for(lambda f: bool(f.posted(ADMIN_CHANNEL)), timeout=20)
        [notice] = fake.posted(ADMIN_CHANNEL)
        listing = await command(fake, ADMIN, "destinations")
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    assert notice["blocks"] and notice["blocks"][0]["text"]["verbatim"] is True
    assert not [r for r in fake.rejected if r["params"].get("channel") == ADMIN_CHANNEL]
    text = "\n".join(strings(notice)).translate(_ISOLATES)
    assert not not_slack_commands([text, listing], allowed={"/invite"})  # Slack's own command
    return text, listing


async def test_a_slack_channel_the_app_is_not_in(
    tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack
) -> None:
    notice, listing = await slack_refused(tmp_path, feed_server, fake_slack, fake_slack.kick, "en")
    # The notice, in the destination's language (English): what happened and what to do.
    assert "Posting to the destination «newsroom» (slack: C0NEWS01) has stopped" in notice
    assert "the app is not a member of the channel" in notice
    assert "type /invite in it, then @ and the app's name" in notice
    assert "restart the service" in notice
    assert "not_in_channel" not in notice and "تعذر" not in notice
    # /news destinations, in the admin's language (Arabic): stopped, since when, why, what to do.
    assert "newsroom" in listing and "الحالة: متوقفة منذ" in listing
    assert "التطبيق ليس عضواً في القناة" in listing and "/invite" in listing
    assert "الحالة: تعمل" not in listing


async def test_an_archived_slack_channel(
    tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack
) -> None:
    notice, listing = await slack_refused(
        tmp_path, feed_server, fake_slack, fake_slack.archive, "ar"
    )
    assert "توقف النشر في الوجهة «newsroom»" in notice
    assert "القناة مؤرشفة" in notice and "أخرج القناة من الأرشيف" in notice
    assert "is_archived" not in notice
    assert "الحالة: متوقفة منذ" in listing and "أخرج القناة من الأرشيف" in listing


# --------------------------------------------------------------------------- Telegram

TG_ADMIN, TG_CHANNEL, TG_ADMIN_CHAT = 1001, -1001234567890, -1009999


def _shown(message: dict[str, Any]) -> str:
    return str(message["visible_text"]).translate(_ISOLATES)


async def test_a_telegram_channel_the_bot_was_removed_from(
    tmp_path: Path,
    feed_server: FeedServer,
    fake_telegram: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = fake_telegram
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    feed_server.add("/rss", rss(feed_server.base, STORIES))
    fake.add_chat(TG_CHANNEL, "channel", title="قناة الأخبار")
    fake.add_chat(TG_ADMIN_CHAT, "supergroup", title="المشرفون")
    fake.block(TG_CHANNEL)  # the bot is no longer a member of the channel
    config = tmp_path / "newsdigest.toml"
    config.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n\n'
        "[poll]\ntimeout_seconds = 2\ntick_seconds = 1\nper_host_concurrency = 8\n\n"
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n\n'
        "[ops]\nport = 0\n\n[admin]\nallow_private_feed_urls = true\n\n"
        f'[telegram]\nbase_url = "{fake.base_url}"\nbase_file_url = "{fake.base_file_url}"\n'
        f"admin_ids = [{TG_ADMIN}]\nadmin_chat_id = {TG_ADMIN_CHAT}\npoll_timeout_seconds = 1\n\n"
        f'[[feeds]]\nname = "مصدر الاختبار"\nurl = "{feed_server.url("/rss")}"\n\n'
        '[[destinations]]\nname = "channel"\nplatform = "telegram"\n'
        f'chat = "{TG_CHANNEL}"\nschedule = "0 8 * * *"\ndigest_on_start = true\n'
        'language = "en"\n',
        encoding="utf-8",
    )
    settings = load_settings(config, environ={"TELEGRAM_BOT_TOKEN": fake.token}, dotenv=None)
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(settings, stop=stop))
    try:
        await fake.wait_for_request("getUpdates", 1, 10)
        notice = _shown(await fake.wait_for_sent(lambda m: m["chat_id"] == TG_ADMIN_CHAT, 20))
        fake.inject_message(TG_ADMIN, TG_ADMIN, "/destinations")
        listing = _shown(
            await fake.wait_for_sent(
                lambda m: m["chat_id"] == TG_ADMIN and "channel" in _shown(m), timeout=10
            )
        )
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    assert "Posting to the destination «channel» (telegram: -1001234567890) has stopped" in notice
    assert "the bot was removed from the chat" in notice
    assert "add the bot to the chat again (to a channel: as an administrator" in notice
    assert "Forbidden" not in notice and "تعذر" not in notice
    assert "الحالة: متوقفة منذ" in listing and "أضف البوت إلى المحادثة من جديد" in listing
