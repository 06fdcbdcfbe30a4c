"""The Slack app as a workspace meets it: the real service and slack-bolt against the local
fake Slack Web API and Socket Mode (tests/support/fake_slack.py), which enforces Block Kit and rate
limits."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.config import load_settings
from bot.service import run_service
from digests.render.slack import render_slack
from tests.support.fake_slack import FakeSlack, fake_slack, sign
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, Story, rss
from tests.support.render_fixtures import AWKWARD_TAGS, tagged

__all__ = ["fake_slack"]

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"
CHANNEL, ADMIN_CHANNEL, ADMIN, USER = "C0NEWS01", "C0ADMIN1", "U0ADMIN1", "U0USER01"
IRAN = Story(
    "iran",
    "طهران تستأنف المحادثات النووية مع الوكالة الدولية",
    ("استأنفت إيران محادثاتها مع الوكالة الدولية للطاقة الذرية في فيينا بشأن برنامجها النووي.",),
)


def write_config(
    tmp_path: Path, server: FeedServer, fake: FakeSlack, slack: str = "", destination: str = ""
) -> Path:
    path = tmp_path / "newsdigest.toml"
    path.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n\n'
        "[ops]\nport = 0\n\n"
        "[poll]\ntimeout_seconds = 2\ntick_seconds = 1\nper_host_concurrency = 8\n"
        "full_content_min_chars = 100\n\n"
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n\n'
        f'[slack]\nbase_url = "{fake.base_url}"\nadmin_ids = ["{ADMIN}"]\n'
        f'admin_channel = "{ADMIN_CHANNEL}"\n{slack}\n'
        f'[[feeds]]\nname = "مصدر الاختبار"\nurl = "{server.url("/rss")}"\nallow_private = true\n\n'
        '[[destinations]]\nname = "newsroom"\nplatform = "slack"\n'
        f'chat = "{CHANNEL}"\nschedule = "0 8 * * *"\ndigest_on_start = true\n{destination}',
        encoding="utf-8",
    )
    return path


async def start(
    tmp_path: Path,
    server: FeedServer,
    fake: FakeSlack,
    environ: dict[str, str],
    slack: str = "",
    destination: str = "",
) -> tuple[asyncio.Event, asyncio.Task[None]]:
    server.add("/rss", rss(server.base, (*STORIES, IRAN)))
    config = write_config(tmp_path, server, fake, slack, destination)
    settings = load_settings(config, environ=environ, dotenv=None)
    stop = asyncio.Event()
    return stop, asyncio.create_task(run_service(settings, stop=stop))


@pytest.fixture
async def running(
    tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack
) -> AsyncIterator[FakeSlack]:
    environ = {"SLACK_BOT_TOKEN": fake_slack.bot_token, "SLACK_APP_TOKEN": fake_slack.app_token}
    stop, task = await start(tmp_path, feed_server, fake_slack, environ)
    await fake_slack.wait_connected(10)
    yield fake_slack
    stop.set()
    await asyncio.wait_for(task, 20)


def visible(value: Any) -> str:
    """A payload as text, without the invisible bidi isolates around Latin and digits."""
    return json.dumps(value, ensure_ascii=False).replace("\u2068", "").replace("\u2069", "")


def posted_text(fake: FakeSlack, channel: str) -> str:
    return visible(fake.posted(channel))


async def digest_posted(fake: FakeSlack) -> None:
    await fake.wait_for(
        lambda f: all(s.title in posted_text(f, CHANNEL) for s in (*STORIES, IRAN)), timeout=20
    )


async def test_channel_digest_in_block_kit(running: FakeSlack) -> None:
    await digest_posted(running)
    assert not running.rejected  # within every Block Kit limit
    first = running.posted(CHANNEL)[0]
    assert first["text"] and first["blocks"][0]["type"] == "header"


async def test_news_search_is_acked_and_answered_privately(running: FakeSlack) -> None:
    await digest_posted(running)
    started = time.monotonic()
    ack = await running.send_envelope(
        "slash_commands", running.slash_command("/news", "search إيران", USER, CHANNEL)
    )
    assert "envelope_id" in ack and time.monotonic() - started < 3
    await running.wait_for(lambda f: len(f.responses) >= 1, timeout=10)
    reply = running.responses[0]
    assert reply["response_type"] == "ephemeral"
    assert IRAN.title in visible(reply["blocks"])


async def test_admin_subcommands_refuse_everyone_else(running: FakeSlack) -> None:
    await digest_posted(running)
    await running.send_envelope(
        "slash_commands", running.slash_command("/news", "pausefeed مصدر الاختبار", USER, CHANNEL)
    )
    await running.send_envelope(
        "slash_commands", running.slash_command("/news", "feeds", ADMIN, CHANNEL)
    )
    await running.wait_for(lambda f: len(f.responses) >= 2, timeout=10)
    by_text = [r["text"] for r in running.responses]
    assert "مصدر الاختبار" in by_text[1]  # the admin sees the feeds
    assert "مصدر الاختبار" not in by_text[0]  # the user is refused


async def test_a_follow_button_and_the_app_home(running: FakeSlack) -> None:
    await digest_posted(running)
    follow = next(
        element
        for message in running.posted(CHANNEL)
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"].startswith("follow_topic:")
    )
    await running.send_envelope(
        "interactive",
        running.block_action(follow["action_id"], follow["value"], USER, CHANNEL),
    )
    await running.wait_for(lambda f: len(f.responses) >= 1, timeout=10)
    await running.send_envelope("events_api", running.app_home_opened(USER))
    await running.wait_for(lambda f: len(f.views) >= 1, timeout=10)
    home = running.views[0]
    assert home["user_id"] == USER and home["view"]["type"] == "home"
    assert home["view"]["blocks"]


async def test_rate_limit_and_deleted_channel(
    tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack
) -> None:
    fake_slack.force_ratelimit(CHANNEL, retry_after=1)
    environ = {"SLACK_BOT_TOKEN": fake_slack.bot_token, "SLACK_APP_TOKEN": fake_slack.app_token}
    stop, task = await start(tmp_path, feed_server, fake_slack, environ)
    try:
        await digest_posted(fake_slack)  # the 429 was obeyed and the part sent again
        assert any(r["status"] == 429 for r in fake_slack.rejected)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)

    other = tmp_path / "second"
    other.mkdir()
    gone = FakeSlack()
    try:
        gone.delete(CHANNEL)
        environ = {"SLACK_BOT_TOKEN": gone.bot_token, "SLACK_APP_TOKEN": gone.app_token}
        stop, task = await start(other, feed_server, gone, environ)
        try:
            await gone.wait_for(lambda f: bool(f.posted(ADMIN_CHANNEL)), timeout=20)
            assert CHANNEL in posted_text(gone, ADMIN_CHANNEL)
            assert any(r["error"] == "channel_not_found" for r in gone.rejected)
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)
    finally:
        gone.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_http_mode_refuses_bad_and_stale_signatures(
    tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack
) -> None:
    secret = "slack-signing-secret-for-tests"
    port = free_port()
    environ = {"SLACK_BOT_TOKEN": fake_slack.bot_token, "SLACK_SIGNING_SECRET": secret}
    stop, task = await start(
        tmp_path, feed_server, fake_slack, environ, f'mode = "http"\nhttp_port = {port}\n'
    )
    try:
        payload: dict[str, Any] = fake_slack.slash_command("/news", "help", USER, CHANNEL)
        body = urlencode(payload).encode()
        url = f"http://127.0.0.1:{port}/slack/events"
        now = int(time.time())
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        async with httpx.AsyncClient() as client:
            for _ in range(50):
                try:
                    await client.get(url)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            good = await client.post(url, content=body, headers={**form, **sign(body, secret, now)})
            forged = await client.post(
                url, content=body, headers={**form, **sign(body, "wrong", now)}
            )
            stale = await client.post(
                url, content=body, headers={**form, **sign(body, secret, now - 600)}
            )
        assert (good.status_code, forged.status_code, stale.status_code) == (200, 401, 401)
        await fake_slack.wait_for(lambda f: len(f.responses) == 1, timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def test_invalid_blocks_fall_back_to_plain_text(fake_slack: FakeSlack) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack_bot import SlackTransport

    client = AsyncWebClient(token=fake_slack.bot_token, base_url=fake_slack.base_url)
    too_many = [{"type": "section", "text": {"type": "mrkdwn", "text": "خبر"}}] * 51
    payload = json.dumps({"text": "موجز: ٣ أخبار", "blocks": too_many}, ensure_ascii=False)

    ts = await SlackTransport(client).send(CHANNEL, None, payload)

    assert ts and [r["error"] for r in fake_slack.rejected] == ["invalid_blocks"]
    [sent] = fake_slack.posted(CHANNEL)
    assert sent["text"] == "موجز: ٣ أخبار" and not sent.get("blocks")


async def test_digest_as_a_heading_with_stories_in_its_thread(
    tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack
) -> None:
    environ = {"SLACK_BOT_TOKEN": fake_slack.bot_token, "SLACK_APP_TOKEN": fake_slack.app_token}
    stop, task = await start(
        tmp_path, feed_server, fake_slack, environ, destination="slack_threads = true\n"
    )
    try:
        await digest_posted(fake_slack)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    heading, *replies = fake_slack.posted(CHANNEL)
    assert not heading.get("thread_ts") and heading["blocks"][0]["type"] == "header"
    assert len(replies) == len(STORIES) + 1
    assert all(reply["thread_ts"] == heading["ts"] for reply in replies)


async def _answers(fake: FakeSlack, text: str, until: str) -> list[dict[str, Any]]:
    """Run ``/news <text>`` as USER; the responses it got once one of them shows ``until``."""
    before = len(fake.responses)
    await fake.send_envelope("slash_commands", fake.slash_command("/news", text, USER, CHANNEL))
    await fake.wait_for(lambda f: until in visible(f.responses[before:]), timeout=10)
    await asyncio.sleep(0.2)  # anything sent after it would be here by now
    return fake.responses[before:]


async def test_a_digest_on_request_sends_no_lone_placeholder(running: FakeSlack) -> None:
    await digest_posted(running)
    await _answers(running, "follow الاقتصاد", "الاقتصاد")
    answers = await _answers(running, "digest", STORIES[0].title)
    assert [a.get("text") for a in answers if not a.get("blocks")] == []  # was: a lone «…»
    assert [a["blocks"][0]["type"] for a in answers] == ["header"]  # the digest, and only it


async def test_a_search_result_is_one_bold_link_per_headline(running: FakeSlack) -> None:
    await digest_posted(running)
    [answer] = await _answers(running, "search طهران", IRAN.title)  # the headline's first word
    texts = [b["text"]["text"] for b in answer["blocks"] if b["type"] == "section"]
    [headline] = [text.split("\n")[0] for text in texts if "/news/iran|" in text]
    assert "**" not in "".join(texts)
    assert headline.count("<http") == 1
    assert headline.endswith(f"/news/iran|{IRAN.title}>*")


async def test_topic_tags_keep_their_underscore_on_slack(fake_slack: FakeSlack) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack_bot import SlackTransport

    client = AsyncWebClient(token=fake_slack.bot_token, base_url=fake_slack.base_url)
    [message] = render_slack(tagged(), language="ar", timezone="Asia/Riyadh")
    payload = {"text": message.text, "blocks": list(message.blocks)}
    await SlackTransport(client).send(CHANNEL, None, json.dumps(payload, ensure_ascii=False))
    [sent] = fake_slack.posted(CHANNEL)
    [tags] = [
        element["text"]
        for block in sent["blocks"]
        if block["type"] == "context"
        for element in block["elements"]
        if "#" in element["text"]
    ]
    assert visible(tags).strip('"').split(" ") == list(AWKWARD_TAGS)
