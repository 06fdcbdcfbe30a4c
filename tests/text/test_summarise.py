"""The extractive summariser: whole sentences, article order, limits, usable openers, and
golden summaries of the reading defects it must never show (``tests/data/summaries/``).

The articles below are written for these tests (fictional news); none is copied from a corpus.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.text.candidates import candidates, strip_dateline
from digests.text.summarise import (
    Summary,
    article_sentences,
    lead,
    rank_sentences,
    shorten_sentence,
    summarise,
)
from tests.conftest import DATA

GOLDEN = DATA / "summaries"

TITLE = "افتتاح أكبر محطة للطاقة الشمسية في المنطقة قرب أسوان"
ARTICLE = "\n".join(
    [
        "أسوان (وكالات) - افتتحت الحكومة المصرية، الأحد، أكبر محطة للطاقة الشمسية في المنطقة"
        " قرب مدينة أسوان بقدرة 1.6 غيغاواط.",
        "وقال وزير الكهرباء إن المحطة ستزود نحو مليون منزل بالكهرباء وستخفض الانبعاثات"
        " بمقدار مليوني طن سنويا.",
        "وأضاف أن العمل في المشروع استمر ثلاث سنوات بمشاركة 30 شركة محلية ودولية.",
        "في المقابل، انتقد خبراء ارتفاع تكلفة الربط بالشبكة القومية.",
        "هل تكفي هذه المحطة لسد العجز في الصيف؟",
        "وتبلغ تكلفة محطة الطاقة الشمسية في أسوان نحو أربعة مليارات دولار مولها البنك الدولي"
        " ومؤسسات أخرى.",
        "وتسعى مصر إلى رفع حصة الطاقة المتجددة إلى 42 في المئة من إنتاج الكهرباء بحلول عام 2035.",
        "** جميع الحقوق محفوظة للوكالة.",
    ]
)

BACK_POINTING = ("وأضاف", "في المقابل", "وفي سياق متصل", "من جهته", "وفي هذا السياق")


def _positions(summary: Summary, text: str) -> list[int]:
    sentences = article_sentences(text)
    return [sentences.index(s) for s in summary.sentences]


# --------------------------------------------------------------------------- golden summaries


def _article(case: str) -> tuple[str | None, str]:
    title, _, text = (GOLDEN / case / "article.txt").read_text(encoding="utf-8").partition("\n")
    return title or None, text


def _expected(case: str, budget: str) -> str:
    return (GOLDEN / case / f"expected-{budget}.txt").read_text(encoding="utf-8").rstrip("\n")


CASES = sorted(path.name for path in GOLDEN.iterdir() if path.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_golden_summaries(case: str) -> None:
    title, text = _article(case)
    assert summarise(title, text, max_sentences=1).text == _expected(case, "1")
    digest = summarise(title, text, max_sentences=2, max_chars=280)
    assert digest.text == _expected(case, "digest")


def test_headings_and_related_titles_are_never_sentences_nor_glued_to_one() -> None:
    title, text = _article("heading-and-related")
    sentences = article_sentences(text)
    for line in (
        "توقعات ضخمة لشباك المشاهدة",
        "الأثر المحتمل على دور العرض",
        "منصات البث تغير عادات المشاهدة",
        "مهرجان القاهرة السينمائي",
        "يمكنكم تسلم إشعارات",
    ):
        assert not any(line in sentence for sentence in sentences), line
    for budget in (1, 2, 3, None):
        summary = summarise(title, text, max_sentences=budget)
        assert "توقعات ضخمة" not in summary.text and "الأثر المحتمل" not in summary.text


def test_a_sentence_that_points_back_never_opens_a_summary() -> None:
    title, text = _article("pointing-back")
    found = candidates(text)
    assert [c.points_back for c in found] == [False, True, True, True, True, False]
    # Even a headline that matches one of them does not make it open a summary.
    for headline in (title, "الحكومة ستراجع الأسعار كل ثلاثة أشهر وفق آلية جديدة"):
        for budget in (1, 2, 3):
            summary = summarise(headline, text, max_sentences=budget)
            shown = [c for c in found if c.text in summary.sentences]
            assert shown and not shown[0].points_back
            for c in shown[1:]:
                assert not c.points_back or found[c.order - 1] in shown


def test_a_question_lede_is_the_summary_when_it_leads() -> None:
    title, text = _article("question-lede")
    assert summarise(title, text, max_sentences=1).text.endswith("وما هي تفاصيلها؟")


def test_a_lead_too_long_for_the_budget_is_shortened_not_replaced() -> None:
    title, text = _article("long-lead")
    summary = summarise(title, text, max_sentences=2, max_chars=150)
    assert summary.text == _expected("long-lead", "150")
    assert summary.method == "truncated"
    assert summary.fallback_reason == "the best sentence does not fit in 150 characters"
    assert summary.text.startswith("توفي الممثل") and summary.text.endswith("…")
    assert len(summary.text) <= 150


# --------------------------------------------------------------------------- basic contract


def test_summary_is_whole_sentences_in_article_order() -> None:
    for budget in (1, 2, 3, 7):
        summary = summarise(TITLE, ARTICLE, max_sentences=budget)
        assert summary.method in ("extractive", "article") and summary.fallback_reason is None
        positions = _positions(summary, ARTICLE)
        assert positions == sorted(positions) and positions[0] == 0
    assert summary.text == " ".join(summary.sentences)


def test_the_lead_comes_first_without_its_dateline() -> None:
    summary = summarise(TITLE, ARTICLE)
    assert summary.sentences[0].startswith("افتتحت الحكومة المصرية")
    assert "(وكالات)" not in summary.text


DATELINES = [
    # (id, first sentence of a paragraph, what a reader sees)
    (
        "cnn well-formed",
        "دبي، الإمارات العربية المتحدة (CNN)-- دخل الاقتصاد التركي مرحلة خطرة.",
        "دخل الاقتصاد التركي مرحلة خطرة.",
    ),
    (
        "cnn arabic with both brackets open",
        "دبي، الإمارات العربية المتحدة (CNN(-- أعلنت شرطة دبي، الثلاثاء، ضبط شبكة لتهريب المخدرات.",
        "أعلنت شرطة دبي، الثلاثاء، ضبط شبكة لتهريب المخدرات.",
    ),
    (
        "cnn with both brackets open and no place",
        "(CNN(-- قال وزير الخارجية إن المفاوضات ستستأنف الأسبوع المقبل.",
        "قال وزير الخارجية إن المفاوضات ستستأنف الأسبوع المقبل.",
    ),
    (
        "cnn with both brackets open and a space before the dashes",
        "واشنطن (CNN( -- وقع الرئيس قانونا جديدا للهجرة.",
        "وقع الرئيس قانونا جديدا للهجرة.",
    ),
    (
        "cnn without its closing bracket",
        "(CNN-- قتل سبعة جنود في تحطم مروحية غرب العراق.",
        "قتل سبعة جنود في تحطم مروحية غرب العراق.",
    ),
    (
        "cnn with spaces inside the brackets",
        "( CNN) -- ارتفعت أسعار النفط في ختام التداولات.",
        "ارتفعت أسعار النفط في ختام التداولات.",
    ),
    (
        "agency and colon",
        "القاهرة - (رويترز): ارتفعت أسعار الذهب إلى مستوى قياسي.",
        "ارتفعت أسعار الذهب إلى مستوى قياسي.",
    ),
    ("agency and dash", "باريس (أ ف ب) - أضرب عمال السكك الحديدية.", "أضرب عمال السكك الحديدية."),
    # Not datelines: brackets in the sentence itself stay.
    (
        "a bracket without a dash",
        "قال الوزير (في مقابلة مع CNN) إن الحكومة لن تتراجع.",
        "قال الوزير (في مقابلة مع CNN) إن الحكومة لن تتراجع.",
    ),
    (
        "an open bracket inside a bracket, without a dash",
        "أعلنت الشركة (وهي فرع من (CNN( الأمريكية) نتائجها.",
        "أعلنت الشركة (وهي فرع من (CNN( الأمريكية) نتائجها.",
    ),
    (
        "an unclosed bracket and a single dash",
        "قال المتحدث (بحسب-بيان الوزارة إن الاجتماع انتهى.",
        "قال المتحدث (بحسب-بيان الوزارة إن الاجتماع انتهى.",
    ),
    (
        "a bracket with a dash inside",
        "ويلعب الفائز من مواجهة (العين – الوحدة) في النهائي.",
        "ويلعب الفائز من مواجهة (العين – الوحدة) في النهائي.",
    ),
    (
        "an open bracket after the place",
        "أعلنت وزارة الصحة (CNN( ارتفاع عدد الإصابات.",
        "أعلنت وزارة الصحة (CNN( ارتفاع عدد الإصابات.",
    ),
    (
        "no bracket",
        "قتل خمسة أشخاص - بينهم طفلان - في انفجار.",
        "قتل خمسة أشخاص - بينهم طفلان - في انفجار.",
    ),
]


@pytest.mark.parametrize(
    ("sentence", "shown"), [c[1:] for c in DATELINES], ids=[c[0] for c in DATELINES]
)
def test_strip_dateline(sentence: str, shown: str) -> None:
    assert strip_dateline(sentence) == shown


def test_a_cnn_arabic_lead_loses_its_malformed_dateline() -> None:
    text = "\n".join(
        [
            "دبي، الإمارات العربية المتحدة (CNN(-- أعلنت هيئة الطرق في دبي، الأحد، افتتاح خط"
            " جديد للمترو يربط المطار بوسط المدينة.",
            "وقال مدير الهيئة إن الخط سيخدم 200 ألف راكب يوميا.",
        ]
    )
    assert article_sentences(text)[0].startswith("أعلنت هيئة الطرق")
    summary = summarise("افتتاح خط جديد لمترو دبي", text, max_sentences=1)
    assert summary.text.startswith("أعلنت هيئة الطرق") and "CNN" not in summary.text


def test_sentences_unusable_out_of_context_never_open_a_summary() -> None:
    for budget in (1, 2, 3):
        first = summarise(TITLE, ARTICLE, max_sentences=budget).sentences[0]
        for opener in BACK_POINTING:
            assert not first.startswith(opener)


def test_boilerplate_is_never_a_sentence() -> None:
    assert all("الحقوق محفوظة" not in s for s in article_sentences(ARTICLE))


@pytest.mark.parametrize("max_sentences", [1, 2, 3, 5])
def test_budgets_are_maxima_not_targets(max_sentences: int) -> None:
    summary = summarise(TITLE, ARTICLE, max_sentences=max_sentences)
    assert 1 <= len(summary.sentences) <= max_sentences
    # The lead says it: one sentence, however many are allowed.
    assert summary.sentences == (article_sentences(ARTICLE)[0],)


@pytest.mark.parametrize("max_chars", [120, 200, 400])
def test_max_chars_is_respected_with_whole_sentences(max_chars: int) -> None:
    summary = summarise(TITLE, ARTICLE, max_sentences=3, max_chars=max_chars)
    assert len(summary.text) <= max_chars
    assert set(summary.sentences) <= set(article_sentences(ARTICLE))


def test_shortening_cuts_at_a_clause_else_a_word_never_inside_one() -> None:
    sentence = "ارتفعت أسعار الذهب إلى مستوى قياسي، وسط طلب قوي من البنوك المركزية في آسيا."
    assert shorten_sentence(sentence, 200) == sentence
    assert shorten_sentence(sentence, 60) == "ارتفعت أسعار الذهب إلى مستوى قياسي…"
    by_word = shorten_sentence(sentence, 30)
    assert by_word == "ارتفعت أسعار الذهب إلى مستوى…"
    assert shorten_sentence(sentence, 1) == "…" and shorten_sentence(sentence, 0) == ""
    for limit in range(2, len(sentence)):
        cut = shorten_sentence(sentence, limit)
        assert len(cut) <= limit and cut.endswith("…")
        head = cut.removesuffix("…")
        assert not head or (sentence.startswith(head) and sentence[len(head)] in " ،")


def test_a_short_article_is_its_own_summary() -> None:
    text = "ارتفعت أسعار النفط اليوم.\nوتراجع الدولار أمام اليورو."
    summary = summarise(None, text, max_sentences=3)
    assert summary == Summary(
        sentences=("ارتفعت أسعار النفط اليوم.", "وتراجع الدولار أمام اليورو."), method="article"
    )


@pytest.mark.parametrize("text", ["", "   \n  ", "** جميع الحقوق محفوظة.", "—"])
def test_empty_text_gives_an_empty_summary(text: str) -> None:
    summary = summarise(TITLE, text)
    assert summary == Summary(sentences=(), method="empty")
    assert summary.text == ""


def test_zero_limits_give_an_empty_summary_with_a_reason() -> None:
    assert summarise(TITLE, ARTICLE, max_sentences=0).sentences == ()
    assert summarise(TITLE, ARTICLE, max_chars=0).fallback_reason == "the limits leave no room"


def test_summarise_is_deterministic() -> None:
    first = summarise(TITLE, ARTICLE, max_sentences=3, max_chars=500)
    assert all(summarise(TITLE, ARTICLE, max_sentences=3, max_chars=500) == first for _ in range(5))
    assert rank_sentences(TITLE, ARTICLE) == rank_sentences(TITLE, ARTICLE)


def test_rank_sentences_is_a_permutation_of_the_sentences() -> None:
    ranked = rank_sentences(TITLE, ARTICLE)
    assert sorted(ranked) == sorted(article_sentences(ARTICLE))
    assert ranked[0].startswith("افتتحت الحكومة المصرية")


# --------------------------------------------------------------------------- sentences


def test_repeated_sentences_count_once() -> None:
    text = "ارتفعت أسعار النفط اليوم.\nارتفعت أسعار النفط اليوم.\nوتراجع الدولار أمام اليورو."
    assert article_sentences(text) == ["ارتفعت أسعار النفط اليوم.", "وتراجع الدولار أمام اليورو."]
    assert summarise(None, text).method == "article"


def test_hard_wrapped_text_is_joined_before_splitting() -> None:
    line_one = "أكدت الحكومة حرصها على ضرورة تعزيز الإصلاحات في هيكل النظام المالي الدولي من"
    line_two = "أجل دعم جهود البلدان النامية لتحقيق نمو اقتصادي مصحوب بالمساواة الاجتماعية."
    wrapped = "\n".join(
        [
            line_one,
            line_two,
            " وقال وزير الخارجية في كلمة ألقاها أمام مؤتمر القمة المنعقد في العاصمة إن هذه",
            "الإصلاحات يجب أن تتضمن أدوات أكثر ملاءمة لمنع الأزمات المالية وإدارتها بكفاءة.",
            " ونجحت الدول المشاركة في استخدام القمة منبرا للدفاع عن قضاياها الاقتصادية",
            "والمطالبة بدور أكبر للبلدان النامية في صنع القرار داخل المنظمات المالية الدولية.",
        ]
    )
    sentences = article_sentences(wrapped)
    assert sentences[0] == f"{line_one} {line_two}"
    assert len(sentences) == 3


def test_list_lines_are_not_joined_nor_summary_sentences() -> None:
    text = "\n".join(
        ["أبرز القرارات", "- رفع الأجور", "- خفض الضرائب", "- دعم الصادرات", "انتهى الاجتماع."]
    )
    assert article_sentences(text) == ["انتهى الاجتماع."]


def test_an_article_without_any_punctuation_keeps_its_lines() -> None:
    text = "قتل خمسة أشخاص في انفجار بالعاصمة\nوأعلنت الشرطة فتح تحقيق في الحادث"
    assert len(article_sentences(text)) == 2
    assert summarise(None, text, max_sentences=1).text == "قتل خمسة أشخاص في انفجار بالعاصمة"


# --------------------------------------------------------------------------- lead


def test_lead_is_the_first_sentence_that_stands_alone() -> None:
    text = "\n".join(
        [
            "القاهرة - (رويترز): ",
            "ارتفعت أسعار الذهب اليوم إلى مستوى قياسي.",
            "وأضاف التجار أن الطلب قوي.",
        ]
    )
    assert lead("الذهب", text) == Summary(
        sentences=("ارتفعت أسعار الذهب اليوم إلى مستوى قياسي.",), method="lead"
    )


def test_a_long_lead_is_shortened_with_a_reason() -> None:
    summary = lead(TITLE, ARTICLE, max_chars=60)
    assert summary.method == "truncated"
    assert summary.fallback_reason == "the lead sentence is longer than 60 characters"
    assert len(summary.text) <= 60 and summary.text.endswith("…")


def test_lead_of_no_text_is_the_title() -> None:
    assert lead("عاجل: زلزال بقوة 5 درجات يضرب جنوب تركيا", "").text == (
        "عاجل: زلزال بقوة 5 درجات يضرب جنوب تركيا"
    )
    assert lead(None, "") == Summary(sentences=(), method="empty")


# --------------------------------------------------------------------------- properties

_SENTENCE = st.lists(
    st.sampled_from(
        "الحكومة أعلنت اليوم عن خطة جديدة لدعم الاقتصاد وقال الوزير إن الأسعار سترتفع"
        " في المقابل وأضاف هل 2024 ٣٥ «نعم» CNN".split()
    ),
    min_size=1,
    max_size=25,
).map(lambda words: " ".join(words) + ".")
_ARTICLE = st.lists(_SENTENCE, min_size=0, max_size=12).map("\n".join)


@settings(max_examples=60, deadline=None)
@given(
    article=_ARTICLE,
    max_sentences=st.one_of(st.none(), st.integers(1, 5)),
    max_chars=st.one_of(st.none(), st.integers(20, 600)),
)
def test_summary_invariants(article: str, max_sentences: int | None, max_chars: int | None) -> None:
    summary = summarise(
        "خطة لدعم الاقتصاد", article, max_sentences=max_sentences, max_chars=max_chars
    )
    if max_chars is not None:
        assert len(summary.text) <= max_chars
    if summary.method in ("extractive", "article"):
        sentences = article_sentences(article)
        positions = [sentences.index(s) for s in summary.sentences]
        assert positions == sorted(set(positions))
        if max_sentences is not None:
            assert len(summary.sentences) <= max_sentences
    else:
        assert summary.method in ("truncated", "empty")
