"""The extractive summariser: whole sentences, article order, limits, usable openers.

The articles below are written for these tests (fictional news); none is copied from a corpus.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.text.summarise import Summary, article_sentences, lead, rank_sentences, summarise

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


# --------------------------------------------------------------------------- basic contract


def test_summary_is_whole_sentences_in_article_order() -> None:
    summary = summarise(TITLE, ARTICLE)
    assert summary.method == "extractive"
    assert summary.fallback_reason is None
    assert len(summary.sentences) == 3
    positions = _positions(summary, ARTICLE)
    assert positions == sorted(positions)
    assert summary.text == " ".join(summary.sentences)


def test_the_lead_comes_first_without_its_dateline() -> None:
    summary = summarise(TITLE, ARTICLE)
    assert summary.sentences[0].startswith("افتتحت الحكومة المصرية")
    assert "(وكالات)" not in summary.text


def test_sentences_unusable_out_of_context_are_avoided() -> None:
    text = summarise(TITLE, ARTICLE, max_sentences=4).text
    for opener in BACK_POINTING:
        assert opener not in text
    assert "؟" not in text
    assert "جميع الحقوق" not in text


def test_boilerplate_is_never_chosen() -> None:
    assert all("الحقوق محفوظة" not in s for s in rank_sentences(TITLE, ARTICLE))


@pytest.mark.parametrize("max_sentences", [1, 2, 3, 5])
def test_max_sentences(max_sentences: int) -> None:
    assert len(summarise(TITLE, ARTICLE, max_sentences=max_sentences).sentences) == max_sentences


@pytest.mark.parametrize("max_chars", [120, 200, 280, 400])
def test_max_chars_is_respected_with_whole_sentences(max_chars: int) -> None:
    summary = summarise(TITLE, ARTICLE, max_sentences=None, max_chars=max_chars)
    assert len(summary.text) <= max_chars
    assert set(summary.sentences) <= set(article_sentences(ARTICLE))
    assert summary.method == "extractive"


def test_a_too_long_best_sentence_gives_way_to_a_shorter_good_one() -> None:
    first = article_sentences(ARTICLE)[0]
    summary = summarise(TITLE, ARTICLE, max_sentences=1, max_chars=len(first) - 1)
    assert summary.method == "extractive"
    assert summary.sentences[0] != first
    assert len(summary.text) < len(first)


def test_truncation_is_the_last_resort_and_cuts_at_a_word() -> None:
    text = (
        "أعلنت وزارة الصحة تسجيل انخفاض كبير في عدد الإصابات بالإنفلونزا الموسمية"
        " خلال الأسبوع الماضي في جميع المحافظات."
    )
    summary = summarise(None, text, max_chars=40)
    assert summary.method == "truncated"
    assert summary.fallback_reason == "no whole sentence fits in 40 characters"
    (cut,) = summary.sentences
    assert len(cut) <= 40
    assert cut.endswith("…")
    head = cut.removesuffix("…")
    assert text.startswith(head) and text[len(head)] == " "


def test_a_short_article_is_its_own_summary() -> None:
    text = "فاز المنتخب المغربي على نظيره البرتغالي بهدف دون رد.\nوتأهل المنتخب إلى نصف النهائي."
    summary = summarise("المغرب إلى نصف النهائي", text)
    assert summary == Summary(
        sentences=(
            "فاز المنتخب المغربي على نظيره البرتغالي بهدف دون رد.",
            "وتأهل المنتخب إلى نصف النهائي.",
        ),
        method="article",
    )


@pytest.mark.parametrize("text", ["", "   \n\t", "...\n—\n🎉", "** جميع الحقوق محفوظة."])
def test_empty_text_gives_an_empty_summary(text: str) -> None:
    summary = summarise("عنوان", text)
    assert summary == Summary(sentences=(), method="empty")
    assert summary.text == ""


def test_zero_limits_give_an_empty_summary_with_a_reason() -> None:
    assert summarise(TITLE, ARTICLE, max_sentences=0).sentences == ()
    assert summarise(TITLE, ARTICLE, max_chars=0).fallback_reason == "the limits leave no room"


def test_summarise_is_deterministic() -> None:
    first = summarise(TITLE, ARTICLE, max_sentences=3, max_chars=500)
    assert all(summarise(TITLE, ARTICLE, max_sentences=3, max_chars=500) == first for _ in range(5))
    assert rank_sentences(TITLE, ARTICLE) == rank_sentences(TITLE, ARTICLE)


def test_rank_sentences_is_a_permutation_of_the_usable_sentences() -> None:
    ranked = rank_sentences(TITLE, ARTICLE)
    assert sorted(ranked) == sorted(article_sentences(ARTICLE))
    assert ranked[0].startswith("افتتحت الحكومة المصرية")


# --------------------------------------------------------------------------- content choices


def test_the_title_decides_between_sentences_of_similar_rank() -> None:
    text = (
        "عقد مجلس الوزراء اجتماعه الأسبوعي برئاسة رئيس الحكومة لمناقشة عدد من الملفات.\n"
        "وناقش المجلس خطة تطوير الطرق في المحافظات الجنوبية وتكلفتها المتوقعة.\n"
        "وقدم وزير السياحة تقريرا عن أداء القطاع خلال الربع الأول من العام.\n"
        "وتناول الاجتماع مشروع قانون جديد للضرائب العقارية يرفع الإعفاء للمسكن الخاص.\n"
        "ووافق المجلس على تخصيص أراض لإنشاء ثلاث جامعات أهلية جديدة.\n"
        "وقرر المجلس تمديد العمل بالتوقيت الصيفي حتى نهاية أكتوبر."
    )
    about_taxes = summarise("قانون جديد للضرائب العقارية يرفع الإعفاء للمسكن", text).text
    assert "العقارية" in about_taxes and "جامعات" not in about_taxes
    about_universities = summarise("ثلاث جامعات أهلية جديدة", text).text
    assert "جامعات أهلية" in about_universities and "العقارية" not in about_universities


def test_repeated_sentences_count_once() -> None:
    text = "ارتفعت أسعار النفط اليوم.\nارتفعت أسعار النفط اليوم.\nوتراجع الدولار أمام اليورو."
    assert article_sentences(text) == ["ارتفعت أسعار النفط اليوم.", "وتراجع الدولار أمام اليورو."]
    assert summarise(None, text).method == "article"


def test_a_repeated_lead_is_not_chosen_twice() -> None:
    text = (
        "أعلنت الأكاديمية السويدية الجمعة تأجيل جائزة نوبل للآداب لهذا العام"
        " للمرة الأولى منذ عقود.\n"
        "وقالت الأكاديمية السويدية الجمعة إنها قررت تأجيل جائزة نوبل للآداب لهذا العام.\n"
        "ويأتي القرار بعد أزمة داخلية أدت إلى استقالة عدد من أعضاء الأكاديمية.\n"
        "وستمنح جائزتا العامين معا في العام المقبل بحسب البيان.\n"
        "وتأسست الأكاديمية عام 1786 وتضم ثمانية عشر عضوا."
    )
    summary = summarise("تأجيل نوبل للآداب", text, max_sentences=2)
    assert sum("تأجيل جائزة نوبل" in s for s in summary.sentences) == 1


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


def test_list_lines_are_not_joined() -> None:
    text = "\n".join(
        ["أبرز القرارات", "- رفع الأجور", "- خفض الضرائب", "- دعم الصادرات", "انتهى الاجتماع."]
    )
    assert len(article_sentences(text)) == 5


# --------------------------------------------------------------------------- lead


def test_lead_is_the_first_usable_sentence() -> None:
    text = "\n".join(
        [
            "القاهرة - (رويترز): ",
            "هل ترتفع الأسعار؟",
            "ارتفعت أسعار الذهب اليوم إلى مستوى قياسي.",
            "وأضاف التجار أن الطلب قوي.",
        ]
    )
    assert lead("الذهب", text) == Summary(
        sentences=("ارتفعت أسعار الذهب اليوم إلى مستوى قياسي.",), method="lead"
    )


def test_a_long_lead_is_cut_at_a_word_with_a_reason() -> None:
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
