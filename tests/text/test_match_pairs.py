"""The matching layer against the gold pairs (tests/data/match_pairs.tsv, see its README).

Prints precision and recall of "these two forms meet" on the tuning half and the held-out
half. The floors below are today's held-out figures less a small margin: they catch a change
that makes matching worse; the targets and the figures are in docs/benchmarks.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from digests.text.arabic import normalise
from digests.text.stems import same_word

PAIRS = Path(__file__).parents[1] / "data" / "match_pairs.tsv"
SCORED = {"clitic", "noun_inflection", "nisba", "spelling", "nisba_drift", "different"}


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    same: bool
    relation: str
    split: str


def _pairs() -> list[Pair]:
    out = []
    for line in PAIRS.read_text("utf-8").splitlines():
        if line.startswith("#"):
            continue
        first, second, expected, relation, split = line.split("\t")
        out.append(Pair(first, second, expected == "same", relation, split))
    return out


def _score(pairs: list[Pair]) -> tuple[float, float, int, int]:
    """Precision and recall over pairs that differ once normalised (the rest meet by
    normalisation, by design), and how many of those were skipped (same, different)."""
    tp = fp = fn = 0
    for pair in pairs:
        if normalise(pair.first) == normalise(pair.second):
            continue
        meets = same_word(pair.first, pair.second)
        tp += meets and pair.same
        fp += meets and not pair.same
        fn += not meets and pair.same
    return (
        tp / (tp + fp),
        tp / (tp + fn),
        tp + fn,
        fp + sum(1 for p in pairs if not p.same and normalise(p.first) != normalise(p.second)) - fp,
    )


def test_the_gold_file_is_well_formed() -> None:
    pairs = _pairs()
    assert sum(p.same for p in pairs) >= 400 and sum(not p.same for p in pairs) >= 400
    assert {p.relation for p in pairs} <= SCORED
    assert {p.split for p in pairs} == {"tune", "test"}
    assert all(
        p.same == (p.relation in {"clitic", "noun_inflection", "nisba", "spelling"}) for p in pairs
    )
    assert len({frozenset((p.first, p.second)) for p in pairs}) == len(pairs)


@pytest.mark.parametrize(("split", "least_precision", "least_recall"), [("test", 0.92, 0.915)])
def test_precision_and_recall_on_held_out_pairs(
    split: str, least_precision: float, least_recall: float
) -> None:
    pairs = [p for p in _pairs() if p.split == split]
    precision, recall, same, different = _score(pairs)
    print(f"\n{split}: precision {precision:.3f} recall {recall:.3f}", end=" ")
    print(f"({same} pairs that must meet, {different} that must not)")
    assert precision >= least_precision
    assert recall >= least_recall


def test_what_the_tuning_half_says() -> None:
    precision, recall, _, _ = _score([p for p in _pairs() if p.split == "tune"])
    print(f"\ntune: precision {precision:.3f} recall {recall:.3f}")
    assert precision > 0.9 and recall > 0.9
