"""Arabic search: queries into index terms, and snippets with the matches marked.

Pure. Titles and texts are indexed as ``text.stems.index_keys()`` — the matching keys of
their words, stop words left out — and queries go through ``text.stems.terms()``, so ايران،
إيران، الإيرانية and لإيران find the same articles (docs/search.md says which forms meet).
Words in quotes («…», “…” or "…") are searched as an exact phrase (of keys). The store
runs the query on SQLite FTS5 (or PostgreSQL full-text search); no user text ever reaches the
FTS syntax: every term is a quoted run of letters and digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from digests.errors import NewsdigestError
from digests.text.arabic import normalise, split_sentences, tokenize
from digests.text.stems import index_keys, is_stopword, terms, variants

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_QUERY_TERMS",
    "Query",
    "QueryError",
    "SearchFilters",
    "SearchHit",
    "SearchPage",
    "Snippet",
    "index_terms",
    "make_snippet",
    "marks_in",
    "parse_query",
]

MAX_QUERY_CHARS = 300
MAX_QUERY_TERMS = 12

_QUOTED = re.compile(r"«([^»]*)»|“([^”]*)”|\"([^\"]*)\"")
_WORD = re.compile(r"[^\W_]+")


class QueryError(NewsdigestError):
    """A query that cannot be searched; ``reason`` is empty, stopwords_only or too_long."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: groups of keys, each a single word or an exact phrase.

    ``alternatives`` gives a single word's other keys (``text.stems.variants``: وزيلينسكي
    is also searched as زيلينسكي); an article matches the word with any of them.
    """

    groups: tuple[tuple[str, ...], ...]
    alternatives: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def stems(self) -> frozenset[str]:
        """Every key the query looks for (to mark matches)."""
        extra = (key for _, keys in self.alternatives for key in keys)
        return frozenset((*(s for group in self.groups for s in group), *extra))

    def choices(self) -> tuple[tuple[str, ...], ...]:
        """Per group, what an article may have to match it: the word's keys (any one), or
        the phrase's keys joined by spaces."""
        return tuple(self._choices(group) for group in self.groups)

    def _choices(self, group: tuple[str, ...]) -> tuple[str, ...]:
        if len(group) == 1:
            for key, keys in self.alternatives:
                if key == group[0]:
                    return (key, *keys)
        return (" ".join(group),)

    def fts5(self, *, any_term: bool = False) -> str:
        """The FTS5 MATCH expression: every group quoted, joined by AND (or OR)."""
        joiner = " OR " if any_term else " AND "
        return joiner.join(
            "(" + " OR ".join(f'"{c}"' for c in self._choices(group)) + ")" for group in self.groups
        )

    def tsquery(self, *, any_term: bool = False) -> str:
        """The PostgreSQL to_tsquery('simple', …) expression for the same search."""
        joiner = " | " if any_term else " & "
        return joiner.join(
            "(" + " | ".join(c.replace(" ", " <-> ") for c in self._choices(group)) + ")"
            for group in self.groups
        )


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Optional filters: a topic slug, a source name, a published-date range (UTC)."""

    topic: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Snippet:
    """A passage of display text and the (start, end) spans of the words that matched."""

    text: str
    marks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result: the article's headline, source, date, URL and a snippet."""

    article_id: int
    title: str
    source: str
    url: str
    published_at: datetime
    snippet: Snippet
    title_marks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results; ``page`` starts at 1. ``total`` counts the matches up to the
    ranking depth (``store.search.RANKED``); ``more`` says there are more than ``total``."""

    query: str
    hits: tuple[SearchHit, ...]
    total: int
    page: int
    per_page: int
    broadened: bool = False  # no article had every word: results match any of them
    more: bool = False
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, -(-self.total // self.per_page)))


def parse_query(text: str) -> Query:
    """Parse a user's query; raises ``QueryError`` for an empty, stop-word-only or long query."""
    stripped = text.strip()
    if len(stripped) > MAX_QUERY_CHARS:
        raise QueryError(
            "too_long", f"the query is {len(stripped)} characters; at most {MAX_QUERY_CHARS}"
        )
    groups: list[tuple[str, ...]] = []
    for match in _QUOTED.finditer(stripped):
        phrase = tuple(terms(next(g for g in match.groups() if g is not None)))
        if phrase:
            groups.append(phrase)
    rest = _QUOTED.sub(" ", stripped)
    seen = {s for group in groups for s in group}
    alternatives: dict[str, tuple[str, ...]] = {}
    for token in tokenize(rest):
        keys = [] if len(token) < 2 or is_stopword(token) else variants(token)
        if keys and keys[0] not in seen:
            seen.add(keys[0])
            groups.append((keys[0],))
            if len(keys) > 1:
                alternatives[keys[0]] = tuple(keys[1:])
    if not groups:
        if not _WORD.search(stripped):
            raise QueryError("empty", "the query has no words to search for")
        raise QueryError("stopwords_only", "the query has only common words such as في or من")
    kept = tuple(groups[:MAX_QUERY_TERMS])
    return Query(kept, tuple((g[0], alternatives[g[0]]) for g in kept if g[0] in alternatives))


def index_terms(text: str) -> str:
    """The text an index stores for ``text``: its keys separated by spaces
    (``text.stems.index_keys``)."""
    return " ".join(index_keys(text))


def marks_in(text: str, stems: frozenset[str]) -> tuple[tuple[int, int], ...]:
    """Spans of the words of ``text`` whose stem is one of ``stems``."""
    spans = []
    for match in _WORD.finditer(text):
        tokens = tokenize(match.group())
        if tokens and not stems.isdisjoint(variants(tokens[0])):
            spans.append((match.start(), match.end()))
    return tuple(spans)


def make_snippet(text: str, query: Query, *, width: int = 220) -> Snippet:
    """The sentence of ``text`` with the most query matches (the first one on ties), cut to
    about ``width`` characters at word boundaries around the first match, matches marked."""
    stems = query.stems
    best = ""
    best_marks: tuple[tuple[int, int], ...] = ()
    for sentence in split_sentences(text)[:200]:
        folded = normalise(sentence)
        if not any(s in folded for s in stems):
            continue  # a stem is a substring of every word that has it: cheap pre-filter
        found = marks_in(sentence, stems)
        if len({sentence[a:b] for a, b in found}) > len({best[a:b] for a, b in best_marks}):
            best, best_marks = sentence, found
    if not best:
        first = (split_sentences(text) or [text.strip()])[0]
        return Snippet(_cut(first, 0, width)[0])
    start = best_marks[0][0] if best_marks else 0
    cut, offset = _cut(best, start, width)
    marks = tuple(
        (a - offset, b - offset) for a, b in best_marks if a >= offset and b - offset <= len(cut)
    )
    return Snippet(cut, marks)


def _cut(sentence: str, focus: int, width: int) -> tuple[str, int]:
    """``sentence`` cut to about ``width`` characters around ``focus`` at word boundaries;
    returns the passage (with … where it was cut) and the offset of its first character."""
    if len(sentence) <= width:
        return sentence, 0
    begin = max(0, focus - width // 3)
    if begin:
        space = sentence.find(" ", begin)
        begin = space + 1 if 0 <= space < focus else begin
    end = min(len(sentence), begin + width)
    if end < len(sentence):
        space = sentence.rfind(" ", begin, end)
        end = space if space > begin else end
    prefix = "…" if begin else ""
    suffix = "…" if end < len(sentence) else ""
    return prefix + sentence[begin:end] + suffix, begin - len(prefix)
