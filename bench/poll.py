"""Polling benchmark: N generated Arabic feeds served on loopback, polled twice.

    .venv/bin/python -m bench.poll [--sizes 100 1000] [--items 20] [--articles 0] [--enrich]

For each N, a child process serves N RSS feeds (``items`` entries each, full content, ETag and
Last-Modified) from a separate process on 127.0.0.1, and another child polls them all into a
fresh SQLite database: a first pass (everything new) and a second pass (every feed answers
304). It prints feeds/s, new articles/s, wall time and the poller's peak memory (max RSS).

With ``--articles N`` the database first holds N stored articles (ANT resampled and indexed
by bench/store_build.py, 1,500 a day; ``--database PATH`` keeps that store or reuses it), so a
pass on top of a large store can be compared with one on an empty store; ``--enrich`` runs
the enricher (topics, stories, related articles, search keys) on what is polled, with the
taxonomy of config/topics.toml, as the service does.

Texts come from the ANT corpus in ../shared/eval-data when it is there (titles and bodies of
real 2018 articles, used only in memory), else from the test stories. All feeds share one
loopback host, so the benchmark lifts the per-host limit to the overall one, as if the feeds
were spread over many sites.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.memory import peak_rss_mb
from bench.store_build import ANT

TAXONOMY = Path(__file__).parents[1] / "config" / "topics.toml"


def ant_or_test_stories(count: int) -> list[tuple[str, str]]:
    """(title, text) pairs: ANT articles when available, else the test stories repeated."""
    if ANT.exists():
        out: list[tuple[str, str]] = []
        with gzip.open(ANT, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                out.append((record["title"], record["text"]))
                if len(out) >= count:
                    break
        return out
    from tests.support.fixtures import STORIES

    cycle = itertools.cycle(STORIES)
    return [
        (f"{s.title} ({i})", "\n".join(s.paragraphs))
        for i, s in zip(range(count), cycle, strict=False)
    ]


def _serve(feeds: int, items: int, ready: Any) -> None:
    from xml.sax.saxutils import escape

    from tests.support.feedserver import FeedServer

    server = FeedServer()
    stories = ant_or_test_stories(min(feeds * items, 5000))
    pool = itertools.cycle(stories)
    for number in range(feeds):
        parts = []
        for item in range(items):
            title, text = next(pool)
            link = f"{server.base}/a/{number}/{item}"
            body = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n") if p.strip())
            parts.append(
                f"<item><title>{escape(title)}</title><link>{link}</link>"
                f"<guid>{link}</guid><description>{escape(text[:200])}</description>"
                f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
            )
        document = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>feed {number}</title>{''.join(parts)}</channel></rss>"
        )
        server.add(
            f"/feed/{number}",
            document,
            etag=f'"{number}-v1"',
            last_modified="Sat, 28 Nov 2026 09:00:00 GMT",
        )
    ready.put(server.base)
    while True:
        time.sleep(3600)


async def _poll(base: str, feeds: int, database: Path, *, enrich: bool) -> dict[str, Any]:
    from digests.clock import utcnow
    from digests.ingest.fetch import Fetcher
    from digests.ingest.pipeline import Pipeline
    from digests.ingest.settings import FeedSettings, PollSettings
    from digests.store import Store
    from digests.store.database import sqlite_url
    from digests.text.enrich import Enricher, TopicSettings, taxonomy_rows
    from digests.text.taxonomy import Taxonomy

    settings = PollSettings(
        concurrency=32, per_host_concurrency=32, timeout_seconds=60, full_content_min_chars=0
    )
    store = await Store.open(sqlite_url(database))
    await store.feeds.sync_config(
        [FeedSettings(url=f"{base}/feed/{n}", name=f"feed {n}") for n in range(feeds)], utcnow()
    )
    enricher = None
    if enrich:
        taxonomy = Taxonomy.from_toml(TAXONOMY.read_text(encoding="utf-8"))
        await store.topics.sync(taxonomy_rows(taxonomy), utcnow())
        topic_settings = TopicSettings()
        enricher = Enricher(taxonomy, topic_settings)
        enricher.restore(await store.topics.index_rows(utcnow() - topic_settings.related_window))
    passes = []
    async with Fetcher(settings, allow_private=True) as fetcher:
        pipeline = Pipeline(store, fetcher, settings, enricher=enricher)
        for label in ("first", "second (304)"):
            # Read again: the second pass sends the validators the first one stored.
            polled = [f for f in await store.feeds.all() if f.url.startswith(base)]
            started = time.perf_counter()
            outcomes = await pipeline.poll_feeds(polled)
            elapsed = time.perf_counter() - started
            passes.append(
                {
                    "pass": label,
                    "seconds": elapsed,
                    "feeds_per_s": feeds / elapsed,
                    "new": sum(o.new_articles for o in outcomes),
                    "not_modified": sum(o.status == "not_modified" for o in outcomes),
                    "errors": sum(o.status == "error" for o in outcomes),
                }
            )
    await store.close()
    peak_mb = peak_rss_mb()
    return {"feeds": feeds, "passes": passes, "peak_mb": peak_mb}


def _child(base: str, feeds: int, articles: int, enrich: bool, kept: Path | None) -> None:
    from bench.store_build import PER_DAY, copy_store, reuse_or_build

    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.sqlite3"
        if articles:
            built = reuse_or_build(kept, Path(folder), articles, articles / PER_DAY)
            database = copy_store(built, Path(folder) / "run") if kept else built
        result = asyncio.run(_poll(base, feeds, database, enrich=enrich))
    print(json.dumps(result))


def main() -> None:
    """Run the benchmark for each size and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--items", type=int, default=20, help="entries per feed")
    parser.add_argument(
        "--articles", type=int, default=0, help="articles stored before polling (default 0)"
    )
    parser.add_argument("--enrich", action="store_true", help="enrich what is polled")
    parser.add_argument(
        "--database",
        type=Path,
        help="with --articles: keep the built store here, or reuse it (each run polls a copy)",
    )
    parser.add_argument("--child", nargs=2, metavar=("BASE", "FEEDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]), args.articles, args.enrich, args.database)
        return
    source = "ANT corpus" if ANT.exists() else "test stories (../shared/eval-data not found)"
    print(
        f"texts: {source}; {args.items} items per feed; server in its own process; "
        f"{args.articles:,} articles stored before; enrichment {'on' if args.enrich else 'off'}\n"
    )
    header = (
        f"{'feeds':>6} | {'pass':<13} | {'time s':>7} | {'feeds/s':>8} | {'new':>6} | "
        f"{'new/s':>8} | {'304s':>5} | {'errors':>6} | {'peak MB':>7}"
    )
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        ready: Any = multiprocessing.Queue()
        server = multiprocessing.Process(target=_serve, args=(size, args.items, ready), daemon=True)
        server.start()
        base = ready.get(timeout=300)
        try:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.poll",
                    "--child",
                    base,
                    str(size),
                    "--articles",
                    str(args.articles),
                    *(["--enrich"] if args.enrich else []),
                    *(["--database", str(args.database)] if args.database else []),
                ],
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                sys.exit(f"poller failed for {size} feeds:\n{out.stderr[-3000:]}")
        finally:
            server.terminate()
        result = json.loads(out.stdout.strip().splitlines()[-1])
        for p in result["passes"]:
            print(
                f"{size:>6} | {p['pass']:<13} | {p['seconds']:>7.2f} | {p['feeds_per_s']:>8.1f} | "
                f"{p['new']:>6} | {p['new'] / p['seconds']:>8.1f} | {p['not_modified']:>5} | "
                f"{p['errors']:>6} | {result['peak_mb']:>7.1f}"
            )


if __name__ == "__main__":
    main()
