"""Keyword alert matching: how long one article takes against many rules.

    .venv/bin/python -m bench.alerts [--rules 10000] [--articles 1000]

Rules are drawn as subscribers write them, from the words of ANT headlines (ANT texts are
used in memory only): 60% one word, 20% two words, 10% a "two-word phrase" taken from a
headline, 10% a word with an -excluded word; words are drawn in proportion to how often
headlines use them. Articles are ANT articles keyed as the search index stores them
(``index_terms``; that work happens once per article at enrichment and is not timed here).

Printed: the time ``RuleIndex.match`` takes per article (p50, p95, max) at 1,000, 10,000 and
100,000 rules, the matches per article, and for comparison checking every rule in turn at
the smallest size. Target (issue 15): p95 ≤ 1 ms per article with 10,000 rules.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from digests.text.keywords import ArticleKeys, RuleError, RuleIndex, parse_rule
from digests.text.query import index_terms
from digests.text.stems import is_stopword

ANT = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "eval-data"
    / "ant-v2.1"
    / "ant_v2.1_4outlets.jsonl.gz"
)


def _load(count: int, seed: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    if not ANT.is_file():
        sys.exit(f"ANT not found at {ANT} (see ../shared/eval-data/README.md)")
    with gzip.open(ANT, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    random.Random(seed).shuffle(rows)
    return rows[:count], rows[count:]


def _rules(headlines: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words: Counter[str] = Counter()
    pairs: list[str] = []
    for title in headlines:
        kept = [w for w in title.split() if len(w) > 2 and w.isalpha() and not is_stopword(w)]
        words.update(kept)
        pairs += [f"{a} {b}" for a, b in itertools.pairwise(kept)]
    vocabulary, weights = zip(*words.most_common(), strict=True)
    out: list[str] = []
    while len(out) < count:
        roll = rng.random()
        pick = rng.choices(vocabulary, weights, k=2)
        if roll < 0.6:
            text = pick[0]
        elif roll < 0.8:
            text = f"{pick[0]} {pick[1]}"
        elif roll < 0.9:
            text = f'"{rng.choice(pairs)}"'
        else:
            text = f"{pick[0]} -{pick[1]}"
        try:
            parse_rule(text)
        except RuleError:
            continue
        out.append(text)
    return out


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args()
    articles, rest = _load(args.articles, seed=15)
    keyed = [
        ArticleKeys.of(index_terms(a["title"]).split(), index_terms(a["text"]).split())
        for a in articles
    ]
    sizes = sorted({1000, args.rules, 10 * args.rules})
    texts = _rules([r["title"] for r in rest[:20000]], max(sizes), seed=16)
    print(f"Keyword alerts: {len(keyed)} ANT articles, rules drawn from ANT headlines\n")
    print(
        f"{'rules':>8}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'matches/article':>17}"
    )
    for size in sizes:
        started = time.perf_counter()
        index: RuleIndex[int] = RuleIndex((n, parse_rule(t)) for n, t in enumerate(texts[:size]))
        built = time.perf_counter() - started
        for article in keyed[:50]:  # warm the caches
            index.match(article)
        times, found = [], []
        for article in keyed:
            started = time.perf_counter_ns()
            matched = index.match(article)
            times.append((time.perf_counter_ns() - started) / 1e6)
            found.append(len(matched))
        p50, p95 = statistics.median(times), _percentile(times, 0.95)
        print(
            f"{size:>8}{built:>9.2f}{p50:>9.3f}{p95:>9.3f}{max(times):>9.3f}"
            f"{statistics.mean(found):>17.1f}"
        )
    rules = [parse_rule(t) for t in texts[:1000]]
    times = []
    for article in keyed:
        started = time.perf_counter_ns()
        [r for r in rules if r.matches(article)]
        times.append((time.perf_counter_ns() - started) / 1e6)
    p50, p95 = statistics.median(times), _percentile(times, 0.95)
    print(f"\nEvery rule checked in turn (no index), 1,000 rules: p50 {p50:.3f} ms,", end=" ")
    print(f"p95 {p95:.3f} ms per article")


if __name__ == "__main__":
    main()
