"""What the summariser knows about a sentence: its features, and the learned weights that turn
them into scores.

Pure and deterministic. Two linear models, trained by ``bench/train_summariser.py`` on the
BBC Arabic development set (journalists' own abstracts) and written to
``text.summary_weights``:

* ``OPENING`` scores each sentence as the summary's first choice (a softmax over the
  article's sentences, trained to maximise the expected ROUGE-1 of the choice): position,
  length, overlap with the headline, centrality in the article, questions, quotations,
  whether the lead itself looks like a weak one.
* ``EXTENSION`` predicts what adding one more sentence to the summary so far would gain
  (positive: add it). Budgets are maxima: most news needs one sentence.

``features`` and ``extension_features`` are the single definition used both here and by the
training script, so the model always sees at run time what it was trained on.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import chain

from digests.text.candidates import Candidate
from digests.text.stems import terms

__all__ = [
    "EXTENSION_FEATURES",
    "OPENING_FEATURES",
    "Linear",
    "extension_features",
    "linear",
    "opening_features",
]

OPENING_FEATURES: tuple[str, ...] = (
    "first",
    "second",
    "third",
    "log_order",
    "first_in_paragraph",
    "log_words",
    "short",
    "title_cosine",
    "title_coverage",
    "title_precision",
    "centrality",
    "lead_similarity",
    "question",
    "quoted",
    "colon",
    "conjunction",
    "points_back",
    "lead_short",
    "lead_title_cosine",
)

EXTENSION_FEATURES: tuple[str, ...] = (
    "bias",
    "log_words_so_far",
    "log_words",
    "next_in_order",
    "log_order",
    "opening_score",
    "redundancy",
    "title_cosine",
    "question",
    "quoted",
    "completes",
)


class Linear:
    """A linear model over named features: ``weights · values + weights["intercept"]`` (a
    feature without a weight counts 0). Built once per weight table; cheap to call."""

    __slots__ = ("_intercept", "_weights")

    def __init__(self, weights: Mapping[str, float], names: Sequence[str]) -> None:
        self._weights = tuple(weights.get(name, 0.0) for name in names)
        self._intercept = weights.get("intercept", 0.0)

    def __call__(self, values: Sequence[float]) -> float:
        return self._intercept + float(sum(map(operator.mul, self._weights, values)))


def linear(weights: Mapping[str, float], values: Sequence[float], names: Sequence[str]) -> float:
    """``Linear(weights, names)(values)``, for a single use."""
    return Linear(weights, names)(values)


def _cosine(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def _title_terms(title: str | None, found: Sequence[Candidate]) -> frozenset[str]:
    """The headline's terms; without a headline, the lead stands in for it."""
    if title and title.strip():
        return frozenset(terms(title))
    return found[0].terms if found else frozenset()


def opening_features(heading: frozenset[str], found: Sequence[Candidate]) -> list[list[float]]:
    """The ``OPENING_FEATURES`` of each candidate, in order; ``heading`` is
    ``heading_terms(title, found)``."""
    if not found:
        return []
    frequency = Counter(chain.from_iterable(c.terms for c in found))
    centrality = [
        (sum(map(frequency.__getitem__, c.terms)) - len(c.terms)) / math.sqrt(len(c.terms))
        if c.terms
        else 0.0
        for c in found
    ]
    top = max(centrality) or 1.0
    lead = found[0]
    lead_context = (float(len(lead.tokens) < 10), _cosine(heading, lead.terms))
    rows = []
    heading_size = len(heading)
    lead_terms = lead.terms
    for c, central in zip(found, centrality, strict=True):
        words = len(c.tokens)
        size = len(c.terms)
        shared = len(heading & c.terms) if size else 0
        later = c.order > 0
        rows.append(
            [
                float(c.order == 0),
                float(c.order == 1),
                float(c.order == 2),
                math.log1p(c.order),
                float(c.first_in_paragraph),
                math.log1p(words),
                float(words < 8),
                shared / math.sqrt(heading_size * size) if shared else 0.0,
                shared / heading_size if shared else 0.0,
                shared / size if shared else 0.0,
                central / top,
                _cosine(lead_terms, c.terms) if later else 0.0,
                float(c.question),
                float(c.quoted),
                float(c.colon),
                float(c.text[:1] in "وف" and len(c.tokens[0]) > 3),
                float(c.points_back),
                *(value if later else 0.0 for value in lead_context),
            ]
        )
    return rows


def extension_features(
    chosen: Sequence[Candidate],
    candidate: Candidate,
    opening_score: float,
    heading: frozenset[str],
) -> list[float]:
    """The ``EXTENSION_FEATURES`` of adding ``candidate`` to the sentences ``chosen`` so far."""
    so_far = sum(len(c.tokens) for c in chosen)
    last = max(c.order for c in chosen)
    redundancy = max((_cosine(candidate.terms, c.terms) for c in chosen), default=0.0)
    return [
        1.0,
        math.log1p(so_far),
        math.log1p(len(candidate.tokens)),
        float(candidate.order == last + 1),
        math.log1p(candidate.order),
        opening_score,
        redundancy,
        _cosine(heading, candidate.terms),
        float(candidate.question),
        float(candidate.quoted),
        float(any(c.question or c.colon for c in chosen) and candidate.order == last + 1),
    ]


def heading_terms(title: str | None, found: Sequence[Candidate]) -> frozenset[str]:
    """The terms the model compares sentences with (the headline's, else the lead's)."""
    return _title_terms(title, found)
