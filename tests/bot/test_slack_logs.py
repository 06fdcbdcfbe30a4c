"""What the Slack app writes to the log: nothing alarming at a normal start, and a refused
HTTP request in one line without its body (the real service and slack-bolt, the fake Slack,
real HTTP on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.config import load_settings
from bot.service import run_service
from tests.bot.test_slack import CHANNEL, USER, free_port, write_config
from tests.support.fake_slack import FakeSlack, fake_slack, sign
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, rss

__all__ = ["fake_slack"]

# Tests run side by side (no fixed ops port); the feeds are on 127.0.0.1.
EXTRA = "\n[admin]\nallow_private_feed_urls = true\n"


async def serve(
    tmp_path: Path, server: FeedServer, fake: FakeSlack, environ: dict[str, str], slack: str = ""
) -> tuple[asyncio.Event, asyncio.Task[None]]:
    server.add("/rss", rss(server.base, STORIES))
    config = write_config(tmp_path, server, fake, slack + EXTRA)
    settings = load_settings(config, environ=environ, dotenv=None)
    stop = asyncio.Event()
    return stop, asyncio.create_task(run_service(settings, stop=stop))


async def test_a_start_with_tokens_from_the_environment_warns_of_nothing(
    tmp_path: Path,
    feed_server: FeedServer,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    environ = {"SLACK_BOT_TOKEN": fake_slack.bot_token, "SLACK_APP_TOKEN": fake_slack.app_token}
    for name, value in environ.items():  # where the service's tokens come from
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.WARNING)
    stop, task = await serve(tmp_path, feed_server, fake_slack, environ)
    try:
        await fake_slack.wait_connected(10)
        await fake_slack.send_envelope(
            "slash_commands", fake_slack.slash_command("/news", "help", USER, CHANNEL)
        )
        await fake_slack.wait_for(lambda f: len(f.responses) == 1, timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    slack = [r for r in caplog.records if r.name.startswith(("slack_bolt", "slack_sdk", "bot"))]
    assert not [r.getMessage() for r in slack if r.levelno >= logging.WARNING]
    assert "token will be unused" not in caplog.text


async def test_a_refused_http_request_is_one_line_without_its_body(
    tmp_path: Path,
    feed_server: FeedServer,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "slack-signing-secret-for-tests"
    port = free_port()
    environ = {"SLACK_BOT_TOKEN": fake_slack.bot_token, "SLACK_SIGNING_SECRET": secret}
    caplog.set_level(logging.INFO)
    stop, task = await serve(
        tmp_path, feed_server, fake_slack, environ, f'mode = "http"\nhttp_port = {port}\n'
    )
    url = f"http://127.0.0.1:{port}/slack/events"
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def body(text: str) -> tuple[bytes, dict[str, Any]]:
        payload: dict[str, Any] = fake_slack.slash_command("/news", text, USER, CHANNEL)
        return urlencode(payload).encode(), payload

    good, _ = body("help")
    forged, forged_payload = body("search إيران")
    stale, stale_payload = body("topics")
    now = int(time.time())
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(50):
                try:
                    await client.get(url)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            caplog.clear()
            answers = [
                await client.post(url, content=good, headers={**form, **sign(good, secret, now)}),
                await client.post(
                    url, content=forged, headers={**form, **sign(forged, "wrong", now)}
                ),
                await client.post(
                    url, content=stale, headers={**form, **sign(stale, secret, now - 600)}
                ),
                await client.post(url, content=forged, headers=form),  # not signed at all
            ]
        await fake_slack.wait_for(lambda f: len(f.responses) == 1, timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    assert [a.status_code for a in answers] == [200, 401, 401, 401]
    refused = [r for r in caplog.records if "refused a Slack request" in r.getMessage()]
    assert [(r.levelno, r.name) for r in refused] == [(logging.WARNING, "bot.slack_bot")] * 3
    reasons = [r.getMessage() for r in refused]
    assert all("/slack/events" in line and "claiming team T0TEST" in line for line in reasons)
    assert ["bad signature" in reasons[0], "stale" in reasons[1], "unsigned" in reasons[2]] == [
        True
    ] * 3
    everything = "\n".join(
        f"{r.getMessage()} {vars(r)}" for r in caplog.records if r.levelno >= logging.INFO
    )
    for payload in (forged_payload, stale_payload):
        assert payload["response_url"] not in everything
        assert payload["trigger_id"] not in everything
    assert "response_url" not in everything and "Invalid request signature" not in everything
