"""Digest composition: ranking, grouping, filters, summaries, and never repeating a story."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from digests.compose.destination import Destination
from digests.compose.digest import DigestChoices, StoryCandidate, StoryTopic, compose
from digests.deliver.queue import ConsoleSender, build_digest, post_digest
from digests.ingest.settings import FeedSettings
from digests.models import Article, Entry, TopicRef, TopicRow
from digests.store import Store
from digests.text.enrich import Enrichment
from digests.text.keywords import ArticleKeys, parse_rule
from digests.text.query import index_terms

NOW = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
IRAN = StoryTopic(TopicRef("iran", "إيران"), 0.9)
SPORT = StoryTopic(TopicRef("sport", "رياضة"), 0.8)
PHRASE = StoryTopic(TopicRef("kp-1", "سيف العدل"), 0.7, taxonomy=False)


def article(n: int, source: str, title: str, hours_ago: float, text: str = "") -> Article:
    when = NOW - timedelta(hours=hours_ago)
    body = text or (
        f"{title}. وأوضح مصدر مطلع أن التفاصيل الكاملة ستعلن لاحقا خلال مؤتمر صحفي. "
        "ويتابع المراقبون التطورات عن كثب منذ صباح الأحد."
    )
    return Article(
        n, 1, source, f"g{n}", f"https://{source}.example/{n}", title, when, "", body, None, when
    )


def test_stories_covered_by_more_outlets_rank_first_and_group_by_topic() -> None:
    lone = StoryCandidate(1, (article(1, "a", "فوز الهلال في الدوري", 1),), (SPORT,))
    wide = StoryCandidate(
        2,
        (
            article(2, "a", "طهران تعلن اتفاقا جديدا", 5),
            article(3, "b", "إيران توقع اتفاقا", 4),
            article(4, "c", "اتفاق إيراني جديد", 3),
        ),
        (IRAN, PHRASE),
    )
    untagged = StoryCandidate(5, (article(5, "b", "افتتاح معرض للكتاب", 0.5),))

    digest = compose("d", [lone, wide, untagged], NOW, DigestChoices())

    assert [s.topic.slug if s.topic else None for s in digest.sections] == ["iran", "sport", None]
    first = digest.items[0]
    # The lead the other outlets confirm best leads (text.brief), not the first to report.
    assert first.title == "اتفاق إيراني جديد"
    assert [link.source for link in first.also_reported_by] == ["a", "b"]
    assert [t.slug for t in first.topics] == ["iran", "kp-1"]  # taxonomy topics before phrases
    assert first.summary.startswith("اتفاق إيراني جديد")


def test_filters_and_limits() -> None:
    stories = [
        StoryCandidate(1, (article(1, "a", "خبر رياضي", 1),), (SPORT,)),
        StoryCandidate(2, (article(2, "b", "خبر عن إيران", 1),), (IRAN,)),
        StoryCandidate(3, (article(3, "c", "خبر ثالث", 1),)),
    ]
    only_iran = compose("d", stories, NOW, DigestChoices(topics=frozenset({"iran"})))
    assert [i.article_id for i in only_iran.items] == [2]
    no_sport = compose("d", stories, NOW, DigestChoices(exclude_topics=frozenset({"sport"})))
    assert {i.article_id for i in no_sport.items} == {2, 3}
    from_c = compose("d", stories, NOW, DigestChoices(sources=frozenset({"c"})))
    assert [i.article_id for i in from_c.items] == [3]
    assert len(compose("d", stories, NOW, DigestChoices(max_items=2)).items) == 2
    assert compose("d", [], NOW, DigestChoices()).items == ()


def test_summary_respects_the_destination_length_and_related_stop_at_two() -> None:
    long_text = " ".join(
        f"الجملة رقم {n} في هذا التقرير تتحدث عن تطورات المفاوضات الجارية بين الأطراف."
        for n in range(12)
    )
    related = tuple(article(10 + n, "r", f"تقرير سابق {n}", 48 + n) for n in range(4))
    story = StoryCandidate(1, (article(1, "a", "مفاوضات جديدة", 1, long_text),), (IRAN,), related)

    item = compose("d", [story], NOW, DigestChoices(summary_sentences=2, summary_chars=200)).items[
        0
    ]

    assert len(item.summary) <= 200 and not item.summary.endswith("…")
    assert len(item.related) == 2 and item.related[0].title == "تقرير سابق 0"


async def seed_two_outlets(store: Store) -> None:
    await store.feeds.sync_config(
        [
            FeedSettings(url="https://a.example/f", name="أ"),
            FeedSettings(url="https://b.example/f", name="ب"),
        ],
        NOW,
    )
    await store.topics.sync([TopicRow("iran", "إيران", "Iran", "country")], NOW)
    feeds = {f.name: f for f in await store.feeds.all()}
    [first] = await store.articles.insert_entries(
        feeds["أ"],
        [Entry("1", "https://a.example/1", "إيران تطلق قمرا صناعيا", NOW - timedelta(hours=2), "")],
        NOW - timedelta(hours=2),
        dedup_window=timedelta(hours=1),
    )
    [second] = await store.articles.insert_entries(
        feeds["ب"],
        [Entry("2", "https://b.example/2", "طهران: إطلاق قمر جديد", NOW - timedelta(hours=1), "")],
        NOW - timedelta(hours=1),
        dedup_window=timedelta(hours=1),
    )
    story = first.article.id
    await store.topics.save_enrichments(
        [
            Enrichment(
                first.article.id, story, topics=(("iran", 0.9),), search_title=index_terms("x")
            ),
            Enrichment(
                second.article.id, story, topics=(("iran", 0.8),), search_title=index_terms("y")
            ),
        ],
        NOW,
    )


async def test_a_story_is_posted_once_per_destination_with_its_other_outlets(store: Store) -> None:
    await seed_two_outlets(store)
    destination = Destination(name="console")
    out = io.StringIO()

    posted = await post_digest(store, destination, ConsoleSender(out), NOW)
    again = await post_digest(store, destination, ConsoleSender(out), NOW + timedelta(hours=1))

    assert (posted, again) == (1, 0)
    text = out.getvalue()
    assert "إيران تطلق قمرا صناعيا" in text and "ب" in text
    assert text.count("موجز الأخبار") == 1
    # Another destination still gets it.
    other = await build_digest(store, Destination(name="other"), NOW)
    assert len(other.digest.items) == 1 and len(other.article_ids) == 2


async def test_empty_period_posts_nothing_or_the_no_news_line(store: Store) -> None:
    out = io.StringIO()
    assert await post_digest(store, Destination(name="quiet"), ConsoleSender(out), NOW) == 0
    assert out.getvalue() == ""
    notice = Destination(name="loud", empty_digest="notice")
    await post_digest(store, notice, ConsoleSender(out), NOW)
    assert "لا أخبار جديدة منذ آخر موجز." in out.getvalue()


async def test_breaking_lane_posts_chosen_topics_at_once_and_not_again(store: Store) -> None:
    await seed_two_outlets(store)
    destination = Destination(name="console", breaking_topics=("iran",))
    out = io.StringIO()

    assert await post_digest(store, destination, ConsoleSender(out), NOW, breaking=True) == 1
    assert out.getvalue().startswith("عاجل — ")
    assert await post_digest(store, destination, ConsoleSender(out), NOW) == 0


async def test_a_source_filtered_digest_reads_only_its_sources_and_keeps_the_story(
    store: Store,
) -> None:
    await seed_two_outlets(store)
    since = NOW - timedelta(days=1)
    only_b = await store.articles.unsent("d", since=since, limit=10, sources=("ب",))
    assert [a.source for a in only_b] == ["ب"]
    assert len(await store.articles.unsent("d", since=since, limit=10)) == 2
    # The story is shown from the chosen outlet, and both of its articles are marked covered.
    prepared = await build_digest(store, Destination(name="d", sources=("ب",)), NOW)
    [item] = prepared.digest.items
    assert item.title == "طهران: إطلاق قمر جديد"
    assert len(prepared.article_ids) == 2


def test_keyword_rules_keep_and_exclude_stories() -> None:
    texts = {
        1: ("منتخب إيران لكرة القدم يفوز", "فاز منتخب إيران لكرة القدم على ضيفه."),
        2: ("إيران تطلق قمرا صناعيا", "أطلقت طهران قمرا صناعيا جديدا للاتصالات."),
        3: ("أسعار القهوة ترتفع", "ارتفعت أسعار القهوة في الأسواق."),
    }
    stories = [
        StoryCandidate(
            n,
            (article(n, "a", title, 1, text),),
            keys=(ArticleKeys.from_text(title, text),),
        )
        for n, (title, text) in texts.items()
    ]

    def kept(**rules: tuple[str, ...]) -> list[int]:
        choices = DigestChoices(**{k: tuple(map(parse_rule, v)) for k, v in rules.items()})
        return sorted(i.article_id for i in compose("d", stories, NOW, choices).items)

    assert kept(keywords=("إيران",)) == [1, 2]
    assert kept(keywords=("الإيرانية -كرة",)) == [2]  # forms meet; -كرة rules story 1 out
    assert kept(keywords=("القهوة", "«قمرا صناعيا»")) == [2, 3]  # any rule of the list
    assert kept(exclude_keywords=("«كرة القدم»",)) == [2, 3]
    assert kept(keywords=("إيران",), exclude_keywords=("قمر",)) == [1]


async def test_a_destination_with_keywords_reads_the_search_index(store: Store) -> None:
    await store.feeds.sync_config([FeedSettings(url="https://a.example/f", name="أ")], NOW)
    [feed] = await store.feeds.all()
    written = [
        ("الخرطوم: هدنة لثلاثة أيام", "أعلن الجيش السوداني هدنة في الخرطوم."),
        ("معرض للكتاب في الرياض", "افتتح معرض الرياض للكتاب أبوابه."),
    ]
    created = await store.articles.insert_entries(
        feed,
        [
            Entry(str(n), f"https://a.example/{n}", title, NOW - timedelta(hours=1), text)
            for n, (title, text) in enumerate(written)
        ],
        NOW - timedelta(hours=1),
        dedup_window=timedelta(hours=1),
    )
    await store.topics.save_enrichments(
        [
            Enrichment(
                c.article.id, c.article.id, search_title=index_terms(t), search_body=index_terms(x)
            )
            for c, (t, x) in zip(created, written, strict=True)
        ],
        NOW,
    )
    sudan = Destination(name="sudan", keywords=("السودان",))
    prepared = await build_digest(store, sudan, NOW)
    assert [i.title for i in prepared.digest.items] == [written[0][0]]
    not_sudan = Destination(name="other", exclude_keywords=("السوداني",))
    assert [i.title for i in (await build_digest(store, not_sudan, NOW)).digest.items] == [
        written[1][0]
    ]


def test_a_story_of_several_outlets_is_told_by_a_credited_brief() -> None:
    bbc = article(
        11,
        "بي بي سي",
        "زلزال يضرب جنوب تركيا",
        3,
        "ضرب زلزال بقوة 6.2 درجات ولاية هطاي جنوبي تركيا فجر الاثنين، وأسفر عن مقتل 12 شخصا "
        "وإصابة العشرات بحسب السلطات المحلية.\n\nوتشهد المنطقة زلازل متكررة.",
    )
    sky = article(
        12,
        "سكاي نيوز عربية",
        "أردوغان: سنعيد بناء كل منزل",
        2,
        "ضرب زلزال قوي ولاية هطاي التركية فجر الاثنين.\n\n"
        "وقال الرئيس التركي رجب طيب أردوغان إن الدولة ستعيد بناء كل منزل تضرر.",
    )
    story = StoryCandidate(10, (bbc, sky))

    item = compose("d", [story], NOW, DigestChoices(summary_chars=280)).items[0]

    assert item.source == "بي بي سي"
    assert item.summary == (
        "ضرب زلزال بقوة 6.2 درجات ولاية هطاي جنوبي تركيا فجر الاثنين، وأسفر عن مقتل 12 شخصا "
        "وإصابة العشرات بحسب السلطات المحلية. (بي بي سي) قال الرئيس التركي رجب طيب أردوغان "
        "إن الدولة ستعيد بناء كل منزل تضرر. (سكاي نيوز عربية)"
    )
    assert [link.source for link in item.also_reported_by] == ["سكاي نيوز عربية"]
    assert len(item.summary) <= 280
