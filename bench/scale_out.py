"""Scale-out: 1, 2 and 3 ``newsdigest run`` instances on one PostgreSQL database.

Everything runs on this machine: a private PostgreSQL server (tests/support/postgres.py), the feed
server, the fake Telegram Bot API (with Telegram's limits: 30 messages/s per bot, 1/s per
chat) and the fake Slack Web API (1/s per channel) on 127.0.0.1, and the instances as
separate processes. For each instance count, on a fresh database:

1. **Polling**: ``--feeds`` feeds of two new articles each (real 2018 articles of the ANT
   corpus from ../shared/eval-data, used only in memory; without it, stories written for the
   tests, which cluster into few stories), no destinations. Measured: feeds polled per second
   and articles stored (fetched, parsed, deduplicated, enriched) per second, from the first
   feed polled to the last article enriched, and the wall time from starting the processes.
2. **Delivery**: the instances restart with ``--telegram`` Telegram private chats and
   ``--slack`` Slack channels as destinations, each with a slice of the feeds, generous
   summary budgets (summaries stop at what the content needs: usually one sentence) and a
   digest on start (the stories are all stored, and the feeds not
   yet due again). Measured: message parts delivered per second on each platform, from the
   first part queued to the last one sent (composing the digests is part of that time).

Run: ``.venv/bin/python -m bench.scale_out`` (about three minutes; ``--instances 1 2 3``,
``--feeds 600``). Prints a Markdown table. The machine has 2 cores: the instances, PostgreSQL,
the feed server and both fakes share them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench.poll import ANT, ant_or_test_stories
from tests.bot.test_crash import TAXONOMY, BotProcess, make_story
from tests.support.fake_slack import FakeSlack
from tests.support.fake_telegram import FakeTelegram
from tests.support.feedserver import FeedServer
from tests.support.fixtures import Story, rss
from tests.support.postgres import PostgresServer, query, running_postgres

FIRST_USER = 5_000_001


@dataclass(frozen=True)
class Result:
    instances: int
    feeds: int
    articles: int
    poll_seconds: float
    poll_wall: float
    telegram_parts: int
    telegram_seconds: float
    slack_parts: int
    slack_seconds: float


def load_articles(count: int) -> list[Story]:
    """``count`` distinct articles: ANT's when the corpus is there, else generated ones."""
    if not ANT.exists():
        return [make_story(n) for n in range(count)]
    pairs = ant_or_test_stories(count)
    return [
        Story(f"ant-{n:05d}", title, tuple(p for p in text.split("\n") if p.strip()))
        for n, (title, text) in enumerate(pairs)
    ]


def wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)


def config(
    folder: Path,
    server: FeedServer,
    telegram: FakeTelegram,
    slack: FakeSlack,
    feeds: int,
    destinations: tuple[int, int],
) -> Path:
    lines = [
        f'[storage]\ndata_dir = "{folder / "data"}"\n',
        "[poll]\ntimeout_seconds = 10\ntick_seconds = 1\nper_host_concurrency = 16\n"
        "full_content_min_chars = 100\n",
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n',
        "[delivery]\nshutdown_grace_seconds = 2\n",
        "[ops]\nport = 0\n",
        f'[telegram]\nbase_url = "{telegram.base_url}"\n'
        f'base_file_url = "{telegram.base_file_url}"\npoll_timeout_seconds = 1\n'
        "personal_digests = false\n",
        f'[slack]\nbase_url = "{slack.base_url}"\n',
    ]
    lines += [
        f'[[feeds]]\nname = "feed-{i:04d}"\nurl = "{server.url(f"/f/{i:04d}")}"\n'
        "allow_private = true\n"
        for i in range(feeds)
    ]
    chats = [str(FIRST_USER + n) for n in range(destinations[0])]
    chats += [f"C0BENCH{n:03d}" for n in range(destinations[1])]
    per = max(1, feeds // max(1, len(chats)))
    for n, chat in enumerate(chats):
        platform = "slack" if chat.startswith("C") else "telegram"
        first = (n * per) % feeds
        sources = ", ".join(f'"feed-{(first + k) % feeds:04d}"' for k in range(per))
        lines.append(
            f'[[destinations]]\nname = "d{n:03d}"\nplatform = "{platform}"\nchat = "{chat}"\n'
            'schedule = "0 0 1 1 *"\ndigest_on_start = true\nmax_items = 200\n'
            "summary_chars = 1500\nsummary_sentences = 6\n"
            f"sources = [{sources}]\n"
        )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "newsdigest.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def start(
    count: int, path: Path, telegram: FakeTelegram, slack: FakeSlack, url: str
) -> list[BotProcess]:
    processes = []
    for n in range(count):
        folder = path.parent / f"instance-{n}"
        folder.mkdir(exist_ok=True)
        own = folder / path.name
        shutil.copy(path, own)
        process = BotProcess(own, telegram, slack)
        process.env["NEWSDIGEST_DATABASE_URL"] = url
        process.start()
        processes.append(process)
    return processes


def stop(processes: list[BotProcess]) -> None:
    for process in processes:
        if process.process is not None and process.alive():
            process.process.terminate()
    for process in processes:
        if process.process is not None:
            process.process.wait(30)


def run_once(
    count: int, pg: PostgresServer, feeds: int, telegram_chats: int, slack_channels: int
) -> Result:
    root = Path(tempfile.mkdtemp(prefix=f"bench-scale-{count}-"))
    server = FeedServer()
    telegram = FakeTelegram()
    slack = FakeSlack()
    name = pg.create_database()
    url = pg.url(name)
    try:
        for n in range(FIRST_USER, FIRST_USER + telegram_chats):
            telegram.add_chat(n, "private", first_name="قارئ")
        stories = load_articles(2 * feeds)
        for i in range(feeds):
            pair = (stories[2 * i], stories[2 * i + 1])
            server.add(f"/f/{i:04d}", rss(server.base, pair, guid_prefix=f"f{i}:"))

        # 1. Polling.
        polling = config(root / "poll", server, telegram, slack, feeds, (0, 0))
        began = time.monotonic()
        processes = start(count, polling, telegram, slack, url)

        def polled() -> bool:
            assert all(p.alive() for p in processes), processes[0].log()
            try:
                rows = query(
                    url,
                    "SELECT (SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL), "
                    "(SELECT count(*) FROM articles WHERE enriched_at IS NULL)",
                )
            except asyncpg.UndefinedTableError:
                return False
            return bool(rows[0][0] == feeds and rows[0][1] == 0)

        wait(polled, 600, "every feed polled")
        wall = time.monotonic() - began
        stop(processes)
        first_poll, last_enriched, articles = query(
            url,
            "SELECT (SELECT min(last_success_at) FROM feeds), max(enriched_at), count(*) "
            "FROM articles",
        )[0]
        poll_seconds = (last_enriched - first_poll).total_seconds()

        # 2. Delivery.
        delivering = config(
            root / "deliver", server, telegram, slack, feeds, (telegram_chats, slack_channels)
        )
        processes = start(count, delivering, telegram, slack, url)
        expected = telegram_chats + slack_channels

        def delivered() -> bool:
            assert all(p.alive() for p in processes), processes[0].log()
            rows = query(
                url,
                "SELECT count(DISTINCT destination), "
                "count(*) FILTER (WHERE status IN ('pending', 'sending')) FROM outbox",
            )
            return bool(rows[0][0] == expected and rows[0][1] == 0)

        wait(delivered, 900, "every digest delivered")
        stop(processes)
        spans = {
            row["platform"]: (int(row["parts"]), (row["last"] - row["first"]).total_seconds())
            for row in query(
                url,
                "SELECT platform, count(*) AS parts, min(created_at) AS first, "
                "max(sent_at) AS last FROM outbox WHERE status = 'sent' GROUP BY platform",
            )
        }
        failed = query(url, "SELECT count(*) FROM outbox WHERE status != 'sent'")[0][0]
        if failed:
            raise SystemExit(f"{failed} parts were not sent")
        tg, sl = spans.get("telegram", (0, 0.0)), spans.get("slack", (0, 0.0))
        return Result(count, feeds, int(articles), poll_seconds, wall, *tg, *sl)
    finally:
        server.close()
        telegram.close()
        slack.close()
        pg.drop_database(name)
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--feeds", type=int, default=600)
    parser.add_argument("--telegram", type=int, default=100, help="Telegram private chats")
    parser.add_argument("--slack", type=int, default=50, help="Slack channels")
    args = parser.parse_args(argv)
    source = "ANT corpus" if ANT.exists() else "generated stories (../shared/eval-data not found)"
    print(f"articles: {source}", file=sys.stderr)
    results = []
    with running_postgres() as pg:
        for count in args.instances:
            print(f"… {count} instance(s)", file=sys.stderr, flush=True)
            results.append(run_once(count, pg, args.feeds, args.telegram, args.slack))
    base = results[0]
    print(
        "| instances | feeds | articles | poll s | feeds/s | articles/s | × | wall s "
        "| Telegram parts | Telegram msg/s | Slack parts | Slack msg/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        feeds_rate = r.feeds / r.poll_seconds
        print(
            f"| {r.instances} | {r.feeds} | {r.articles} | {r.poll_seconds:.1f} "
            f"| {feeds_rate:.1f} | {r.articles / r.poll_seconds:.1f} "
            f"| {feeds_rate / (base.feeds / base.poll_seconds):.2f} | {r.poll_wall:.1f} "
            f"| {r.telegram_parts} | {r.telegram_parts / max(r.telegram_seconds, 1e-9):.1f} "
            f"| {r.slack_parts} | {r.slack_parts / max(r.slack_seconds, 1e-9):.1f} |"
        )


if __name__ == "__main__":
    main()
