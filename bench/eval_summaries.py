"""ROUGE of the extractive summariser on EASC, beside the lead baseline and sumy's LexRank.

Run from the repository root::

    .venv/bin/python -m bench.eval_summaries

Data: ``../shared/eval-data/easc/easc.jsonl`` (153 articles, five human extractive summaries
each; see that folder's README). Scoring follows the README's Arabic recipe: rouge-score's
``RougeScorer`` with an Arabic tokenizer (``text.arabic.tokenize``: NFKC, no tashkeel or
tatweel, unified alef/yeh/teh marbuta/hamza carriers, ASCII digits, lower case, ``[^\\W_]+``),
F1 of ROUGE-1/2/L against each reference, averaged over the references of a document, then
over documents. "@refLen": whole sentences in rank order until the word count reaches the
mean length of the document's references, shown in article order.

Systems, all in one run:

* Lead@refLen (README units): sentences cut by ``(?<=[.!?؟])\\s+|\\n+`` in article order;
  this row reproduces the README's reference figure.
* Lead@refLen (our units): article order over the summariser's own sentences.
* LexRank@refLen (sumy): sumy's LexRank over the same sentences, with our tokenizer, stems and
  stop words (sumy's own Arabic pipeline would need NLTK data, which is never downloaded).
* Ours@refLen: ``text.summarise.rank_sentences`` (EASC has no headlines: ``title=None``).
* Lead-3 and ours with the production default (``summarise``: three sentences).
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from digests.text.arabic import STOPWORDS, stem, tokenize
from digests.text.summarise import article_sentences, rank_sentences, summarise

EVAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "eval-data"
EASC = EVAL_DATA / "easc" / "easc.jsonl"
README_SPLIT = re.compile(r"(?<=[.!?؟])\s+|\n+")
METRICS = ("rouge1", "rouge2", "rougeL")


class _ArabicTokenizer:
    """The README's tokenizer, in the shape rouge-score expects."""

    def tokenize(self, text: str) -> list[str]:
        return tokenize(text)


class _SumyWords:
    """A sumy tokenizer that needs no NLTK data: sentences are given, words are ours."""

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return (paragraph,)

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(tokenize(sentence))


def load_easc() -> list[dict[str, Any]]:
    if not EASC.is_file():
        sys.exit(
            f"EASC data not found at {EASC}.\n"
            "This benchmark reads ../shared/eval-data relative to the repository root "
            "(see that folder's README); nothing is downloaded."
        )
    with EASC.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def at_length(ranked: Sequence[str], order: Sequence[str], words: float) -> str:
    """Whole sentences in rank order until ``words`` is reached, shown in ``order``."""
    chosen: Counter[str] = Counter()
    count = 0
    for sentence in ranked:
        if count >= words:
            break
        chosen[sentence] += 1
        count += len(tokenize(sentence))
    shown = []
    for sentence in order:
        if chosen[sentence] > 0:
            chosen[sentence] -= 1
            shown.append(sentence)
    return " ".join(shown)


def lexrank_ranking(sentences: Sequence[str]) -> list[str]:
    """sumy's LexRank order (best first) over the given sentences."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.summarizers.lex_rank import LexRankSummarizer

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


def main() -> None:
    from rouge_score.rouge_scorer import RougeScorer

    documents = load_easc()
    scorer = RougeScorer(list(METRICS), tokenizer=_ArabicTokenizer())
    systems: dict[str, Callable[[dict[str, Any], float], str]] = {
        "Lead@refLen (README units)": lambda d, n: at_length(
            (s := [x.strip() for x in README_SPLIT.split(d["article"]) if x.strip()]), s, n
        ),
        "Lead@refLen (our units)": lambda d, n: at_length(
            (s := article_sentences(d["article"])), s, n
        ),
        "LexRank@refLen (sumy)": lambda d, n: at_length(
            lexrank_ranking(s := article_sentences(d["article"])), s, n
        ),
        "Ours@refLen": lambda d, n: at_length(
            rank_sentences(None, d["article"]), article_sentences(d["article"]), n
        ),
        "Lead-3 (README units)": lambda d, n: " ".join(
            [x.strip() for x in README_SPLIT.split(d["article"]) if x.strip()][:3]
        ),
        "Ours, 3 sentences (summarise)": lambda d, n: summarise(None, d["article"]).text,
    }
    started = time.perf_counter()
    per_document: dict[str, list[tuple[float, float, float]]] = {name: [] for name in systems}
    lengths: dict[str, list[int]] = {name: [] for name in systems}
    for document in documents:
        references = document["summaries"]
        words = statistics.mean(len(tokenize(r)) for r in references)
        for name, system in systems.items():
            summary = system(document, words)
            lengths[name].append(len(tokenize(summary)))
            scores = [scorer.score(reference, summary) for reference in references]
            r1, r2, rl = (statistics.mean(s[m].fmeasure for s in scores) for m in METRICS)
            per_document[name].append((r1, r2, rl))

    print(f"EASC: {len(documents)} articles, 5 references each; ROUGE F1 x 100")
    print(f"{'system':<32} {'R-1':>6} {'R-2':>6} {'R-L':>6} {'words':>6}")
    for name, rows in per_document.items():
        means = [100 * statistics.mean(row[k] for row in rows) for k in range(3)]
        print(
            f"{name:<32} {means[0]:6.1f} {means[1]:6.1f} {means[2]:6.1f}"
            f" {statistics.mean(lengths[name]):6.0f}"
        )
    print(f"{'(README) greedy 3-sentence oracle':<32} {53.6:6.1f} {48.0:6.1f} {50.9:6.1f}")

    ours, lead = per_document["Ours@refLen"], per_document["Lead@refLen (our units)"]
    for k, metric in enumerate(("R-1", "R-2")):
        gains = [100 * (a[k] - b[k]) for a, b in zip(ours, lead, strict=True)]
        error = statistics.stdev(gains) / len(gains) ** 0.5
        better = sum(g > 0 for g in gains)
        worse = sum(g < 0 for g in gains)
        print(
            f"Ours vs Lead (our units), {metric}: {statistics.mean(gains):+.2f} ± {error:.2f}"
            f" (standard error); better on {better}, worse on {worse} articles"
        )
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
