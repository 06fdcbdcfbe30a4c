"""Extractive summaries of Arabic news articles: whole sentences, in article order.

Pure, deterministic and offline: no I/O, no clock, no model download, no randomness. The same
title and text always give the same ``Summary``.

How a summary is made (measurements in ``docs/summariser.md``):

1. **Sentences, not lines** (``text.candidates``): headings, related-story titles, captions
   and boilerplate are never summary sentences and never join one; datelines are removed.
2. **The opening sentence** is the best by the learned ``OPENING`` model (position, overlap
   with the headline, length, centrality, questions, quotations …, weighed from the BBC
   development set, see ``text.summary_model``). A sentence that points back («وقال إن…»,
   «بهذا العنوان…») only comes with the sentence before it, so with a one-sentence budget it
   is never chosen.
3. **More sentences only when they add**: the ``EXTENSION`` model predicts what one more
   sentence would add; the summary grows while that is positive and the limits allow.
   ``max_sentences`` and ``max_chars`` are maxima, never targets: most news needs one
   sentence.
4. **Never a lesser sentence for want of room, never a cut word**: when the best opening does
   not fit ``max_chars`` and nothing that fits is nearly as good, it is shortened at a clause
   boundary (a comma), else at a word boundary, and marked with "…" (``method="truncated"``).

Contract of ``summarise``: sentences come out in article order; at most ``max_sentences``
sentences and ``max_chars`` characters (sentences joined by one space). A short article whose
usable sentences all fit is returned whole (``method="article"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from digests.text.candidates import Candidate, candidates
from digests.text.summary_model import (
    EXTENSION_FEATURES,
    OPENING_FEATURES,
    Linear,
    extension_features,
    heading_terms,
    opening_features,
)
from digests.text.summary_weights import EXTENSION, OPENING

__all__ = [
    "EXTENSION_REACH",
    "Summariser",
    "Summary",
    "article_sentences",
    "lead",
    "rank_sentences",
    "shorten_sentence",
    "summarise",
]

ELLIPSIS = "…"
# A shorter opening that fits is taken over cutting the best one when the model gives it at
# least this share of the best one's probability.
_NEARLY_AS_GOOD = 0.5
_CLAUSE_MARKS = "،,؛;"
# How far into the article further sentences are looked for (the later ones never add).
EXTENSION_REACH = 8


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary: whole sentences in article order, and how they were obtained.

    ``method`` is one of ``extractive`` (chosen sentences), ``article`` (the article was short
    enough to be its own summary), ``lead`` (the first sentence that stands alone),
    ``truncated`` (the best sentence was shortened to fit, see ``fallback_reason``), ``empty``
    (no text) or ``llm`` (written by the optional language-model backend).
    ``fallback_reason`` is set when a preferred method gave way to another.
    """

    sentences: tuple[str, ...]
    method: str
    fallback_reason: str | None = None

    @property
    def text(self) -> str:
        """The sentences joined by single spaces."""
        return " ".join(self.sentences)


def article_sentences(text: str) -> list[str]:
    """The sentences the summariser chooses from, in article order (headings, boilerplate and
    repeats left out, datelines removed); also the unit of the lead baseline."""
    return [c.text for c in candidates(text)]


class Summariser:
    """Summaries with a given pair of learned models (``OPENING`` and ``EXTENSION`` weights).

    The module functions use the shipped weights; evaluations pass the weights trained on
    the other folds of a cross-validation.
    """

    def __init__(
        self,
        opening: Mapping[str, float] = OPENING,
        extension: Mapping[str, float] = EXTENSION,
    ) -> None:
        self._opening = Linear(opening, OPENING_FEATURES)
        self._extension = Linear(extension, EXTENSION_FEATURES)

    def rank(self, title: str | None, text: str) -> list[str]:
        """Every sentence of ``article_sentences``, by the opening model's score, best first."""
        found = candidates(text)
        scores = self._scores(heading_terms(title, found), found)
        return [found[i].text for i in sorted(range(len(found)), key=lambda i: (-scores[i], i))]

    def summarise(
        self,
        title: str | None,
        text: str,
        *,
        max_sentences: int | None = 3,
        max_chars: int | None = None,
    ) -> Summary:
        """Summarise an article with its best whole sentences (see the module docstring).

        ``title`` is the headline (``None`` when unknown); ``max_sentences=None`` and
        ``max_chars=None`` mean no limit of that kind.
        """
        found = candidates(text)
        if not found:
            return Summary(sentences=(), method="empty")
        sentence_limit = len(found) if max_sentences is None else max(0, max_sentences)
        char_limit = math.inf if max_chars is None else max(0, max_chars)
        if sentence_limit == 0 or char_limit == 0:
            return Summary(sentences=(), method="empty", fallback_reason="the limits leave no room")
        whole = [c.text for c in found]
        if len(whole) <= sentence_limit and len(" ".join(whole)) <= char_limit:
            return Summary(sentences=tuple(whole), method="article")

        heading = heading_terms(title, found)
        scores = self._scores(heading, found)
        openings = _openings(found, scores, sentence_limit)
        best = openings[0]
        fitting = [unit for unit in openings if _length(unit) <= char_limit]
        if not fitting or _share(scores, fitting[0], best) < _NEARLY_AS_GOOD:
            cut = shorten_sentence(best[0].text, int(char_limit))
            return Summary(
                sentences=(cut,) if cut else (),
                method="truncated",
                fallback_reason=f"the best sentence does not fit in {int(char_limit)} characters",
            )
        chosen = list(fitting[0])
        while len(chosen) < sentence_limit:
            addition = self._best_addition(found, chosen, scores, heading, char_limit)
            if addition is None:
                break
            chosen.append(addition)
        return Summary(tuple(c.text for c in sorted(chosen, key=_order)), method="extractive")

    def _scores(self, heading: frozenset[str], found: Sequence[Candidate]) -> list[float]:
        return [self._opening(row) for row in opening_features(heading, found)]

    def _best_addition(
        self,
        found: Sequence[Candidate],
        chosen: list[Candidate],
        scores: Sequence[float],
        heading: frozenset[str],
        char_limit: float,
    ) -> Candidate | None:
        """The sentence whose addition the extension model expects to help most, if any."""
        orders = {c.order for c in chosen}
        room = char_limit - _length(chosen) - 1
        best: tuple[float, int, Candidate] | None = None
        for c in found[:EXTENSION_REACH]:
            if c.order in orders or len(c.text) > room:
                continue
            if c.points_back and c.order - 1 not in orders:
                continue
            gain = self._extension(extension_features(chosen, c, scores[c.order], heading))
            if gain > 0 and (best is None or (gain, -c.order) > (best[0], -best[1])):
                best = (gain, c.order, c)
        return best[2] if best else None


_DEFAULT = Summariser()


def lead(title: str | None, text: str, max_chars: int = 280) -> Summary:
    """A one-line lead: the article's first sentence that stands on its own, shortened at a
    clause or word boundary (with "…") if it is longer than ``max_chars``. No text gives the
    ``title`` (if any) as the lead."""
    found = [c for c in candidates(text) if not c.points_back]
    if not found:
        if title and title.strip():
            return lead(None, title, max_chars)
        return Summary(sentences=(), method="empty")
    first = found[0].text
    if len(first) <= max_chars:
        return Summary(sentences=(first,), method="lead")
    return Summary(
        sentences=(shorten_sentence(first, max_chars),),
        method="truncated",
        fallback_reason=f"the lead sentence is longer than {max_chars} characters",
    )


def rank_sentences(title: str | None, text: str) -> list[str]:
    """Every sentence of ``article_sentences``, by the opening model's score, best first."""
    return _DEFAULT.rank(title, text)


def summarise(
    title: str | None,
    text: str,
    *,
    max_sentences: int | None = 3,
    max_chars: int | None = None,
) -> Summary:
    """``Summariser.summarise`` with the shipped weights."""
    return _DEFAULT.summarise(title, text, max_sentences=max_sentences, max_chars=max_chars)


def _openings(
    found: Sequence[Candidate], scores: Sequence[float], sentence_limit: int
) -> list[tuple[Candidate, ...]]:
    """The ways a summary may open, best first: a sentence that stands alone, or one that
    points back together with the sentence before it (when two sentences are allowed)."""
    units: list[tuple[float, int, tuple[Candidate, ...]]] = []
    for c in found:
        if not c.points_back:
            units.append((scores[c.order], c.order, (c,)))
        elif sentence_limit >= 2 and not found[c.order - 1].points_back:
            units.append((scores[c.order], c.order, (found[c.order - 1], c)))
    units.sort(key=lambda u: (-u[0], u[1]))
    return [unit for _, _, unit in units]


def _share(scores: Sequence[float], unit: Sequence[Candidate], best: Sequence[Candidate]) -> float:
    """How likely the opening model finds ``unit`` compared with ``best`` (1: as likely)."""
    return math.exp(min(0.0, scores[unit[-1].order] - scores[best[-1].order]))


def _length(unit: Sequence[Candidate]) -> int:
    return sum(len(c.text) for c in unit) + max(0, len(unit) - 1)


def _order(c: Candidate) -> int:
    return c.order


# --------------------------------------------------------------------------- shortening


def shorten_sentence(sentence: str, max_chars: int) -> str:
    """``sentence`` in at most ``max_chars`` characters: whole if it fits, else cut at the last
    clause boundary (a comma) that keeps at least half the room, else at the last word
    boundary, and ended with "…". Never cuts a word; "" when not even "…" fits."""
    if len(sentence) <= max_chars:
        return sentence
    room = max_chars - len(ELLIPSIS)
    if room <= 0:
        return ELLIPSIS if max_chars >= len(ELLIPSIS) else ""
    head = sentence[: room + 1]
    clause = max(head.rfind(mark) for mark in _CLAUSE_MARKS)
    if clause >= room // 2:
        cut = head[:clause]
    else:
        space = head.rfind(" ")
        cut = head[:space] if space > 0 else ""
    cut = cut.rstrip(" ،,؛;:-–—")
    return cut + ELLIPSIS if cut else ELLIPSIS
