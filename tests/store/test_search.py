"""Arabic search over a real SQLite FTS5 index: forms, phrases, filters, paging, bad queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests.clock import utcnow
from digests.ingest.settings import FeedSettings
from digests.models import Entry, TopicRow
from digests.store import Store
from digests.text.enrich import Enrichment
from digests.text.query import QueryError, SearchFilters, index_terms, make_snippet, parse_query

NOW = utcnow()

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
    rows, _ = await store.search.rank(
        parse_query(text), filters or SearchFilters(), now=NOW, per_page=20
    )
    return [r.title for r in rows]


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
    first, total = await store.search.rank(
        parse_query("إيران"), SearchFilters(), now=NOW, per_page=2
    )
    second, _ = await store.search.rank(
        parse_query("إيران"), SearchFilters(), now=NOW, per_page=2, page=2
    )
    assert total == 3 and len(first) == 2 and len(second) == 1
    assert not {a.id for a in first} & {a.id for a in second}


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
