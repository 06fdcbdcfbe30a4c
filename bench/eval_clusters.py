"""Same-story clustering on ANT: labelled-pair precision/recall/F1, threshold sweep, speed.

    .venv/bin/python -m bench.eval_clusters              # the evaluation (about 80 s)
    .venv/bin/python -m bench.eval_clusters --sample     # re-draw the candidate pairs (ids)
    .venv/bin/python -m bench.eval_clusters --show FILE  # print a pairs file for annotation

The labelled pairs are ``bench/data/ant_story_pairs.tsv`` (ids only; see
``bench/data/README.md`` for how they were drawn and labelled). The articles come from the ANT
corpus in ``../shared/eval-data`` (AlArabiya, CNN Arabic, France24, SkyNews Arabia, 2018), read
into memory only; they are never written anywhere.

What it prints:

1. Pair scoring: each labelled pair is scored with the real ``SimilarityIndex`` (every ANT
   article added in time order, 30-day eviction, so idf is what production would see) and
   called "same story" when its cosine reaches the threshold (pairs are within 48 h by
   construction). A threshold sweep on the development half, the threshold with the best F1
   there, and precision/recall/F1 at that threshold on the held-out half.
2. Clustering: the index run as in production (``add`` assigns stories, chaining included) at
   a few thresholds; a pair is predicted "same story" when both articles got the same story id.
3. Same-source pairs (updates and re-posts by one outlet) against ``same_source_threshold``.
4. Throughput: ``IndexedDoc.from_text`` + ``add`` over 10k ANT articles in time order, and
   ``same_story``/``related`` queries per second with 50k documents in a 30-day index.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from bench.store_build import ANT
from digests.text.stories import (
    DEFAULT_SAME_SOURCE_THRESHOLD,
    DEFAULT_THRESHOLD,
    IndexedDoc,
    SimilarityIndex,
)

PAIRS = Path(__file__).parent / "data" / "ant_story_pairs.tsv"
WINDOW = timedelta(hours=48)
RETENTION = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class AntDoc:
    """One ANT article in memory: its corpus id, outlet, time, title and text."""

    key: str
    source: str
    published: datetime
    title: str
    text: str


def load_ant(path: Path = ANT) -> list[AntDoc]:
    """ANT articles of 2018 in time order, one per URL (the corpus files some under two
    categories); the few stray 2012–2017 items are dropped."""
    seen: set[str] = set()
    docs: list[AntDoc] = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["url"] in seen:
                continue
            seen.add(record["url"])
            published = parsedate_to_datetime(record["time"])
            if published.year != 2018:
                continue
            docs.append(
                AntDoc(record["id"], record["source"], published, record["title"], record["text"])
            )
    docs.sort(key=lambda d: (d.published, d.key))
    return docs


def indexed(docs: Sequence[AntDoc]) -> list[IndexedDoc]:
    """``IndexedDoc``s for ``docs``; document ids are positions in ``docs``."""
    return [
        IndexedDoc.from_text(i, d.source, d.published, d.title, d.text) for i, d in enumerate(docs)
    ]


# --------------------------------------------------------------------------- sampling

# The similarity the candidate pairs were drawn with (frozen so that the draw can be repeated
# whatever the index defaults become): strata by cosine, different outlets, within 48 h.
SAMPLE_SEED = 20181001
SAMPLE_STRATA: tuple[tuple[str, float, float, int], ...] = (
    ("high", 0.45, 1.01, 45),
    ("upper", 0.30, 0.45, 60),
    ("border", 0.20, 0.30, 60),
    ("low", 0.10, 0.20, 45),
)
SAMPLE_RANDOM = 30  # cross-outlet pairs within 48 h drawn uniformly, whatever their similarity
SAMPLE_SAME_SOURCE: tuple[tuple[str, float, float, int], ...] = (
    ("same-high", 0.50, 1.01, 15),
    ("same-mid", 0.30, 0.50, 15),
)


def sample_pairs(docs: Sequence[AntDoc]) -> list[tuple[str, str, str, float]]:
    """Draw candidate pairs (key_a, key_b, stratum, cosine), each article in one pair at most."""
    index = SimilarityIndex(title_weight=2.0, lead_terms=60)
    items = indexed(docs)
    for item in items:
        index.add(item, story_id=item.id)
    by_stratum: dict[str, list[tuple[int, int, float]]] = {}
    strata = SAMPLE_STRATA + SAMPLE_SAME_SOURCE
    for item in items:
        since = item.published - WINDOW
        for match in index.similar(item, since=since, until=item.published, min_score=0.10):
            other, score = match.doc_id, match.score
            same = items[other].source == item.source
            for name, lo, hi, _ in SAMPLE_SAME_SOURCE if same else SAMPLE_STRATA:
                if lo <= score < hi:
                    by_stratum.setdefault(name, []).append((other, item.id, score))
    rng = random.Random(SAMPLE_SEED)
    used: set[int] = set()
    out: list[tuple[str, str, str, float]] = []

    def take(name: str, pool: list[tuple[int, int, float]], count: int) -> None:
        rng.shuffle(pool)
        taken = 0
        for a, b, score in pool:
            if taken == count:
                break
            if a in used or b in used:
                continue
            used.update((a, b))
            out.append((docs[a].key, docs[b].key, name, score))
            taken += 1

    for name, _, _, count in strata:
        take(name, sorted(by_stratum.get(name, [])), count)
    randoms: list[tuple[int, int, float]] = []
    while len(randoms) < 20 * SAMPLE_RANDOM:
        a = rng.randrange(len(items))
        b = rng.randrange(len(items))
        a, b = min(a, b), max(a, b)
        if a == b or items[a].source == items[b].source:
            continue
        if (items[b].published - items[a].published) <= WINDOW:
            randoms.append((a, b, index.similarity(items[a], items[b])))
    take("random", randoms, SAMPLE_RANDOM)
    return out


# --------------------------------------------------------------------------- labelled pairs


@dataclass(frozen=True, slots=True)
class Pair:
    """A labelled pair: positions of its articles in the loaded corpus (a earlier), label, split."""

    a: int
    b: int
    same: bool
    dev: bool
    same_source: bool


def load_pairs(docs: Sequence[AntDoc], path: Path = PAIRS) -> list[Pair]:
    """The labelled pairs; the split (development or held-out test) is a hash of the two ids."""
    position = {d.key: i for i, d in enumerate(docs)}
    pairs: list[Pair] = []
    with path.open(encoding="utf-8") as lines:
        next(lines)
        for line in lines:
            key_a, key_b, label, _ = line.rstrip("\n").split("\t", 3)
            a, b = sorted((position[key_a], position[key_b]))
            digest = hashlib.sha1(f"{key_a}\t{key_b}".encode()).digest()
            pairs.append(
                Pair(a, b, label == "1", digest[-1] % 2 == 0, docs[a].source == docs[b].source)
            )
    return pairs


def run_index(
    items: Sequence[IndexedDoc], index: SimilarityIndex, pairs: Iterable[Pair] = ()
) -> tuple[list[int], dict[tuple[int, int], float]]:
    """Add ``items`` in time order as production would (30-day eviction once a day).

    Returns every item's story id and, for each pair, its cosine when the later article was
    added (what ``same_story`` saw at that moment).
    """
    later: dict[int, list[Pair]] = {}
    for pair in pairs:
        later.setdefault(pair.b, []).append(pair)
    stories: list[int] = []
    scores: dict[tuple[int, int], float] = {}
    day = None
    for item in items:
        if item.published.date() != day:
            day = item.published.date()
            index.evict_before(item.published - RETENTION)
        stories.append(index.add(item))
        for pair in later.get(item.id, ()):
            scores[pair.a, pair.b] = index.similarity(items[pair.a], item)
    return stories, scores


@dataclass(frozen=True, slots=True)
class Scores:
    """Precision, recall and F1 of "same story" over some labelled pairs."""

    tp: int
    fp: int
    fn: int

    @classmethod
    def of(cls, outcomes: Iterable[tuple[bool, bool]]) -> Scores:
        """From (predicted, labelled) pairs."""
        tp = fp = fn = 0
        for predicted, labelled in outcomes:
            tp += predicted and labelled
            fp += predicted and not labelled
            fn += labelled and not predicted
        return cls(tp, fp, fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self) -> str:
        """The scores as cells of ``SCORES_HEADER``."""
        p, r, f = self.precision, self.recall, self.f1
        return f"{p:.3f} | {r:.3f} | {f:.3f} | {self.tp} | {self.fp} | {self.fn}"


SCORES_HEADER = "precision | recall | F1 | TP | FP | FN"
SWEEP = [round(0.20 + 0.02 * i, 2) for i in range(16)]  # 0.20 … 0.50


def by_threshold(
    pairs: Sequence[Pair], scores: dict[tuple[int, int], float], threshold: float
) -> Scores:
    return Scores.of((scores[p.a, p.b] >= threshold - 1e-9, p.same) for p in pairs)


def choose_threshold(pairs: Sequence[Pair], scores: dict[tuple[int, int], float]) -> float:
    """The sweep threshold with the best F1 on ``pairs`` (ties: the higher, for precision)."""
    return max(SWEEP, key=lambda t: (by_threshold(pairs, scores, t).f1, t))


# --------------------------------------------------------------------------- throughput


def throughput(docs: Sequence[AntDoc], count: int = 10_000) -> tuple[float, float]:
    """(docs/s for ``from_text`` + ``add``, docs/s for ``add`` alone) over ``count`` articles."""
    sample = docs[:count]
    index = SimilarityIndex()
    start = time.perf_counter()
    for i, d in enumerate(sample):
        index.add(IndexedDoc.from_text(i, d.source, d.published, d.title, d.text))
    with_terms = len(sample) / (time.perf_counter() - start)
    items = indexed(sample)
    index = SimilarityIndex()
    start = time.perf_counter()
    for item in items:
        index.add(item)
    return with_terms, len(items) / (time.perf_counter() - start)


def query_rates(
    items: Sequence[IndexedDoc], size: int = 50_000
) -> tuple[float, float, float, float]:
    """(adds/s, same_story/s, related/s, related over 14 days/s), ``size`` docs in 30 days.

    ANT has 26k articles over eight months; a busy deployment keeps 50k in its 30-day window.
    To get that density, every ANT article appears twice (the second time as another outlet's
    article made of its title and a different article's body, so that it is not a duplicate),
    spread evenly over 30 days in the corpus order.
    """
    n = len(items)
    origin = items[0].published
    made: list[IndexedDoc] = []
    for i in range(size):
        base = items[i // 2 % n]
        body = items[(i // 2 + 7919) % n] if i % 2 else base
        made.append(
            IndexedDoc(
                i,
                base.source + ("/b" if i % 2 else ""),
                origin + RETENTION * (i / size),
                base.title_terms,
                body.body_terms,
            )
        )
    index = SimilarityIndex()
    start = time.perf_counter()
    for item in made:
        index.add(item)
    adds = size / (time.perf_counter() - start)
    rng = random.Random(1)
    queries = rng.sample(made, 2000)
    start = time.perf_counter()
    for item in queries:
        index.same_story(item)
    same = len(queries) / (time.perf_counter() - start)
    queries = queries[:500]
    rates = []
    for window in (RETENTION, timedelta(days=14)):
        start = time.perf_counter()
        for item in queries:
            index.related(item, window=window)
        rates.append(len(queries) / (time.perf_counter() - start))
    return adds, same, rates[0], rates[1]


# --------------------------------------------------------------------------- report


def _table(header: str, rows: Iterable[str]) -> None:
    print(f"| {header} |")
    print("|" + "---|" * (header.count("|") + 1))
    for row in rows:
        print(f"| {row} |")
    print()


def evaluate() -> None:
    """Print every table of the evaluation (module docstring)."""
    start = time.perf_counter()
    docs = load_ant()
    items = indexed(docs)
    pairs = load_pairs(docs)
    cross = [p for p in pairs if not p.same_source]
    own = [p for p in pairs if p.same_source]
    dev = [p for p in cross if p.dev]
    test = [p for p in cross if not p.dev]
    print(
        f"ANT: {len(docs)} articles of 2018 (one per URL), loaded and stemmed in "
        f"{time.perf_counter() - start:.1f} s. Labelled pairs: {len(pairs)} "
        f"({sum(p.same for p in pairs)} same story); cross-outlet {len(cross)}: "
        f"development {len(dev)} ({sum(p.same for p in dev)} same), "
        f"held-out {len(test)} ({sum(p.same for p in test)} same); "
        f"same-outlet {len(own)} ({sum(p.same for p in own)} same).\n"
    )

    stories, scores = run_index(items, SimilarityIndex(), pairs)
    print("## Pair scoring: cosine ≥ threshold (pairs are within 48 h)\n")
    _table(
        "threshold | dev P | dev R | dev F1 | test P | test R | test F1",
        (
            f"{t:.2f} | "
            + " | ".join(
                f"{s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f}"
                for s in (by_threshold(dev, scores, t), by_threshold(test, scores, t))
            )
            for t in SWEEP
        ),
    )
    chosen = choose_threshold(dev, scores)
    note = "" if abs(chosen - DEFAULT_THRESHOLD) < 1e-9 else " (differs from the default!)"
    print(
        f"Best F1 on the development half at threshold {chosen:.2f}; "
        f"DEFAULT_THRESHOLD = {DEFAULT_THRESHOLD:.2f}{note}.\n"
    )
    _table(
        f"pairs at {chosen:.2f} | {SCORES_HEADER}",
        (
            f"{name} | {by_threshold(subset, scores, chosen).row()}"
            for name, subset in (("held-out test", test), ("development", dev), ("all", cross))
        ),
    )
    bands = (0.0, 0.10, 0.20, 0.25, 0.30, 0.35, 0.45, 1.01)
    _table(
        "cosine | pairs | same story | share",
        (
            f"{lo:.2f}–{hi:.2f} | {len(inside)} | {sum(p.same for p in inside)} | "
            f"{sum(p.same for p in inside) / len(inside):.2f}"
            for lo, hi in itertools.pairwise(bands)
            if (inside := [p for p in cross if lo <= scores[p.a, p.b] < hi])
        ),
    )

    print("## Clustering: both articles got the same story id from `add`\n")
    rows = []
    for threshold in (chosen - 0.04, chosen, chosen + 0.04, chosen + 0.08):
        if abs(threshold - DEFAULT_THRESHOLD) < 1e-9:
            assigned = stories
        else:
            assigned = run_index(items, SimilarityIndex(threshold=threshold))[0]
        sizes: dict[int, int] = {}
        for story in assigned:
            sizes[story] = sizes.get(story, 0) + 1
        multi = sum(1 for size in sizes.values() if size > 1)
        for name, subset in (("test", test), ("all", cross)):
            result = Scores.of((assigned[p.a] == assigned[p.b], p.same) for p in subset)
            rows.append(
                f"{threshold:.2f} | {name} | {result.row()} | {len(sizes)} | {multi} | "
                f"{max(sizes.values())}"
            )
    _table(f"threshold | pairs | {SCORES_HEADER} | stories | with ≥2 | largest", rows)

    print("## Same outlet (updates, re-posts): cosine ≥ same_source_threshold\n")
    steps = (0.40, 0.45, 0.50, 0.55)
    _table(
        f"threshold | {SCORES_HEADER}",
        (f"{t:.2f} | {by_threshold(own, scores, t).row()}" for t in steps),
    )
    best = max(steps, key=lambda t: (by_threshold(own, scores, t).f1, t))
    print(
        f"DEFAULT_SAME_SOURCE_THRESHOLD = {DEFAULT_SAME_SOURCE_THRESHOLD:.2f}; best F1 on these "
        f"{len(own)} pairs at {best:.2f} (no held-out half: too few pairs).\n"
    )

    print("## Throughput\n")
    with_terms, adds = throughput(docs)
    rate_adds, rate_same, rate_related, rate_related_14 = query_rates(items)
    _table(
        "measure | rate",
        (
            f"`IndexedDoc.from_text` + `add`, first 10k ANT articles in time order | "
            f"{with_terms:,.0f} docs/s",
            f"`add` alone (terms precomputed), same articles | {adds:,.0f} docs/s",
            f"`add` up to 50k docs in a 30-day window | {rate_adds:,.0f} docs/s",
            f"`same_story` with 50k docs indexed | {rate_same:,.0f} queries/s",
            f"`related` (k=3, 30 days) with 50k docs indexed | {rate_related:,.0f} queries/s",
            f"`related` (k=3, 14 days) with 50k docs indexed | {rate_related_14:,.0f} queries/s",
        ),
    )
    print(f"Total time {time.perf_counter() - start:.0f} s.")


def show(path: Path, docs: Sequence[AntDoc]) -> None:
    """Print the pairs of a TSV file (first two columns: ANT ids) with titles and leads, for
    annotation on the terminal. Article text goes to stdout only, never to a file."""
    by_key = {d.key: d for d in docs}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            key_a, key_b = line.split("\t")[:2]
            if key_a not in by_key:
                continue  # header
            a, b = by_key[key_a], by_key[key_b]
            hours = abs((b.published - a.published).total_seconds()) / 3600
            print(f"#{number} {a.source} / {b.source}  Δ={hours:.0f}h")
            for label, d in (("A", a), ("B", b)):
                print(f"{label}: {d.title}\n   {d.text.replace(chr(10), ' ')[:260]}")
            print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--sample", action="store_true", help="print candidate pairs (ids, TSV)")
    group.add_argument("--show", type=Path, metavar="FILE", help="print a pairs file to annotate")
    args = parser.parse_args(argv)
    if not ANT.exists():
        print(f"ANT corpus not found at {ANT}; nothing to evaluate.", file=sys.stderr)
        return 1
    if args.sample:
        print("id_a\tid_b\tstratum\tcosine")
        for key_a, key_b, stratum, score in sample_pairs(load_ant()):
            print(f"{key_a}\t{key_b}\t{stratum}\t{score:.3f}")
    elif args.show:
        show(args.show, load_ant())
    else:
        evaluate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
