"""Keyword rules: what subscribers' alerts and destinations' ``keywords`` look for.

Pure. A rule is written as a search is (docs/search.md), with one more sign:

* words: every one must be in the article (any form the matching layer joins: إيران finds
  الإيرانية and لإيران);
* a "quoted phrase" («…», “…” or "…"): its words in that order, next to each other;
* ``-word`` or ``-"phrase"``: the article must not have it.

Stop words are left out, as in search. No regular expression or wildcard is ever taken from
a user: a rule is keys, and matching is set look-ups.

``RuleIndex`` matches an article against many rules at a cost that does not grow with their
number: each rule is filed under the rarest of its words (by the lexicon's counts), so an
article only looks at the rules filed under one of its own keys and checks those in full.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from digests.errors import NewsdigestError
from digests.text.arabic import tokenize
from digests.text.stems import index_keys, is_stopword, lexicon, terms, variants

__all__ = [
    "MAX_RULE_CHARS",
    "MAX_RULE_TERMS",
    "ArticleKeys",
    "Rule",
    "RuleError",
    "RuleIndex",
    "Term",
    "parse_rule",
]

MAX_RULE_CHARS = 200
MAX_RULE_TERMS = 8

_PIECE = re.compile(r"""(-?)(?:«([^»]*)»|“([^”]*)”|"([^"]*)"|([^\s"«“]+))""")
_MINUS = str.maketrans({"−": "-", "–": "-", "—": "-"})


class RuleError(NewsdigestError):
    """A rule that cannot be used; ``reason`` is empty, only_excluded, too_long or too_many."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Term:
    """One word or phrase of a rule: the key runs that match it (a word: each of its keys;
    a phrase: the run of its words' keys)."""

    choices: tuple[tuple[str, ...], ...]
    singles: frozenset[str] = field(init=False, repr=False, compare=False)
    runs: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        singles = frozenset(run[0] for run in self.choices if len(run) == 1)
        object.__setattr__(self, "singles", singles)
        object.__setattr__(self, "runs", tuple(run for run in self.choices if len(run) > 1))

    def found_in(self, article: ArticleKeys) -> bool:
        """Whether ``article`` has one of the choices (a phrase: as adjacent keys)."""
        keys = article.keys
        if not self.singles.isdisjoint(keys):
            return True
        return any(
            keys.issuperset(run) and (_has_run(article.title, run) or _has_run(article.body, run))
            for run in self.runs
        )


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed rule: ``text`` as written (white space tidied), what it requires, what it
    excludes."""

    text: str
    required: tuple[Term, ...]
    excluded: tuple[Term, ...] = ()

    @property
    def identity(self) -> str:
        """The same for two rules that always match the same articles (إيران and ايران):
        used to refuse a duplicate."""
        required = sorted("+" + "|".join(" ".join(c) for c in t.choices) for t in self.required)
        excluded = sorted("-" + "|".join(" ".join(c) for c in t.choices) for t in self.excluded)
        return " ".join(required + excluded)

    def matches(self, article: ArticleKeys) -> bool:
        """Whether ``article`` has every required term and none of the excluded ones."""
        return all(t.found_in(article) for t in self.required) and not any(
            t.found_in(article) for t in self.excluded
        )


@dataclass(frozen=True, slots=True)
class ArticleKeys:
    """An article as rules see it: its title's and body's keys in order, and all of them."""

    title: tuple[str, ...]
    body: tuple[str, ...]
    keys: frozenset[str]

    @classmethod
    def of(cls, title_keys: Sequence[str], body_keys: Sequence[str]) -> ArticleKeys:
        """From keys already made (the search index stores them: ``text.query.index_terms``)."""
        return cls(
            tuple(title_keys), tuple(body_keys), frozenset(title_keys) | frozenset(body_keys)
        )

    @classmethod
    def from_text(cls, title: str, text: str) -> ArticleKeys:
        """From an article's title and text."""
        return cls.of(index_keys(title), index_keys(text))


def parse_rule(text: str) -> Rule:
    """Parse a rule written as the module doc says; raises ``RuleError`` with the reason."""
    written = " ".join(text.translate(_MINUS).split())
    if len(written) > MAX_RULE_CHARS:
        raise RuleError(
            "too_long", f"the rule is {len(written)} characters; at most {MAX_RULE_CHARS}"
        )
    required: list[Term] = []
    excluded: list[Term] = []
    for match in _PIECE.finditer(written):
        minus, *quoted, word = match.groups()
        phrase = next((q for q in quoted if q is not None), None)
        term = _phrase(phrase) if phrase is not None else _word(word or "")
        if term is None:
            continue
        target = excluded if minus else required
        if term not in target:
            target.append(term)
    if len(required) + len(excluded) > MAX_RULE_TERMS:
        raise RuleError(
            "too_many",
            f"the rule has {len(required) + len(excluded)} words; at most {MAX_RULE_TERMS}",
        )
    if not required:
        if excluded:
            raise RuleError("only_excluded", "a rule needs a word to look for, not only - words")
        raise RuleError("empty", "the rule has no words to look for (only common words or none)")
    return Rule(written, tuple(required), tuple(excluded))


def _word(word: str) -> Term | None:
    tokens = [t for t in tokenize(word) if len(t) > 1 and not is_stopword(t)]
    if not tokens:
        return None
    if len(tokens) > 1:  # "ب-52", "كوفيد19": the parts in a row
        return Term((tuple(terms(" ".join(tokens))),))
    return Term(tuple((key,) for key in variants(tokens[0])))


def _phrase(phrase: str) -> Term | None:
    keys = tuple(terms(phrase))
    if len(keys) != 1:
        return Term((keys,)) if keys else None
    return _word(phrase)  # one word in quotes is that word


def _has_run(keys: Sequence[str], run: Sequence[str]) -> bool:
    first, size = run[0], len(run)
    start = 0
    while True:
        try:
            at = keys.index(first, start)
        except ValueError:
            return False
        if tuple(keys[at : at + size]) == tuple(run):
            return True
        start = at + 1


K = TypeVar("K", bound=Hashable)


class RuleIndex(Generic[K]):
    """Many rules, each under a key (an alert id), matched against articles (module doc)."""

    __slots__ = ("_anchors", "_order", "_rules", "_whole")

    def __init__(self, rules: Iterable[tuple[K, Rule]] = ()) -> None:
        self._rules: dict[K, Rule] = {}
        self._order: dict[K, int] = {}
        self._anchors: dict[str, list[K]] = {}
        self._whole: set[K] = set()  # rules that are their anchor word alone: no check needed
        for key, rule in rules:
            self.add(key, rule)

    def __len__(self) -> int:
        return len(self._rules)

    def add(self, key: K, rule: Rule) -> None:
        """File ``rule`` under ``key`` (a key added twice keeps its first rule)."""
        if key in self._rules:
            return
        self._rules[key] = rule
        self._order[key] = len(self._order)
        anchor = min(rule.required, key=_commonness)
        for run in anchor.choices:
            self._anchors.setdefault(min(run, key=_count), []).append(key)
        if len(rule.required) == 1 and not rule.excluded and not anchor.runs:
            self._whole.add(key)

    def match(self, article: ArticleKeys) -> list[K]:
        """The keys of the rules ``article`` matches, in the order they were added."""
        anchors, rules, whole = self._anchors, self._rules, self._whole
        seen: set[K] = set()
        found: list[K] = []
        for key in article.keys & anchors.keys():
            for candidate in anchors[key]:
                if candidate not in seen:
                    seen.add(candidate)
                    if candidate in whole or rules[candidate].matches(article):
                        found.append(candidate)
        return sorted(found, key=self._order.__getitem__) if len(found) > 1 else found


def _count(key: str) -> int:
    """How common a key is (its count as a word form in the lexicon; unknown: rare)."""
    return lexicon().get(key, 0)


def _commonness(term: Term) -> int:
    """How many articles a term may match at most, roughly: its commonest choice's rarest
    key (every choice must be looked at)."""
    return max(min(_count(k) for k in run) for run in term.choices)
