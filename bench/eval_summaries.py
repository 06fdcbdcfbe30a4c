"""ROUGE of the summariser on BBC Arabic (5-fold cross-validated) and on EASC, beside the
baselines, in one run, with bootstrap 95% intervals.

Run from the repository root::

    .venv/bin/python -m bench.eval_summaries

Data (``../shared/eval-data``, see its README; nothing is downloaded):

* **bbc-dev**: 1,000 BBC Arabic articles of 2018 with the abstract their journalist wrote
  (one reference each). The summariser's models are trained on it, so every figure for it
  here is cross-validated: the articles of each of five folds are summarised with models
  trained on the other four (``bench.train_summariser``), never with the shipped weights.
* **EASC**: 153 articles with five human extractive summaries each (about four sentences).
  Never trained or tuned on; summarised with the shipped weights (trained on all of
  bbc-dev). It has no headlines: ``title=None`` everywhere.

Scoring follows the eval-data README's Arabic recipe: rouge-score's ``RougeScorer`` with the
recipe's tokenizer, written out in ``bench.rouge_tokens`` (NFKC, no tashkeel or tatweel,
unified alef/yeh/teh marbuta, ؤ → و, ئ → ي, ASCII digits, lower case, ``[^\\W_]+``); F1 of
ROUGE-1/2/L against each reference, averaged over a document's references, then over
documents. The 95% intervals are percentile bootstraps over documents (2,000 resamples, fixed
seed); "gain" rows bootstrap the per-document difference.

Budgets, each system at the same one:

* **1 sentence**: ours (``summarise(max_sentences=1)``), Lead-1 (the first sentence of our
  units), sumy LexRank's top sentence, and the one-sentence oracle (the single sentence with
  the best ROUGE-1 against the references: a ceiling no selector can pass).
* **digest default** (at most 2 sentences and 280 characters, as ``[[destinations]]``):
  ours (``summarise(max_sentences=2, max_chars=280)``), lead under the same budget (the first
  sentences in order while they fit), and LexRank under the same budget (its top sentences
  while they fit, shown in article order).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.rouge_tokens import recipe_tokens
from bench.train_summariser import (
    BBC_DEV,
    cross_validated_models,
    examples,
    load_bbc,
)
from digests.text.arabic import STOPWORDS, tokenize
from digests.text.stems import stem
from digests.text.summarise import Summariser, article_sentences

EVAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "eval-data"
EASC = EVAL_DATA / "easc" / "easc.jsonl"
METRICS = ("rouge1", "rouge2", "rougeL")
DIGEST_SENTENCES, DIGEST_CHARS = 2, 280
RESAMPLES = 2000


class _ArabicTokenizer:
    """The README's tokenizer, in the shape rouge-score expects."""

    def tokenize(self, text: str) -> list[str]:
        return recipe_tokens(text)


class _SumyWords:
    """A sumy tokenizer that needs no NLTK data: sentences are given, words are ours."""

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return (paragraph,)

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(tokenize(sentence))


def lexrank_ranking(sentences: Sequence[str]) -> list[str]:
    """sumy's LexRank order (best first) over the given sentences."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.summarizers.lex_rank import LexRankSummarizer

    if not sentences:
        return []
    words = _SumyWords()
    document = ObjectDocumentModel([Paragraph([Sentence(s, words) for s in sentences])])
    summarizer = LexRankSummarizer(stem)
    summarizer.stop_words = STOPWORDS
    ranked: list[str] = []

    def keep_all(infos: list[Any]) -> list[Any]:  # sumy passes the sentences best first
        ranked.extend(str(info.sentence) for info in infos)
        return infos

    summarizer(document, keep_all)
    return ranked


def within(ranked: Sequence[str], order: Sequence[str], sentences: int, chars: int) -> str:
    """Sentences in rank order while they fit both budgets, shown in article order."""
    chosen: list[str] = []
    used = -1
    for sentence in ranked:
        if len(chosen) == sentences:
            break
        if used + 1 + len(sentence) > chars:
            if chosen:
                break
            continue  # the best one does not fit at all: take the next that does
        chosen.append(sentence)
        used += 1 + len(sentence)
    return " ".join(s for s in order if s in chosen)


class Scorer:
    """ROUGE F1 (×100) of a summary against a document's references, averaged."""

    def __init__(self) -> None:
        from rouge_score.rouge_scorer import RougeScorer

        self._scorer = RougeScorer(list(METRICS), tokenizer=_ArabicTokenizer())

    def __call__(self, references: Sequence[str], summary: str) -> tuple[float, float, float]:
        scores = [self._scorer.score(reference, summary) for reference in references]
        means = (statistics.mean(s[m].fmeasure for s in scores) for m in METRICS)
        r1, r2, rl = (100 * value for value in means)
        return r1, r2, rl


def bootstrap(values: Sequence[float], seed: int = 2018) -> tuple[float, float]:
    """The percentile 95% interval of the mean of ``values``."""
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(RESAMPLES))
    return means[int(0.025 * RESAMPLES)], means[int(0.975 * RESAMPLES) - 1]


Document = dict[str, Any]  # title, text, references, summariser
System = Callable[[Document], str]


def systems() -> dict[str, System]:
    """Every system, by name, as functions of a document."""

    def ours(sentences: int, chars: int | None) -> System:
        return lambda d: (
            d["summariser"]
            .summarise(d["title"], d["text"], max_sentences=sentences, max_chars=chars)
            .text
        )

    def lead(sentences: int, chars: int) -> System:
        return lambda d: within(order := article_sentences(d["text"]), order, sentences, chars)

    def lexrank(sentences: int, chars: int) -> System:
        return lambda d: within(
            lexrank_ranking(order := article_sentences(d["text"])), order, sentences, chars
        )

    big = 10**9
    return {
        "1 sentence: ours": ours(1, None),
        "1 sentence: Lead-1": lead(1, big),
        "1 sentence: LexRank (sumy)": lexrank(1, big),
        "digest default: ours": ours(DIGEST_SENTENCES, DIGEST_CHARS),
        "digest default: lead within budget": lead(DIGEST_SENTENCES, DIGEST_CHARS),
        "digest default: LexRank within budget": lexrank(DIGEST_SENTENCES, DIGEST_CHARS),
    }


def oracle(scorer: Scorer, document: Document) -> tuple[float, float, float]:
    """The best single sentence against the references (by ROUGE-1)."""
    options = [scorer(document["references"], s) for s in article_sentences(document["text"])]
    return max(options, default=(0.0, 0.0, 0.0))


def bbc_documents() -> list[Document]:
    """bbc-dev, each article with the summariser trained without its fold."""
    rows = {row["id"]: row for row in load_bbc()}
    items = examples(list(rows.values()))
    documents: list[Document] = []
    for test, (opening, extension) in cross_validated_models(items):
        summariser = Summariser(opening, extension)
        for index in test:
            row = rows[items[index].id]
            documents.append(
                {
                    "title": row["title"],
                    "text": row["text"],
                    "references": [row["abstract"]],
                    "summariser": summariser,
                }
            )
    return documents


def easc_documents() -> list[Document]:
    if not EASC.is_file():
        sys.exit(f"EASC not found at {EASC} (see ../shared/eval-data/README.md)")
    shipped = Summariser()
    with EASC.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    return [
        {"title": None, "text": r["article"], "references": r["summaries"], "summariser": shipped}
        for r in rows
    ]


def report(name: str, documents: Sequence[Document], scorer: Scorer) -> None:
    table: dict[str, list[tuple[float, float, float]]] = {}
    words: dict[str, list[int]] = {}
    for document in documents:
        for system, make in systems().items():
            summary = make(document)
            table.setdefault(system, []).append(scorer(document["references"], summary))
            words.setdefault(system, []).append(len(recipe_tokens(summary)))
        table.setdefault("1 sentence: oracle", []).append(oracle(scorer, document))
        words.setdefault("1 sentence: oracle", []).append(0)
    print(f"\n{name}: {len(documents)} articles; ROUGE F1 × 100, 95% bootstrap interval")
    print(f"{'system':<40} {'R-1':>6} {'95% CI':>13} {'R-2':>6} {'R-L':>6} {'words':>6}")
    for system in sorted(table, key=lambda s: (s.split(":")[0], s)):
        rows = table[system]
        r1 = [row[0] for row in rows]
        low, high = bootstrap(r1)
        means = [statistics.mean(row[k] for row in rows) for k in range(3)]
        shown = f"{statistics.mean(words[system]):6.1f}" if "oracle" not in system else "     –"
        print(
            f"{system:<40} {means[0]:6.1f} {f'[{low:.1f}, {high:.1f}]':>13} {means[1]:6.1f}"
            f" {means[2]:6.1f} {shown}"
        )
    leads = sum(
        a == b
        for a, b in zip(
            (systems()["1 sentence: ours"](d) for d in documents),
            (systems()["1 sentence: Lead-1"](d) for d in documents),
            strict=True,
        )
    )
    print(f"ours at one sentence is the lead for {leads} of {len(documents)} articles")
    for ours, baseline in (
        ("1 sentence: ours", "1 sentence: Lead-1"),
        ("digest default: ours", "digest default: lead within budget"),
    ):
        gains = [a[0] - b[0] for a, b in zip(table[ours], table[baseline], strict=True)]
        low, high = bootstrap(gains)
        better = sum(g > 0.005 for g in gains)
        worse = sum(g < -0.005 for g in gains)
        print(
            f"gain R-1, {ours.split(':')[0]}: ours − {baseline.split(': ')[1]}"
            f" = {statistics.mean(gains):+.2f} [{low:+.2f}, {high:+.2f}];"
            f" better on {better}, worse on {worse} articles"
        )


def main() -> None:
    if not BBC_DEV.is_file():
        sys.exit(f"bbc-dev not found at {BBC_DEV} (see ../shared/eval-data/README.md)")
    started = time.perf_counter()
    scorer = Scorer()
    report("bbc-dev (5-fold cross-validated)", bbc_documents(), scorer)
    report("EASC (never tuned on; shipped weights)", easc_documents(), scorer)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
