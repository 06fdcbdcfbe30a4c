"""Learn the topic model (``text.topic_model``) and measure topic precision.

Run from the repository root::

    .venv/bin/python -m bench.train_topics            # train, report, write the weights
    .venv/bin/python -m bench.train_topics --check    # report; fail if the weights are stale

Data: ``tests/data/topic_labels.jsonl`` holds, for 300 ANT articles (50 from each of six
categories, drawn at random), the taxonomy topics a reader would file each article under,
labelled by hand: the article is about the topic, or the topic is a main place, actor or
theme of the story (not a passing mention, not another sense of the word). The articles
themselves are read from ``../shared/eval-data`` (ANT belongs to its outlets and is not in
the repository).

Model: logistic regression (L2, numpy) over ``text.topic_model.FEATURES``, one row per
topic the tagger scores. Precision is measured by 5-fold cross-validation over articles:
each fold's model and threshold are chosen on the other four folds (the smallest
confidence at which their precision reaches ``TARGET`` + 0.02), and the held-out fold is
tagged with them. The shipped weights and threshold are then learned the same way on all
300 articles.

Printed: precision (with a 95% bootstrap interval over articles), recall of the labelled
topics, coverage (share of articles with at least one topic) and topics per article, for
``Taxonomy.tag`` as the enricher used it before (every topic scoring ≥ 1, at most 10) and
for ``Taxonomy.assign``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digests.text.taxonomy import Taxonomy
from digests.text.topic_model import FEATURES, features

ROOT = Path(__file__).resolve().parents[1]
ANT = ROOT.parent / "shared" / "eval-data" / "ant-v2.1" / "ant_v2.1_4outlets.jsonl.gz"
LABELS = ROOT / "tests" / "data" / "topic_labels.jsonl"
TAXONOMY = ROOT / "config" / "topics.toml"
WEIGHTS_FILE = ROOT / "digests" / "text" / "topic_weights.py"
TARGET = 0.9
MARGIN = 0.02
FOLDS = 5
L2 = 3.0
MIN_SCORE = 1.0  # the tagger's default: a topic must be named at least once
LIMIT = 10
RESAMPLES = 2000
WIDTHS = (10, 16, 9, 10, 16)  # columns of the printed table


@dataclass(frozen=True)
class Article:
    id: str
    gold: frozenset[str]
    slugs: tuple[str, ...]  # every scored topic, strongest first
    scores: tuple[float, ...]
    rows: np.ndarray  # features, one row per scored topic


def load(taxonomy: Taxonomy) -> list[Article]:
    labels = [json.loads(line) for line in LABELS.read_text("utf-8").splitlines()]
    wanted = {row["id"] for row in labels}
    if not ANT.is_file():
        sys.exit(f"ANT not found at {ANT} (see ../shared/eval-data/README.md)")
    texts: dict[str, tuple[str, str]] = {}
    with gzip.open(ANT, "rt", encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            if article["id"] in wanted:
                texts[article["id"]] = (article["title"], article["text"])
    out = []
    for row in labels:
        title, text = texts[row["id"]]
        found = taxonomy.evidence(title, text)
        evidence = [e for _, e in found]
        out.append(
            Article(
                row["id"],
                frozenset(row["topics"]),
                tuple(slug for slug, _ in found),
                tuple(e.score for e in evidence),
                np.array(features(evidence), dtype=float).reshape(-1, len(FEATURES)),
            )
        )
    return out


def fit(articles: Sequence[Article]) -> np.ndarray:
    """Logistic regression weights over every scored topic of ``articles`` (L2)."""
    rows = [a.rows[i] for a in articles for i in range(len(a.slugs)) if a.scores[i] >= MIN_SCORE]
    gold = [
        a.slugs[i] in a.gold
        for a in articles
        for i in range(len(a.slugs))
        if a.scores[i] >= MIN_SCORE
    ]
    x, y = np.array(rows), np.array(gold, dtype=float)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], L2)
    penalty[-1] = 0.0  # the intercept is not shrunk
    for _ in range(4000):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        w -= 0.5 * (x.T @ (p - y) + penalty * w) / len(y)
    return w


def assigned(article: Article, w: np.ndarray, threshold: float) -> list[str]:
    """What ``Tagger.assign`` keeps with weights ``w`` and ``threshold``."""
    if not article.slugs:
        return []
    confidence = 1.0 / (1.0 + np.exp(-np.clip(article.rows @ w, -30, 30)))
    ranked = sorted(
        (
            (float(c), slug)
            for c, slug, score in zip(confidence, article.slugs, article.scores, strict=True)
            if score >= MIN_SCORE
        ),
        key=lambda pair: (-pair[0], pair[1]),
    )
    return [slug for i, (c, slug) in enumerate(ranked) if i == 0 or c >= threshold][:LIMIT]


def tagged_before(article: Article) -> list[str]:
    """What the enricher kept before: every topic scoring at least ``MIN_SCORE``."""
    return [
        s for s, score in zip(article.slugs, article.scores, strict=True) if score >= MIN_SCORE
    ][:LIMIT]


def counts(
    tagged: Sequence[Sequence[str]], articles: Sequence[Article]
) -> list[tuple[int, int, int]]:
    """Per article: (correct tags, tags, labelled topics)."""
    return [
        (len(set(t) & a.gold), len(t), len(a.gold)) for t, a in zip(tagged, articles, strict=True)
    ]


def choose_threshold(articles: Sequence[Article], w: np.ndarray) -> float:
    """The smallest threshold whose precision on ``articles`` reaches TARGET + MARGIN."""
    for threshold in np.arange(0.30, 0.951, 0.01):
        rows = counts([assigned(a, w, float(threshold)) for a in articles], articles)
        right, tags = sum(r[0] for r in rows), sum(r[1] for r in rows)
        if tags and right / tags >= TARGET + MARGIN:
            return round(float(threshold), 2)
    return 0.95


def cross_validated(articles: Sequence[Article]) -> list[list[str]]:
    """Each article tagged by a model and threshold learned without its fold."""
    order = sorted(range(len(articles)), key=lambda i: articles[i].id)
    random.Random(15).shuffle(order)
    out: list[list[str]] = [[] for _ in articles]
    for fold in range(FOLDS):
        held = set(order[fold::FOLDS])
        train = [a for i, a in enumerate(articles) if i not in held]
        w = fit(train)
        threshold = choose_threshold(train, w)
        for i in held:
            out[i] = assigned(articles[i], w, threshold)
    return out


def summary(
    rows: Sequence[tuple[int, int, int]],
) -> tuple[float, float, float, float, float, float]:
    """precision, its 95% interval, recall, coverage, tags per article."""

    def precision(sample: Sequence[tuple[int, int, int]]) -> float:
        tags = sum(r[1] for r in sample)
        return sum(r[0] for r in sample) / tags if tags else 0.0

    rng = random.Random(300)
    boot = sorted(precision(rng.choices(rows, k=len(rows))) for _ in range(RESAMPLES))
    return (
        precision(rows),
        boot[int(0.025 * RESAMPLES)],
        boot[int(0.975 * RESAMPLES) - 1],
        sum(r[0] for r in rows) / sum(r[2] for r in rows),
        sum(1 for r in rows if r[1]) / len(rows),
        sum(r[1] for r in rows) / len(rows),
    )


def render(w: np.ndarray, threshold: float, documents: int) -> str:
    weights = "".join(
        f'    "{name}": {float(value)!r},\n' for name, value in zip(FEATURES, w, strict=True)
    )
    return (
        '"""The topic model\'s learned weights (see ``text.topic_model``).\n\n'
        f"Generated by ``bench/train_topics.py`` from {documents} hand-labelled ANT articles\n"
        "(``tests/data/topic_labels.jsonl``); do not edit by hand: train again.\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        '__all__ = ["THRESHOLD", "WEIGHTS"]\n\n'
        f"THRESHOLD = {threshold!r}\n\n"
        "WEIGHTS: dict[str, float] = {\n"
        f"{weights}"
        "}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the weights are stale")
    args = parser.parse_args()
    taxonomy = Taxonomy.from_toml(TAXONOMY.read_text("utf-8"), source=str(TAXONOMY))
    articles = load(taxonomy)
    before = summary(counts([tagged_before(a) for a in articles], articles))
    after = summary(counts(cross_validated(articles), articles))
    print(f"Topic precision on {len(articles)} hand-labelled ANT articles ({FOLDS}-fold CV)\n")
    header = ("tagging", "precision", "95% CI", "recall", "coverage", "topics/article")
    print(
        f"{header[0]:<34}" + "".join(f"{h:>{w}}" for h, w in zip(header[1:], WIDTHS, strict=True))
    )
    for name, (p, low, high, recall, coverage, per) in (
        ("every topic named (before)", before),
        ("assign: confidence ≥ threshold", after),
    ):
        cells = (
            f"{p:.3f}",
            f"[{low:.3f}, {high:.3f}]",
            f"{recall:.3f}",
            f"{coverage:.3f}",
            f"{per:.2f}",
        )
        print(f"{name:<34}" + "".join(f"{c:>{w}}" for c, w in zip(cells, WIDTHS, strict=True)))
    w = fit(articles)
    threshold = choose_threshold(articles, w)
    text = render(w, threshold, len(articles))
    print(f"\nshipped threshold (learned on all articles): {threshold}")
    if args.check:
        same = WEIGHTS_FILE.read_text("utf-8") == text
        print("the shipped weights are " + ("up to date" if same else "OUT OF DATE"))
        sys.exit(0 if same else 1)
    WEIGHTS_FILE.write_text(text, "utf-8")
    print(f"wrote {WEIGHTS_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
