"""Personal digests on a real database: one subscriber's failure never holds back the others."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from digests import metrics
from digests.deliver.queue import queue_personal_digests
from digests.ingest.settings import FeedSettings
from digests.models import Entry
from digests.store import Store
from digests.store.schema import outbox, subscribers
from digests.store.subscriptions import Subscriber
from digests.text.enrich import Enrichment, taxonomy_rows
from digests.text.query import index_terms
from digests.text.taxonomy import Taxonomy

ROOT = Path(__file__).parents[2]
TAXONOMY = Taxonomy.from_toml((ROOT / "config" / "topics.toml").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)  # 09:00 in Riyadh
# Written for these tests.
STORIES = [
    ("إيران تعلن إطلاق قمر صناعي جديد", "أعلنت إيران إطلاق قمر صناعي جديد للاتصالات."),
    ("وزير الخارجية الإيراني يزور بغداد", "وصل وزير الخارجية الإيراني إلى بغداد صباح اليوم."),
]


async def _seed(store: Store) -> None:
    """Two stories about Iran, stored and tagged as a poll would."""
    await store.topics.sync([r for r in taxonomy_rows(TAXONOMY) if r.slug == "iran"], NOW)
    await store.feeds.sync_config([FeedSettings(url="https://a.example/rss", name="الجزيرة")], NOW)
    [feed] = await store.feeds.all()
    entries = [
        Entry(f"g{n}", f"https://a.example/{n}", title, NOW - timedelta(hours=n + 1), text)
        for n, (title, text) in enumerate(STORIES)
    ]
    created = await store.articles.insert_entries(
        feed, entries, NOW - timedelta(minutes=30), dedup_window=timedelta(hours=1)
    )
    await store.topics.save_enrichments(
        [
            Enrichment(
                c.article.id,
                c.article.id,
                topics=(("iran", 0.9),),
                search_title=index_terms(title),
                search_body=index_terms(text),
            )
            for c, (title, text) in zip(created, STORIES, strict=True)
        ],
        NOW - timedelta(minutes=20),
    )


async def _subscriber(store: Store, platform: str, user: str, chat: str) -> Subscriber:
    subs = store.subscriptions
    sub = await subs.get_or_create(platform, user, chat, NOW - timedelta(days=1))
    await subs.follow(sub, "iran", NOW - timedelta(days=1))
    return await subs.set_schedule(sub, "08:00")


async def _texts(store: Store, chat: str) -> list[str]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(outbox.c.payload).where(outbox.c.chat == chat).order_by(outbox.c.id)
        )
        return [json.loads(row.payload)["text"] for row in rows]


def _failures(platform: str) -> float:
    labels = {"platform": platform}
    return metrics.REGISTRY.get_sample_value("personal_digest_failures_total", labels) or 0.0


async def test_one_broken_subscriber_never_holds_back_the_others(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await _seed(store)
    first = await _subscriber(store, "telegram", "1001", "1001")
    broken = await _subscriber(store, "telegram", "1002", "1002")
    later = await _subscriber(store, "slack", "U42", "D42")
    # A row written by hand with a language the bot does not speak: its digest cannot be
    # rendered (the scheduler reads subscriber rows as they are).
    async with store.db.write() as conn:
        await conn.execute(
            subscribers.update().where(subscribers.c.id == broken.id).values(language="fr")
        )
    before = _failures("telegram")

    with caplog.at_level(logging.ERROR, logger="digests.deliver.queue"):
        assert await queue_personal_digests(store, NOW) == 2

    assert "موجز الأخبار" in (await _texts(store, "1001"))[0]
    slack = json.loads((await store.outbox.pending_for("D42", platform="slack"))[0].payload)
    assert "موجز الأخبار" in slack["text"]
    assert await _texts(store, "1002") == []
    assert _failures("telegram") == before + 1
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"subscriber {broken.id}" in record.getMessage()
    assert record.__dict__["destination"] == "personal:telegram:1002"
    assert record.__dict__["platform"] == "telegram" and record.exc_info is not None
    # The others are done for the day; the broken one is tried again on the next tick.
    due = await store.subscriptions.due_personal_digests(NOW + timedelta(minutes=1))
    assert [s.id for s in due] == [broken.id]
    assert {first.id, later.id}.isdisjoint(s.id for s in due)
    assert await queue_personal_digests(store, NOW + timedelta(minutes=1)) == 0
    assert _failures("telegram") == before + 2
