"""Train the summariser's two linear models on the BBC Arabic development set, and write them.

Run from the repository root::

    .venv/bin/python -m bench.train_summariser            # train on all of bbc-dev, write
    .venv/bin/python -m bench.train_summariser --check    # train, compare with the shipped file

Data: ``../shared/eval-data/bbc-dev/bbc_dev.jsonl.gz`` (1,000 BBC Arabic articles of 2018,
each with the abstract its journalist wrote). Nothing else is trained on: EASC and any other
set are only ever evaluated (``bench/eval_summaries.py``), and the figures reported for
bbc-dev itself are 5-fold cross-validated (``cross_validated_models``).

The models (``digests/text/summary_model.py``):

* **opening**: a linear score per sentence, trained as a softmax over each article's
  sentences to maximise the expected ROUGE-1 F1 of the chosen sentence against the abstract
  (gradient ascent, L2, deterministic). Features are standardised while training; the
  written weights are on the raw features.
* **extension**: a ridge regression of the ROUGE-1 gain of adding one more sentence to the
  summary so far, on the situations the opening model leads to (its own first choice, then
  one more step).

Training is deterministic: the same data give the same file.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.rouge_tokens import recipe_tokens
from digests.text.candidates import Candidate, candidates
from digests.text.summarise import EXTENSION_REACH, Summariser
from digests.text.summary_model import (
    EXTENSION_FEATURES,
    OPENING_FEATURES,
    extension_features,
    heading_terms,
    linear,
    opening_features,
)

ROOT = Path(__file__).resolve().parents[1]
EVAL_DATA = ROOT.parent / "shared" / "eval-data"
BBC_DEV = EVAL_DATA / "bbc-dev" / "bbc_dev.jsonl.gz"
WEIGHTS_FILE = ROOT / "digests" / "text" / "summary_weights.py"
FOLDS = 5
SHIFTS = (0.0, -0.01, -0.02, -0.03, -0.05, -0.1)  # extension bias shifts tried (see tune_bias)
SEED_ORDER = 7  # which articles go to which fold: a fixed permutation (see folds())


@dataclass(frozen=True)
class Example:
    """One article with everything training needs, computed once."""

    id: str
    title: str
    text: str
    abstract: Counter[str]
    found: tuple[Candidate, ...]
    features: np.ndarray  # opening features, one row per candidate
    gains: np.ndarray  # ROUGE-1 F1 of each candidate alone


def rouge1(reference: Counter[str], tokens: Sequence[str]) -> float:
    """ROUGE-1 F1 over the Arabic recipe's tokens (``bench.rouge_tokens``), as rouge-score gives."""
    if not reference or not tokens:
        return 0.0
    overlap = sum((Counter(tokens) & reference).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / len(tokens), overlap / sum(reference.values())
    return 2 * precision * recall / (precision + recall)


def load_bbc() -> list[dict[str, str]]:
    if not BBC_DEV.is_file():
        sys.exit(
            f"bbc-dev not found at {BBC_DEV}.\nThis reads ../shared/eval-data relative to the "
            "repository root (see that folder's README); nothing is downloaded."
        )
    with gzip.open(BBC_DEV, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def examples(rows: Sequence[dict[str, str]]) -> list[Example]:
    out = []
    for row in rows:
        found = tuple(candidates(row["text"]))
        if not found:
            continue
        reference = Counter(recipe_tokens(row["abstract"]))
        out.append(
            Example(
                id=row["id"],
                title=row["title"],
                text=row["text"],
                abstract=reference,
                found=found,
                features=np.array(
                    opening_features(heading_terms(row["title"], found), found), dtype=float
                ),
                gains=np.array([rouge1(reference, recipe_tokens(c.text)) for c in found]),
            )
        )
    return out


def folds(items: Sequence[Example], k: int = FOLDS) -> list[list[int]]:
    """``k`` folds of article indices, by a fixed permutation (articles of one day and topic
    are not grouped: the set mixes 2018 evenly)."""
    order = sorted(range(len(items)), key=lambda i: (hash_id(items[i].id), i))
    return [order[f::k] for f in range(k)]


def hash_id(text: str) -> int:
    """A stable hash (Python's own is salted per process)."""
    value = SEED_ORDER
    for char in text:
        value = (value * 1_000_003 + ord(char)) % (1 << 61)
    return value


# --------------------------------------------------------------------------- opening model


def train_opening(
    items: Sequence[Example], *, l2: float = 1e-3, steps: int = 600, rate: float = 1.0
) -> dict[str, float]:
    """Weights maximising the mean expected ROUGE-1 of a softmax choice per article."""
    matrix = np.vstack([e.features for e in items])
    mean, scale = matrix.mean(axis=0), matrix.std(axis=0)
    scale[scale == 0] = 1.0
    standard = [(e.features - mean) / scale for e in items]
    gains = [e.gains for e in items]
    w = np.zeros(matrix.shape[1])
    for _ in range(steps):
        gradient = np.zeros_like(w)
        for z, y in zip(standard, gains, strict=True):
            logits = z @ w
            p = np.exp(logits - logits.max())
            p /= p.sum()
            gradient += z.T @ (p * (y - p @ y))
        w += rate * (gradient / len(standard) - l2 * w)
    raw = w / scale
    weights = {name: float(v) for name, v in zip(OPENING_FEATURES, raw, strict=True)}
    weights["intercept"] = float(-(raw * mean).sum())
    return weights


def opening_scores(weights: dict[str, float], example: Example) -> list[float]:
    return [linear(weights, row, OPENING_FEATURES) for row in example.features.tolist()]


def first_choice(weights: dict[str, float], example: Example) -> int:
    """The index the summariser opens with at one sentence (no sentence that points back)."""
    scores = opening_scores(weights, example)
    usable = [i for i, c in enumerate(example.found) if not c.points_back] or [0]
    return max(usable, key=lambda i: (scores[i], -i))


# --------------------------------------------------------------------------- extension model


def extension_rows(
    weights: dict[str, float], example: Example, steps: int = 2
) -> tuple[list[list[float]], list[float]]:
    """Features and true ROUGE gains of adding each possible next sentence, along the path
    the models take (first choice, then the best true addition)."""
    scores = opening_scores(weights, example)
    heading = heading_terms(example.title, example.found)
    chosen = [example.found[first_choice(weights, example)]]
    rows: list[list[float]] = []
    gains: list[float] = []
    for _ in range(steps):
        base = rouge1(example.abstract, [t for c in sorted(chosen, key=_order) for t in c.tokens])
        options = []
        for c in example.found[:EXTENSION_REACH]:
            if c in chosen or (c.points_back and example.found[c.order - 1] not in chosen):
                continue
            tokens = [t for s in sorted([*chosen, c], key=_order) for t in s.tokens]
            gain = rouge1(example.abstract, tokens) - base
            rows.append(extension_features(chosen, c, scores[c.order], heading))
            gains.append(gain)
            options.append((gain, c))
        if not options:
            break
        chosen.append(max(options, key=lambda o: (o[0], -o[1].order))[1])
    return rows, gains


def _order(c: Candidate) -> int:
    return c.order


def train_extension(
    weights: dict[str, float], items: Sequence[Example], *, l2: float = 10.0
) -> dict[str, float]:
    """Ridge regression of the gain of one more sentence (``bias`` is the intercept)."""
    rows: list[list[float]] = []
    gains: list[float] = []
    for example in items:
        r, g = extension_rows(weights, example)
        rows += r
        gains += g
    x, y = np.array(rows), np.array(gains)
    penalty = l2 * np.eye(x.shape[1])
    penalty[0, 0] = 0.0  # the bias is not shrunk
    w = np.linalg.solve(x.T @ x + penalty, x.T @ y)
    return {name: float(v) for name, v in zip(EXTENSION_FEATURES, w, strict=True)}


def tune_bias(
    opening: dict[str, float], extension: dict[str, float], items: Sequence[Example]
) -> dict[str, float]:
    """Shift the extension model's bias to the value that gives the best mean ROUGE-1 of the
    digest-default summaries (two sentences, 280 characters) on ``items``: the regression
    is fitted to every possible addition, the decision only to the ones it would take."""
    best: tuple[float, float] | None = None
    for shift in SHIFTS:
        shifted = extension | {"bias": extension["bias"] + shift}
        summariser = Summariser(opening, shifted)
        total = 0.0
        for example in items:
            summary = summariser.summarise(
                example.title, example.text, max_sentences=2, max_chars=280
            )
            total += rouge1(example.abstract, recipe_tokens(summary.text))
        if best is None or total > best[0] + 1e-9:
            best = (total, shift)
    assert best is not None
    return extension | {"bias": extension["bias"] + best[1]}


def train(items: Sequence[Example]) -> tuple[dict[str, float], dict[str, float]]:
    """Both models, trained on ``items``."""
    opening = train_opening(items)
    extension = train_extension(opening, items)
    return opening, tune_bias(opening, extension, items)


def cross_validated_models(
    items: Sequence[Example],
) -> list[tuple[list[int], tuple[dict[str, float], dict[str, float]]]]:
    """For each fold: its article indices and the models trained on the other folds."""
    parts = folds(items)
    out = []
    for k, test in enumerate(parts):
        training = [items[i] for f, part in enumerate(parts) if f != k for i in part]
        out.append((test, train(training)))
    return out


# --------------------------------------------------------------------------- the file


def render(opening: dict[str, float], extension: dict[str, float], documents: int) -> str:
    def table(weights: dict[str, float]) -> str:
        lines = [f"    {json.dumps(k)}: {v!r}," for k, v in weights.items()]
        return "{\n" + "\n".join(lines) + "\n}"

    return (
        '"""The summariser\'s learned weights (see ``text.summary_model``).\n\n'
        f"Generated by ``bench/train_summariser.py`` from bbc-dev ({documents} BBC Arabic\n"
        "articles with their journalists' abstracts); do not edit by hand: train again.\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        '__all__ = ["EXTENSION", "OPENING"]\n\n'
        f"OPENING: dict[str, float] = {table(opening)}\n\n"
        f"EXTENSION: dict[str, float] = {table(extension)}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="do not write; compare instead")
    args = parser.parse_args()
    items = examples(load_bbc())
    opening, extension = train(items)
    text = render(opening, extension, len(items))
    if args.check:
        same = WEIGHTS_FILE.is_file() and WEIGHTS_FILE.read_text(encoding="utf-8") == text
        print("the shipped weights are " + ("up to date" if same else "OUT OF DATE"))
        sys.exit(0 if same else 1)
    WEIGHTS_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {WEIGHTS_FILE.relative_to(ROOT)} from {len(items)} articles")
    for name, value in sorted(opening.items(), key=lambda kv: -abs(kv[1]))[:8]:
        print(f"  opening {name:<20} {value:+.3f}")


if __name__ == "__main__":
    main()
