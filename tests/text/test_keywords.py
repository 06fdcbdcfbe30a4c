"""Keyword rules (digests/text/keywords.py): the syntax, what matches, and the rule index."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.text.keywords import (
    MAX_RULE_CHARS,
    ArticleKeys,
    RuleError,
    RuleIndex,
    parse_rule,
)

# Written for these tests.
SECURITY_COUNCIL = ArticleKeys.from_text(
    "مجلس الأمن يبحث الملف النووي الإيراني",
    "ناقش مجلس الأمن الدولي في جلسة طارئة برنامج إيران النووي، وقال المندوب الأمريكي إن"
    " العقوبات باقية. وحضر الجلسة ممثلون عن 15 دولة.",
)
FOOTBALL = ArticleKeys.from_text(
    "منتخب إيران يتأهل لكأس العالم",
    "تأهل منتخب إيران لكرة القدم إلى نهائيات كأس العالم 2026 بعد فوزه على الأردن.",
)
MIXED = ArticleKeys.from_text(
    "Apple تطلق iPhone 17 في دبي",
    "أطلقت شركة Apple هاتفها الجديد iPhone 17 في متجرها بدبي، وقالت إن سعره يبدأ من 999 دولارا.",
)


@pytest.mark.parametrize(
    ("rule", "security", "football"),
    [
        ("إيران", True, True),
        ("الإيرانية", True, True),  # forms meet: الإيراني، إيران
        ("ايران", True, True),  # without the hamza
        ("إيران -كرة", True, False),  # an excluded word
        ("إيران -«كأس العالم»", True, False),  # an excluded phrase
        ("«مجلس الأمن»", True, False),  # a phrase: adjacent, in order
        ('"الأمن مجلس"', False, False),  # the same words in the other order are no phrase
        ("مجلس النووي", True, False),  # words: anywhere in the article
        ("إيران الأردن", False, True),
        ("السعودية", False, False),
        ("«مجلس الأمن» -الأمريكي", False, False),
    ],
)
def test_what_a_rule_matches(rule: str, security: bool, football: bool) -> None:
    parsed = parse_rule(rule)
    assert parsed.matches(SECURITY_COUNCIL) is security
    assert parsed.matches(FOOTBALL) is football


def test_latin_and_numbers_in_a_rule() -> None:
    assert parse_rule("iPhone 17").matches(MIXED)
    assert parse_rule('"iphone 17" دبي').matches(MIXED)
    assert not parse_rule("iPhone 16").matches(MIXED)


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("في من على", "empty"),  # only stop words
        ("-إيران", "only_excluded"),
        ("-إيران -العراق", "only_excluded"),
        ("ا" * (MAX_RULE_CHARS + 1), "too_long"),
        (
            " ".join(["إيران", "العراق", "سوريا", "لبنان", "مصر", "ليبيا", "تونس", "اليمن", "قطر"]),
            "too_many",
        ),
    ],
)
def test_bad_rules_say_why(rule: str, reason: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(rule)
    assert caught.value.reason == reason
    assert str(caught.value)


def test_no_regular_expression_reaches_matching() -> None:
    # Characters that mean something to a regex or FTS engine are just text here.
    rule = parse_rule('(a+)+$ إيران.* "[^x]" OR NOT')
    assert rule.matches(SECURITY_COUNCIL) is False
    assert parse_rule("إيران.*").matches(SECURITY_COUNCIL) is True  # the word is إيران


def test_rules_that_mean_the_same_have_one_identity() -> None:
    assert parse_rule("إيران -كرة").identity == parse_rule("-كرة   ايران").identity
    assert parse_rule("الإيراني").identity == parse_rule("إيران").identity
    assert parse_rule("إيران").identity != parse_rule("إيران -كرة").identity


def test_the_index_finds_the_same_rules_as_checking_each() -> None:
    texts = ["إيران", "«مجلس الأمن»", "إيران -كرة", "الأردن", "iPhone", "السعودية", "دبي -Apple"]
    rules = [(n, parse_rule(t)) for n, t in enumerate(texts)]
    index = RuleIndex(rules)
    for article in (SECURITY_COUNCIL, FOOTBALL, MIXED):
        assert index.match(article) == [n for n, rule in rules if rule.matches(article)]
    assert len(index) == len(texts)


WORDS = ["إيران", "العراق", "الأمن", "مجلس", "النووي", "كرة", "الأردن", "دبي", "Apple", "العالم"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
            st.lists(st.sampled_from(WORDS), max_size=2),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_index_and_direct_checks_agree(specs: list[tuple[list[str], list[str]]]) -> None:
    rules = []
    for n, (words, minus) in enumerate(specs):
        rules.append((n, parse_rule(" ".join(words + [f"-{m}" for m in minus if m not in words]))))
    index = RuleIndex(rules)
    for article in (SECURITY_COUNCIL, FOOTBALL, MIXED):
        assert index.match(article) == [n for n, rule in rules if rule.matches(article)]
