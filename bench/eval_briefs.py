"""Story briefs on ANT: redundancy, added facts, length against the budget.

The stories are the hand-labelled same-event cross-outlet pairs of
``bench/data/ant_story_pairs.tsv`` (two outlets each; see ``bench/data/README.md``), read from
the ANT corpus in ``../shared/eval-data`` (``bench.eval_clusters.load_ant``). Each pair is
told by ``text.brief.brief`` at the default budget (280 characters) and at 600, and measured:

* **redundancy**: pairs of brief sentences where the later one repeats the earlier (stem
  overlap at or above ``REDUNDANCY``, as the brief measures it; those shown on purpose for
  another figure of the same noun counted apart) and, stricter, pairs whose
  shared stems are half of the *smaller* sentence's (target 0 for the first by construction;
  the second shows how close additions come);
* **additions**: briefs with an added sentence, with a disagreement note in the credit, and
  whether each added sentence carries a figure, a named party or a reaction (automatic; the
  hand-checked judgement is the sample written with ``--sample``);
* **length**: the brief's length against the budget.

Run: ``.venv/bin/python -m bench.eval_briefs`` (``--sample N`` prints N briefs, for reading;
``--hand-checked`` prints the briefs of ``bench/data/brief_sample.tsv`` with their recorded
judgements and the share of added sentences that add a fact).
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from pathlib import Path

from bench.eval_clusters import AntDoc, load_ant, load_pairs
from digests.text.brief import REDUNDANCY, Brief, Report, _figures, brief, overlap
from digests.text.stems import terms

SAMPLE = Path(__file__).parent / "data" / "brief_sample.tsv"


def _core(sentence: str) -> str:
    """A brief sentence without its credit."""
    return sentence.rsplit(" (", 1)[0]


def _disagree(a: str, b: str) -> bool:
    """Whether two sentences give different figures for the same noun."""
    fa, fb = _figures(_core(a)), _figures(_core(b))
    return any(n in fb and fb[n][0] != v[0] for n, v in fa.items())


def measure(briefs: Sequence[Brief], budget: int) -> dict[str, float]:
    """The measures above over ``briefs`` made with ``budget``."""
    pairs = repeated = disagreeing = close = 0
    with_additions = noted = 0
    lengths: list[int] = []
    for told in briefs:
        stems = [frozenset(terms(_core(s))) for s in told.sentences]
        for i, later in enumerate(stems):
            for earlier in stems[:i]:
                pairs += 1
                if overlap(later, earlier) >= REDUNDANCY:
                    # A sentence shown for its other figure repeats the rest on purpose.
                    if _disagree(told.sentences[i], told.sentences[0]):
                        disagreeing += 1
                    else:
                        repeated += 1
                small = min(len(later), len(earlier)) or 1
                close += len(later & earlier) / small >= REDUNDANCY
        with_additions += len(told.sentences) > 1
        noted += bool(told.sentences) and "؛ " in told.sentences[0].rsplit(" (", 1)[-1]
        lengths.append(len(told.text))
    return {
        "briefs": len(briefs),
        "with additions": with_additions,
        "with a figure note": noted,
        "sentence pairs": pairs,
        "repeating pairs": repeated,
        "repeating pairs shown for another figure": disagreeing,
        "pairs sharing half the smaller": close,
        "mean length": statistics.fmean(lengths) if lengths else 0.0,
        "longest": max(lengths, default=0),
        "over budget": sum(n > budget for n in lengths),
    }


def hand_checked(docs: Sequence[AntDoc], path: Path = SAMPLE) -> dict[str, int]:
    """Print each brief of the hand-checked sample (ids, budget and judgement per row) and
    return the tallies: briefs, briefs with an added sentence, those whose added sentence adds
    a fact, and rows whose recorded ``added`` no longer matches what the brief does now."""
    by_key = {d.key: d for d in docs}
    tally = {"briefs": 0, "with an added sentence": 0, "adding a fact": 0, "stale rows": 0}
    with path.open(encoding="utf-8") as lines:
        next(lines)
        for line in lines:
            key_a, key_b, budget, added, adds_fact, note = line.rstrip("\n").split("\t")
            story = [
                Report(by_key[k].source, by_key[k].title, by_key[k].text) for k in (key_a, key_b)
            ]
            told = brief(story, int(budget))
            tally["briefs"] += 1
            tally["with an added sentence"] += added == "yes"
            tally["adding a fact"] += adds_fact == "yes"
            tally["stale rows"] += (added == "yes") != (len(told.sentences) > 1)
            print(f"\n-- {key_a} {key_b} added={added} adds_fact={adds_fact or '-'}: {note}")
            for sentence in told.sentences:
                print("  ", sentence)
    return tally


def main(argv: Sequence[str] | None = None) -> int:
    """Print the measures at 280 and 600 characters; ``--sample N`` prints N briefs,
    ``--hand-checked`` the hand-checked sample and its tallies instead."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--hand-checked", action="store_true")
    args = parser.parse_args(argv)
    docs = load_ant()
    if args.hand_checked:
        tally = hand_checked(docs)
        print()
        for name, count in tally.items():
            print(f"{name}: {count}")
        return 0
    same = [p for p in load_pairs(docs) if p.same and not p.same_source]
    stories = [
        [Report(docs[i].source, docs[i].title, docs[i].text) for i in (p.a, p.b)] for p in same
    ]
    for budget in (280, 600):
        told = [brief(s, budget) for s in stories]
        print(f"budget {budget}:")
        for name, value in measure(told, budget).items():
            print(f"  {name}: {value:.1f}" if isinstance(value, float) else f"  {name}: {value}")
        if args.sample and budget == 600:
            for story, b in list(zip(stories, told, strict=True))[: args.sample]:
                print("\n--", " / ".join(r.title for r in story))
                for sentence in b.sentences:
                    print("  ", sentence)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
