"""Extractive summaries of Arabic news articles: pick whole sentences, keep their order.

Pure, deterministic and offline: no I/O, no clock, no model, no randomness. The same title
and text always give the same ``Summary``.

How a sentence is scored (details and measurements in ``docs/summariser.md``):

* **position**: news puts the point first; the score decays with the sentence's index, and
  the first sentence of a paragraph gets a bonus;
* **title**: overlap of its terms with the headline's (the first sentence stands in when
  there is no headline);
* **centrality**: how much of its vocabulary recurs in the rest of the article;
* **usability** (a penalty): sentences that cannot stand alone are pushed down: those
  opening with a back-pointing connective (وفي سياق متصل, في المقابل, من جهته, وأضاف …),
  questions, quotations without a speaker, fragments, repeats and boilerplate (credits,
  captions, "جميع المقالات المنشورة …", lines marked with * or ×).

Sentences are then chosen greedily by maximal marginal relevance (score minus similarity
to what is already chosen), so that the summary does not say the same thing twice.

Contract of ``summarise``: sentences come out in article order, whole (never cut in the
middle); a leading dateline such as ``القاهرة (رويترز) -`` is removed from the displayed
sentence. At most ``max_sentences`` sentences and ``max_chars`` characters (sentences joined
by one space). When the best sentence is too long for ``max_chars`` a shorter good one is
chosen instead; only when no sentence at all fits is the best one cut at a word boundary and
ended with "…" (``method="truncated"``, ``fallback_reason`` says why). This last resort
exists because a digest line must never be empty or overflow its limit, and a clearly marked
cut is more useful to a reader than nothing. A short article whose sentences all fit is
returned whole (``method="article"``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import NamedTuple

from digests.text.arabic import split_sentences, terms, terms_from_tokens, tokenize

__all__ = ["Summary", "article_sentences", "lead", "rank_sentences", "summarise"]

_ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary: whole sentences in article order, and how they were obtained.

    ``method`` is one of ``extractive`` (chosen sentences), ``article`` (the article was short
    enough to be its own summary), ``lead`` (the first usable sentence), ``truncated`` (no
    whole sentence fitted the character limit, see ``fallback_reason``), ``empty`` (no text)
    or ``llm`` (written by the optional language-model backend). ``fallback_reason`` is set
    when a preferred method gave way to another.
    """

    sentences: tuple[str, ...]
    method: str
    fallback_reason: str | None = None

    @property
    def text(self) -> str:
        """The sentences joined by single spaces."""
        return " ".join(self.sentences)


# --------------------------------------------------------------------------- sentence usability

# Openers that point back at an earlier sentence ("in the same context", "on his side", "he
# added") or hang on one ("however", "this came as"). Written in ordinary spelling and
# normalised at import; matched on the normalised sentence start, whole words only.
_BACK_POINTING = (
    "في سياق متصل|في سياق منفصل|في السياق|في هذا السياق|في المقابل|بالمقابل"
    "|من جهته|من جهتها|من جهتهم|من جانبه|من جانبها|من جانبهم|من جهة أخرى|من ناحية أخرى"
    "|من ناحيته|من ناحيتها|بدوره|بدورها|بدورهم|أضاف|أضافت|تابع|تابعت|أردف|أردفت|أشار"
    "|أشارت|أوضح|أوضحت|لفت|لفتت|استطرد|ختم|قال إن|قالت إن|قال أن|قالت أن|أكد أن|أكدت أن"
    "|كما|لكن|لكنه|لكنها|غير أن|إلا أن|بيد أن|مع ذلك|رغم ذلك|على الرغم من ذلك|لذلك|لذا"
    "|بالتالي|عليه|هذا وقد|هذا|هذه|ذلك|تلك|هو|هي|هم|أيضا|كذلك|في حين|إلى ذلك"
    "|علاوة على ذلك|فضلا عن ذلك|إضافة إلى ذلك|بالإضافة إلى ذلك|جاء ذلك|يأتي ذلك|يأتي هذا"
    "|تأتي هذه|في الوقت نفسه|في الوقت ذاته|أما|ثم|حينها|عندها|آنذاك|يذكر أن|يشار إلى أن"
    "|وشدد|وشددت|ونوه|ونوهت|واعتبر|واعتبرت|ورأى|ورأت|واستدرك|وختم|وختمت|كلمة أخيرة"
)
# Lines that are not news: credits, calls to action, disclaimers (lines opening with * or ×
# are dropped too: that is how several sites mark them).
_BOILERPLATE = (
    "جميع المقالات المنشورة|جميع الحقوق محفوظة|حقوق النشر|اقرأ أيضا|اقرأ المزيد|شاهد أيضا"
    "|شاهد الفيديو|للمزيد|تابعونا|اشترك|صورة أرشيفية|فرانس 24|فرانس24"
)
_CAPTION = re.compile(r"(?:المصدر|الصورة|مصدر الصورة|صورة|فيديو|شاهد|اقرأ)\s*:")


def _opener_pattern(alternatives: str) -> re.Pattern[str]:
    """A pattern for sentences (as space-joined tokens) that open with one of the phrases."""
    phrases = sorted(
        {" ".join(tokenize(p)) for p in alternatives.split("|")}, key=len, reverse=True
    )
    body = "|".join(re.escape(p) for p in phrases)
    # An optional conjunction و/ف in front: "وفي المقابل", "ومن جهته", "فضلا".
    return re.compile(rf"(?:[وف])?(?:{body})(?![^\W_])")


_BACK_POINTING_START = _opener_pattern(_BACK_POINTING)
_BOILERPLATE_START = _opener_pattern(_BOILERPLATE)
# "دبي، الإمارات العربية المتحدة (CNN) --", "القاهرة - (رويترز):", "باريس (أ ف ب) -": a short
# place, an agency in brackets, then a dash or colon.
_DATELINE = re.compile(r"[^\n.!?؟(]{0,60}?[-–—]?\s*\([^()]{1,40}\)\s*(?:[-–—]+|:)\s*")
_QUOTES_OPEN = "«“\"'"
_QUOTES_CLOSE = "»”\"'"
_REPORTING = re.compile(r"(?<![^\W_])(?:قال|قالت|اكد|اكدت|اضاف|اضافت|بحسب|وفق|حسب|نقل|صرح)")


def _strip_dateline(sentence: str) -> str:
    """Remove a leading wire dateline; the rest is the sentence a reader wants."""
    if "(" not in sentence[:110]:
        return sentence
    match = _DATELINE.match(sentence)
    if match is None:
        return sentence
    return sentence[match.end() :].lstrip(" -–—:،,")


def _penalty(normalised: str, raw: str, words: int) -> float:
    """How unusable the sentence is out of context: 0 (fine) … 1 (never choose it).

    ``normalised`` is the sentence as space-joined tokens, ``raw`` as displayed.
    """
    if words == 0 or raw[0] in "*×" or _BOILERPLATE_START.match(normalised) or _CAPTION.match(raw):
        return 1.0
    penalty = 0.0
    if _BACK_POINTING_START.match(normalised):
        penalty += 0.5
    last = raw.rstrip(_QUOTES_CLOSE + ")").rstrip()[-1:]
    if last in "?؟":
        penalty += 0.6
    elif last == ":":
        penalty += 0.6  # introduces a list or a quotation that follows
    if raw[0] in _QUOTES_OPEN and not _REPORTING.search(normalised):
        penalty += 0.5  # a quotation with no speaker
    if words < 5:
        penalty += 0.6
    return min(penalty, 1.0)


# --------------------------------------------------------------------------- ranking


class _Sentence(NamedTuple):
    order: int  # position in the article, from 0
    text: str  # display text, dateline removed
    terms: frozenset[str]
    words: int
    paragraph_start: bool
    penalty: float


class _Weights(NamedTuple):
    """The scoring constants, tuned on EASC (see docs/summariser.md for the measurements)."""

    position_scale: float = 8.0  # sentences: the position score falls by e over this many
    first: float = 1.0  # bonus of the first sentence (the lead of a news story)
    paragraph: float = 0.1  # bonus of a paragraph's first sentence
    title: float = 0.2  # times the cosine similarity with the title (or the first sentence)
    centrality: float = 0.3  # times the centrality relative to the most central sentence
    long_words: int = 50  # longer sentences are damped by (long_words / words) ** 3
    redundancy: float = 1.0  # MMR weight of similarity to a chosen sentence beyond...
    redundancy_floor: float = 0.5  # ...this cosine: only near-repeats are pushed down


_WEIGHTS = _Weights()


_SENTENCE_END = tuple('.!?؟؛…:"»”)')
_LIST_ITEM = re.compile(r"\s*(?:[-–—•*·▪]|\d{1,2}\s*[-.)])")


def _paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text``: its lines, unless the text is hard-wrapped.

    Plain text from some sources (the EASC newspaper articles, e-mail-like feeds) is wrapped
    at a fixed width, so a line break often falls inside a sentence. Such text is recognised
    by most of its lines being long and open-ended (no closing punctuation, median at most
    100 characters); then a line that fills the width and does not end a sentence is joined
    with the next one. Short open lines (headings, list items) are never joined.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 4:
        return lines
    lengths = sorted(len(line.rstrip()) for line in lines)
    open_ended = [not line.rstrip().endswith(_SENTENCE_END) for line in lines]
    if sum(open_ended) * 2 < len(lines) or lengths[len(lengths) // 2] > 100:
        return lines
    width = lengths[(len(lengths) - 1) * 9 // 10]
    if width < 50:  # nobody wraps that narrow: these are headings or a list
        return lines
    paragraphs: list[str] = []
    current = ""
    for line, is_open, following in zip(lines, open_ended, [*lines[1:], ""], strict=True):
        current = f"{current} {line.strip()}" if current else line
        fills_width = len(line.rstrip()) * 10 >= width * 7
        if not (is_open and fills_width and not _LIST_ITEM.match(following)):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def _analyse(text: str) -> list[_Sentence]:
    """The article's sentences with what scoring needs; repeats get penalty 1 (never chosen)."""
    sentences: list[_Sentence] = []
    seen: set[str] = set()
    for paragraph in _paragraphs(text):
        for position, raw in enumerate(split_sentences(paragraph)):
            display = _strip_dateline(raw) if position == 0 else raw
            if not display:
                continue
            tokens = tokenize(display)
            normalised = " ".join(tokens)
            penalty = 1.0 if normalised in seen else _penalty(normalised, display, len(tokens))
            seen.add(normalised)
            sentences.append(
                _Sentence(
                    order=len(sentences),
                    text=display,
                    terms=frozenset(terms_from_tokens(tokens)),
                    words=len(tokens),
                    paragraph_start=position == 0,
                    penalty=penalty,
                )
            )
    return sentences


def _similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def _scores(
    title: frozenset[str] | None, sentences: Sequence[_Sentence], w: _Weights
) -> list[float]:
    """The relevance of each sentence, before redundancy: position, title, centrality."""
    frequency = Counter(chain.from_iterable(s.terms for s in sentences))
    # Centrality: how often the sentence's terms occur elsewhere in the article, per square
    # root of its term count (so that long sentences do not win by size alone).
    centrality = [
        (sum(map(frequency.__getitem__, s.terms)) - len(s.terms)) / math.sqrt(len(s.terms))
        if s.terms
        else 0.0
        for s in sentences
    ]
    top = max(centrality, default=0.0) or 1.0
    query = title if title else sentences[0].terms
    scores = []
    for s, central in zip(sentences, centrality, strict=True):
        score = (
            math.exp(-s.order / w.position_scale)
            + (w.first if s.order == 0 else 0.0)
            + (w.paragraph if s.paragraph_start else 0.0)
            + w.title * _similarity(query, s.terms)
            + w.centrality * central / top
        )
        if s.words > w.long_words:
            score *= (w.long_words / s.words) ** 3
        scores.append(score * (1.0 - s.penalty))
    return scores


def _ranked(
    title: str | None, sentences: Sequence[_Sentence], w: _Weights = _WEIGHTS
) -> Iterator[int]:
    """Indices of the usable ``sentences``, best first, by maximal marginal relevance.

    A generator: each step costs one similarity per remaining sentence, so a caller that
    needs three sentences pays for three steps, not for ranking the whole article.
    """
    if not sentences:
        return
    title_terms = frozenset(terms(title)) if title else None
    scores = _scores(title_terms, sentences, w)
    remaining = [i for i, s in enumerate(sentences) if s.penalty < 1.0]
    repeat = [0.0] * len(sentences)  # how much each sentence repeats the chosen ones
    floor = w.redundancy_floor
    while remaining:
        best = max(remaining, key=lambda i: (scores[i] - w.redundancy * repeat[i], -i))
        yield best
        remaining.remove(best)
        best_terms = sentences[best].terms
        for i in remaining:
            excess = (_similarity(sentences[i].terms, best_terms) - floor) / (1.0 - floor)
            if excess > repeat[i]:
                repeat[i] = excess


def article_sentences(text: str) -> list[str]:
    """The sentences the summariser chooses from, in article order.

    Hard-wrapped lines are joined, datelines removed and boilerplate dropped; this is also the
    unit for a lead baseline that is comparable with ``rank_sentences``.
    """
    return [s.text for s in _analyse(text) if s.penalty < 1.0]


def rank_sentences(title: str | None, text: str) -> list[str]:
    """Every usable sentence of ``text`` (datelines removed), best first.

    This is the order ``summarise`` picks from; evaluations that need a length other than a
    sentence count (ROUGE at the reference length) take a prefix of it.
    """
    sentences = _analyse(text)
    return [sentences[i].text for i in _ranked(title, sentences)]


# --------------------------------------------------------------------------- summaries


def _cut_at_word(sentence: str, max_chars: int) -> str:
    """The longest prefix of ``sentence`` ending at a word boundary, plus "…", in max_chars."""
    room = max_chars - len(_ELLIPSIS)
    if room <= 0:
        return _ELLIPSIS[:max_chars]
    cut = sentence[: room + 1]
    space = cut.rfind(" ")
    head = cut[:space] if space > 0 else ""
    head = head.rstrip(" ،,؛;:-–—")
    return head + _ELLIPSIS if head else _ELLIPSIS


def summarise(
    title: str | None,
    text: str,
    *,
    max_sentences: int | None = 3,
    max_chars: int | None = None,
) -> Summary:
    """Summarise an article by choosing its best whole sentences (see the module docstring).

    ``title`` is the headline (``None`` when unknown); ``max_sentences=None`` and
    ``max_chars=None`` mean no limit of that kind.
    """
    sentences = [s for s in _analyse(text) if s.penalty < 1.0]
    if not sentences:
        return Summary(sentences=(), method="empty")
    sentence_limit = len(sentences) if max_sentences is None else max(0, max_sentences)
    char_limit = math.inf if max_chars is None else max(0, max_chars)
    if sentence_limit == 0 or char_limit == 0:
        return Summary(sentences=(), method="empty", fallback_reason="the limits leave no room")

    whole = [s.text for s in sentences]
    if len(whole) <= sentence_limit and len(" ".join(whole)) <= char_limit:
        return Summary(sentences=tuple(whole), method="article")

    chosen: list[int] = []
    used = -1  # characters so far, counting the joining spaces
    best = -1
    for i in _ranked(title, sentences):
        best = i if best < 0 else best
        if used + 1 + len(sentences[i].text) <= char_limit:
            chosen.append(i)
            used += 1 + len(sentences[i].text)
            if len(chosen) == sentence_limit:
                break
    if chosen:
        return Summary(tuple(sentences[i].text for i in sorted(chosen)), method="extractive")
    return Summary(
        sentences=(_cut_at_word(sentences[best].text, int(char_limit)),),
        method="truncated",
        fallback_reason=f"no whole sentence fits in {int(char_limit)} characters",
    )


def lead(title: str | None, text: str, max_chars: int = 280) -> Summary:
    """A one-line lead: the article's first sentence that stands on its own.

    Datelines are removed and sentences unusable out of context (questions, back-pointing
    openers, boilerplate) are skipped. If that sentence is longer than ``max_chars`` it is cut
    at a word boundary and ended with "…" (``method="truncated"``): a lead is one line, so
    here a marked cut is preferred to choosing a less central sentence. No text gives the
    ``title`` (if any) as the lead.
    """
    sentences = _analyse(text)
    usable = [s for s in sentences if s.penalty < 0.5] or [s for s in sentences if s.penalty < 1.0]
    if not usable:
        if title and title.strip():
            return lead(None, title, max_chars)
        return Summary(sentences=(), method="empty")
    first = usable[0].text
    if len(first) <= max_chars:
        return Summary(sentences=(first,), method="lead")
    return Summary(
        sentences=(_cut_at_word(first, max_chars),),
        method="truncated",
        fallback_reason=f"the lead sentence is longer than {max_chars} characters",
    )
