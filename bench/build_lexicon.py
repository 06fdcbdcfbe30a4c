"""Build the word-form lexicon the matching layer ships with, from the ANT corpus.

Run from the repository root::

    .venv/bin/python -m bench.build_lexicon            # writes digests/text/data/lexicon.tsv.gz
    .venv/bin/python -m bench.build_lexicon --check    # compares with the shipped file

Input: ``../shared/eval-data/ant-v2.1/ant_v2.1_4outlets.jsonl.gz`` (27,710 articles of four
Arabic outlets, 2018). Output: every normalised word form (``text.arabic.tokenize``) seen at
least ``MIN_COUNT`` times in titles and texts, with its count, most frequent first, and a third
column ``h`` on forms that start with ال but are mostly written with a hamza alef there (أل إل
آل: إلغاء، ألوان، إلهام، ألمانيا), whose ال is no article. It holds word statistics only, no
text: the articles stay with their outlets.

The matching layer (``text.stems``) strips a particle from a word only when what remains is
attested here (``وإيران`` → ``إيران``; ``بولندا`` stays ``بولندا``: «ولندا» is no word).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
from collections import Counter
from pathlib import Path

from digests.text.arabic import normalise, tokenize

ROOT = Path(__file__).resolve().parents[1]
ANT = ROOT.parent / "shared" / "eval-data" / "ant-v2.1" / "ant_v2.1_4outlets.jsonl.gz"
LEXICON = ROOT / "digests" / "text" / "data" / "lexicon.tsv.gz"
MIN_COUNT = 3
HAMZA_SHARE = 0.5
_HAMZA_LAM = re.compile(r"(?<![^\W_])[أإآ]ل[^\W_]*")


def count_forms() -> tuple[Counter[str], Counter[str]]:
    """Every normalised form's count, and how often each was written starting أل/إل/آل."""
    if not ANT.is_file():
        sys.exit(f"ANT not found at {ANT} (see ../shared/eval-data/README.md)")
    counts: Counter[str] = Counter()
    hamza: Counter[str] = Counter()
    with gzip.open(ANT, "rt", encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            text = f"{article['title']}\n{article['text']}"
            counts.update(tokenize(text))
            hamza.update(normalise(word) for word in _HAMZA_LAM.findall(text))
    return counts, hamza


def render(counts: Counter[str], hamza: Counter[str]) -> bytes:
    """The gzip'd TSV, deterministic (sorted by count, then form; no timestamp in the header)."""
    kept = sorted(
        ((form, n) for form, n in counts.items() if n >= MIN_COUNT and not form.isdigit()),
        key=lambda item: (-item[1], item[0]),
    )
    text = "".join(
        f"{form}\t{n}\th\n" if hamza[form] >= HAMZA_SHARE * n else f"{form}\t{n}\n"
        for form, n in kept
    )
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as out:
        out.write(text.encode("utf-8"))
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    data = render(*count_forms())
    if args.check:
        same = LEXICON.is_file() and LEXICON.read_bytes() == data
        print("the shipped lexicon is " + ("up to date" if same else "OUT OF DATE"))
        sys.exit(0 if same else 1)
    LEXICON.parent.mkdir(parents=True, exist_ok=True)
    LEXICON.write_bytes(data)
    forms = gzip.decompress(data).count(b"\n")
    print(f"wrote {LEXICON.relative_to(ROOT)}: {forms} forms, {len(data) // 1024} KiB")


if __name__ == "__main__":
    main()
