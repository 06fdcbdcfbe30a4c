"""Three ``newsdigest run`` processes on one PostgreSQL database: nothing twice, nothing lost.

300 feeds served on 127.0.0.1 (each carries its own story and its neighbour's, so 300 distinct
articles arrive 600 times), 20 destinations on the local fakes (10 Telegram channels, 10 Slack
channels, 15 feeds each), digests on start and every minute. The first instance starts alone
and becomes the Telegram polling leader; two more join. Once every article is stored and
delivery is under way, the leader is SIGKILLed. Then:

* every article is stored once (300 rows, canonical URLs unique);
* every outbox part reaches its chat once and in order (allowing one repeat per chat only for a
  part the killed instance was sending when it died: the outbox is at-least-once), none stays
  unsent, and no story title appears twice in a chat;
* every article of a destination's feeds is recorded as sent to it (nothing lost);
* a chat command gets exactly one reply before the kill, and exactly one after it (another
  instance took over polling).

The database is a private PostgreSQL server (tests/support/postgres.py); without one the test is
skipped, except under CI.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.bot.test_crash import TAXONOMY, BotProcess, make_stories, wait_until
from tests.support.fake_slack import FakeSlack
from tests.support.fake_telegram import FakeTelegram, RateLimits
from tests.support.feedserver import FeedServer
from tests.support.fixtures import rss
from tests.support.postgres import PostgresServer, query

pytestmark = pytest.mark.slow  # a real process per instance: `make test-fast` skips it

FEEDS, DESTINATIONS, INSTANCES = 300, 20, 3
PER_DESTINATION = FEEDS // DESTINATIONS
USER = 777001  # a subscriber talking to the bot in private


# Articles not recorded as sent to the destination whose sources include their feed (feed
# "مصدر NNN" belongs to destination d<NNN // 15>).
OWED = f"""
    SELECT count(*) FROM articles a JOIN feeds f ON f.id = a.feed_id
    WHERE NOT EXISTS (
        SELECT 1 FROM sent_items s WHERE s.article_id = a.id AND s.destination =
            'd' || lpad((split_part(f.name, ' ', 2)::int / {PER_DESTINATION})::text, 2, '0')
    )
"""


def channel_of(index: int) -> str:
    """The chat of destination ``index``: even ones on Telegram, odd ones on Slack."""
    return str(-1001000000000 - index) if index % 2 == 0 else f"C0SCALE{index:02d}"


def feed_name(index: int) -> str:
    return f"مصدر {index:03d}"


def write_config(
    folder: Path, server: FeedServer, telegram: FakeTelegram, slack: FakeSlack
) -> Path:
    lines = [
        f'[storage]\ndata_dir = "{folder / "data"}"\n',
        "[poll]\ntimeout_seconds = 5\ntick_seconds = 1\nper_host_concurrency = 8\n"
        "full_content_min_chars = 100\n",
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\nrelated_per_article = 0\n',
        "[delivery]\nshutdown_grace_seconds = 3\nlease_seconds = 5\n",
        "[ops]\nport = 0\n",
        f'[telegram]\nbase_url = "{telegram.base_url}"\n'
        f'base_file_url = "{telegram.base_file_url}"\npoll_timeout_seconds = 1\n'
        "leader_retry_seconds = 1\npersonal_digests = false\n",
        f'[slack]\nbase_url = "{slack.base_url}"\n',
    ]
    for index in range(FEEDS):
        lines.append(
            f'[[feeds]]\nname = "{feed_name(index)}"\nurl = "{server.url(f"/f/{index:03d}")}"\n'
            "allow_private = true\n"
        )
    for index in range(DESTINATIONS):
        platform = "telegram" if index % 2 == 0 else "slack"
        sources = ", ".join(
            f'"{feed_name(f)}"'
            for f in range(index * PER_DESTINATION, (index + 1) * PER_DESTINATION)
        )
        lines.append(
            f'[[destinations]]\nname = "d{index:02d}"\nplatform = "{platform}"\n'
            f'chat = "{channel_of(index)}"\nschedule = "* * * * *"\ndigest_on_start = true\n'
            f"max_items = 200\nsources = [{sources}]\n"
        )
    path = folder / "newsdigest.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class Database:
    """Synchronous reads of the shared database, for the test's checks."""

    def __init__(self, url: str) -> None:
        self.url = url

    def rows(self, sql: str) -> list[Any]:
        return query(self.url, sql)

    def scalar(self, sql: str) -> Any:
        return self.rows(sql)[0][0]


@pytest.fixture
def shared_db(postgres_server: PostgresServer) -> Iterator[str]:
    name = postgres_server.create_database()  # empty: the instances migrate it together
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


def texts_received(telegram: FakeTelegram, slack: FakeSlack, chat: str) -> list[str]:
    """What ``chat`` received, in order, as comparable text (Telegram HTML, Slack JSON)."""
    if chat.startswith("C"):
        return [
            json.dumps([m.get("text"), m.get("blocks")], ensure_ascii=False)
            for m in slack.posted(chat)
        ]
    return [m["text"] for m in telegram.sent(int(chat)) if m["method"] == "sendMessage"]


def text_of_payload(chat: str, payload: str) -> str:
    data = json.loads(payload)
    if chat.startswith("C"):
        return json.dumps([data.get("text"), data.get("blocks")], ensure_ascii=False)
    return str(data["text"])


def test_three_instances_post_everything_once_and_survive_a_sigkill(
    tmp_path: Path, feed_server: FeedServer, shared_db: str
) -> None:

    stories = make_stories(FEEDS)
    for index in range(FEEDS):
        pair = (stories[index], stories[(index + 1) % FEEDS])
        feed_server.add(f"/f/{index:03d}", rss(feed_server.base, pair, guid_prefix=f"f{index}:"))
    telegram = FakeTelegram(limits=RateLimits(per_group=None))
    slack = FakeSlack()
    for index in range(0, DESTINATIONS, 2):
        telegram.add_chat(int(channel_of(index)), "channel", title=f"قناة {index}")
    telegram.add_chat(USER, "private", first_name="مشترك")
    processes: list[BotProcess] = []
    db = Database(shared_db)
    try:
        for number in range(INSTANCES):
            folder = tmp_path / f"instance-{number}"
            folder.mkdir()
            process = BotProcess(
                write_config(folder, feed_server, telegram, slack), telegram, slack
            )
            process.env["NEWSDIGEST_DATABASE_URL"] = shared_db
            processes.append(process)

        def logs() -> str:
            return "\n".join(p.log() for p in processes)

        # The first instance leads Telegram polling: it starts alone.
        processes[0].start()
        wait_until(lambda: "getUpdates" in telegram.requests, 30, logs)
        for process in processes[1:]:
            process.start()

        def replies() -> int:
            return len([m for m in telegram.sent(USER) if m["method"] == "sendMessage"])

        telegram.inject_message(USER, USER, "/help")
        wait_until(lambda: replies() >= 1, 20, logs)

        # Every article stored and enriched, and delivery under way: kill the leader.
        def enriched() -> bool:
            assert all(p.alive() for p in processes), logs()
            try:
                return bool(
                    db.scalar("SELECT count(*) FROM articles WHERE enriched_at IS NOT NULL")
                    == FEEDS
                )
            except asyncpg.UndefinedTableError:
                return False

        wait_until(enriched, 60, logs)

        def part_counts() -> tuple[int, int]:
            total, sent = db.rows(
                "SELECT count(*), count(*) FILTER (WHERE status = 'sent') FROM outbox "
                "WHERE destination != 'admin'"
            )[0]
            return int(total), int(sent)

        wait_until(lambda: part_counts()[1] >= 5, 60, logs)
        leader = processes[0]
        assert leader.process is not None
        leader.process.kill()
        assert leader.process.wait(10) == -signal.SIGKILL
        time.sleep(0.5)  # requests already written reach the fakes (they outlive the bot)
        in_flight = {
            (row["chat"], text_of_payload(row["chat"], row["payload"]))
            for row in db.rows("SELECT chat, payload FROM outbox WHERE status = 'sending'")
        }
        assert replies() == 1  # one instance answered the first command

        # Another instance takes over polling and answers exactly once.
        telegram.inject_message(USER, USER, "/help")
        wait_until(lambda: replies() >= 2, 30, logs)

        def finished() -> bool:
            assert all(p.alive() for p in processes[1:]), logs()
            unsent = db.scalar("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")
            owed = db.scalar(OWED)
            return bool(unsent == 0 and owed == 0)

        # The rest go out by the next minute's digests (and the killed instance's leases).
        wait_until(finished, 150, logs)
        time.sleep(1.5)  # nothing more arrives after the outbox says everything was sent
        assert replies() == 2

        # Every article once.
        assert db.scalar("SELECT count(*) FROM articles") == FEEDS
        assert db.scalar("SELECT count(DISTINCT canonical_url) FROM articles") == FEEDS

        # Every article of a destination's feeds was recorded as sent to that destination.
        assert db.scalar(OWED) == 0

        # Every part once, in order, per chat; every story title at most once per chat.
        expected: dict[str, list[str]] = {}
        for row in db.rows(
            "SELECT chat, payload, status FROM outbox WHERE destination != 'admin' ORDER BY id"
        ):
            assert row["status"] == "sent", dict(row)
            expected.setdefault(row["chat"], []).append(
                text_of_payload(row["chat"], row["payload"])
            )
        assert set(expected) == {channel_of(i) for i in range(DESTINATIONS)}
        titles = {story.title for story in stories}
        repeats = 0
        for chat, want in expected.items():
            got = texts_received(telegram, slack, chat)
            unique: list[str] = []
            for text in got:
                if unique and text == unique[-1] and (chat, text) in in_flight:
                    repeats += 1  # accepted by the platform just before the kill, resent
                    continue
                unique.append(text)
            assert unique == want, (chat, len(unique), len(want))
            seen = Counter(t for t in titles for text in unique if t in text)
            assert seen and max(seen.values()) == 1, (chat, seen.most_common(3))
        assert repeats <= len(expected)
        assert not [r for r in telegram.rejected if r.error_code == 400], telegram.rejected
        # One getUpdates caller at a time: at most the killed leader's open long poll is ended
        # by its successor's first call (a 409 the fake records; nobody reads it).
        conflicts = [r for r in telegram.rejected if r.error_code == 409]
        assert len(conflicts) <= 1, conflicts
        assert not [r for r in slack.rejected if r.get("error") != "ratelimited"], slack.rejected
    finally:
        for process in processes:
            process.close()
        telegram.close()
        slack.close()
