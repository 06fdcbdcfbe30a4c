"""Search benchmark: index N articles resampled from ANT, then time Arabic queries.

    .venv/bin/python -m bench.search [--articles 100000] [--repeat 20]

Builds a fresh SQLite database through the real store (``insert_entries`` and
``save_enrichments`` with ``index_terms``), then, in a separate process that only serves
queries, measures p50/p95 latency of ``store.search.Search.find`` (FTS5 query, ranking, snippets)
for one-word, two-word and phrase queries, and that process's peak memory. ANT texts are used
in memory only; the database is deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.child import serve_in_child
from bench.memory import peak_rss_mb

ANT = (
    Path(__file__).parents[1].parent
    / "shared"
    / "eval-data"
    / "ant-v2.1"
    / "ant_v2.1_4outlets.jsonl.gz"
)

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


def _ant() -> list[dict[str, str]]:
    if not ANT.exists():
        sys.exit(f"bench.search needs the ANT corpus at {ANT} (see ../shared/eval-data/README.md)")
    with gzip.open(ANT, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


async def _build(database: Path, count: int) -> dict[str, float]:
    from digests.ingest.settings import FeedSettings
    from digests.models import Entry
    from digests.store import Store
    from digests.store.articles import ArticleText
    from digests.store.database import sqlite_url
    from digests.text.enrich import Enrichment
    from digests.text.query import index_terms

    corpus = _ant()
    now = datetime(2026, 11, 29, tzinfo=UTC)
    store = await Store.open(sqlite_url(database))
    sources = sorted({r["source"] for r in corpus})
    await store.feeds.sync_config(
        [FeedSettings(url=f"https://{s.lower()}.example/rss", name=s) for s in sources], now
    )
    feeds = {f.name: f for f in await store.feeds.all()}
    started = time.perf_counter()
    batch = 1000
    for start in range(0, count, batch):
        by_feed: dict[str, list[tuple[Entry, str]]] = {}
        for n in range(start, min(start + batch, count)):
            record = corpus[n % len(corpus)]
            published = now - timedelta(minutes=(n * 131) % (90 * 24 * 60))
            entry = Entry(
                guid=f"{record['id']}#{n}",
                link=f"https://{record['source'].lower()}.example/{n}",
                title=record["title"],
                published=published,
                snippet=record["text"][:200],
                content=record["text"],
            )
            by_feed.setdefault(record["source"], []).append((entry, record["text"]))
        for source, items in by_feed.items():
            # Each batch "arrives" a second later, so resampled headlines are not deduplicated.
            arrival = now + timedelta(seconds=start // batch)
            new = await store.articles.insert_entries(
                feeds[source],
                [e for e, _ in items],
                arrival,
                dedup_window=timedelta(milliseconds=500),
            )
            texts = {e.guid: t for e, t in items}
            await store.articles.set_texts(
                [ArticleText(a.article.id, texts[a.article.guid], "feed") for a in new]
            )
            await store.topics.save_enrichments(
                [
                    Enrichment(
                        article_id=a.article.id,
                        story_id=a.article.id,
                        search_title=index_terms(a.article.title),
                        search_body=index_terms(texts[a.article.guid]),
                    )
                    for a in new
                ],
                now,
            )
    elapsed = time.perf_counter() - started
    stored = await store.articles.count()
    await store.close()
    size = sum(p.stat().st_size for p in database.parent.glob(database.name + "*"))
    return {"articles": stored, "seconds": elapsed, "size_mb": size / 2**20}


async def _serve(database: Path, repeat: int) -> dict[str, Any]:
    from digests.store import Store
    from digests.store.database import sqlite_url

    now = datetime(2026, 11, 29, tzinfo=UTC)
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
            "median_matches": statistics.median(hits),
        }
    await store.close()
    results["peak_mb"] = peak_rss_mb()
    return results


def main() -> None:
    """Build the index, serve the queries in a child process, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--serve", metavar="DATABASE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(asyncio.run(_serve(Path(args.serve), args.repeat))))
        return
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "search.sqlite3"
        built = asyncio.run(_build(database, args.articles))
        result = serve_in_child("bench.search", database, "--repeat", str(args.repeat))
    print(
        f"index build: {built['articles']:,.0f} articles in {built['seconds']:.1f} s "
        f"({built['articles'] / built['seconds']:,.0f} articles/s, stems computed and stored); "
        f"database {built['size_mb']:.0f} MB\n"
    )
    print(
        f"{'query kind':<10} | {'queries':>7} | {'median matches':>14} | "
        f"{'p50 ms':>7} | {'p95 ms':>7}"
    )
    print("-" * 58)
    for kind in QUERIES:
        r = result[kind]
        print(
            f"{kind:<10} | {r['queries']:>7} | {r['median_matches']:>14,.0f} | "
            f"{r['p50']:>7.1f} | {r['p95']:>7.1f}"
        )
    print(f"\nserving process peak memory: {result['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
