"""Web archive benchmark: page times at N articles for the archive, a digest, a story, a
topic and search.

    .venv/bin/python -m bench.web [--articles 100000] [--requests 200]

Builds a fresh SQLite database through the real store, as ``bench/search.py`` does: ANT
articles resampled to N (``insert_entries``, ``set_texts``, ``save_enrichments`` with the
search keys), published at an even pace over 90 days and arriving in that order, grouped
into stories of one to four articles, each with its ANT category as a
topic and a related earlier story. Then 60 digests (two a day for a month, 20 stories each,
composed by the real composer) are archived for a public destination. A child process that
only serves the web archive (the real ``WebServer`` on 127.0.0.1) is then asked for each kind
of page in turn through aiohttp, and the whole HTTP round trip is timed: p50 and p95 per
kind, and the serving process's peak memory. ANT texts are used in memory only; the database
is deleted at the end.

Target: p95 under 50 ms for the archive, a story page and search.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.child import serve_in_child
from bench.memory import peak_rss_mb
from bench.search import QUERIES, _ant

NOW = datetime(2026, 11, 29, tzinfo=UTC)
DIGESTS = 60
STORIES_PER_DIGEST = 20
TARGET_MS = 50.0
SPAN = timedelta(days=90)


def _published(n: int, count: int) -> datetime:
    """Article ``n`` of ``count`` is published at an even pace over the 90 days before NOW,
    so that ids grow with time as they do in a store that polls feeds."""
    return NOW - SPAN + SPAN * (n / count)


def _destination() -> Any:
    from digests.compose.destination import Destination

    return Destination(name="channel", public=True, max_items=STORIES_PER_DIGEST)


async def _build(database: Path, count: int) -> dict[str, float]:
    from digests.compose.archive import digest_address
    from digests.deliver.queue import alert_items
    from digests.ingest.settings import FeedSettings
    from digests.models import Digest, DigestSection, Entry, TopicRow
    from digests.store import Store
    from digests.store.archive import ArchiveRecord
    from digests.store.articles import ArticleText
    from digests.store.database import sqlite_url
    from digests.text.enrich import Enrichment
    from digests.text.query import index_terms

    corpus = _ant()
    store = await Store.open(sqlite_url(database))
    sources = sorted({r["source"] for r in corpus})
    categories = sorted({r["category"] for r in corpus})
    await store.feeds.sync_config(
        [FeedSettings(url=f"https://{s.lower()}.example/rss", name=s) for s in sources], NOW
    )
    await store.topics.sync([TopicRow(c, c, c, "theme") for c in categories], NOW)
    feeds = {f.name: f for f in await store.feeds.all()}
    started = time.perf_counter()
    batch = 1000
    leads: list[int] = []
    in_story = 0
    for start in range(0, count, batch):
        by_feed: dict[str, list[tuple[Entry, str, str]]] = {}
        for n in range(start, min(start + batch, count)):
            record = corpus[n % len(corpus)]
            published = _published(n, count)
            entry = Entry(
                guid=f"{record['id']}#{n}",
                link=f"https://{record['source'].lower()}.example/{n}",
                title=record["title"],
                published=published,
                snippet=record["text"][:200],
                content=record["text"],
            )
            by_feed.setdefault(record["source"], []).append(
                (entry, record["text"], record["category"])
            )
        for source, items in by_feed.items():
            # A batch arrives a few minutes after its last article was published.
            arrival = _published(min(start + batch, count) - 1, count) + timedelta(minutes=5)
            new = await store.articles.insert_entries(
                feeds[source],
                [e for e, _, _ in items],
                arrival,
                dedup_window=timedelta(milliseconds=500),
            )
            texts = {e.guid: (t, c) for e, t, c in items}
            await store.articles.set_texts(
                [ArticleText(a.article.id, texts[a.article.guid][0], "feed") for a in new]
            )
            enrichments = []
            for a in new:
                article_id = a.article.id
                # Stories of one to four articles; each related to the story before it.
                if not leads or in_story >= len(leads) % 4 + 1:
                    leads.append(article_id)
                    in_story = 0
                in_story += 1
                story = leads[-1]
                related = ((leads[-2], 0.5),) if len(leads) > 1 else ()
                text, category = texts[a.article.guid]
                enrichments.append(
                    Enrichment(
                        article_id=article_id,
                        story_id=story,
                        topics=((category, 0.9),),
                        related=related,
                        search_title=index_terms(a.article.title),
                        search_body=index_terms(text),
                    )
                )
            await store.topics.save_enrichments(enrichments, NOW)
    built = time.perf_counter() - started
    destination = _destination()
    sample = random.Random(7)
    for index in range(DIGESTS):
        when = NOW - timedelta(hours=12 * index)
        chosen = sample.sample(leads, STORIES_PER_DIGEST)
        items = await alert_items(store, destination, chosen)
        digest = Digest("channel", when, (DigestSection(None, tuple(items.values())),))
        address = digest_address(destination, when)
        await store.archive.record(ArchiveRecord(address, when, digest))
    stored = await store.articles.count()
    await store.close()
    size = sum(p.stat().st_size for p in database.parent.glob(database.name + "*"))
    (database.parent / "leads.json").write_text(json.dumps(leads[:: max(1, len(leads) // 2000)]))
    return {"articles": stored, "seconds": built, "size_mb": size / 2**20, "stories": len(leads)}


async def _serve(database: Path, requests: int) -> dict[str, Any]:
    import aiohttp

    from bot.sections import WebSettings
    from bot.web import WebServer
    from digests.store import Store
    from digests.store.database import sqlite_url

    store = await Store.open(sqlite_url(database))
    leads = json.loads((database.parent / "leads.json").read_text())
    port = _free_port()
    web = WebServer(
        WebSettings(enabled=True, listen="127.0.0.1", port=port),
        [_destination()],
        store,
        clock=lambda: NOW,
    )
    await web.start()
    sample = random.Random(11)
    entries, _ = await store.archive.page("channel", page=1, per_page=DIGESTS)
    digests = [e.address.path for e in entries]
    categories = [row.slug for row in await store.topics.all()]
    queries = [q for kind in ("one word", "two words") for q in QUERIES[kind]]
    kinds = {
        "home": lambda: "/",
        "archive": lambda: f"/d/channel/?page={sample.randint(1, 3)}",
        "digest": lambda: sample.choice(digests),
        "story": lambda: f"/s/{sample.choice(leads)}",
        "topic": lambda: f"/t/{sample.choice(categories)}",
        "search": lambda: "/search?q=" + sample.choice(queries),
    }
    results: dict[str, Any] = {}
    async with aiohttp.ClientSession() as http:
        for path in ("/", "/d/channel/", digests[0], f"/t/{categories[0]}", "/search?q=مصر"):
            async with http.get(f"{web.url}{path}") as response:  # warm the caches
                await response.read()
        for kind, next_path in kinds.items():
            timings, sizes = [], []
            for _ in range(requests):
                path = next_path()
                started = time.perf_counter()
                async with http.get(f"{web.url}{path}") as response:
                    body = await response.read()
                    assert response.status == 200, (path, response.status)
                timings.append((time.perf_counter() - started) * 1000)
                sizes.append(len(body))
            timings.sort()
            results[kind] = {
                "p50": statistics.median(timings),
                "p95": timings[int(len(timings) * 0.95) - 1],
                "requests": len(timings),
                "largest_kb": max(sizes) / 1024,
            }
    await web.stop()
    await store.close()
    results["peak_mb"] = peak_rss_mb()
    return results


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    """Build the store, serve the pages from a child process, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--serve", metavar="DATABASE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(asyncio.run(_serve(Path(args.serve), args.requests))))
        return
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "web.sqlite3"
        built = asyncio.run(_build(database, args.articles))
        result = serve_in_child("bench.web", database, "--requests", str(args.requests))
    print(
        f"store: {built['articles']:,.0f} articles in {built['stories']:,.0f} stories, "
        f"{DIGESTS} archived digests of {STORIES_PER_DIGEST} stories; built in "
        f"{built['seconds']:.0f} s; database {built['size_mb']:.0f} MB\n"
    )
    print(f"{'page':<8} | {'requests':>8} | {'p50 ms':>7} | {'p95 ms':>7} | {'largest KB':>10}")
    print("-" * 52)
    for kind in ("home", "archive", "digest", "story", "topic", "search"):
        r = result[kind]
        print(
            f"{kind:<8} | {r['requests']:>8} | {r['p50']:>7.1f} | {r['p95']:>7.1f} | "
            f"{r['largest_kb']:>10.1f}"
        )
    print(f"\nserving process peak memory: {result['peak_mb']:.0f} MB")
    misses = [k for k in ("archive", "story", "search") if result[k]["p95"] >= TARGET_MS]
    print(
        f"target p95 < {TARGET_MS:.0f} ms for archive, story and search: "
        + ("met" if not misses else "missed by " + ", ".join(misses))
    )


if __name__ == "__main__":
    main()
