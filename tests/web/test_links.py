"""The whole service with the web archive on: a public destination's digest carries a link
to its page in the archive (Telegram: a text link through the fake Bot API; Slack: a link in
the overview through the fake Web API), the page answers at that link, and a destination
that is not public gets no link."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import load_settings
from bot.service import run_service
from tests.support.fake_slack import FakeSlack, fake_slack
from tests.support.fake_telegram import FakeTelegram, entity_texts, fake_telegram
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, rss
from tests.web.conftest import free_port

__all__ = ["fake_slack", "fake_telegram"]

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"
CHANNEL, PRIVATE = -1001234567890, -1005555555555
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def config(tmp_path: Path, server: FeedServer, port: int, platform: str, destinations: str) -> Path:
    path = tmp_path / "newsdigest.toml"
    path.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n\n'
        "[ops]\nport = 0\n\n"
        "[poll]\ntimeout_seconds = 2\ntick_seconds = 1\nper_host_concurrency = 8\n"
        "full_content_min_chars = 100\n\n"
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n\n'
        f'[web]\nenabled = true\nport = {port}\nbase_url = "http://127.0.0.1:{port}/"\n\n'
        f"{platform}\n"
        f'[[feeds]]\nname = "مصدر الاختبار"\nurl = "{server.url("/rss")}"\n'
        f"allow_private = true\n\n{destinations}",
        encoding="utf-8",
    )
    return path


async def posted_page(link: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(link) as response:
        assert response.status == 200
        return await response.text()


async def wait(condition: Callable[[], Any], within: float = 20) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        found = condition()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_a_public_telegram_channel_links_each_digest_to_its_page(
    tmp_path: Path,
    feed_server: FeedServer,
    fake_telegram: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    feed_server.add("/rss", rss(feed_server.base, STORIES))
    fake_telegram.add_chat(CHANNEL, "channel", title="قناة الأخبار")
    fake_telegram.add_chat(PRIVATE, "channel", title="قناة خاصة")
    port = free_port()
    destinations = "".join(
        f'[[destinations]]\nname = "{name}"\nplatform = "telegram"\nchat = "{chat}"\n'
        f'schedule = "0 8 * * *"\ndigest_on_start = true\npublic = {public}\n\n'
        for name, chat, public in (("channel", CHANNEL, "true"), ("private", PRIVATE, "false"))
    )
    telegram = (
        f'[telegram]\nbase_url = "{fake_telegram.base_url}"\n'
        f'base_file_url = "{fake_telegram.base_file_url}"\npoll_timeout_seconds = 1\n'
    )
    path = config(tmp_path, feed_server, port, telegram, destinations)
    settings = load_settings(path, environ={"TELEGRAM_BOT_TOKEN": fake_telegram.token}, dotenv=None)
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(settings, stop=stop))
    try:
        await wait(lambda: fake_telegram.sent(CHANNEL) and fake_telegram.sent(PRIVATE))
        [message] = fake_telegram.sent(CHANNEL)
        links = [
            e["url"] for e in message["entities"] if e["type"] == "text_link" and "/d/" in e["url"]
        ]
        assert entity_texts(message, "text_link")[0] == "افتح الموجز في المتصفح"
        [link] = links
        assert link.startswith(f"http://127.0.0.1:{port}/d/channel/")
        page = await posted_page(link)
        shown = page.replace("\u2068", "").replace("\u2069", "")
        assert all(story.title in shown for story in STORIES)
        [private] = fake_telegram.sent(PRIVATE)
        assert not [e for e in private.get("entities", []) if "/d/" in e.get("url", "")]
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/d/private/") as response,
        ):
            assert response.status == 404
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    assert not fake_telegram.rejected


async def test_a_public_slack_channel_links_each_digest_to_its_page(
    tmp_path: Path,
    feed_server: FeedServer,
    fake_slack: FakeSlack,
) -> None:
    feed_server.add("/rss", rss(feed_server.base, STORIES))
    port = free_port()
    destination = (
        '[[destinations]]\nname = "newsroom"\nplatform = "slack"\nchat = "C0NEWS01"\n'
        'schedule = "0 8 * * *"\ndigest_on_start = true\npublic = true\nlanguage = "en"\n\n'
    )
    slack = f'[slack]\nbase_url = "{fake_slack.base_url}"\n'
    path = config(tmp_path, feed_server, port, slack, destination)
    environ = {"SLACK_BOT_TOKEN": fake_slack.bot_token, "SLACK_APP_TOKEN": fake_slack.app_token}
    settings = load_settings(path, environ=environ, dotenv=None)
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(settings, stop=stop))
    try:
        [message] = await wait(lambda: fake_slack.posted("C0NEWS01"))
        overview = next(b for b in message["blocks"] if b.get("block_id") == "overview")
        texts = [element["text"] for element in overview["elements"]]
        [link] = [text for text in texts if "/d/newsroom/" in text]
        url, label = link.strip("<>").split("|")
        assert label == "Open this digest in the browser"
        assert url.startswith(f"http://127.0.0.1:{port}/d/newsroom/")
        page = await posted_page(url)
        assert '<html lang="en" dir="ltr">' in page
        assert STORIES[0].title in page.replace("\u2068", "").replace("\u2069", "")
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    assert not fake_slack.rejected
