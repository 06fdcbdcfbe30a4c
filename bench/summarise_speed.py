"""Throughput and latency of the summariser on news articles, beside sumy's LexRank.

Run from the repository root::

    .venv/bin/python -m bench.summarise_speed [--docs 3000]

Data: the first ``--docs`` articles of ``../shared/eval-data/ant-v2.1/ant_v2.1_4outlets.jsonl.gz``
(ANT v2.1, four outlets; used here for timing only, never copied). One process, one core.

Every system does the whole job per article, from raw text to three sentences:

* ours: ``summarise(title, text)``;
* sumy LexRank, stock: sumy's ``LexRankSummarizer`` with sumy's Arabic stemmer (NLTK's
  Snowball) and sumy's Arabic stop words. sumy's Arabic tokenizers need pyarabic, which is
  not installed, so sentences come from ``split_sentences`` and words from NLTK's
  ``wordpunct_tokenize`` (a regular expression; no NLTK data is ever downloaded);
* sumy LexRank, our text layer: the same summarizer given our tokenizer, cached stems and stop
  words, so that it differs from ours only in the ranking.

Building sumy's document is timed. The systems take turns over blocks of 50 articles, so
that a noisy machine slows all alike while each keeps its caches warm. A warm-up pass over
the first 200 articles fills caches (the stem memo) first.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from digests.text.arabic import STOPWORDS, split_sentences, tokenize
from digests.text.stems import stem
from digests.text.summarise import summarise

EVAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "eval-data"
ANT = EVAL_DATA / "ant-v2.1" / "ant_v2.1_4outlets.jsonl.gz"
WARM_UP = 200
BLOCK = 50  # articles timed per system in turn
_WORD = re.compile(r"[^\W_]")


class _SumyWords:
    """A sumy tokenizer that needs no NLTK data: our sentences; words ours or NLTK's regex."""

    def __init__(self, words: Callable[[str], list[str]]) -> None:
        self.to_words = words

    def to_sentences(self, paragraph: str) -> list[str]:
        return split_sentences(paragraph)


def _regex_words(sentence: str) -> list[str]:
    """sumy's usual word tokenizer needs NLTK data or pyarabic; NLTK's regex one needs neither."""
    from nltk.tokenize import wordpunct_tokenize  # type: ignore[import-untyped]

    return [w for w in wordpunct_tokenize(sentence) if _WORD.search(w)]


def load_articles(count: int) -> list[tuple[str, str]]:
    if not ANT.is_file():
        sys.exit(
            f"ANT data not found at {ANT}.\n"
            "This benchmark reads ../shared/eval-data relative to the repository root "
            "(see that folder's README); nothing is downloaded."
        )
    with gzip.open(ANT, "rt", encoding="utf-8") as lines:
        rows = (json.loads(line) for line in lines)
        return [(row["title"], row["text"]) for row in itertools.islice(rows, count)]


def lexrank(stock: bool) -> Callable[[str, str], Any]:
    """sumy's LexRank for three sentences, with sumy's Arabic stemmer and stop words (stock)
    or with ours (then it differs from ``ours`` only in the ranking itself)."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    if stock:
        words = _SumyWords(_regex_words)
        summarizer = LexRankSummarizer(Stemmer("arabic"))
        summarizer.stop_words = get_stop_words("arabic")
    else:
        words = _SumyWords(tokenize)
        summarizer = LexRankSummarizer(stem)
        summarizer.stop_words = STOPWORDS

    def run(title: str, text: str) -> Any:
        sentences = [Sentence(s, words) for s in words.to_sentences(text)]
        return summarizer(ObjectDocumentModel([Paragraph(sentences)]), 3)

    return run


def ours(title: str, text: str) -> Any:
    return summarise(title, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=3000, help="articles to time (default 3000)")
    arguments = parser.parse_args()
    articles = load_articles(arguments.docs)
    systems: dict[str, Callable[[str, str], Any]] = {
        "ours": ours,
        "sumy LexRank, stock": lexrank(stock=True),
        "sumy LexRank, our text layer": lexrank(stock=False),
    }

    for title, text in articles[:WARM_UP]:
        for system in systems.values():
            system(title, text)
    latencies: dict[str, list[float]] = {name: [] for name in systems}
    cpu_started = time.process_time()
    for block in range(0, len(articles), BLOCK):
        for name, system in systems.items():
            times = latencies[name]
            for title, text in articles[block : block + BLOCK]:
                started = time.perf_counter()
                system(title, text)
                times.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu_started

    characters = statistics.mean(len(text) for _, text in articles)
    print(f"ANT v2.1: {len(articles)} articles, mean {characters:.0f} characters; one process")
    print(f"{'system':<30} {'docs/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    throughput = {}
    for name, times in latencies.items():
        throughput[name] = len(times) / sum(times)
        cuts = statistics.quantiles(times, n=20)
        print(
            f"{name:<30} {throughput[name]:8.0f} {1000 * statistics.median(times):8.2f}"
            f" {1000 * cuts[18]:8.2f} {1000 * max(times):8.2f}"
        )
    for name in systems:
        if name != "ours":
            print(f"ours / {name}: {throughput['ours'] / throughput[name]:.1f}x throughput")
    wall = sum(sum(times) for times in latencies.values())
    print(f"(CPU time {cpu:.1f} s for {wall:.1f} s timed: {100 * cpu / wall:.0f}% of one core)")


if __name__ == "__main__":
    main()
