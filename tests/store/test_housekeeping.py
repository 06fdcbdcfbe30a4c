"""Retention: the daily housekeeping removes exactly what is past its time, batch by batch,
and nothing a story, a digest or the dedup of sent stories still needs (both backends)."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from digests.compose.destination import Destination
from digests.deliver.queue import ConsoleSender, post_digest
from digests.ingest.pipeline import Pipeline
from digests.ingest.settings import FeedSettings
from digests.models import Entry, TopicRow
from digests.store import Store
from digests.store.articles import ArticleText
from digests.store.housekeeping import Housekeeping, Retention, _remove_articles, store_stats
from digests.store.schema import (
    archived_digests,
    article_topics,
    outbox,
    related_articles,
    sent_items,
)
from digests.store.schema import articles as articles_table
from digests.text.enrich import Enrichment
from digests.text.query import index_terms
from tests.conftest import Harness
from tests.support.fixtures import STORIES, rss

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
RETENTION = Retention(
    keep_text=90 * DAY,
    keep_articles=730 * DAY,
    keep_delivery=1 * DAY,  # short, so only the story protection keeps recent sent records
    protect=30 * DAY + timedelta(hours=48),
)
LONG_TEXT = "وقال المتحدث باسم الوزارة إن المفاوضات ستستأنف الأسبوع المقبل في العاصمة. " * 400


async def add(store: Store, n: int, title: str, age: timedelta) -> int:
    """Article ``n`` stored ``age`` before NOW, with a full text."""
    [feed] = [f for f in await store.feeds.all() if f.name == "الجزيرة"]
    when = NOW - age
    [new] = await store.articles.insert_entries(
        feed,
        [Entry(f"g{n}", f"https://a.example/{n}", title, when, "مقتطف")],
        when,
        dedup_window=timedelta(hours=1),
    )
    await store.articles.set_texts([ArticleText(new.article.id, LONG_TEXT, "page")])
    return new.article.id


async def seed(store: Store) -> dict[str, int]:
    await store.feeds.sync_config([FeedSettings(url="https://a.example/f", name="الجزيرة")], NOW)
    await store.topics.sync([TopicRow("iran", "إيران", "Iran", "country")], NOW)
    ids = {
        "ancient": await add(store, 1, "إيران تعلن نتائج الانتخابات", 800 * DAY),
        "old_member": await add(store, 2, "بداية أزمة طويلة", 800 * DAY),
        "newer_member": await add(store, 3, "الأزمة الطويلة تتواصل", 700 * DAY),
        "hundred": await add(store, 4, "قمة اقتصادية في الرياض", 100 * DAY),
        "sent_recent": await add(store, 5, "افتتاح معرض الكتاب", 10 * DAY),
        "story_old": await add(store, 6, "زلزال يضرب المنطقة", 40 * DAY),
        "story_new": await add(store, 7, "حصيلة الزلزال ترتفع", 5 * DAY),
    }
    stories = {
        "old_member": ids["old_member"],
        "newer_member": ids["old_member"],
        "story_old": ids["story_old"],
        "story_new": ids["story_old"],
    }
    await store.topics.save_enrichments(
        [
            Enrichment(
                article_id,
                stories.get(name, article_id),
                topics=(("iran", 0.9),),
                related=((ids["ancient"], 0.5),) if name == "hundred" else (),
                search_title=index_terms("إيران انتخابات"),
                search_body=index_terms("نتائج"),
            )
            for name, article_id in ids.items()
        ],
        NOW - 800 * DAY,
    )
    for name, age in (("ancient", 800), ("hundred", 100), ("sent_recent", 10), ("story_old", 40)):
        await store.articles.mark_sent("console", [ids[name]], NOW - age * DAY)
    async with store.write() as conn:
        for n, (status, age) in enumerate((("sent", 40), ("dropped", 40), ("pending", 40))):
            await conn.execute(
                outbox.insert().values(
                    destination="console",
                    platform="console",
                    chat="c",
                    digest_key=f"k{n}",
                    part=1,
                    parts=1,
                    payload="{}",
                    status=status,
                    attempts=0,
                    not_before=NOW - age * DAY,
                    created_at=NOW - age * DAY,
                )
            )
        for day, age in (("2024-10-01", 800), ("2026-11-26", 10)):
            await conn.execute(
                archived_digests.insert().values(
                    destination="console",
                    day=day,
                    slot="18:00",
                    kind="scheduled",
                    scheduled_at=NOW - age * DAY,
                    composed_at=NOW - age * DAY,
                    items=1,
                    headlines="[]",
                    body="{}",
                )
            )
    return ids


async def rows(store: Store, query: sa.Select[Any]) -> set[Any]:
    async with store.engine.connect() as conn:
        return set((await conn.execute(query)).scalars())


async def test_housekeeping_removes_what_is_past_its_time_and_keeps_what_digests_need(
    store: Store,
) -> None:
    ids = await seed(store)
    ancient = ids["ancient"]

    cleaned = await Housekeeping(store.db, batch=2).run(NOW, RETENTION)

    kept = await rows(store, sa.select(articles_table.c.id))
    # The lone 800-day-old article goes; the 800-day-old one whose story has a 700-day-old
    # article stays with it (a story is removed whole).
    assert kept == set(ids.values()) - {ancient}
    assert (cleaned.articles, cleaned.archived, cleaned.outbox) == (1, 1, 2)
    # Its topics, related links, sent record and search entry went with it.
    assert ancient not in await rows(store, sa.select(article_topics.c.article_id))
    assert not await rows(
        store,
        sa.select(related_articles.c.article_id).where(related_articles.c.related_id == ancient),
    )
    assert await store.search.index_text([ancient, ids["hundred"]]) == {
        ids["hundred"]: (index_terms("إيران انتخابات"), index_terms("نتائج"))
    }
    # Texts older than 90 days are gone (not refetched: '' is not "missing"); newer stay.
    texts = {a.id: a.text for a in (await store.articles.by_ids(sorted(kept))).values()}
    assert {i for i, text in texts.items() if text == ""} == {
        ids["old_member"],
        ids["newer_member"],
        ids["hundred"],
    }
    assert cleaned.texts == 4  # with the removed article's
    assert texts[ids["sent_recent"]] == LONG_TEXT
    assert await store.articles.missing_text(limit=10) == []
    # Sent records: the 100-day one goes; the 10-day one (inside the protection) and the
    # 40-day one whose story has a 5-day-old article stay, though keep_delivery is 1 day.
    assert await rows(store, sa.select(sent_items.c.article_id)) == {
        ids["sent_recent"],
        ids["story_old"],
    }
    assert await rows(store, sa.select(outbox.c.digest_key)) == {"k2"}  # the pending part stays
    assert len(await rows(store, sa.select(archived_digests.c.id))) == 1

    # A subscriber never gets an old story again: a digest looking back 30 days posts
    # neither the 10-day-old article sent before nor the new article of the sent story.
    out = io.StringIO()
    posted = await post_digest(
        store, Destination(name="console", lookback_hours=720), ConsoleSender(out), NOW
    )
    assert posted == 0, out.getvalue()

    again = await Housekeeping(store.db).run(NOW, RETENTION)
    assert (again.texts, again.articles, again.sent, again.outbox, again.archived) == (0,) * 5


async def test_forever_keeps_every_article_and_sqlite_gives_the_space_back(store: Store) -> None:
    ids = await seed(store)
    before = await store_stats(store.db)

    cleaned = await Housekeeping(store.db).run(
        NOW, dataclasses.replace(RETENTION, keep_articles=None)
    )

    assert await rows(store, sa.select(articles_table.c.id)) == set(ids.values())
    assert cleaned.articles == 0 and cleaned.archived == 0 and cleaned.texts == 4
    after = await store_stats(store.db)
    assert after.oldest["article"] == NOW - 800 * DAY
    assert after.oldest["full text"] == NOW - 40 * DAY
    if store.db.is_sqlite:
        assert after.auto_vacuum == "incremental"
        assert cleaned.pages_freed > 0 and after.free_bytes == 0
        assert after.total_bytes < before.total_bytes


async def test_an_article_removed_by_retention_is_not_stored_again_while_its_feed_lists_it(
    harness: Harness,
) -> None:
    """Its sent records went with it, so storing it again would post it as new."""
    harness.server.add("/rss", rss(harness.server.base))  # stories published 2026-11-28
    await harness.add_feeds("/rss")
    feed = await harness.feed("/rss")
    stored_at = datetime(2026, 11, 30, tzinfo=UTC)
    first = Pipeline(harness.store, harness.fetcher, harness.settings, clock=lambda: stored_at)
    assert (await first.poll_feed(feed)).new_articles == len(STORIES)

    later = stored_at + 731 * DAY
    cleaned = await Housekeeping(harness.store.db).run(later, RETENTION)
    assert cleaned.articles == len(STORIES)

    keep = RETENTION.keep_articles
    again = Pipeline(
        harness.store, harness.fetcher, harness.settings, clock=lambda: later, keep_articles=keep
    )
    assert (await again.poll_feed(feed)).new_articles == 0
    assert await harness.store.articles.count() == 0
    # Without the setting (as before), the same poll stores them all again.
    unaware = Pipeline(harness.store, harness.fetcher, harness.settings, clock=lambda: later)
    assert (await unaware.poll_feed(feed)).new_articles == len(STORIES)


async def test_a_story_that_gains_an_article_after_being_chosen_is_not_removed(
    store: Store,
) -> None:
    """Rows are chosen on a read connection and removed in a later write transaction, which
    checks each one again: a story that gained an article in between stays whole."""
    ids = await seed(store)
    cut = NOW - RETENTION.keep_articles  # type: ignore[operator]
    async with store.engine.connect() as conn:
        chosen = await _remove_articles.choose(conn, 100, cut)
    assert chosen == [ids["ancient"]]
    # Meanwhile a new article joins the lone ancient article's story.
    fresh = await add(store, 99, "إيران تعيد فرز الأصوات", timedelta(0))
    await store.topics.save_enrichments(
        [Enrichment(article_id=fresh, story_id=ids["ancient"])], NOW
    )
    async with store.db.write() as conn:
        assert await _remove_articles.apply(conn, chosen, cut) == 0
    assert {ids["ancient"], fresh} <= await rows(store, sa.select(articles_table.c.id))
