"""Bidi hygiene: hostile controls removed, Latin runs and numbers isolated in Arabic lines."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.text.bidi import (
    FSI,
    PDI,
    base_direction,
    clean,
    has_ltr,
    has_rtl,
    isolate,
    isolate_ltr_runs,
)


def shown(text: str) -> str:
    """Isolates made visible: FSI as «[», PDI as «]»."""
    return text.replace(FSI, "[").replace(PDI, "]")


# --------------------------------------------------------------------------- clean


@pytest.mark.parametrize(
    "control",
    list("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
    + list("\x00\x07\x1b\x7f\x80\x9b\ud800"),
)
def test_clean_removes_bidi_and_control_characters(control: str) -> None:
    assert clean(f"خبر{control} عاجل") == "خبر عاجل"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("\x1b[31mعاجل\x1b[0m: زلزال", "عاجل: زلزال"),  # SGR colours (CSI)
        ("\x1b[1;31;42mخبر\x1b[m عاجل", "خبر عاجل"),
        ("خبر\x1b[2J\x1b[H عاجل", "خبر عاجل"),  # clear screen, cursor home
        ("خبر\x1b[?25l عاجل", "خبر عاجل"),  # private-mode CSI
        ("\x1b]0;pwned\x07خبر عاجل", "خبر عاجل"),  # OSC window title, ended by BEL
        ("\x1b]8;;http://evil.example\x1b\\خبر\x1b]8;;\x1b\\ عاجل", "خبر عاجل"),  # OSC 8 (ST)
        ("خبر\x1bc عاجل", "خبر عاجل"),  # two-character ESC sequences
        ("خبر\x1b(B عاجل\x1b7", "خبر عاجل"),
        ("خبر\x1b عاجل", "خبر عاجل"),  # a lone ESC
    ],
)
def test_clean_removes_terminal_escape_sequences_whole(title: str, expected: str) -> None:
    assert clean(title) == expected


def test_clean_stops_a_hostile_override_from_flipping_the_rest() -> None:
    title = "وزير المالية \u202eيستقيل بعد 3 أعوام"
    assert clean(title) == "وزير المالية يستقيل بعد 3 أعوام"


def test_clean_keeps_line_breaks_and_turns_other_breaks_into_them() -> None:
    assert clean("سطر\nسطر") == "سطر\nسطر"
    assert clean("سطر\r\nسطر\rسطر\u2028سطر\x85سطر") == "سطر\nسطر\nسطر\nسطر\nسطر"


def test_clean_turns_a_tab_into_a_space() -> None:
    assert clean("الدولار\t3.75") == "الدولار 3.75"


def test_clean_keeps_joiners_that_emoji_and_persian_need() -> None:
    family = "👨\u200d👩\u200d👧"
    assert clean(f"عائلة {family} و می\u200cخواهم") == f"عائلة {family} و می\u200cخواهم"


def test_clean_leaves_ordinary_text_alone() -> None:
    text = "ارتفع مؤشر S&P 500 بنسبة 1.2% — «تاريخي»؟ نعم! ٤٫٨٪"
    assert clean(text) == text


# --------------------------------------------------------------------------- isolate_ltr_runs


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "أطلقت SpaceX صاروخ Falcon 9 من فلوريدا",
            "أطلقت [SpaceX] صاروخ [Falcon 9] من فلوريدا",
        ),
        ("اختتام قمة COP28 في دبي", "اختتام قمة [COP28] في دبي"),
        ("ارتفع التضخم إلى 4.5% في 2026.", "ارتفع التضخم إلى [4.5%] في [2026]."),
        (
            "وتوقع محللون في Capital Economics أن يبقى السعر 3,750 ريالاً",
            "وتوقع محللون في [Capital Economics] أن يبقى السعر [3,750] ريالاً",
        ),
        ("في الساعة 14:30 يوم 2026-11-29،", "في الساعة [14:30] يوم [2026-11-29]،"),
        ("فاز 2-1 على البرتغال", "فاز [2-1] على البرتغال"),
        ("قال Dr. Smith: نعم", "قال [Dr. Smith]: نعم"),
        ("ارتفع S&P 500 اليوم", "ارتفع [S&P 500] اليوم"),
        (  # a URL is one run, without the sentence's final period
            "التفاصيل: https://news.example/a?id=5&x=1. انتهى",
            "التفاصيل: [https://news.example/a?id=5&x=1]. انتهى",
        ),
        ("وCOP28 وSpaceX", "و[COP28] و[SpaceX]"),
        ("الأسعار 50%, 60% ثم", "الأسعار [50%, 60%] ثم"),
    ],
)
def test_latin_runs_and_numbers_in_arabic_lines_are_isolated(line: str, expected: str) -> None:
    assert shown(isolate_ltr_runs(line)) == expected


def test_arabic_indic_digits_are_left_to_the_bidi_algorithm() -> None:
    assert isolate_ltr_runs("بلغ التضخم ٤٫٨٪") == "بلغ التضخم ٤٫٨٪"


def test_lines_without_arabic_are_left_alone() -> None:
    text = "Falcon 9 lifted off at 14:30\nنجح إطلاق Falcon 9\n2026"
    assert (
        shown(isolate_ltr_runs(text)) == "Falcon 9 lifted off at 14:30\nنجح إطلاق [Falcon 9]\n2026"
    )


def test_the_caller_can_say_the_line_is_right_to_left() -> None:
    assert shown(isolate_ltr_runs("Reuters · 14:30", rtl=True)) == "[Reuters] · [14:30]"
    assert isolate_ltr_runs("قال Reuters", rtl=False) == "قال Reuters"


def test_isolating_twice_changes_nothing() -> None:
    once = isolate_ltr_runs("أطلقت SpaceX صاروخ Falcon 9 بنسبة 4.5% في 2026")
    assert isolate_ltr_runs(once) == once


def test_base_direction_is_that_of_the_first_strong_letter_outside_isolates() -> None:
    assert base_direction("3. SpaceX تطلق صاروخا") == "ltr"
    assert base_direction(isolate_ltr_runs("3. SpaceX تطلق صاروخا")) == "rtl"
    assert base_direction("— 14:30 ·") is None


def test_isolate_and_direction_predicates() -> None:
    assert isolate("#COP28") == f"{FSI}#COP28{PDI}"
    assert isolate("") == ""
    assert has_rtl("قمة COP28") and has_ltr("قمة COP28")
    assert not has_rtl("COP28 2026") and not has_ltr("قمة ٢٠٢٦")
    assert has_rtl("שלום")  # Hebrew is right-to-left too


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_isolating_only_adds_balanced_isolates(text: str) -> None:
    text = clean(text)
    out = isolate_ltr_runs(text)
    assert out.replace(FSI, "").replace(PDI, "") == text
    depth = 0
    for char in out:
        depth += (char == FSI) - (char == PDI)
        assert 0 <= depth <= 1
    assert depth == 0
    assert isolate_ltr_runs(out) == out


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"]) | st.sampled_from("بـ 1a.% ")))
def test_every_left_to_right_character_of_a_right_to_left_line_ends_up_isolated(
    text: str,
) -> None:
    out = isolate_ltr_runs(clean(text), rtl=True)
    depth = 0
    for char in out:
        depth += (char == FSI) - (char == PDI)
        if unicodedata.bidirectional(char) in ("L", "EN"):
            assert depth == 1, shown(out)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_clean_output_has_no_controls_but_newlines(text: str) -> None:
    out = clean(text)
    assert clean(out) == out
    for char in out:
        assert char == "\n" or not (ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F)
        assert (
            char not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("اكتب /help لترى الأوامر", "اكتب [/help] لترى الأوامر"),
        ("/schedule 08:00 — موعد موجزك", "[/schedule 08:00] — موعد موجزك"),
        ("مثلاً: /follow إيران أو /topics", "مثلاً: [/follow] إيران أو [/topics]"),
        ("(/digest) الآن", "([/digest]) الآن"),
        ("أضف: /addfeed https://news.example/rss", "أضف: [/addfeed https://news.example/rss]"),
        ("عربي/English", "عربي/[English]"),  # not a command: the slash follows a letter
        ("نسبة 1/2 و/أو", "نسبة [1/2] و/أو"),
        ("وسم </b> و <i/> و /r/news", "وسم </[b]> و <[i]/> و /[r/news]"),  # no commands either
    ],
)
def test_a_chat_command_is_isolated_whole_with_its_slash(text: str, expected: str) -> None:
    """Telegram sees ``/help`` as a command only when its slash touches its name."""
    out = isolate_ltr_runs(text)
    assert shown(out) == expected
    assert isolate_ltr_runs(out) == out
