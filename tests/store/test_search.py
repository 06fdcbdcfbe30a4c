"""Arabic search over a real SQLite FTS5 index: forms, phrases, filters, paging, bad queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from digests.clock import utcnow
from digests.ingest.settings import FeedSettings
from digests.models import Entry, TopicRow
from digests.store import Store
from digests.store.database import sqlite_url
from digests.store.housekeeping import Housekeeping, Retention
from digests.store.search import RANKED
from digests.text.enrich import Enrichment
from digests.text.query import QueryError, SearchFilters, index_terms, make_snippet, parse_query

NOW = utcnow()
RETENTION = Retention(
    keep_text=timedelta(days=90),
    keep_articles=timedelta(days=730),
    keep_delivery=timedelta(days=30),
    protect=timedelta(days=32),
)

# (feed, title, text, days old, topic slugs) — written for these tests.
ARTICLES = [
    ("أ", "إيران تعلن إطلاق قمر صناعي جديد", "أعلنت طهران إطلاق قمر صناعي للاتصالات.", 1, ["iran"]),
    (
        "أ",
        "وزير الخارجية الإيراني يزور بغداد",
        "بحث الوزير مع نظيره العراقي ملف المياه.",
        3,
        ["iran", "iraq"],
    ),
    (
        "ب",
        "عقوبات أمريكية جديدة على إيران",
        "فرضت واشنطن عقوبات على شركات نفط لإيران.",
        10,
        ["iran", "usa"],
    ),
    ("ب", "الدوري السعودي: الهلال يفوز على النصر", "فاز الهلال بهدفين في الرياض.", 2, ["saudi"]),
    (
        "ب",
        "مجلس الأمن يناقش الوضع في السودان",
        "عقد مجلس الأمن جلسة طارئة بشأن السودان.",
        1,
        ["un"],
    ),
    ("أ", "الأمن الغذائي في السودان يتدهور", "حذرت منظمات من تدهور الأمن الغذائي.", 5, []),
]


async def seed(store: Store) -> dict[str, int]:
    await store.feeds.sync_config(
        [
            FeedSettings(url="https://a.example/rss", name="أ"),
            FeedSettings(url="https://b.example/rss", name="ب"),
        ],
        NOW,
    )
    await store.topics.sync(
        [TopicRow(s, s, s, "country") for s in ("iran", "iraq", "usa", "saudi", "un")], NOW
    )
    feeds = {f.name: f for f in await store.feeds.all()}
    ids: dict[str, int] = {}
    enrichments = []
    for n, (feed, title, text, days, slugs) in enumerate(ARTICLES):
        entry = Entry(f"g{n}", f"https://x.example/{n}", title, NOW - timedelta(days=days), text)
        [new] = await store.articles.insert_entries(
            feeds[feed], [entry], NOW, dedup_window=timedelta(hours=1)
        )
        ids[title] = new.article.id
        enrichments.append(
            Enrichment(
                article_id=new.article.id,
                story_id=new.article.id,
                topics=tuple((s, 1.0) for s in slugs),
                search_title=index_terms(title),
                search_body=index_terms(text),
            )
        )
    await store.topics.save_enrichments(enrichments, NOW)
    return ids


async def titles(store: Store, text: str, filters: SearchFilters | None = None) -> list[str]:
    ranked = await store.search.rank(
        parse_query(text), filters or SearchFilters(), now=NOW, per_page=20
    )
    return [r.title for r in ranked.articles]


@pytest.mark.parametrize(
    "form", ["ايران", "إيران", "الإيرانية", "لإيران", "وإيران", "إيرانْ", "ايـــران"]
)
async def test_every_form_of_a_name_finds_the_same_articles(store: Store, form: str) -> None:
    await seed(store)
    found = await titles(store, form)
    assert set(found) == {ARTICLES[0][1], ARTICLES[1][1], ARTICLES[2][1]}


async def test_results_rank_relevance_with_recency(store: Store) -> None:
    await seed(store)
    found = await titles(store, "إيران")
    # All three mention Iran in the title; the ten-day-old one comes last.
    assert found[-1] == ARTICLES[2][1]


async def test_quoted_phrase_searches_the_exact_phrase(store: Store) -> None:
    await seed(store)
    assert await titles(store, "«مجلس الأمن»") == [ARTICLES[4][1]]
    assert set(await titles(store, "الأمن")) == {ARTICLES[4][1], ARTICLES[5][1]}
    assert await titles(store, '"الأمن الغذائي"') == [ARTICLES[5][1]]


async def test_filters_by_topic_source_and_date(store: Store) -> None:
    await seed(store)
    assert set(await titles(store, "إيران", SearchFilters(topic="iraq"))) == {ARTICLES[1][1]}
    assert set(await titles(store, "إيران", SearchFilters(source="ب"))) == {ARTICLES[2][1]}
    recent = SearchFilters(since=NOW - timedelta(days=4))
    assert set(await titles(store, "إيران", recent)) == {ARTICLES[0][1], ARTICLES[1][1]}


async def test_paging(store: Store) -> None:
    await seed(store)
    first = await store.search.rank(parse_query("إيران"), SearchFilters(), now=NOW, per_page=2)
    second = await store.search.rank(
        parse_query("إيران"), SearchFilters(), now=NOW, per_page=2, page=2
    )
    assert (first.total, first.more) == (3, False)
    assert len(first.articles) == 2 and len(second.articles) == 1
    assert not {a.id for a in first.articles} & {a.id for a in second.articles}


async def test_mixed_latin_and_numbers(store: Store) -> None:
    await store.feeds.sync_config([FeedSettings(url="https://c.example/rss", name="ج")], NOW)
    [feed] = await store.feeds.all()
    title = "قمة COP29 تبحث تمويل المناخ بـ 100 مليار دولار"
    [new] = await store.articles.insert_entries(
        feed,
        [Entry("c1", "https://c.example/1", title, NOW, "")],
        NOW,
        dedup_window=timedelta(hours=1),
    )
    await store.topics.save_enrichments(
        [Enrichment(new.article.id, new.article.id, search_title=index_terms(title))], NOW
    )
    assert await titles(store, "cop29") == [title]
    assert await titles(store, "١٠٠ مليار") == [title]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("!!! ؟؟ ...", "empty"),
        ("في من على", "stopwords_only"),
        ("x" * 10_000, "too_long"),
    ],
)
def test_bad_queries_get_a_clear_reason(text: str, reason: str) -> None:
    with pytest.raises(QueryError) as error:
        parse_query(text)
    assert error.value.reason == reason and str(error.value)


async def test_fts_syntax_characters_are_just_text(store: Store) -> None:
    await seed(store)
    for hostile in [
        'إيران" OR *',
        "إيران AND NOT",
        "NEAR(إيران",
        "title:إيران",
        "^إيران -",
        "((((",
    ]:
        try:
            query = parse_query(hostile)
        except QueryError:
            continue
        await store.search.rank(query, SearchFilters(), now=NOW)  # must not raise


def test_query_keeps_phrases_and_words_apart() -> None:
    query = parse_query("«الحرس الثوري» وطهران")
    assert len(query.groups) == 2 and len(query.groups[0]) == 2
    assert query.fts5().count('"') == 4


def test_snippet_marks_the_matching_words_in_display_text() -> None:
    text = (
        "عقد الاجتماع في العاصمة. وقال الوزير إن الحكومة الإيرانية ستواصل المفاوضات. "
        "وأضاف أن الوفد يعود غدا."
    )
    snippet = make_snippet(text, parse_query("إيران"))
    assert snippet.text.startswith("وقال الوزير")
    assert [snippet.text[a:b] for a, b in snippet.marks] == ["الإيرانية"]


def test_snippet_of_a_long_sentence_is_cut_at_words_around_the_match() -> None:
    long = " ".join(["كلمة"] * 120) + " طهران " + " ".join(["أخرى"] * 120) + "."
    snippet = make_snippet(long, parse_query("طهران"), width=80)
    assert len(snippet.text) <= 84
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert [snippet.text[a:b] for a, b in snippet.marks] == ["طهران"]


async def store_oil_news(store: Store, count: int, *, arrived: datetime) -> list[int]:
    """``count`` distinct oil stories that arrived at ``arrived`` (feed ج)."""
    await store.feeds.sync_config([FeedSettings(url="https://c.example/rss", name="ج")], arrived)
    [feed] = [f for f in await store.feeds.all() if f.name == "ج"]
    entries = [
        Entry(
            f"oil{n}",
            f"https://c.example/oil/{n}",
            f"أسعار النفط في الأسبوع {n + 100}",
            arrived,
            "",
        )
        for n in range(count)
    ]
    new = await store.articles.insert_entries(
        feed, entries, arrived, dedup_window=timedelta(hours=1)
    )
    await store.topics.save_enrichments(
        [
            Enrichment(a.article.id, a.article.id, search_title=index_terms(a.article.title))
            for a in new
        ],
        arrived,
    )
    return [a.article.id for a in new]


async def test_a_common_word_counts_up_to_the_ranking_depth_and_says_there_are_more(
    store: Store,
) -> None:
    await store_oil_news(store, RANKED + 2, arrived=NOW)
    found = await store.search.find("النفط", now=NOW, per_page=5)
    assert (found.total, found.more, found.pages) == (RANKED, True, RANKED // 5)
    assert len(found.hits) == 5
    last = await store.search.find("النفط", now=NOW, per_page=5, page=found.pages)
    assert len(last.hits) == 5
    assert not (await store.search.find("النفط", now=NOW, page=found.pages + 1)).hits
    exact = await store.search.find("«النفط في الأسبوع 107»", now=NOW)
    assert (exact.total, exact.more) == (1, False)


async def test_older_matches_are_found_when_the_recent_index_has_too_few(store: Store) -> None:
    """On SQLite the last 30 days are ranked in their own index first; a search with fewer
    matches there goes on to the whole index, and housekeeping keeps the recent one trimmed."""
    old = await store_oil_news(store, 3, arrived=NOW - timedelta(days=60))
    seeded = await seed(store)
    sanctions = seeded["عقوبات أمريكية جديدة على إيران"]  # "… شركات نفط …"
    if store.db.is_sqlite:  # indexed when they arrived, so recent then
        assert set(old) | {sanctions} <= await recent_ids(store)

    cleaned = await Housekeeping(store.db).run(NOW, RETENTION)

    found = await store.search.find("النفط", now=NOW, per_page=10)
    assert sorted(h.article_id for h in found.hits) == sorted([*old, sanctions])
    assert found.hits[0].article_id == sanctions  # recency still weighs
    if store.db.is_sqlite:
        assert cleaned.recent_search == len(old)
        assert await recent_ids(store) == set(seeded.values())


async def recent_ids(store: Store) -> set[int]:
    async with store.engine.connect() as conn:
        query = sa.text("SELECT rowid FROM article_search_recent")
        return set((await conn.execute(query)).scalars())


async def test_the_upgrade_fills_the_recent_index_with_the_last_30_days(tmp_path: Path) -> None:
    """A database of the release before: every article in the whole index, no recent one."""
    url = sqlite_url(tmp_path / "before.sqlite3")
    store = await Store.open(url)
    old = await store_oil_news(store, 2, arrived=NOW - timedelta(days=45))
    seeded = await seed(store)
    async with store.db.write() as conn:
        await conn.execute(sa.text("DROP TABLE article_search_recent"))
        await conn.execute(sa.text("UPDATE alembic_version SET version_num = '0015'"))
    await store.close()

    store = await Store.open(url)  # migrates to the newest schema
    try:
        assert await recent_ids(store) == set(seeded.values())
        found = await store.search.find("النفط", now=NOW, per_page=10)
        assert set(old) < {h.article_id for h in found.hits}
    finally:
        await store.close()


async def test_a_rebuild_keeps_old_articles_out_of_the_recent_index(store: Store) -> None:
    """A rebuild (a new matching version) re-indexes every article, a batch at a time; only
    the last 30 days go to the recent index, even in a batch of old articles only."""
    old = await store_oil_news(store, 2, arrived=NOW - timedelta(days=60))
    seeded = await seed(store)
    await Housekeeping(store.db).run(NOW, RETENTION)  # trims the old ones out of it
    while (step := await store.search.reindex_step("test-version", batch=1)) is not None:
        if step.done:
            break
    found = await store.search.find("النفط", now=NOW, per_page=10)
    assert set(old) < {h.article_id for h in found.hits}
    if store.db.is_sqlite:
        assert await recent_ids(store) == set(seeded.values())
