"""The brief of a story told by several outlets: one lead, then what the others add, credited.

Pure, deterministic and offline (no I/O, no clock, no model). ``brief(reports, max_chars)``
takes one ``Report`` per article of a story (oldest first) and returns a ``Brief``:

1. **The lead**: each outlet's best opening sentence (``text.summarise``, one sentence); the
   lead is the one whose terms the other outlets' reports confirm most (its terms found in
   each other report, counted and summed), ties to the earlier report. A lead that says
   what everyone says is the safest opening, and it is always a whole sentence (shortened at
   a clause or word boundary only when no sentence of it fits).
2. **Additions**: at most ``max_additions`` sentences (one per outlet, never from the lead's
   outlet) among the first sentences of the other reports that add a fact the brief does not
   carry yet: a figure, a named party (``text.stems.names`` and ``places``) or a reaction (a
   quotation or a reporting verb). A sentence ``REDUNDANCY`` or more of whose stems a chosen
   sentence already has repeats it and is never taken. A reaction that opens on «وقال …»
   stands alone once credited, so it may be taken (without its «و») when it names who
   reacted. Each addition is credited to its outlet: «… (بي بي سي)».
3. **Disagreements**: when another outlet gives a different figure for the same noun as the
   lead (``12 قتيلا`` against ``15 قتيلا``; قتلى and قتيل count as one noun), the brief shows
   that outlet's sentence too, whatever its overlap, so both figures appear with their
   sources rather than one being picked; when that sentence does not fit, the lead's credit
   carries the other figure: «… (بي بي سي؛ فرانس 24: 15 شخصا)».

When anything is added, the lead is credited too, so every figure has its source. The brief
never exceeds ``max_chars`` (sentences joined by one space, credits included) and never cuts
a word; with one outlet it is that outlet's summary, uncredited.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from digests.text.arabic import normalise
from digests.text.candidates import Candidate, candidates
from digests.text.stems import is_stopword, names, places, stem, terms
from digests.text.summarise import summarise

__all__ = ["REDUNDANCY", "Brief", "Report", "brief", "credit", "overlap"]

REDUNDANCY = 0.5
"""A sentence at least this share of whose stems an earlier one has repeats it (``overlap``)."""
_MAX_ADDITIONS = 2
# Only the first sentences of a report are looked at: later ones drift into background that
# every report of the topic shares.
_REACH = 6
_YEAR = re.compile(r"(19|20)\d\d")
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,٫]\d+)?)\s+(\S+)")
# Reporting verbs and words of reaction, as stems: a sentence with one reports what a party
# said or did about the event.
_REACTION = frozenset(
    stem(w)
    for w in normalise(
        "قال قالت أكد أكدت أعلن أعلنت صرح ندد نددت دان أدان أدانت رحب رحبت حذر حذرت طالب "
        "طالبت نفى نفت اتهم اتهمت وصف وصفت"
    ).split()
)
# Plural and singular nouns of counted things whose stems differ (قتلى/قتيل).
_SAME_NOUN = {
    stem(normalise(a)): stem(normalise(b))
    for a, b in (("قتلى", "قتيل"), ("جرحى", "جريح"), ("أشخاص", "شخص"))
}


@dataclass(frozen=True, slots=True)
class Report:
    """One outlet's article of the story: its outlet's name, headline and text."""

    source: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Brief:
    """A story's brief: its sentences (credits included) and which report leads it."""

    sentences: tuple[str, ...]
    lead: int  # index of the leading report in the reports given
    sources: tuple[str, ...]  # the outlet of each sentence, in order

    @property
    def text(self) -> str:
        """The sentences joined by single spaces."""
        return " ".join(self.sentences)


def credit(sentence: str, source: str) -> str:
    """``sentence`` credited to ``source``: «… (بي بي سي)»."""
    return f"{sentence} ({source})"


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """The share of ``a``'s stems that ``b`` has: how much of sentence ``a`` sentence ``b``
    already says (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a)


def brief(
    reports: Sequence[Report],
    max_chars: int,
    *,
    max_additions: int = _MAX_ADDITIONS,
    max_sentences: int = 2,
) -> Brief:
    """The brief of ``reports`` (see the module docstring) in at most ``max_chars``;
    ``max_sentences`` bounds the summary of a story with a single outlet."""
    if not reports:
        return Brief((), 0, ())
    outlets = {r.source for r in reports}
    if len(outlets) < 2 or max_additions <= 0:
        first = reports[0]
        text = summarise(
            first.title, first.text or first.title, max_sentences=max_sentences, max_chars=max_chars
        ).text
        return Brief((text,) if text else (), 0, (first.source,) if text else ())
    found = [_sentences(r) for r in reports]
    bodies = [
        frozenset(terms(r.title)) | {t for c in f for t in c.terms}
        for r, f in zip(reports, found, strict=True)
    ]
    # Room for the lead's credit and one figure of another outlet in it.
    reserve = max(len(credit("", s)) for s in outlets) + max(len(s) for s in outlets) + 16
    leads = [
        summarise(r.title, r.text or r.title, max_sentences=1, max_chars=max_chars - reserve).text
        for r in reports
    ]
    lead = _best_lead(reports, leads, bodies)
    if not leads[lead]:
        return Brief((), lead, ())
    lead_source = reports[lead].source
    chosen = [_Chosen(leads[lead], lead_source, frozenset(terms(leads[lead])))]
    notes: list[str] = []
    used = {lead_source}
    for sentence, source, note in _disagreements(reports, found, _figures(leads[lead]), used):
        used.add(source)
        if len(chosen) - 1 < max_additions and _length(chosen, notes, sentence) <= max_chars:
            chosen.append(sentence)
        elif _length(chosen, [*notes, note], None) <= max_chars:
            notes.append(note)
    while len(chosen) - 1 < max_additions:
        best = _best_addition(reports, found, chosen, used, max_chars - _length(chosen, notes))
        if best is None:
            break
        chosen.append(best)
        used.add(best.source)
    if len(chosen) == 1 and not notes:
        return Brief((leads[lead],), lead, (lead_source,))
    opening = credit(chosen[0].text, "؛ ".join([lead_source, *notes]))
    return Brief(
        (opening, *(credit(c.text, c.source) for c in chosen[1:])),
        lead,
        tuple(c.source for c in chosen),
    )


@dataclass(frozen=True, slots=True)
class _Chosen:
    """A sentence of the brief before crediting: its text, outlet and stems."""

    text: str
    source: str
    terms: frozenset[str]


def _length(chosen: Sequence[_Chosen], notes: Sequence[str], extra: _Chosen | None = None) -> int:
    """The brief's length once credited, with ``extra`` added."""
    sentences = [*chosen, *([extra] if extra else [])]
    lead_credit = len(credit("", "؛ ".join([sentences[0].source, *notes])))
    rest = sum(len(credit(c.text, c.source)) + 1 for c in sentences[1:])
    return len(sentences[0].text) + lead_credit + rest


def _sentences(report: Report) -> list[Candidate]:
    """The first sentences of a report (its headline when it has no text)."""
    return (candidates(report.text) or candidates(report.title))[:_REACH]


def _best_lead(
    reports: Sequence[Report], leads: Sequence[str], bodies: Sequence[frozenset[str]]
) -> int:
    """The report whose lead sentence is most confirmed by the other outlets' reports (its
    stems found in each, summed) and most informative (figures, length)."""
    best, best_score = 0, -1.0
    for i, text in enumerate(leads):
        if not text:
            continue
        words = frozenset(terms(text))
        confirmed = sum(
            len(words & bodies[j])
            for j, other in enumerate(reports)
            if other.source != reports[i].source
        )
        score = confirmed + 2 * len(_figures(text)) + len(words) / 4
        if score > best_score + 1e-9:
            best, best_score = i, score
    return best


def _figures(text: str) -> dict[str, tuple[str, str]]:
    """The figures of ``text`` by the stem of the noun they count: {noun: (number, as
    written with its noun)}."""
    out: dict[str, tuple[str, str]] = {}
    for match in _NUMBER.finditer(text):
        word = match.group(2).strip('،,.؛:()«»"')
        if is_stopword(normalise(word)) or _YEAR.fullmatch(match.group(1)):
            continue  # «2018 من», «الدقيقة 90 من»: a year, or a number counting nothing
        noun = stem(normalise(word))
        noun = _SAME_NOUN.get(noun, noun)
        number = normalise(match.group(1)).replace("٫", ".").replace(",", ".")
        out.setdefault(noun, (number, f"{match.group(1)} {word}"))
    return out


def _disagreements(
    reports: Sequence[Report],
    found: Sequence[Sequence[Candidate]],
    lead_figures: dict[str, tuple[str, str]],
    used: set[str],
) -> list[tuple[_Chosen, str, str]]:
    """Per other outlet, its first sentence giving another figure for a noun the lead
    counts, with the short note of that figure («فرانس 24: 15 شخصا»)."""
    out: list[tuple[_Chosen, str, str]] = []
    seen = set(used)
    for report, sentences in zip(reports, found, strict=True):
        if report.source in seen:
            continue
        for c in sentences:
            figures = _figures(c.text)
            differ = [
                n for n in lead_figures if n in figures and figures[n][0] != lead_figures[n][0]
            ]
            if differ:
                note = f"{report.source}: {figures[differ[0]][1]}"
                out.append((_Chosen(c.text, report.source, c.terms), report.source, note))
                seen.add(report.source)
                break
    return out


def _best_addition(
    reports: Sequence[Report],
    found: Sequence[Sequence[Candidate]],
    chosen: Sequence[_Chosen],
    used: set[str],
    room: int,
) -> _Chosen | None:
    """The first-placed sentence of another outlet that adds the most new facts and fits."""
    known = frozenset(t for c in chosen for t in c.terms)
    known_figures = {v[0] for c in chosen for v in _figures(c.text).values()}
    parties = names() | frozenset(places().values())
    best: tuple[int, int, _Chosen] | None = None
    for report, sentences in zip(reports, found, strict=True):
        if report.source in used:
            continue
        for c in sentences:
            new_parties = (c.terms - known) & parties
            reaction = c.quoted or any(stem(t) in _REACTION for t in c.tokens)
            text = c.text
            if c.points_back:
                if not (reaction and c.terms & parties and text.startswith("و")):
                    continue
                text = text[1:]  # «وقال الرئيس …» stands alone once credited
            if len(credit(text, report.source)) + 1 > room:
                continue
            if any(overlap(c.terms, x.terms) >= REDUNDANCY for x in chosen):
                continue
            facts = 2 * len({v[0] for v in _figures(text).values()} - known_figures)
            facts += 2 * len(new_parties) + (1 if reaction else 0)
            if facts and (best is None or (facts, -c.order) > (best[0], -best[1])):
                best = (facts, c.order, _Chosen(text, report.source, c.terms))
    return best[2] if best else None
