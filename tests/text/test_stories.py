"""Same-story clustering and related coverage (``text.stories``).

The articles are short Arabic wire-style items written for these tests. A handful of
unrelated "background" items give the index realistic document frequencies, as the few
thousand recent articles do in production.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from digests.text.stories import (
    DEFAULT_RELATED_MAX,
    DEFAULT_RELATED_MIN,
    DEFAULT_SAME_SOURCE_THRESHOLD,
    IndexedDoc,
    Match,
    SimilarityIndex,
)

T0 = datetime(2024, 3, 5, 8, 0, tzinfo=UTC)

# (source, title, text)
BACKGROUND = [
    (
        "delta",
        "الأهلي يفوز على الزمالك بهدفين في قمة الدوري المصري",
        "حقق النادي الأهلي فوزا ثمينا على غريمه الزمالك بهدفين نظيفين في المباراة التي جمعتهما"
        " مساء الجمعة على استاد القاهرة الدولي ضمن الجولة العشرين من الدوري المصري الممتاز."
        " وسجل المهاجم الهدف الأول في الدقيقة 35 قبل أن يضيف زميله الهدف الثاني من ركلة جزاء.",
    ),
    (
        "gamma",
        "أسعار النفط ترتفع بعد قرار أوبك خفض الإنتاج",
        "ارتفعت أسعار النفط في تعاملات الاثنين بعد أن قررت منظمة أوبك وحلفاؤها خفض الإنتاج"
        " بمقدار مليون برميل يوميا. وصعد خام برنت إلى 86 دولارا للبرميل، فيما توقع محللون"
        " استمرار الارتفاع مع تراجع المخزونات الأميركية.",
    ),
    (
        "delta",
        "البنك المركزي الأوروبي يبقي أسعار الفائدة دون تغيير",
        "أبقى البنك المركزي الأوروبي أسعار الفائدة الرئيسية دون تغيير في اجتماعه الشهري،"
        " مشيرا إلى أن التضخم في منطقة اليورو يتراجع ببطء نحو المستوى المستهدف. وقالت رئيسة"
        " البنك إن القرار اتخذ بالإجماع وإن المجلس سيراقب البيانات الاقتصادية المقبلة.",
    ),
    (
        "alpha",
        "شركة سامسونغ تكشف عن هاتف جديد قابل للطي",
        "كشفت شركة سامسونغ الكورية الجنوبية عن هاتفها الذكي الجديد القابل للطي خلال حفل في"
        " سيول، ويتميز الهاتف بشاشة أكبر وبطارية تدوم يومين وكاميرا بدقة عالية. ويطرح الجهاز"
        " في الأسواق الشهر المقبل بسعر يبدأ من 1800 دولار.",
    ),
    (
        "gamma",
        "انطلاق مهرجان القاهرة السينمائي بمشاركة 80 فيلما",
        "انطلقت مساء الأربعاء فعاليات الدورة الجديدة من مهرجان القاهرة السينمائي الدولي"
        " بمشاركة 80 فيلما من 40 دولة، ويكرم المهرجان في حفل الافتتاح عددا من نجوم السينما"
        " العربية. وتتنافس 15 فيلما على جائزة الهرم الذهبي.",
    ),
    (
        "beta",
        "الناخبون في السنغال يتوجهون إلى صناديق الاقتراع لاختيار رئيس جديد",
        "توجه الناخبون في السنغال صباح الأحد إلى مراكز الاقتراع لاختيار رئيس جديد للبلاد في"
        " انتخابات يتنافس فيها 19 مرشحا. وقالت اللجنة الانتخابية إن النتائج الأولية ستعلن"
        " خلال أيام، وسط إجراءات أمنية مشددة في العاصمة داكار.",
    ),
    (
        "alpha",
        "موجة حر تضرب جنوب أوروبا ودرجات الحرارة تتجاوز 44 درجة",
        "تشهد دول جنوب أوروبا موجة حر شديدة تجاوزت فيها درجات الحرارة 44 درجة مئوية في إسبانيا"
        " وإيطاليا، ودعت السلطات السكان إلى البقاء في منازلهم خلال ساعات الظهيرة وشرب كميات"
        " كافية من المياه.",
    ),
    (
        "delta",
        "وزير الخارجية الأميركي يصل إلى القاهرة في جولة إقليمية",
        "وصل وزير الخارجية الأميركي إلى القاهرة في مستهل جولة إقليمية تشمل الأردن والسعودية،"
        " ويبحث خلالها مع المسؤولين المصريين ملفات التعاون الثنائي والأوضاع في المنطقة.",
    ),
]

# The event: an earthquake in Izmir, told by two outlets in different words.
QUAKE_ALPHA = (
    "alpha",
    "زلزال بقوة 6.2 درجات يضرب إزمير غرب تركيا ويوقع قتلى",
    "ضرب زلزال بقوة 6.2 درجات على مقياس ريختر مدينة إزمير الساحلية في غرب تركيا صباح"
    " الثلاثاء، ما أدى إلى مقتل 12 شخصا وإصابة العشرات، بحسب هيئة إدارة الكوارث والطوارئ"
    " التركية. وانهارت عدة مبان سكنية في وسط المدينة، فيما هرعت فرق الإنقاذ إلى المواقع"
    " المتضررة بحثا عن ناجين تحت الأنقاض. وشعر سكان الجزر اليونانية القريبة بالهزة.",
)
QUAKE_BETA = (
    "beta",
    "مقتل 12 شخصا في هزة أرضية عنيفة تضرب إزمير التركية",
    "لقي 12 شخصا حتفهم وأصيب العشرات جراء هزة أرضية عنيفة بلغت قوتها 6.2 درجات ضربت مدينة"
    " إزمير على ساحل بحر إيجه، وفق ما أعلنته هيئة الكوارث والطوارئ التركية. وأظهرت صور"
    " انهيار مبان في المدينة، بينما تواصل فرق الإنقاذ البحث عن عالقين تحت الأنقاض.",
)
# The first outlet's own update, hours later: a new toll, the same lead.
QUAKE_ALPHA_UPDATE = (
    "alpha",
    "ارتفاع حصيلة زلزال إزمير غرب تركيا إلى 19 قتيلا",
    "ارتفعت حصيلة الزلزال الذي ضرب مدينة إزمير الساحلية في غرب تركيا صباح الثلاثاء بقوة 6.2"
    " درجات على مقياس ريختر إلى 19 قتيلا وعشرات المصابين، بحسب هيئة إدارة الكوارث والطوارئ"
    " التركية. وتواصل فرق الإنقاذ البحث عن ناجين تحت أنقاض المباني السكنية المنهارة في وسط"
    " المدينة.",
)
# Same topic, another event: a smaller earthquake in Crete a few days later.
QUAKE_CRETE = (
    "beta",
    "زلزال بقوة 5.1 درجات يهز جزيرة كريت اليونانية دون إصابات",
    "هز زلزال بقوة 5.1 درجات جزيرة كريت اليونانية مساء الأحد، من دون أن تسجل إصابات أو أضرار"
    " كبيرة، بعد أيام من زلزال إزمير التركية، بحسب المعهد الجيوديناميكي في أثينا. وتفقدت"
    " فرق الدفاع المدني المباني القديمة في المدن القريبة من مركز الزلزال. وتقع اليونان"
    " على صدوع نشطة تجعل الزلازل متكررة في المنطقة.",
)


def doc(id: int, article: tuple[str, str, str], at: datetime) -> IndexedDoc:
    source, title, text = article
    return IndexedDoc.from_text(id, source, at, title, text)


def background_index(
    same_source_threshold: float | None = DEFAULT_SAME_SOURCE_THRESHOLD,
) -> SimilarityIndex:
    """An index holding the background articles, published the day before T0."""
    index = SimilarityIndex(same_source_threshold=same_source_threshold)
    for i, article in enumerate(BACKGROUND):
        index.add(doc(100 + i, article, T0 - timedelta(days=1, hours=i)))
    return index


# --------------------------------------------------------------------------- same story


def test_two_outlets_reporting_one_event_join_one_story() -> None:
    index = background_index()
    first = doc(1, QUAKE_ALPHA, T0)
    second = doc(2, QUAKE_BETA, T0 + timedelta(hours=3))
    assert index.add(first) == 1  # a new story is named after its first article
    match = index.same_story(second)
    assert match is not None
    assert (match.doc_id, match.story_id, match.source) == (1, 1, "alpha")
    assert match.score >= index.threshold
    assert index.add(second) == 1
    assert index.story_of(2) == 1
    assert index.stories()[1] == [1, 2]


def test_another_event_on_the_same_topic_is_related_not_the_same_story() -> None:
    index = background_index()
    index.add(doc(1, QUAKE_ALPHA, T0))
    index.add(doc(2, QUAKE_BETA, T0 + timedelta(hours=3)))
    crete = doc(3, QUAKE_CRETE, T0 + timedelta(days=5))
    assert index.same_story(crete, window=timedelta(days=30)) is None
    assert index.add(crete) == 3
    related = index.related(crete)
    # One link per story: the Izmir story once, by its closer article.
    assert [m.story_id for m in related] == [1]
    assert related[0].doc_id in (1, 2)
    assert DEFAULT_RELATED_MIN <= related[0].score < DEFAULT_RELATED_MAX
    izmir = [doc(1, QUAKE_ALPHA, T0), doc(2, QUAKE_BETA, T0 + timedelta(hours=3))]
    assert related[0].score == pytest.approx(max(index.similarity(crete, d) for d in izmir))


def test_related_skips_the_own_story_later_articles_and_the_ceiling() -> None:
    index = background_index()
    index.add(doc(1, QUAKE_ALPHA, T0))
    index.add(doc(2, QUAKE_BETA, T0 + timedelta(hours=3)))
    crete = doc(3, QUAKE_CRETE, T0 + timedelta(days=5))
    index.add(crete)
    # The Izmir articles' own story is never "related" to them; Crete is later, not earlier.
    assert index.related(doc(2, QUAKE_BETA, T0 + timedelta(hours=3))) == []
    # A ceiling below the Crete-Izmir score leaves nothing; k=0 asks for nothing.
    assert index.related(crete, max_score=0.05) == []
    assert index.related(crete, k=0) == []
    # Too far back for the window.
    assert index.related(crete, window=timedelta(days=1)) == []


# --------------------------------------------------------------------------- window edges


@pytest.mark.parametrize(
    ("hours", "joins"), [(1, True), (47, True), (48, True), (49, False), (72, False)]
)
def test_window_edge(hours: int, joins: bool) -> None:
    index = background_index()
    index.add(doc(1, QUAKE_ALPHA, T0))
    story = index.add(doc(2, QUAKE_BETA, T0 + timedelta(hours=hours)))
    assert (story == 1) is joins


def test_window_looks_both_ways_for_late_arrivals() -> None:
    index = background_index()
    index.add(doc(2, QUAKE_BETA, T0 + timedelta(hours=3)))
    # Fetched later but published earlier: still the same story.
    assert index.add(doc(1, QUAKE_ALPHA, T0)) == 2


# --------------------------------------------------------------------------- same source


def test_same_outlet_joins_its_own_update_but_not_a_looser_rewrite() -> None:
    index = background_index()
    index.add(doc(1, QUAKE_ALPHA, T0))
    # The outlet's own update (new toll, same lead) clears the stricter same-outlet bar...
    update = doc(2, QUAKE_ALPHA_UPDATE, T0 + timedelta(hours=5))
    assert index.similarity(doc(1, QUAKE_ALPHA, T0), update) >= DEFAULT_SAME_SOURCE_THRESHOLD
    assert index.add(update) == 1
    # ...a differently worded piece that another outlet would join with does not.
    rewrite = doc(3, ("alpha", *QUAKE_BETA[1:]), T0 + timedelta(hours=6))
    assert index.threshold <= index.similarity(doc(1, QUAKE_ALPHA, T0), rewrite)
    assert index.similarity(doc(1, QUAKE_ALPHA, T0), rewrite) < DEFAULT_SAME_SOURCE_THRESHOLD
    assert index.same_story(rewrite) is None


def test_same_outlet_matching_can_be_turned_off_or_loosened() -> None:
    update = doc(2, QUAKE_ALPHA_UPDATE, T0 + timedelta(hours=5))
    never = background_index(same_source_threshold=None)
    never.add(doc(1, QUAKE_ALPHA, T0))
    assert never.add(update) == 2
    lenient = background_index(same_source_threshold=0.30)
    lenient.add(doc(1, QUAKE_ALPHA, T0))
    assert lenient.add(doc(3, ("alpha", *QUAKE_BETA[1:]), T0 + timedelta(hours=6))) == 1


# --------------------------------------------------------------------------- eviction


def test_evict_before_forgets_old_documents() -> None:
    index = background_index()
    index.add(doc(1, QUAKE_ALPHA, T0))
    assert len(index) == len(BACKGROUND) + 1
    assert index.evict_before(T0) == len(BACKGROUND)
    assert len(index) == 1 and 1 in index and 100 not in index
    assert index.evict_before(T0) == 0
    assert index.evict_before(T0 + timedelta(seconds=1)) == 1
    assert len(index) == 0
    assert not index._postings  # no empty postings lists left behind
    # An evicted article can no longer be matched: its follow-up starts a story.
    assert index.add(doc(2, QUAKE_BETA, T0 + timedelta(hours=3))) == 2


def test_evicted_story_can_still_be_joined_through_a_kept_article() -> None:
    index = background_index()
    index.add(doc(1, QUAKE_ALPHA, T0))
    index.add(doc(2, QUAKE_BETA, T0 + timedelta(hours=20)))
    index.evict_before(T0 + timedelta(hours=1))
    follow_up = ("gamma", QUAKE_ALPHA[1], QUAKE_ALPHA[2])
    assert index.add(doc(3, follow_up, T0 + timedelta(hours=40))) == 1


# --------------------------------------------------------------------------- determinism


def build(articles: list[tuple[int, tuple[str, str, str], datetime]]) -> SimilarityIndex:
    index = background_index()
    for id, article, at in articles:
        index.add(doc(id, article, at))
    return index


STREAM = [
    (1, QUAKE_ALPHA, T0),
    (2, QUAKE_BETA, T0 + timedelta(hours=3)),
    (3, QUAKE_CRETE, T0 + timedelta(days=5)),
]


def test_same_input_same_stories_and_links() -> None:
    one, two = build(STREAM), build(STREAM)
    assert one.stories() == two.stories()
    crete = doc(3, QUAKE_CRETE, T0 + timedelta(days=5))
    assert one.related(crete) == two.related(crete)


def test_ties_go_to_the_lower_id() -> None:
    index = SimilarityIndex()
    # One-term documents have the same unit vector whatever the idf: exact ties.
    for id in (30, 10, 20):
        index.add(IndexedDoc(id, f"outlet{id}", T0, ("izmir",), ()), story_id=id)
    query = IndexedDoc(1, "other", T0 + timedelta(hours=1), ("izmir",), ())
    match = index.same_story(query)
    assert match is not None and match.doc_id == 10 and match.score == pytest.approx(1.0)
    found = index.similar(query, since=T0, until=T0 + timedelta(hours=2), min_score=0.5)
    assert [m.doc_id for m in found] == [10, 20, 30]


def test_restore_with_stored_story_ids_gives_the_same_stories() -> None:
    original = build(STREAM)
    stored = {id: original.story_of(id) for id, _, _ in STREAM}
    rebuilt = background_index()
    for id, article, at in STREAM:
        assert rebuilt.add(doc(id, article, at), story_id=stored[id]) == stored[id]
    assert rebuilt.stories() == original.stories()
    # A newcomer joins the restored story exactly as it would have joined the original.
    late = doc(4, ("gamma", QUAKE_BETA[1], QUAKE_BETA[2]), T0 + timedelta(hours=30))
    assert rebuilt.add(late) == original.add(late) == 1


def test_restore_keeps_a_given_story_id_even_without_a_match() -> None:
    index = background_index()
    assert index.add(doc(7, QUAKE_CRETE, T0), story_id=555) == 555
    assert index.story_of(7) == 555
    # The same report from another outlet joins the restored story.
    assert index.add(doc(8, ("alpha", *QUAKE_CRETE[1:]), T0 + timedelta(hours=1))) == 555


def test_adding_an_indexed_id_again_changes_nothing() -> None:
    index = background_index()
    index.add(doc(1, QUAKE_ALPHA, T0))
    before = (len(index), index.stories())
    assert index.add(doc(1, QUAKE_CRETE, T0), story_id=99) == 1
    assert (len(index), index.stories()) == before


# --------------------------------------------------------------------------- degenerate input


@pytest.mark.parametrize(
    ("title", "text"),
    [("", ""), ("في من على", "و لا هذا"), ("عاجل", ""), ("!!!", "... ؟ 🎉")],
    ids=["empty", "stop words only", "one word", "punctuation"],
)
def test_empty_and_very_short_texts(title: str, text: str) -> None:
    index = background_index()
    index.add(doc(1, QUAKE_ALPHA, T0))
    tiny = IndexedDoc.from_text(5, "beta", T0 + timedelta(hours=1), title, text)
    assert index.add(tiny) == 5
    assert index.same_story(tiny) is None
    assert index.related(tiny) == []
    assert 0.0 <= index.similarity(tiny, doc(1, QUAKE_ALPHA, T0)) <= 1.0
    assert index.evict_before(T0 + timedelta(days=1)) == len(BACKGROUND) + 2


def test_published_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        IndexedDoc(1, "alpha", datetime(2024, 3, 5, 8, 0), ("زلزال",), ())


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="title_weight"):
        SimilarityIndex(title_weight=0.5)
    with pytest.raises(ValueError, match="lead_terms"):
        SimilarityIndex(lead_terms=-1)


# --------------------------------------------------------------------------- exactness


@pytest.mark.parametrize("seed", range(6))
def test_pruned_queries_match_brute_force(seed: int) -> None:
    """``similar`` skips postings it can prove useless; it must find what a full scan finds."""
    rng = random.Random(seed)
    vocabulary = [f"t{i}" for i in range(60)]
    weights = [1.0 / (i + 1) for i in range(60)]  # Zipf-like: a few very common terms

    def random_doc(id: int, at: datetime) -> IndexedDoc:
        title = tuple(rng.choices(vocabulary, weights, k=rng.randint(0, 6)))
        body = tuple(rng.choices(vocabulary, weights, k=rng.randint(0, 40)))
        return IndexedDoc(id, rng.choice("abc"), at, title, body)

    index = SimilarityIndex()
    docs = [random_doc(i, T0 + timedelta(hours=rng.randint(0, 200))) for i in range(300)]
    for d in docs:
        index.add(d, story_id=d.id)
    since, until = T0 + timedelta(hours=40), T0 + timedelta(hours=150)
    for query in [random_doc(1000 + i, T0 + timedelta(hours=100)) for i in range(25)]:
        brute = {d.id: index.similarity(query, d) for d in docs if since <= d.published < until}
        for min_score in (0.1, 0.3, 0.6):
            found = {
                m.doc_id: m.score
                for m in index.similar(query, since=since, until=until, min_score=min_score)
            }
            assert found.keys() == {id for id, score in brute.items() if score >= min_score}
            for id, score in found.items():
                assert score == pytest.approx(brute[id])


def test_match_is_plain_data() -> None:
    match = Match(1, 1, "alpha", T0, 0.5)
    assert match == Match(1, 1, "alpha", T0, 0.5)
