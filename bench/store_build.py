"""A large store for the benchmarks: ANT articles resampled and stored through the real store.

``build_store`` is what bench/search.py, bench/poll.py (``--articles``) and
bench/housekeeping.py build on. Articles arrive in order at an even pace over ``days`` days up
to ``now`` (so newer articles have higher ids, as in a running bot), each with its full text,
search keys, three related links and a sent record for two destinations. ANT texts are used in
memory only. ``reuse_or_build`` keeps a built store at a path the caller names, so one 1M build
(about 15 minutes) serves several benchmarks.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["ANT", "NOW", "ant", "build_store", "copy_store", "reuse_or_build", "size_of"]

ANT = (
    Path(__file__).parents[1].parent
    / "shared"
    / "eval-data"
    / "ant-v2.1"
    / "ant_v2.1_4outlets.jsonl.gz"
)
NOW = datetime(2026, 12, 6, tzinfo=UTC)
PER_DAY = 1500
"""Articles a day in the default spread: a channel following seven Arabic outlets."""


def ant() -> list[dict[str, str]]:
    """Every ANT record (id, source, title, text); exits with a pointer when it is missing."""
    if not ANT.exists():
        sys.exit(f"this benchmark needs the ANT corpus at {ANT} (../shared/eval-data/README.md)")
    with gzip.open(ANT, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def size_of(database: Path) -> int:
    """Bytes of the database file with its WAL and shared-memory files."""
    return sum(p.stat().st_size for p in database.parent.glob(database.name + "*"))


async def build_store(database: Path, count: int, days: float, *, now: datetime = NOW) -> float:
    """Store ``count`` resampled ANT articles arriving evenly over ``days`` days up to ``now``;
    returns the seconds it took."""
    from digests.ingest.settings import FeedSettings
    from digests.models import Entry
    from digests.store import Store
    from digests.store.articles import ArticleText
    from digests.store.database import sqlite_url
    from digests.text.enrich import Enrichment
    from digests.text.query import index_terms

    corpus = ant()
    store = await Store.open(sqlite_url(database))
    sources = sorted({r["source"] for r in corpus})
    await store.feeds.sync_config(
        [FeedSettings(url=f"https://{s.lower()}.example/rss", name=s) for s in sources], now
    )
    feeds = {f.name: f for f in await store.feeds.all()}
    step = timedelta(days=days) / count
    started = time.perf_counter()
    batch = 1000
    previous: list[int] = []
    for start in range(0, count, batch):
        arrival = now - timedelta(days=days) + step * start
        by_feed: dict[str, list[tuple[Entry, str]]] = {}
        for n in range(start, min(start + batch, count)):
            record = corpus[n % len(corpus)]
            entry = Entry(
                guid=f"{record['id']}#{n}",
                link=f"https://{record['source'].lower()}.example/{n}",
                title=record["title"],
                published=arrival + step * (n - start),
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
            # Enriched as of ``now``: the recent search index then holds the last 30 days, as
            # in a bot whose daily housekeeping trims it.
            await store.topics.save_enrichments(enrichments, now)
            for destination in ("telegram:channel", "slack:news"):
                await store.articles.mark_sent(destination, [a.article.id for a in new], arrival)
        previous = previous[-3:]
    async with store.engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    await store.close()
    return time.perf_counter() - started


def reuse_or_build(database: Path | None, folder: Path, count: int, days: float) -> Path:
    """``database`` when it exists (built earlier); else build ``count`` articles over
    ``days`` days there (kept afterwards), or in ``folder`` when no path is given."""
    if database is not None and database.exists():
        print(f"reusing the store at {database}", file=sys.stderr)
        return database
    target = database or folder / "bench.sqlite3"
    seconds = asyncio.run(build_store(target, count, days))
    print(
        f"built {count:,} articles over {days:,.0f} days in {seconds:,.0f} s "
        f"({count / seconds:,.0f} articles/s); database {size_of(target) / 2**20:,.0f} MB",
        file=sys.stderr,
    )
    return target


def copy_store(source: Path, folder: Path) -> Path:
    """A copy of a closed, checkpointed store in ``folder`` (for benchmarks that change it),
    on disk before it returns: otherwise the first fsync of a timed run (a checkpoint) waits
    for gigabytes of the copy to be written back."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copyfile(source, target)
    with target.open("rb+") as copied:
        os.fsync(copied.fileno())
    return target
