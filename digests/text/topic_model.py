"""How sure the tagger is that a topic belongs on an article: the evidence and the model.

Pure. The tagger (``text.tagger``) scores every topic the article's words name; most of those
are passing mentions (a country in the last paragraph, "war" as a figure of speech), and a
reader who follows that topic does not want the article. This module turns the evidence for
one topic into the probability that a reader would call it correct:

* where the topic is named: names and keywords in the title, in the text, how early
  (``first``), and whether the score only flowed up from a child topic (``inherited``);
* how it compares with the article's other topics: its share of the best topic's weight, its
  rank overall and among topics of its kind (the second country of a story is often only
  its background);
* the topic's kind (country, city, organisation, person, theme).

The weights are a logistic regression learned by ``bench/train_topics.py`` from 300 ANT
articles whose correct topics were labelled by hand (``tests/data/topic_labels.jsonl``);
they live in the generated ``text.topic_weights``. ``THRESHOLD`` there is the confidence a
topic needs to be assigned, chosen for a precision of at least 0.9 on held-out articles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from digests.text.topic_weights import THRESHOLD, WEIGHTS

__all__ = ["FEATURES", "KINDS", "THRESHOLD", "Evidence", "confidences", "features"]

KINDS = ("country", "city", "organisation", "person", "theme")
FEATURES = (
    "title_names",
    "title_keywords",
    "text_names",
    "text_keywords",
    "relative_weight",
    "log_score",
    "in_lead",
    "log_first",
    "first_of_kind",
    "kind_share",
    "inherited",
    "inverse_rank",
    *(f"kind_{kind}" for kind in KINDS),
    "intercept",
)
_LEAD = 40  # tokens
_FAR = 2000  # tokens: a first mention later than this counts as this late


@dataclass(slots=True)
class Evidence:
    """What the article says about one topic (counts of phrase matches, not weights).

    ``score`` is the tagger's score (``Tagger.tag``'s, before the weight transform);
    ``first`` is the token position of the first match in the text, ``None`` when the text
    never names it.
    """

    kind: str
    score: float = 0.0
    title_names: int = 0
    title_keywords: int = 0
    text_names: int = 0
    text_keywords: int = 0
    first: int | None = None

    @property
    def inherited(self) -> bool:
        """Whether the score came only from child topics (no match of the topic's own)."""
        return not (
            self.title_names or self.title_keywords or self.text_names or self.text_keywords
        )


def _weight(score: float) -> float:
    return 1.0 - math.exp(-score / 4.0)


def features(found: Sequence[Evidence]) -> list[list[float]]:
    """The feature rows of an article's scored topics, in ``FEATURES`` order.

    ``found`` must be sorted strongest first (by score) and hold every topic with a score.
    """
    if not found:
        return []
    weights = [_weight(e.score) for e in found]
    best = weights[0] or 1.0
    kind_totals: dict[str, float] = {}
    kind_seen: dict[str, int] = {}
    for evidence, weight in zip(found, weights, strict=True):
        kind_totals[evidence.kind] = kind_totals.get(evidence.kind, 0.0) + weight
    rows = []
    for rank, (e, weight) in enumerate(zip(found, weights, strict=True)):
        first = _FAR if e.first is None else min(e.first, _FAR)
        order_in_kind = kind_seen.get(e.kind, 0)
        kind_seen[e.kind] = order_in_kind + 1
        rows.append(
            [
                math.log1p(e.title_names),
                math.log1p(e.title_keywords),
                math.log1p(e.text_names),
                math.log1p(e.text_keywords),
                weight / best,
                math.log1p(e.score),
                float(first < _LEAD),
                math.log1p(first) / 8.0,
                float(order_in_kind == 0),
                weight / (kind_totals[e.kind] or 1.0),
                float(e.inherited),
                1.0 / (1.0 + rank),
                *(float(e.kind == kind) for kind in KINDS),
                1.0,
            ]
        )
    return rows


def confidences(found: Sequence[Evidence], weights: dict[str, float] = WEIGHTS) -> list[float]:
    """The probability that each topic of ``found`` (strongest first) is correct."""
    vector = [weights.get(name, 0.0) for name in FEATURES]
    out = []
    for row in features(found):
        z = sum(w * x for w, x in zip(vector, row, strict=True))
        out.append(1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0))))
    return out
