"""Enrichment through the real pipeline: topics, stories across outlets, related, search."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from digests.clock import utcnow
from digests.compose.destination import Destination
from digests.deliver.queue import build_digest
from digests.ingest.fetch import Fetcher
from digests.ingest.pipeline import Pipeline
from digests.ingest.settings import PollSettings
from digests.store import Store
from digests.text.enrich import Enricher, taxonomy_rows
from digests.text.taxonomy import Taxonomy
from tests.conftest import DATA, other_instance
from tests.support.feedserver import FeedServer
from tests.support.fixtures import STORIES, Story, rss

TAXONOMY = Taxonomy.from_toml(
    (Path(__file__).parents[2] / "config" / "topics.toml").read_text(encoding="utf-8")
)

# The same launch told by a second outlet in other words (written for this test).
SATELLITE_AGAIN = Story(
    "satellite-b",
    "صاروخ فالكون 9 يحمل قمرا عربيا جديدا لرصد المناخ إلى مداره",
    (
        "حمل صاروخ Falcon 9 قمرا صناعيا عربيا جديدا لرصد المناخ ودرجات حرارة سطح البحر في "
        "الخليج العربي، وفق ما أعلنت وكالة الفضاء.",
        "ويبلغ وزن القمر 180 كيلوغراما، وسيدور على ارتفاع 550 كيلومترا، على أن يرسل صوره "
        "الأولى خلال أسبوعين، وستتاح بياناته للباحثين في الجامعات العربية.",
    ),
)


async def poll_all(store: Store, server: FeedServer, settings: PollSettings) -> Pipeline:
    from digests.ingest.settings import FeedSettings

    await store.topics.sync(taxonomy_rows(TAXONOMY), utcnow())
    await store.feeds.sync_config(
        [
            FeedSettings(url=server.url("/a"), name="المصدر أ"),
            FeedSettings(url=server.url("/b"), name="المصدر ب"),
        ],
        utcnow(),
    )
    async with Fetcher(settings, allow_private=True) as fetcher:
        pipeline = Pipeline(store, fetcher, settings, enricher=Enricher(TAXONOMY))
        await pipeline.poll_feeds(await store.feeds.all())
    return pipeline


async def test_two_outlets_on_one_event_make_one_story_with_topics(
    store: Store, feed_server: FeedServer, poll_settings: PollSettings
) -> None:
    feed_server.add("/a", rss(feed_server.base, STORIES, link_path="/a/{slug}"))
    feed_server.add(
        "/b",
        rss(feed_server.base, (SATELLITE_AGAIN,), link_path="/b/{slug}", guid_prefix="b:"),
    )
    await poll_all(store, feed_server, poll_settings)

    by_title = {a.title: a for a in await store.articles.recent()}
    first = by_title[STORIES[2].title]
    second = by_title[SATELLITE_AGAIN.title]
    assert first.story_id == second.story_id
    assert first.story_id in (first.id, second.id)  # the first one indexed starts it
    others = [a for a in by_title.values() if a.id not in (first.id, second.id)]
    assert all(a.story_id == a.id for a in others)  # different events stay apart

    topics = await store.topics.of_articles([by_title[STORIES[1].title].id])
    slugs = {row.slug for row, _ in topics[by_title[STORIES[1].title].id]}
    assert {"morocco", "football"} <= slugs

    digest = (await build_digest(store, Destination(name="console"), utcnow())).digest
    # The first outlet to report the story leads it (here the second feed, published earlier).
    satellite = next(i for i in digest.items if i.article_id == second.id)
    assert [link.source for link in satellite.also_reported_by] == ["المصدر أ"]
    assert len(digest.items) == len(STORIES)  # the story is shown once

    page = await store.search.find("الأقمار الصناعية", now=utcnow())
    assert {h.article_id for h in page.hits} == {first.id, second.id}


async def test_seed_article_gets_its_topics_and_named_people(
    store: Store, feed_server: FeedServer, poll_settings: PollSettings
) -> None:
    seed = (DATA / "pages" / "seed" / "page.html").read_bytes()
    feed_server.add("/a/seed", seed, headers={"Content-Type": "text/html; charset=utf-8"})
    title = (DATA / "pages" / "seed" / "expected.txt").read_text(encoding="utf-8").split("\n")[0]
    story = Story("seed", title, ("تقرير يكشف تعاونا سريا.",))
    feed_server.add(
        "/a", rss(feed_server.base, (story,), link_path="/a/{slug}", full_content=False)
    )
    feed_server.add("/b", rss(feed_server.base, ()))
    await poll_all(store, feed_server, poll_settings)

    [article] = await store.articles.recent()
    topics = {
        row.slug: row for row, _ in (await store.topics.of_articles([article.id]))[article.id]
    }
    assert {"iran", "al-qaeda", "taliban", "afghanistan"} <= set(topics)
    # Named once or twice far down the text: passing mentions, not what the article is about.
    assert not {"houthis", "usa", "yemen", "syria", "un"} & set(topics)
    people = {row.name_ar for row in topics.values() if row.origin == "keyphrase"}
    assert {"سيف العدل", "إسماعيل قاآني", "الجبهة الوطنية المتحدة"} <= people


class ShiftedClock:
    """The real time, moved on by hand (instead of sleeping)."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.shift


async def test_two_instances_put_one_event_in_one_story(
    store: Store, feed_server: FeedServer, poll_settings: PollSettings
) -> None:
    """Instance A enriches outlet A's article; instance B, with its own in-memory index,
    polls outlet B a moment later: B reads what A enriched first, so the event is one story."""
    from digests.ingest.settings import FeedSettings

    if store.single_instance:
        pytest.skip("SQLite serves one process: there is no other instance to catch up with")
    feed_server.add("/a", rss(feed_server.base, (STORIES[2],), link_path="/a/{slug}"))
    feed_server.add(
        "/b",
        rss(feed_server.base, (SATELLITE_AGAIN,), link_path="/b/{slug}", guid_prefix="b:"),
    )
    await store.topics.sync(taxonomy_rows(TAXONOMY), utcnow())
    await store.feeds.sync_config(
        [
            FeedSettings(url=feed_server.url("/a"), name="المصدر أ"),
            FeedSettings(url=feed_server.url("/b"), name="المصدر ب"),
        ],
        utcnow(),
    )
    async with (
        other_instance(store) as other,
        Fetcher(poll_settings, allow_private=True) as fetcher,
    ):
        b_clock = ShiftedClock()
        a = Pipeline(store, fetcher, poll_settings, enricher=Enricher(TAXONOMY))
        b = Pipeline(other, fetcher, poll_settings, enricher=Enricher(TAXONOMY), clock=b_clock)
        feed_a, feed_b = await store.feeds.all()
        await a.poll_feeds([feed_a])
        b_clock.shift += timedelta(seconds=1.1)  # B looks again at most once a second
        await b.poll_feeds([feed_b])
    first, second = sorted(await store.articles.recent(), key=lambda x: x.id)
    assert first.story_id == second.story_id == first.id
