"""Search recall on variant spellings: does a headline word, written another way, still find
its article?

    .venv/bin/python -m bench.search_recall [--articles 1000] [--words 3000]

Collection: the bbc-dev articles (held out from the ANT corpus the lexicon was counted
from), indexed with ``text.query.index_terms`` exactly as the store indexes them. For a
sample of content words from the headlines, each spelling variant a reader might type is
searched with ``text.query.parse_query``: a query finds an article when the article has all
its keys (what SQLite FTS5 and PostgreSQL do with the same keys), counted over all pages.

Variants: the word as written; without hamza on alef (إيران → ايران); with a hamza on a bare
initial alef; the other hamza seat (مسؤول ↔ مسئول); ى ↔ ي and ة ↔ ه at the end; with the
article added or dropped; behind و، ب، ل (and لل for a word with the article); with tashkeel
or tatweel. Printed per variant: recall (the article is found) and the median number of
articles found (a rough check that a variant does not match everything).

The script only uses ``index_terms`` and ``parse_query``, so it runs unchanged against an
older checkout (``PYTHONPATH=/path/to/old python -m bench.search_recall``) to compare.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from digests.text.query import QueryError, index_terms, parse_query

BBC = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "eval-data"
    / "bbc-dev"
    / "bbc_dev.jsonl.gz"
)
_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_WORD = re.compile(r"[^\W\d_]{3,}")
_ARABIC = re.compile("^[\u0621-\u064a]+$")


def _swap_end(word: str, a: str, b: str) -> str | None:
    return word[:-1] + b if word.endswith(a) else None


VARIANTS: dict[str, Callable[[str], str | None]] = {
    "as written": lambda w: w,
    "no hamza on alef": lambda w: re.sub("[أإآ]", "ا", w) if re.search("[أإآ]", w) else None,
    "hamza on a bare alef": lambda w: (
        "أ" + w[1:] if w.startswith("ا") and not w.startswith("ال") else None
    ),
    "other hamza seat": lambda w: (
        w.replace("ؤ", "ئ") if "ؤ" in w else w.replace("ئ", "ؤ") if "ئ" in w else None
    ),
    "ى ↔ ي at the end": lambda w: _swap_end(w, "ى", "ي") or _swap_end(w, "ي", "ى"),
    "ة ↔ ه at the end": lambda w: _swap_end(w, "ة", "ه") or _swap_end(w, "ه", "ة"),
    "article added or dropped": lambda w: w[2:] if w.startswith("ال") and len(w) > 4 else "ال" + w,
    "behind و": lambda w: "و" + w,
    "behind ب": lambda w: "ب" + w,
    "behind ل": lambda w: "ل" + w[1:] if w.startswith("ال") else "ل" + w,
    "tashkeel and tatweel": lambda w: w[0] + "\u064e" + w[1:-1] + "\u0640" + w[-1],
}


def _choices(query: object) -> tuple[tuple[str, ...], ...]:
    """Per group, the keys that match it (older checkouts have no ``Query.choices``)."""
    if hasattr(query, "choices"):
        return query.choices()  # type: ignore[no-any-return]
    return tuple((" ".join(group),) for group in query.groups)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--words", type=int, default=3000, help="headline words sampled")
    args = parser.parse_args()
    if not BBC.is_file():
        sys.exit(f"bbc-dev not found at {BBC} (see ../shared/eval-data/README.md)")
    with gzip.open(BBC, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines][: args.articles]
    index = [
        set(index_terms(r["title"]).split()) | set(index_terms(r["text"]).split()) for r in rows
    ]
    postings: dict[str, set[int]] = defaultdict(set)
    for i, keys in enumerate(index):
        for key in keys:
            postings[key].add(i)
    words = [
        (i, w)
        for i, r in enumerate(rows)
        for w in _WORD.findall(_TASHKEEL.sub("", r["title"]))
        if _ARABIC.match(w)
    ]
    random.Random(15).shuffle(words)
    found: dict[str, list[bool]] = defaultdict(list)
    sizes: dict[str, list[int]] = defaultdict(list)
    sampled = 0
    for article, word in words:
        try:
            base = parse_query(word)
        except QueryError:
            continue  # a stop word
        if sampled >= args.words:
            break
        sampled += 1
        del base
        for name, make in VARIANTS.items():
            variant = make(word)
            if variant is None:
                continue
            try:
                query = parse_query(variant)
            except QueryError:
                found[name].append(False)
                continue
            matches: set[int] | None = None
            for choices in _choices(query):
                group = set().union(
                    *(
                        set.intersection(*(postings.get(k, set()) for k in c.split()))
                        for c in choices
                    )
                )
                matches = group if matches is None else matches & group
            matches = matches or set()
            found[name].append(article in matches)
            sizes[name].append(len(matches))
    print(
        f"Search recall on spelling variants: {sampled} headline words of {len(rows)} bbc-dev "
        "articles, all pages\n"
    )
    print(f"{'variant':<28}{'queries':>9}{'recall':>9}{'median found':>14}")
    for name in VARIANTS:
        if found[name]:
            recall = sum(found[name]) / len(found[name])
            median = statistics.median(sizes[name]) if sizes[name] else 0
            print(f"{name:<28}{len(found[name]):>9}{recall:>9.4f}{median:>14.0f}")
    every = [x for name in VARIANTS for x in found[name]]
    print(f"{'all variants':<28}{len(every):>9}{sum(every) / len(every):>9.4f}")


if __name__ == "__main__":
    main()
