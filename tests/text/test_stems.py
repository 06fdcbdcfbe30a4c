"""The matching layer: which written forms are the same word (``digests.text.stems``)."""

from __future__ import annotations

import pytest

from digests.text.arabic import STOPWORDS, normalise, tokenize
from digests.text.stems import (
    lexicon,
    places,
    same_word,
    stem,
    terms,
    terms_from_tokens,
    variants,
)


def _stem(word: str) -> str:
    (token,) = tokenize(word)
    return stem(token)


# --------------------------------------------------------------------------- what meets

FAMILIES = [
    # Every form in a family must get the same key.
    ("iran", "إيران الإيراني لإيران والإيرانية الإيرانيون بإيران الإيرانيين وإيران"),
    ("egypt", "مصر المصري المصرية لمصر بمصر المصريين والمصريون"),
    ("president", "رئيس الرئيس والرئيس للرئيس رئيسه برئيس"),
    ("government", "حكومة الحكومة الحكومات بالحكومة للحكومة حكومته وحكومتها"),
    ("palestine", "فلسطين الفلسطيني الفلسطينيين لفلسطين والفلسطينية"),
    ("britain", "بريطانيا البريطاني البريطانية لبريطانيا"),
    ("syria", "سوريا السوري السورية السوريين بسوريا"),
    ("libya", "ليبيا الليبي الليبية الليبيين ليبيون وليبيا"),
    ("emirates", "الإمارات إماراتي الإماراتية والإمارات"),
    ("korea", "كوريا الكوري الكوريتين كوريتان"),
    ("america, both spellings", "أمريكا أميركا الأمريكية الأميركية الأمريكيون"),
    ("elections", "انتخابات الانتخابات بالانتخابات للانتخابات انتخاب"),
    ("agreement", "اتفاق الاتفاق بالاتفاق اتفاقات"),
    ("states", "ولاية الولاية ولايات الولايات"),
    ("official, both hamza seats", "مسؤول مسئول المسؤول المسئولين المسؤولين"),
    ("affairs, both hamza seats", "شؤون شئون الشؤون والشئون"),
    ("refugees", "لاجئ اللاجئ اللاجئين للاجئين لاجئون"),
    ("country with pronoun", "بلاد بلاده وبلادها"),
    ("diacritics do not matter", "الحُكومةُ حكومة"),
]


@pytest.mark.parametrize("family", [f[1] for f in FAMILIES], ids=[f[0] for f in FAMILIES])
def test_families_meet(family: str) -> None:
    keys = {word: _stem(word) for word in family.split()}
    assert len(set(keys.values())) == 1, keys


APART = [
    # (first, second, why they must stay apart) — the cases first.
    ("كندا", "بولندا", "Canada and Poland: no ب or و is stripped from a word"),
    ("بوتين", "التين", "Putin and figs: ين is not an ending of a name"),
    ("هيئة", "هي", "authority and she"),
    ("اللاجئين", "اج", "refugees and nothing"),
    ("ايلون", "أيلت", "Elon and Eilat"),
    ("طالبان", "طالب", "the Taliban and a student: the dual ان is never removed"),
    ("ولاية", "ولا", "a state and 'nor'"),
    ("فنان", "لبنان", "artist and Lebanon"),
    ("الأميركية", "أمير", "American and prince"),
    ("وزير", "زير", "minister: و is part of the word"),
    ("مصر", "مصرف", "Egypt and a bank"),
    ("علم", "عالم", "science and world"),
    ("بيت", "بيان", "house and statement"),
    ("سلمان", "سلم", "a name and peace"),
    ("النمسا", "نمس", "Austria and a mongoose"),
    ("البحرين", "بحر", "Bahrain and the sea"),
]


@pytest.mark.parametrize(("first", "second", "why"), APART, ids=[a[0] for a in APART])
def test_different_words_stay_apart(first: str, second: str, why: str) -> None:
    assert _stem(first) != _stem(second), why
    assert not same_word(first, second), why


@pytest.mark.parametrize("prefix", ["و", "ف", "ب", "ل", "ال", "وال", "بال", "فال", "لل"])
@pytest.mark.parametrize("word", ["رئيس", "حكومة", "اتفاق", "انتخابات", "إيران"])
def test_particles_come_off_known_words(prefix: str, word: str) -> None:
    assert stem(normalise(prefix + word)) == stem(normalise(word))


@pytest.mark.parametrize("token", ["cnn", "iphone", "2024", "", "x"])
def test_latin_numbers_and_short_tokens_are_their_own_key(token: str) -> None:
    assert stem(token) == token


def test_a_new_name_loses_only_the_article_and_is_also_indexed_without_a_particle() -> None:
    name = "زيلينسكيوف"  # not in the lexicon
    assert name not in lexicon()
    assert _stem("ال" + name) == name
    # و + the name: the key keeps the letter (it may be the name's own), the variants do not.
    assert variants(normalise("و" + name)) == ("و" + name, name)
    assert same_word("و" + name, name)


def test_an_ending_stays_on_a_rare_rest() -> None:
    # ايلون: ون is a plural ending, but ايل is no frequent word: the name keeps it.
    assert _stem("إيلون") == "ايلون"
    assert _stem("المسلحين") == _stem("مسلح")


# --------------------------------------------------------------------------- the tables


def test_lexicon_is_normalised_news_vocabulary() -> None:
    words = lexicon()
    assert len(words) > 50_000
    assert all(count >= 3 for count in words.values())
    sample = list(words)[:: len(words) // 500]
    assert all(normalise(word) == word and " " not in word for word in sample)
    assert words["الحكومه"] > words["حكومه"] > 100


def test_every_place_form_has_one_place() -> None:
    table = places()
    assert table[normalise("الليبيين")] == table[normalise("ليبيا")] == normalise("ليبيا")
    assert table[normalise("كوريتين")] == normalise("كوريا")
    keys = set(table.values())
    assert all(key in table for key in keys)  # a place's key is itself one of its forms
    assert "مالي" not in table and "عمان" not in table  # also "financial", also Amman


# --------------------------------------------------------------------------- terms


@pytest.mark.parametrize(
    "word",
    ["في", "على", "إلى", "الذي", "هذه", "لكن", "قال", "وأضاف", "أكدت", "مشيرا", "الثلاثاء"],
)
def test_function_words_and_reporting_verbs_have_no_terms(word: str) -> None:
    assert terms(word) == []


@pytest.mark.parametrize("word", ["إيران", "الحكومة", "النفط", "انتخابات", "غزة", "ترامب"])
def test_content_words_have_terms(word: str) -> None:
    assert normalise(word) not in STOPWORDS
    assert terms(word) != []


def test_terms_of_a_news_sentence() -> None:
    sentence = "وقال الرئيس الإيراني حسن روحاني، الثلاثاء، إن بلاده لن تتراجع عن الاتفاق النووي."
    assert terms(sentence) == ["رءيس", "ايران", "حسن", "روحاني", "بلاد", "تتراجع", "اتفاق", "نووي"]


def test_terms_drop_conjunction_plus_stop_word_and_single_letters() -> None:
    assert terms("وفي ومن وهو فقد و ب") == []


def test_terms_keep_latin_and_numbers() -> None:
    assert terms("أطلقت Apple هاتف iPhone 15 في ٢٠٢٣") == [
        "اطلقت",
        "apple",
        "هاتف",
        "iphone",
        "15",
        "2023",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "وقال الرئيس الإيراني إن بلاده لن تتراجع.",
        "#عاصي_الحلاني يغني في ٢٠٢٤ مع CNN",
        "العـــربيةُ\u00a0نت",
        "",
    ],
)
def test_fast_path_agrees_with_the_definition(text: str) -> None:
    expected = [
        stem(token) for token in tokenize(text) if len(token) > 1 and terms(token) == [stem(token)]
    ]
    assert terms_from_tokens(tokenize(text)) == terms(text) == expected
