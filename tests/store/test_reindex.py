"""After the matching layer changes: the search index is rebuilt a step at a time (resuming
where it stopped), keyphrase topics are re-keyed without losing a follower, and a keyphrase
topic is named after its most frequent written form."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from digests.clock import utcnow
from digests.ingest.settings import FeedSettings
from digests.models import Entry, TopicRow
from digests.store import Store
from digests.store.schema import topics
from digests.text.enrich import Enrichment, keyphrase_identity
from digests.text.query import SearchFilters, index_terms, parse_query
from digests.text.stems import matching_version

NOW = utcnow()
# Written for these tests: one Libyan story per article, each naming the country its own way.
TEXTS = [
    ("محادثات ليبية في جنيف", "اجتمع ممثلو الأطراف الليبيين في جنيف لبحث وقف إطلاق النار."),
    ("الأمم المتحدة ترحب", "رحبت الأمم المتحدة باستئناف المحادثات بين الليبيين."),
    ("وفد من ليبيا يصل", "وصل وفد من ليبيا إلى القاهرة لإجراء مشاورات."),
    ("مسؤول ليبي: التقدم بطيء", "قال مسئول ليبي إن التقدم في الملف الأمني بطيء."),
    ("لا علاقة", "ارتفعت أسعار القهوة في الأسواق العالمية هذا الأسبوع."),
]


async def _articles(store: Store, *, index: bool) -> list[int]:
    """The articles, enriched; their index text is stale (made with other keys) unless
    ``index``."""
    await store.feeds.sync_config([FeedSettings(url="https://a.example/rss", name="أ")], NOW)
    [feed] = await store.feeds.all()
    entries = [
        Entry(f"g{n}", f"https://a.example/{n}", title, NOW - timedelta(hours=n), text)
        for n, (title, text) in enumerate(TEXTS)
    ]
    created = await store.articles.insert_entries(
        feed, entries, NOW, dedup_window=timedelta(hours=1)
    )
    ids = [c.article.id for c in created]
    await store.topics.save_enrichments(
        [
            Enrichment(
                i,
                i,
                search_title=index_terms(title) if index else "old keys",
                search_body=index_terms(text) if index else "old keys",
            )
            for i, (title, text) in zip(ids, TEXTS, strict=True)
        ],
        NOW,
    )
    return ids


async def _found(store: Store, query: str) -> int:
    total = (await store.search.rank(parse_query(query), SearchFilters(), now=NOW)).total
    return total


async def test_a_stale_index_is_rebuilt_a_step_at_a_time(store: Store) -> None:
    await _articles(store, index=False)
    assert await _found(store, "ليبيا") == 0  # stale: made with other keys
    steps = []
    while (step := await store.reindex_step(batch=2)) is not None:
        steps.append(step)
    assert [(s.articles, s.done) for s in steps] == [(2, False), (2, False), (1, True)]
    assert await store.search.version() == matching_version()
    # ليبيا، الليبيين، ليبي and the two hamza seats of مسؤول now meet.
    assert await _found(store, "ليبيا") == 4
    assert await _found(store, "مسؤول") == 1
    assert await store.reindex_step() is None  # nothing left to do


async def test_a_rebuild_resumes_where_it_stopped(store: Store) -> None:
    await _articles(store, index=False)
    first = await store.reindex_step(batch=3)
    assert first is not None and (first.articles, first.done) == (3, False)
    # A restart (a new Store on the same database would read the same stored progress).
    second = await store.reindex_step(batch=3)
    assert second is not None and (second.articles, second.done) == (2, True)
    assert await _found(store, "الليبي") == 4


async def test_a_new_database_is_marked_current_at_once(store: Store) -> None:
    step = await store.reindex_step()
    assert step is not None and (step.articles, step.done) == (0, True)
    assert await store.reindex_step() is None


async def test_keyphrase_topics_are_rekeyed_and_keep_their_followers(store: Store) -> None:
    [first, second, *_] = await _articles(store, index=True)
    slug, key = keyphrase_identity("وقف إطلاق النار")
    # Two topics for one phrase under an old version's keys: one named as shown, one glued.
    old = [
        TopicRow("kp-old-one", "وقف إطلاق النار", "وقف إطلاق النار", "keyphrase", "keyphrase", "x"),
        TopicRow("kp-old-two", "وقف اطلاق النار", "وقف اطلاق النار", "keyphrase", "keyphrase", "y"),
    ]
    await store.topics.save_enrichments(
        [
            Enrichment(first, first, topics=(("kp-old-one", 0.5),), new_topics=(old[0],)),
            Enrichment(second, second, topics=(("kp-old-two", 0.4),), new_topics=(old[1],)),
        ],
        NOW,
    )
    subscriber = await store.subscriptions.get_or_create("telegram", "7", "7", NOW)
    assert await store.subscriptions.follow(subscriber, "kp-old-two", NOW)

    changed = await store.topics.rekey_keyphrases(keyphrase_identity)

    assert changed == 2
    rows = {t.slug: t for t in await store.topics.all(origin="keyphrase")}
    assert list(rows) == [slug]  # one topic: the two were the same phrase
    assert rows[slug].match_key == key
    assert rows[slug].name_ar == "وقف إطلاق النار"  # a tie: the original orthography wins
    followed = await store.subscriptions.followed(subscriber)
    assert [t.slug for t in followed] == [slug]  # the follower moved with the topic
    tagged = await store.topics.of_articles([first, second])
    assert {row.slug for row, _ in tagged[first]} == {slug} == {r.slug for r, _ in tagged[second]}


async def test_a_keyphrase_is_named_after_its_most_frequent_form(store: Store) -> None:
    ids = await _articles(store, index=True)
    slug, key = keyphrase_identity("إطلاق سراحه")

    def seen(article: int, form: str) -> Enrichment:
        row = TopicRow(slug, form, form, "keyphrase", "keyphrase", key)
        return Enrichment(article, article, topics=((slug, 0.5),), new_topics=(row,))

    async def name() -> str:
        async with store.engine.connect() as conn:
            query = sa.select(topics.c.name_ar).where(topics.c.slug == slug)
            return str((await conn.execute(query)).scalar_one())

    await store.topics.save_enrichments([seen(ids[0], "اطلاق سراحه")], NOW)
    assert await name() == "اطلاق سراحه"  # the only form seen so far
    await store.topics.save_enrichments([seen(ids[1], "إطلاق سراحه")], NOW)
    assert await name() == "إطلاق سراحه"  # one each: the original orthography wins
    await store.topics.save_enrichments(
        [seen(ids[2], "إطلاق سراحه"), seen(ids[3], "اطلاق سراحه"), seen(ids[4], "اطلاق سراحه")],
        NOW,
    )
    assert await name() == "اطلاق سراحه"  # three against two: the most frequent wins
