"""Search benchmark: index N articles resampled from ANT, then time Arabic queries.

    .venv/bin/python -m bench.search [--articles 100000] [--days D] [--database PATH] [--repeat 20]

Builds a SQLite store through the real store (bench/store_build.py: articles arriving over
``--days`` days, by default 1,500 a day), then, in a separate process that only serves
queries, measures p50/p95 latency of ``store.search.Search.find`` (FTS5 query, ranking, snippets)
for one-word, two-word and phrase queries, and that process's peak memory. ANT texts are used
in memory only; the database is deleted at the end unless ``--database`` names where to keep
it (an existing one is reused as it is).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.child import serve_in_child
from bench.memory import peak_rss_mb
from bench.store_build import NOW, PER_DAY, reuse_or_build, size_of

QUERIES = {
    "one word": ["إيران", "النفط", "ترامب", "السعودية", "الانتخابات", "اللاجئين", "مصر", "الدولار"],
    "two words": [
        "الرئيس الأمريكي",
        "أسعار النفط",
        "الأمم المتحدة",
        "كرة القدم",
        "الاتحاد الأوروبي",
        "البنك المركزي",
        "وزير الخارجية",
        "قطاع غزة",
    ],
    "phrase": [
        "«مجلس الأمن»",
        "«كأس العالم»",
        "«البيت الأبيض»",
        "«الذكاء الاصطناعي»",
        "«ولي العهد»",
        "«الأمم المتحدة»",
        "«وكالة الأنباء»",
        "«أسعار النفط»",
    ],
}


async def _serve(database: Path, repeat: int) -> dict[str, Any]:
    from digests.store import Store
    from digests.store.database import sqlite_url

    now = NOW
    store = await Store.open(sqlite_url(database))
    for text in QUERIES["one word"]:  # warm the page cache and the stem memo
        await store.search.find(text, now=now)
    results: dict[str, Any] = {}
    for kind, texts in QUERIES.items():
        timings = []
        hits = []
        for _ in range(repeat):
            for text in texts:
                started = time.perf_counter()
                page = await store.search.find(text, now=now, per_page=5)
                timings.append((time.perf_counter() - started) * 1000)
                hits.append(page.total)
        timings.sort()
        results[kind] = {
            "p50": statistics.median(timings),
            "p95": timings[int(len(timings) * 0.95) - 1],
            "queries": len(timings),
            "median_shown": statistics.median(hits),
            "median_matches": statistics.median([await _matches(store, t) for t in texts]),
        }
    await store.close()
    results["peak_mb"] = peak_rss_mb()
    return results


def main() -> None:
    """Build the index, serve the queries in a child process, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument(
        "--days", type=float, help=f"days the articles span (default: articles / {PER_DAY})"
    )
    parser.add_argument(
        "--database", type=Path, help="keep the built store here, or reuse it when it exists"
    )
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--serve", metavar="DATABASE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(asyncio.run(_serve(Path(args.serve), args.repeat))))
        return
    days = args.days or args.articles / PER_DAY
    with tempfile.TemporaryDirectory() as folder:
        database = reuse_or_build(args.database, Path(folder), args.articles, days)
        stored = asyncio.run(_count(database))
        size = size_of(database)
        result = serve_in_child("bench.search", database, "--repeat", str(args.repeat))
    print(f"store: {stored:,} articles over {days:,.0f} days; database {size / 2**20:,.0f} MB\n")
    print(
        f"{'query kind':<10} | {'queries':>7} | {'median matches':>14} | {'counted':>7} | "
        f"{'p50 ms':>7} | {'p95 ms':>7}"
    )
    print("-" * 68)
    for kind in QUERIES:
        r = result[kind]
        print(
            f"{kind:<10} | {r['queries']:>7} | {r['median_matches']:>14,.0f} | "
            f"{r['median_shown']:>7,.0f} | {r['p50']:>7.1f} | {r['p95']:>7.1f}"
        )
    print(f"\nserving process peak memory: {result['peak_mb']:.0f} MB")


async def _matches(store: Any, text: str) -> int:
    """Every match of ``text`` (untimed; searches count up to ``store.search.RANKED``)."""
    import sqlalchemy as sa

    from digests.text.query import parse_query

    async with store.engine.connect() as conn:
        query = sa.text("SELECT count(*) FROM article_search WHERE article_search MATCH :m")
        return int(await conn.scalar(query, {"m": parse_query(text).fts5()}))


async def _count(database: Path) -> int:
    from digests.store import Store
    from digests.store.database import sqlite_url

    store = await Store.open(sqlite_url(database))
    try:
        return await store.articles.count()
    finally:
        await store.close()


if __name__ == "__main__":
    main()
