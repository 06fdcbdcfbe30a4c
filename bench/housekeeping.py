"""Retention benchmark: a store of N articles spread over years, one housekeeping run, and the
longest a concurrent writer waited for the write path meanwhile.

    .venv/bin/python -m bench.housekeeping [--articles 100000] [--days 1000]

Builds a fresh SQLite database through the real store: ANT articles resampled (as
bench/search.py does), arriving at an even pace over ``--days`` days up to now, each with its
full text, search keys, three related links and a sent record for two destinations. Then runs
``Housekeeping.run`` with the default retention (texts 90 days, articles 730, delivery 30)
while a writer stores one article every 20 ms through ``store.write()`` (the single write
path a poll and a delivery use) and records how long each write waited. Prints the database
size per 100,000 articles before and after, the run's time, and the writer's waits.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.search import _ant

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _size(database: Path) -> int:
    return sum(p.stat().st_size for p in database.parent.glob(database.name + "*"))


async def _build(database: Path, count: int, days: int) -> float:
    from digests.ingest.settings import FeedSettings
    from digests.models import Entry
    from digests.store import Store
    from digests.store.articles import ArticleText
    from digests.store.database import sqlite_url
    from digests.text.enrich import Enrichment
    from digests.text.query import index_terms

    corpus = _ant()
    store = await Store.open(sqlite_url(database))
    sources = sorted({r["source"] for r in corpus})
    await store.feeds.sync_config(
        [FeedSettings(url=f"https://{s.lower()}.example/rss", name=s) for s in sources], NOW
    )
    feeds = {f.name: f for f in await store.feeds.all()}
    step = timedelta(days=days) / count
    started = time.perf_counter()
    batch = 1000
    previous: list[int] = []
    for start in range(0, count, batch):
        arrival = NOW - timedelta(days=days) + step * start
        by_feed: dict[str, list[tuple[Entry, str]]] = {}
        for n in range(start, min(start + batch, count)):
            record = corpus[n % len(corpus)]
            entry = Entry(
                guid=f"{record['id']}#{n}",
                link=f"https://{record['source'].lower()}.example/{n}",
                title=record["title"],
                published=arrival,
                snippet=record["text"][:200],
                content=record["text"],
            )
            by_feed.setdefault(record["source"], []).append((entry, record["text"]))
        for source, items in by_feed.items():
            new = await store.articles.insert_entries(
                feeds[source], [e for e, _ in items], arrival, dedup_window=timedelta(0)
            )
            texts = {e.guid: t for e, t in items}
            await store.articles.set_texts(
                [ArticleText(a.article.id, texts[a.article.guid], "feed") for a in new]
            )
            enrichments = []
            for a in new:
                enrichments.append(
                    Enrichment(
                        article_id=a.article.id,
                        story_id=a.article.id,
                        related=tuple((i, 0.5) for i in previous[-3:]),
                        search_title=index_terms(a.article.title),
                        search_body=index_terms(texts[a.article.guid]),
                    )
                )
                previous.append(a.article.id)
            await store.topics.save_enrichments(enrichments, arrival)
            for destination in ("telegram:channel", "slack:news"):
                await store.articles.mark_sent(destination, [a.article.id for a in new], arrival)
        previous = previous[-3:]
    await store.close()
    return time.perf_counter() - started


async def _housekeep(database: Path) -> dict[str, Any]:
    from digests.models import Entry
    from digests.store import Store
    from digests.store.articles import ArticleText
    from digests.store.database import sqlite_url
    from digests.store.housekeeping import Housekeeping, Retention

    store = await Store.open(sqlite_url(database))
    [feed] = (await store.feeds.all())[:1]
    waits: list[float] = []
    done = asyncio.Event()

    async def writer() -> None:
        n = 0
        while not done.is_set():
            wanted = time.perf_counter()
            async with store.write() as conn:
                waits.append(time.perf_counter() - wanted)
                del conn
            entry = Entry(f"w{n}", f"https://w.example/{n}", f"خبر عاجل رقم {n}", NOW, "")
            [new] = await store.articles.insert_entries(
                feed, [entry], NOW, dedup_window=timedelta(0)
            )
            await store.articles.set_texts([ArticleText(new.article.id, "نص " * 300, "page")])
            n += 1
            await asyncio.sleep(0.02)

    retention = Retention(
        keep_text=timedelta(days=90),
        keep_articles=timedelta(days=730),
        keep_delivery=timedelta(days=30),
        protect=timedelta(hours=720 + 48),
    )
    task = asyncio.create_task(writer())
    started = time.perf_counter()
    cleaned = await Housekeeping(store.db).run(NOW, retention)
    elapsed = time.perf_counter() - started
    done.set()
    await task
    async with store.engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    await store.close()
    waits.sort()
    result: dict[str, Any] = {
        "seconds": elapsed,
        "texts": cleaned.texts,
        "articles": cleaned.articles,
        "sent": cleaned.sent,
        "pages": cleaned.pages_freed,
        "batches": cleaned.batches,
        "longest_batch_ms": cleaned.longest_batch * 1000,
        "longest_step": cleaned.longest_step,
        "writes": len(waits),
        "wait_p50_ms": statistics.median(waits) * 1000,
        "wait_p99_ms": waits[max(0, int(len(waits) * 0.99) - 1)] * 1000,
        "wait_max_ms": waits[-1] * 1000,
    }
    return result


def main() -> None:
    """Build the store, run the housekeeping with a concurrent writer, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "housekeeping.sqlite3"
        build = asyncio.run(_build(database, args.articles, args.days))
        before = _size(database)
        run = asyncio.run(_housekeep(database))
        after = _size(database)
    per = 100_000 / args.articles / 2**20
    print(f"built {args.articles:,} articles over {args.days} days in {build:.0f} s")
    print("| | database MB | MB per 100k articles stored |")
    print("|---|---:|---:|")
    kept = args.articles - run["articles"]
    print(f"| before retention | {before / 2**20:,.0f} | {before * per:,.0f} |")
    print(
        f"| after retention | {after / 2**20:,.0f} | "
        f"{after / 2**20 * 100_000 / max(kept, 1):,.0f} (per 100k kept) |"
    )
    print()
    print(
        f"housekeeping: {run['seconds']:.1f} s; {run['texts']:,.0f} texts emptied, "
        f"{run['articles']:,.0f} articles and {run['sent']:,.0f} sent records removed, "
        f"{run['pages']:,.0f} pages freed, {run['batches']:,.0f} batches "
        f"(longest {run['longest_batch_ms']:.0f} ms, {run['longest_step']})"
    )
    print(
        f"concurrent writer: {run['writes']:,.0f} writes, wait p50 {run['wait_p50_ms']:.1f} ms, "
        f"p99 {run['wait_p99_ms']:.1f} ms, max {run['wait_max_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
