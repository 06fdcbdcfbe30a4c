"""Rate limits under a mixed load: a channel digest goes out while a storm of users' commands
is answered, against the fake Bot API (tests/support/fake_telegram.py) with a bot-wide limit
lower than the bot's own, so Telegram answers 429 for the whole bot. The bot must then hold
every send, replies and digest parts alike, until ``retry_after`` has passed: the fake
records any send that comes earlier as a flood violation."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.service import run_service
from tests.bot.test_crash import make_stories
from tests.support.fake_telegram import FakeTelegram, RateLimits
from tests.support.feedserver import FeedServer
from tests.support.fixtures import rss
from tests.support.waiting import until

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"
CHANNEL = -1001234567890
USERS = range(700001, 700025)  # 24 people, each sending a command at the same moment
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def write_config(tmp_path: Path, server: FeedServer, fake: FakeTelegram) -> Path:
    path = tmp_path / "newsdigest.toml"
    path.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n\n'
        "[poll]\ntimeout_seconds = 2\ntick_seconds = 1\nper_host_concurrency = 8\n"
        "full_content_min_chars = 100\n\n"
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n\n'
        f'[telegram]\nbase_url = "{fake.base_url}"\nbase_file_url = "{fake.base_file_url}"\n'
        "poll_timeout_seconds = 1\npersonal_digests = false\n\n"
        "[admin]\nallow_private_feed_urls = true\n\n[ops]\nport = 0\n\n"
        f'[[feeds]]\nname = "مصدر الاختبار"\nurl = "{server.url("/rss")}"\n\n'
        '[[destinations]]\nname = "channel"\nplatform = "telegram"\n'
        f'chat = "{CHANNEL}"\nschedule = "0 8 * * *"\ndigest_on_start = true\nmax_items = 40\n',
        encoding="utf-8",
    )
    return path


async def test_a_bot_wide_429_holds_replies_and_digest_parts_alike(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    feed_server.add("/rss", rss(feed_server.base, make_stories(36)))
    # Telegram's bot-wide limit, scaled down below the bot's 30 a second: the storm meets it.
    fake = FakeTelegram(limits=RateLimits(per_group=None, overall=12))
    fake.add_chat(CHANNEL, "channel", title="قناة الأخبار")
    settings = load_settings(
        write_config(tmp_path, feed_server, fake),
        environ={"TELEGRAM_BOT_TOKEN": fake.token},
        dotenv=None,
    )
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(settings, stop=stop))
    try:
        await fake.wait_for_request("getUpdates", 1, 15)
        await fake.wait_for_sent(lambda m: m["chat_id"] == CHANNEL, timeout=30)
        for user in USERS:  # while the rest of the digest goes out
            fake.inject_message(user, user, "/help")

        def replied() -> set[int]:
            return {m["chat_id"] for m in fake.sent() if m["chat_id"] in USERS}

        await until(lambda: replied() == set(USERS), 30)
        database = tmp_path / "data" / "newsdigest.sqlite3"
        await until(lambda: unsent(database) == 0, 30)  # the whole digest went out too
    finally:
        stop.set()
        await asyncio.wait_for(service, 30)
        fake.close()

    assert any(r.error_code == 429 for r in fake.rejected)  # the bot-wide limit was met
    assert fake.violations == [], fake.violations
    parts = [m for m in fake.sent(CHANNEL) if m["method"] == "sendMessage"]
    assert len(parts) >= 2 and "موجز" in parts[0]["visible_text"]
    assert all(len(fake.sent(user)) == 1 for user in USERS)  # each answered once


def unsent(database: Path) -> int:
    """How many parts the running service's outbox still holds."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
        ).fetchone()
    return int(row[0])
