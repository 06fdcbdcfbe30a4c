"""The Arabic text layer: normalisation, sentences, tokens and stop words."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digests.text.arabic import (
    STOPWORDS,
    normalise,
    split_sentences,
    tokenize,
)

# --------------------------------------------------------------------------- normalise

NORMALISE_CASES = [
    # (id, text, normalised)
    ("tashkeel", "مُحَمَّدٌ رَسُولُ", "محمد رسول"),
    ("shadda and tanwin", "شكراً جزيلاً", "شكرا جزيلا"),
    ("superscript alef", "هٰذا", "هذا"),
    ("tatweel", "العـــــربية", "العربيه"),
    ("alef with hamza above", "أحمد", "احمد"),
    ("alef with hamza below", "إسلام", "اسلام"),
    ("alef with madda", "آمنة", "امنه"),
    ("alef wasla", "ٱلله", "الله"),
    ("alef maqsura", "مستشفى على", "مستشفي علي"),
    ("ta marbuta", "مدرسة", "مدرسه"),
    ("waw with hamza", "مؤتمر", "مءتمر"),
    ("yeh with hamza", "رئيس", "رءيس"),
    ("hamza seats meet", "مسؤول مسئول شؤون شئون", "مسءول مسءول شءون شءون"),
    ("arabic-indic digits", "عام ٢٠٢٤", "عام 2024"),
    ("persian digits", "سال ۱۴۰۳", "سال 1403"),
    ("latin is lower-cased", "CNN و BBC", "cnn و bbc"),
    ("presentation forms (NFKC)", "ﻻ ﺑﺪ", "لا بد"),
    ("white space collapses", "  بيروت \n\t دمشق  ", "بيروت دمشق"),
    (
        "bidi marks and joiners vanish",
        "\u200fواشنطن\u200e \u2066CNN\u2069 ك\u200cتب",
        "واشنطن cnn كتب",
    ),
    ("emoji are kept", "مبروك 🎉", "مبروك 🎉"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in NORMALISE_CASES], ids=[c[0] for c in NORMALISE_CASES]
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_normalise_is_idempotent_on_news_text() -> None:
    text = "أعلنت وزارةُ الصحّة، الثلاثاء، تسجيل ٣٥ إصابة جديدة بـ«كورونا»."
    assert normalise(normalise(text)) == normalise(text)


# --------------------------------------------------------------------------- split_sentences

SPLIT_CASES: list[tuple[str, str, list[str]]] = [
    (
        "full stop, exclamation, question marks",
        "وصل الوفد إلى بيروت. يا لها من زيارة! هل تنجح المحادثات؟ لا أحد يعرف?",
        [
            "وصل الوفد إلى بيروت.",
            "يا لها من زيارة!",
            "هل تنجح المحادثات؟",
            "لا أحد يعرف?",
        ],
    ),
    (
        "arabic semicolon and ellipsis",
        "ارتفعت الأسعار؛ وتراجع الطلب… ثم استقرت السوق",
        ["ارتفعت الأسعار؛", "وتراجع الطلب…", "ثم استقرت السوق"],
    ),
    (
        "dot runs and ?! runs stay with their sentence",
        "انتظر الجميع... ولم يأت أحد.. ماذا حدث؟! لا جواب",
        ["انتظر الجميع...", "ولم يأت أحد..", "ماذا حدث؟!", "لا جواب"],
    ),
    (
        "line breaks end sentences",
        "العنوان بلا نقطة\nالفقرة الأولى.\r\n\r\nالفقرة الثانية.",
        ["العنوان بلا نقطة", "الفقرة الأولى.", "الفقرة الثانية."],
    ),
    (
        "decimal numbers",
        "بلغ النمو 4.5 في المئة وبلغ التضخم ٣.٢ في المئة. ثم تحسن.",
        ["بلغ النمو 4.5 في المئة وبلغ التضخم ٣.٢ في المئة.", "ثم تحسن."],
    ),
    (
        "arabic decimal separator",
        "ارتفع المؤشر ٤٫٥ نقطة. وأغلق مرتفعا.",
        ["ارتفع المؤشر ٤٫٥ نقطة.", "وأغلق مرتفعا."],
    ),
    (
        "dates",
        "عقد الاجتماع في 12.5.2024 بالرياض. وانتهى مساء.",
        ["عقد الاجتماع في 12.5.2024 بالرياض.", "وانتهى مساء."],
    ),
    (
        "arabic title abbreviations",
        "قال د. محمد علي إن أ. سارة و م. خالد وأ.د. هدى حضروا. وبدأ الاجتماع.",
        ["قال د. محمد علي إن أ. سارة و م. خالد وأ.د. هدى حضروا.", "وبدأ الاجتماع."],
    ),
    (
        "page and era abbreviations",
        "ورد ذلك في ص. 12 من الكتاب. بنيت المدينة عام 300 ق.م. في عهد الإسكندر. انتهى.",
        [
            "ورد ذلك في ص. 12 من الكتاب.",
            "بنيت المدينة عام 300 ق.م. في عهد الإسكندر.",
            "انتهى.",
        ],
    ),
    (
        "era marker after a year ends the sentence",
        "توفي عام 1827 م. ودفن في فيينا.",
        ["توفي عام 1827 م.", "ودفن في فيينا."],
    ),
    (
        "hijri marker with tatweel",
        "ولد سنة 1420 هـ. وتعلم في مكة.",
        ["ولد سنة 1420 هـ.", "وتعلم في مكة."],
    ),
    (
        "latin abbreviations and initials",
        "التقى Dr. Smith مع مسؤولين من U.S. في واشنطن. وزار J. K. Rowling لندن.",
        ["التقى Dr. Smith مع مسؤولين من U.S. في واشنطن.", "وزار J. K. Rowling لندن."],
    ),
    (
        "urls and e-mail addresses",
        "راجع https://www.example.com/news/2024.html?id=5. أو راسل info@example.org. شكرا",
        [
            "راجع https://www.example.com/news/2024.html?id=5.",
            "أو راسل info@example.org.",
            "شكرا",
        ],
    ),
    (
        "web names with a dot",
        "نشر موقع العربية.نت الخبر نقلا عن CNN.com صباحا. ثم حذفه.",
        ["نشر موقع العربية.نت الخبر نقلا عن CNN.com صباحا.", "ثم حذفه."],
    ),
    (
        "guillemet quotation keeps its punctuation",
        "قال الوزير: «لن نتراجع. المعركة طويلة!» وغادر القاعة. ثم عاد.",
        ["قال الوزير: «لن نتراجع. المعركة طويلة!» وغادر القاعة.", "ثم عاد."],
    ),
    (
        "curly quotation",
        "وكتب: “هل نعود؟ نعم.” ثم صمت. انتهى",
        ["وكتب: “هل نعود؟ نعم.” ثم صمت.", "انتهى"],
    ),
    (
        "straight quotation",
        'وأضاف أن "الوضع صعب. لكنه ليس ميؤوسا منه". ورفض التعليق.',
        ['وأضاف أن "الوضع صعب. لكنه ليس ميؤوسا منه".', "ورفض التعليق."],
    ),
    (
        "an unbalanced quote mark is ignored",
        'قال "لن نتراجع. وغادر. ثم عاد.',
        ['قال "لن نتراجع.', "وغادر.", "ثم عاد."],
    ),
    (
        "closing bracket stays with its sentence",
        "انظر الجدول (المصدر: البنك الدولي.) ثم قارن.",
        ["انظر الجدول (المصدر: البنك الدولي.)", "ثم قارن."],
    ),
    (
        "period glued to the next word still ends the sentence",
        "يرجعه البعض إلى نوح.وتعني كلمة العود الخشب.",
        ["يرجعه البعض إلى نوح.", "وتعني كلمة العود الخشب."],
    ),
    (
        "a period before a comma does not end the sentence",
        "زار ق.م.، ثم غادر. انتهى",
        ["زار ق.م.، ثم غادر.", "انتهى"],
    ),
    (
        "diacritics and tatweel are kept for display",
        "قالَ الرَّئيسُ: السَّلامُ مُمكِنٌ. العـــربية تتابع.",
        ["قالَ الرَّئيسُ: السَّلامُ مُمكِنٌ.", "العـــربية تتابع."],
    ),
    (
        "emoji-only pieces and stray punctuation are dropped",
        "فاز المنتخب 🎉. 🎉🎉\n...\n— \nانتهى.",
        ["فاز المنتخب 🎉.", "انتهى."],
    ),
    (
        "latin initials spelled in arabic letters: MH17",
        "وأسقط صاروخ الرحلة إم. إتش17 التي كانت متجهة من أمستردام إلى كوالالمبور عام 2014."
        " وقتل جميع ركابها.",
        [
            "وأسقط صاروخ الرحلة إم. إتش17 التي كانت متجهة من أمستردام إلى كوالالمبور عام 2014.",
            "وقتل جميع ركابها.",
        ],
    ),
    (
        "spelled initials: glued period, a space before the number, a dash",
        "وعثر المحققون على حطام الطائرة إم.إتش17 قرب القرية. وتبين أن الرحلة إم. إتش 17"
        " أصيبت بصاروخ بوك. وكانت الرحلة إم. إتش-17 تقل 298 شخصا.",
        [
            "وعثر المحققون على حطام الطائرة إم.إتش17 قرب القرية.",
            "وتبين أن الرحلة إم. إتش 17 أصيبت بصاروخ بوك.",
            "وكانت الرحلة إم. إتش-17 تقل 298 شخصا.",
        ],
    ),
    (
        "dotted chains of spelled initials: BBC, FBI, CNN",
        "ونقلت هيئة الإذاعة البريطانية بي. بي. سي. عن مصادر دبلوماسية أن المحادثات تعثرت."
        " وقال مكتب التحقيقات الاتحادي إف. بي. آي. إن المشتبه به اعتقل في تكساس."
        " وكانت شبكة سي. إن. إن. أول من نقل الخبر.",
        [
            "ونقلت هيئة الإذاعة البريطانية بي. بي. سي. عن مصادر دبلوماسية أن المحادثات تعثرت.",
            "وقال مكتب التحقيقات الاتحادي إف. بي. آي. إن المشتبه به اعتقل في تكساس.",
            "وكانت شبكة سي. إن. إن. أول من نقل الخبر.",
        ],
    ),
    (
        "dotted chains of spelled initials written without spaces",
        "وتطور شركة بي.بي حقل الرميلة. وقال بومبيو لسي.إن.إن إن المحادثات مستمرة."
        " وقال مدير وكالة المخابرات المركزية (سي.أي.ايه) إن التقرير دقيق.",
        [
            "وتطور شركة بي.بي حقل الرميلة.",
            "وقال بومبيو لسي.إن.إن إن المحادثات مستمرة.",
            "وقال مدير وكالة المخابرات المركزية (سي.أي.ايه) إن التقرير دقيق.",
        ],
    ),
    (
        "a spelled letter ending a sentence still ends it",
        "ونصح الأطباء بتناول فيتامين دي. في المقابل حذروا من الإفراط فيه."
        " ونشرت الشركة بيانها على منصة إكس. وقال متحدث باسمها إن الخدمة عادت."
        " واشترى النادي حافلة من بي إم دبليو. في 2023 باع حافلته القديمة."
        " وقال لأنصاره: ثقوا بي. إن النصر قريب.",
        [
            "ونصح الأطباء بتناول فيتامين دي.",
            "في المقابل حذروا من الإفراط فيه.",
            "ونشرت الشركة بيانها على منصة إكس.",
            "وقال متحدث باسمها إن الخدمة عادت.",
            "واشترى النادي حافلة من بي إم دبليو.",
            "في 2023 باع حافلته القديمة.",
            "وقال لأنصاره: ثقوا بي.",
            "إن النصر قريب.",
        ],
    ),
    (
        "a sentence ending in a word splits before spelled initials",
        "وغادر الوفد جنيف مساء. سي. إن. إن. كانت أول من نقل الخبر.",
        ["وغادر الوفد جنيف مساء.", "سي. إن. إن. كانت أول من نقل الخبر."],
    ),
    ("empty text", "", []),
    ("white space only", " \n\t ", []),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in SPLIT_CASES], ids=[c[0] for c in SPLIT_CASES]
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


_WORD_CHARS = re.compile(r"[^\W_]")


@given(st.text(alphabet=st.sampled_from(list('اب تث.!؟؛…«»"“”\n 12٣.م')), max_size=80))
def test_split_sentences_loses_no_letter_or_digit(text: str) -> None:
    sentences = split_sentences(text)
    assert _WORD_CHARS.findall("".join(sentences)) == _WORD_CHARS.findall(text)
    assert all(s == s.strip() and s for s in sentences)


# --------------------------------------------------------------------------- tokenize

TOKENIZE_CASES = [
    ("arabic with diacritics", "ذَهَبَ الوَلَدُ", ["ذهب", "الولد"]),
    ("punctuation splits", "بيروت، دمشق؛ عمّان: القاهرة.", ["بيروت", "دمشق", "عمان", "القاهره"]),
    (
        "mixed latin and arabic",
        "أطلقت Apple هاتف iPhone 15",
        ["اطلقت", "apple", "هاتف", "iphone", "15"],
    ),
    ("arabic-indic numbers", "قتل ٣٥ شخصا عام ٢٠٢٤", ["قتل", "35", "شخصا", "عام", "2024"]),
    ("decimal numbers split", "٤٫٥ و 4.5", ["4", "5", "و", "4", "5"]),
    ("quotes and emoji are not words", "«سلام» 🕊️ “حرب”", ["سلام", "حرب"]),
    ("hashtags and underscores", "#عاصي_الحلاني", ["عاصي", "الحلاني"]),
    ("urls break into words", "https://aawsat.com/x", ["https", "aawsat", "com", "x"]),
    ("empty", "", []),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in TOKENIZE_CASES], ids=[c[0] for c in TOKENIZE_CASES]
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


# --------------------------------------------------------------------------- stop words


def test_stopwords_are_normalised_and_sized_for_news() -> None:
    assert 150 <= len(STOPWORDS) <= 350
    assert all(normalise(word) == word and " " not in word for word in STOPWORDS)


@pytest.mark.parametrize(
    "text",
    [
        "وقال الرئيس الإيراني إن بلاده لن تتراجع.",
        "#عاصي_الحلاني يغني في ٢٠٢٤ مع CNN",
        "العـــربيةُ\u00a0نت",
        "",
    ],
)
def test_tokenize_follows_its_definition(text: str) -> None:
    assert tokenize(text) == re.findall(r"[^\W_]+", normalise(text))  # the definition
