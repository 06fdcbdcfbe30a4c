"""The story brief: one lead, credited additions that add a fact, no repeats, within budget.

The reports are written for these tests (realistic wire-style Arabic, not taken from a corpus).
"""

from __future__ import annotations

from digests.text.brief import REDUNDANCY, Report, brief, overlap
from digests.text.stems import terms

BBC = Report(
    "بي بي سي",
    "زلزال بقوة 6.2 درجات يضرب جنوب تركيا",
    "ضرب زلزال بقوة 6.2 درجات على مقياس ريختر ولاية هطاي جنوبي تركيا فجر الاثنين، وأسفر "
    "عن مقتل 12 شخصا وإصابة العشرات بحسب السلطات المحلية.\n\n"
    "وشعر سكان المدن المجاورة بالهزة التي استمرت نحو عشرين ثانية.\n\n"
    "وتقع تركيا على عدد من الفوالق النشطة، وتشهد زلازل متكررة.",
)
FRANCE24 = Report(
    "فرانس 24",
    "تركيا: قتلى وجرحى في زلزال بولاية هطاي",
    "أعلنت هيئة إدارة الكوارث والطوارئ التركية أن زلزالا بقوة 6.2 درجات ضرب ولاية هطاي "
    "جنوبي البلاد فجر الاثنين، وأسفر عن مقتل 15 شخصا.\n\n"
    "وأرسلت الهيئة أكثر من 400 من عناصر الإنقاذ إلى المنطقة المنكوبة.\n\n"
    "وكان زلزال مدمر قد ضرب المنطقة نفسها في فبراير 2023.",
)
SKYNEWS = Report(
    "سكاي نيوز عربية",
    "أردوغان يتوعد بإعادة إعمار المناطق المتضررة من زلزال هطاي",
    "ضرب زلزال قوي ولاية هطاي التركية فجر الاثنين وتسبب بانهيار عدد من المباني القديمة.\n\n"
    "وقال الرئيس التركي رجب طيب أردوغان إن الدولة ستعيد بناء كل منزل تضرر، داعيا "
    "المواطنين إلى الابتعاد عن المباني المتصدعة.\n\n"
    "ودعت الأمم المتحدة إلى تقديم المساعدة للمتضررين.",
)


def test_one_outlet_gives_its_summary_uncredited() -> None:
    result = brief([BBC], 280)
    assert result.sentences
    assert "(بي بي سي)" not in result.text
    assert result.text.startswith("ضرب زلزال بقوة 6.2 درجات")


def test_a_second_outlet_with_another_figure_shows_both_with_sources() -> None:
    result = brief([BBC, FRANCE24], 400)
    assert result.sources == ("بي بي سي", "فرانس 24")
    assert "12 شخصا" in result.sentences[0]
    assert result.sentences[0].endswith("(بي بي سي)")
    assert "15 شخصا" in result.sentences[1]
    assert result.sentences[1].endswith("(فرانس 24)")
    assert len(result.text) <= 400


def test_a_figure_that_does_not_fit_as_a_sentence_goes_into_the_lead_credit() -> None:
    result = brief([BBC, FRANCE24], 280)
    assert result.text == (
        "ضرب زلزال بقوة 6.2 درجات على مقياس ريختر ولاية هطاي جنوبي تركيا فجر الاثنين، وأسفر "
        "عن مقتل 12 شخصا وإصابة العشرات بحسب السلطات المحلية. (بي بي سي؛ فرانس 24: 15 شخصا)"
    )


def test_a_reaction_from_a_third_outlet_is_added_and_credited() -> None:
    result = brief([BBC, FRANCE24, SKYNEWS], 600)
    assert result.sentences == (
        "ضرب زلزال بقوة 6.2 درجات على مقياس ريختر ولاية هطاي جنوبي تركيا فجر الاثنين، وأسفر "
        "عن مقتل 12 شخصا وإصابة العشرات بحسب السلطات المحلية. (بي بي سي)",
        "أعلنت هيئة إدارة الكوارث والطوارئ التركية أن زلزالا بقوة 6.2 درجات ضرب ولاية هطاي "
        "جنوبي البلاد فجر الاثنين، وأسفر عن مقتل 15 شخصا. (فرانس 24)",
        "قال الرئيس التركي رجب طيب أردوغان إن الدولة ستعيد بناء كل منزل تضرر، داعيا "
        "المواطنين إلى الابتعاد عن المباني المتصدعة. (سكاي نيوز عربية)",
    )


def test_the_best_lead_is_chosen_whoever_reported_first() -> None:
    """Sky's vaguer opening came first; the brief opens on the BBC's, which carries the
    figures, and never repeats Sky's opening, which says nothing more."""
    result = brief([SKYNEWS, BBC], 600)
    assert result.lead == 1
    assert result.sources == ("بي بي سي", "سكاي نيوز عربية")
    assert "ضرب زلزال قوي" not in result.text
    assert result.sentences[1].startswith("قال الرئيس التركي رجب طيب أردوغان")


def test_additions_add_a_fact_and_never_repeat() -> None:
    """Without a disagreement, the other outlets' sentences that carry a new party or a
    reaction come in; none overlaps another by the redundancy threshold."""
    agreeing = Report(FRANCE24.source, FRANCE24.title, FRANCE24.text.replace("15", "12"))
    result = brief([BBC, agreeing, SKYNEWS], 600)
    assert len(result.sentences) >= 2
    assert any("أردوغان" in s and s.endswith("(سكاي نيوز عربية)") for s in result.sentences)
    stems = [frozenset(terms(s)) for s in result.sentences]
    for i, later in enumerate(stems):
        for earlier in stems[:i]:
            assert overlap(later, earlier) < REDUNDANCY
    assert len(set(result.sources)) == len(result.sources)


def test_the_budget_holds_and_no_word_is_cut() -> None:
    for budget in (120, 200, 280, 350, 500):
        result = brief([BBC, FRANCE24, SKYNEWS], budget)
        assert len(result.text) <= budget
        for sentence in result.sentences:
            core = sentence.rsplit(" (", 1)[0].rstrip("…")
            assert any(core in r.text or core in r.title for r in (BBC, FRANCE24, SKYNEWS))


def test_a_year_or_a_minute_is_no_disagreement() -> None:
    """«مونديال 2018 من» and «الدقيقة 90 من» count nothing: no figure note, no forced repeat."""
    preview = Report(
        "فرانس 24",
        "مصر تواجه الأوروغواي",
        "يدخل المنتخب المصري مونديال 2018 من بوابة الأوروغواي في يكاترينبورغ الجمعة سعيا "
        "لبداية قوية في المجموعة الأولى.",
    )
    result = Report(
        "سكاي نيوز عربية",
        "الأوروغواي تهزم مصر",
        "خطف منتخب الأوروغواي الجمعة فوزا قاتلا في الدقيقة 90 من المنتخب المصري في "
        "يكاترينبورغ ضمن المجموعة الأولى.",
    )
    told = brief([preview, result], 280)
    # Without a disagreement, the result's sentence repeats the preview's (same teams, city,
    # day and group) and stays out.
    assert told.sources == ("فرانس 24",)
    assert "؛" not in told.text and "(" not in told.text
