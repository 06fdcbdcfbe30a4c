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
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.store_build import NOW, copy_store, reuse_or_build, size_of


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
        "by_step": {k: v * 1000 for k, v in cleaned.longest_by_step.items()},
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
    parser.add_argument(
        "--database",
        type=Path,
        help="keep the built store here, or reuse it when it exists (the run works on a copy)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        built = reuse_or_build(args.database, Path(folder), args.articles, args.days)
        database = copy_store(built, Path(folder) / "run") if args.database else built
        before = size_of(database)
        run = asyncio.run(_housekeep(database))
        after = size_of(database)
    per = 100_000 / args.articles / 2**20
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
        "longest batch by step: "
        + ", ".join(f"{step} {ms:.0f} ms" for step, ms in run["by_step"].items())
    )
    print(
        f"concurrent writer: {run['writes']:,.0f} writes, wait p50 {run['wait_p50_ms']:.1f} ms, "
        f"p99 {run['wait_p99_ms']:.1f} ms, max {run['wait_max_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
