"""Topic tagging and keyphrase benchmark over ANT news articles.

    .venv/bin/python -m bench.topics [--per-category 500] [--repeat 2] [--ant PATH]

Reads the first ``per-category`` articles of each of the six ANT v2.1 categories (culture,
economy, internationalNews, middleEast, sport, technology; 3,000 articles by default) from
../shared/eval-data, in memory only, and loads config/topics.toml. It prints:

* throughput on one core (process CPU time, best of ``repeat`` runs after one warm-up run)
  of ``Taxonomy.tag`` (every topic named), ``Taxonomy.assign`` (what the enricher stores),
  ``extract_keyphrases`` without and with corpus statistics, and of building the
  ``PhraseStats`` (``phrase_keys`` per article);
* a sanity table: for each ANT category, the ten topics ``assign`` gives most often (with the
  share of the category's articles), and how many articles got no topic at all.

Topic *precision* against hand labels is ``bench/train_topics.py``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from digests.text.keyphrases import PhraseStats, extract_keyphrases, phrase_keys
from digests.text.taxonomy import Taxonomy

ROOT = Path(__file__).parents[1]
ANT = ROOT.parent / "shared" / "eval-data" / "ant-v2.1" / "ant_v2.1_4outlets.jsonl.gz"
TAXONOMY = ROOT / "config" / "topics.toml"
CATEGORIES = ("culture", "economy", "internationalNews", "middleEast", "sport", "technology")

Article = tuple[str, str, str]  # category, title, text


def _articles(path: Path, per_category: int) -> list[Article]:
    """The first ``per_category`` articles of each category, in file order."""
    if not path.is_file():
        sys.exit(
            f"bench.topics: the ANT corpus is not at {path}.\n"
            "Put ant_v2.1_4outlets.jsonl.gz there (see docs/benchmarks.md) or pass --ant PATH."
        )
    taken: Counter[str] = Counter()
    out: list[Article] = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            category = record["category"]
            if category in CATEGORIES and taken[category] < per_category:
                taken[category] += 1
                out.append((category, record["title"] or "", record["text"] or ""))
                if len(out) == per_category * len(CATEGORIES):
                    break
    return out


def _rate(work: Callable[[], object], count: int, repeat: int) -> float:
    """Items per CPU second: best of ``repeat`` runs after one warm-up."""
    work()
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return count / best if best > 0 else float("inf")


def _row(label: str, cells: list[str], widths: list[int]) -> str:
    body = " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
    return f"| {label:<8} | {body} |"


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-category", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--ant", type=Path, default=ANT, help="the ANT v2.1 jsonl.gz file")
    args = parser.parse_args()

    articles = _articles(args.ant, args.per_category)
    taxonomy = Taxonomy.from_toml(TAXONOMY.read_text("utf-8"), source=str(TAXONOMY))
    per_category = Counter(category for category, _, _ in articles)
    print(f"{len(articles)} ANT articles ({args.per_category} per category where available);")
    print(f"{len(taxonomy)} topics from {TAXONOMY.relative_to(ROOT)}\n")

    stats = PhraseStats()
    for _, title, text in articles:
        stats.add(phrase_keys(title, text))

    def build_stats() -> None:
        fresh = PhraseStats()
        for _, title, text in articles:
            fresh.add(phrase_keys(title, text))

    runs = [
        ("Taxonomy.tag", lambda: [taxonomy.tag(t, x) for _, t, x in articles]),
        ("Taxonomy.assign", lambda: [taxonomy.assign(t, x) for _, t, x in articles]),
        ("extract_keyphrases", lambda: [extract_keyphrases(t, x) for _, t, x in articles]),
        (
            "extract_keyphrases (stats)",
            lambda: [extract_keyphrases(t, x, stats=stats) for _, t, x in articles],
        ),
        ("PhraseStats.add(phrase_keys)", build_stats),
    ]
    header = f"{'step':<30} {'articles/s':>11} {'ms/article':>11}"
    print(header)
    print("-" * len(header))
    for name, work in runs:
        rate = _rate(work, len(articles), args.repeat)
        print(f"{name:<30} {rate:>11.0f} {1000 / rate:>11.3f}")

    assigned: dict[str, Counter[str]] = {category: Counter() for category in CATEGORIES}
    untagged: Counter[str] = Counter()
    for category, title, text in articles:
        found = taxonomy.assign(title, text)
        assigned[category].update(topic.slug for topic in found)
        if not found:
            untagged[category] += 1
    shown = [c for c in CATEGORIES if per_category[c]]
    columns = [
        [f"{slug} {count / per_category[c]:.0%}" for slug, count in assigned[c].most_common(10)]
        for c in shown
    ]
    heads = [f"{c} ({per_category[c]})" for c in shown]
    widths = [max([len(h), *map(len, col)]) for h, col in zip(heads, columns, strict=True)]
    print("\nTop 10 topics per ANT category (share of the category's articles tagged with each)\n")
    labels = [str(rank + 1) for rank in range(10)]
    rows = [[col[rank] if rank < len(col) else "" for col in columns] for rank in range(10)]
    labels.append("no topic")
    rows.append([f"{untagged[c] / per_category[c]:.0%}" for c in shown])
    print(_row("rank", heads, widths))
    print("|" + "|".join("-" * (w + 2) for w in [8, *widths]) + "|")
    for label, cells in zip(labels, rows, strict=True):
        print(_row(label, cells, widths))


if __name__ == "__main__":
    main()
