"""The sentences a summary may use, and what each needs to be judged.

Pure. An article's text comes in paragraphs (lines); ``candidates`` turns it into sentences
(``Candidate``) with their tokens, terms and the flags the summariser scores:

* **Paragraphs**: the text's lines, except that hard-wrapped text (EASC newspaper articles,
  e-mail-like feeds) has its wrapped lines joined first (``paragraphs``).
* **Not sentences**: a short line without sentence-final punctuation is a heading, a
  related-story title or a caption, never a sentence: it is left out and never joined to one
  (``HEADING_WORDS``). So are separator lines (``-----``) and the short lines that follow one
  (related-story lists, until a full paragraph comes back), boilerplate (credits,
  "اقرأ أيضا", app promotions) and repeats of an earlier sentence.
* **Datelines**: the first sentence of a paragraph loses a wire dateline
  (``القاهرة (رويترز) -``).
* **Pointing back**: a sentence that opens with a connective, a demonstrative or pronoun, or
  a reporting verb without its subject («وأضاف», «وقال إن», «بهذا العنوان», «وهو ما …»)
  cannot stand alone: ``points_back`` is set, and the summariser uses it only together with
  the sentence before it, or not at all.
* **Questions and quotations** are flagged, not dropped: on some sites the question lede is
  exactly the summary a journalist would write.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from digests.text.arabic import split_sentences, tokenize
from digests.text.stems import terms_from_tokens

__all__ = ["HEADING_WORDS", "Candidate", "candidates", "paragraphs", "strip_dateline"]

HEADING_WORDS = 18
"""An open line (no sentence-final punctuation) of at most this many words is not a sentence."""

# Openers that point back at an earlier sentence ("in the same context", "on his side", "he
# added") or hang on one ("however", "this came as"). Written in ordinary spelling and
# normalised at import; matched on the normalised sentence start, whole words only, with an
# optional و/ف in front.
_BACK_POINTING = (
    "في سياق متصل|في سياق منفصل|في السياق|في هذا السياق|في المقابل|بالمقابل"
    "|من جهته|من جهتها|من جهتهم|من جانبه|من جانبها|من جانبهم|من جهة أخرى|من ناحية أخرى"
    "|من ناحيته|من ناحيتها|بدوره|بدورها|بدورهم|أضاف|أضافت|تابع|تابعت|أردف|أردفت|أشار"
    "|أشارت|أوضح|أوضحت|لفت|لفتت|استطرد|ختم|قال إن|قالت إن|قال أن|قالت أن|أكد أن|أكدت أن"
    "|كما|لكن|لكنه|لكنها|غير أن|إلا أن|بيد أن|مع ذلك|رغم ذلك|على الرغم من ذلك|لذلك|لذا"
    "|بالتالي|عليه|هذا وقد|هذا|هذه|ذلك|تلك|هؤلاء|هو|هي|هم|هما|أيضا|كذلك|في حين|إلى ذلك"
    "|علاوة على ذلك|فضلا عن ذلك|إضافة إلى ذلك|بالإضافة إلى ذلك|جاء ذلك|يأتي ذلك|يأتي هذا"
    "|تأتي هذه|في الوقت نفسه|في الوقت ذاته|أما|ثم|حينها|عندها|آنذاك|يذكر أن|يشار إلى أن"
    "|شدد|شددت|نوه|نوهت|اعتبر|اعتبرت|رأى|رأت|استدرك|ختمت|كلمة أخيرة|بهذا|بذلك|وبهذا"
    "|قال|قالت|قالوا|أكد|أكدت|ذكر|ذكرت|أعرب|أعربت|مضيفا|مضيفة|مشيرا|مشيرة|قائلا|قائلة"
    "|إذ|حيث|فيما|بينما|الأمر الذي|وهو ما|وهي|عندئذ"
)
# Reporting verbs that open a continuation only with a conjunction: «قال وزير …» can lead an
# article, «وقال وزير …» answers something said before it.
_CONTINUING_ONLY = frozenset(
    " ".join(tokenize(p)) for p in ("قال|قالت|قالوا|أكد|أكدت|ذكر|ذكرت|أعرب|أعربت").split("|")
)
# Lines that are not news: credits, calls to action, disclaimers, app promotions (lines
# opening with * or × are dropped too: that is how several sites mark them).
_BOILERPLATE = (
    "جميع المقالات المنشورة|جميع الحقوق محفوظة|حقوق النشر|اقرأ أيضا|اقرأ المزيد|شاهد أيضا"
    "|شاهد الفيديو|للمزيد|تابعونا|اشترك|صورة أرشيفية|فرانس 24|فرانس24|يمكنكم تسلم إشعارات"
    "|يمكنكم استلام إشعارات|يمكنكم متابعة|حمل تطبيق|تابعوا آخر"
)
_CAPTION = re.compile(r"(?:المصدر|الصورة|مصدر الصورة|صورة|فيديو|شاهد|اقرأ)\s*:")
_SEPARATOR = re.compile(r"\s*[-_=*~•·.]{3,}\s*\Z")
# "دبي، الإمارات العربية المتحدة (CNN) --", "القاهرة - (رويترز):", "باريس (أ ف ب) -": a short
# place, an agency in brackets, then a dash or colon. CNN Arabic sometimes types its dateline
# with both brackets open, "(CNN(--", or with no closing bracket, "(CNN--": a second "(" stands
# for ")" only when dashes follow it, and a missing ")" only after a single word without
# digits and "--" (a single dash is prose: "(العين – الوحدة)", "(2007 – 2017)").
_DATELINE = re.compile(
    r"[^\n.!?؟(]{0,60}?[-–—]?\s*\("
    r"(?:[^()]{1,40}(?:\)\s*(?:[-–—]+|:)|\(\s*[-–—]+)|\s*[^\W\d_]{1,20}\s*-{2,})\s*"
)
_SENTENCE_END = tuple('.!?؟؛…:"»”)')
_LIST_ITEM = re.compile(r"\s*(?:[-–—•*·▪]|\d{1,2}\s*[-.)])")
_QUOTES_OPEN = "«“\"'"
_QUOTES_CLOSE = "»”\"'"


def _opener_pattern(alternatives: str) -> re.Pattern[str]:
    """A pattern for sentences (as space-joined tokens) that open with one of the phrases."""
    phrases = sorted(
        {" ".join(tokenize(p)) for p in alternatives.split("|")}, key=len, reverse=True
    )
    body = "|".join(re.escape(p) for p in phrases)
    return re.compile(rf"(?:[وف])?(?:{body})(?![^\W_])")


_BACK_POINTING_START = _opener_pattern(_BACK_POINTING)
_BOILERPLATE_START = _opener_pattern(_BOILERPLATE)


class Candidate(NamedTuple):
    """A sentence of the article as the summariser sees it.

    ``text`` is shown to readers (original spelling, dateline removed); ``tokens`` and
    ``terms`` are for matching; ``paragraph`` and ``first_in_paragraph`` place it.
    """

    order: int
    text: str
    tokens: tuple[str, ...]
    terms: frozenset[str]
    paragraph: int
    first_in_paragraph: bool
    points_back: bool
    question: bool
    quoted: bool
    colon: bool


def strip_dateline(sentence: str) -> str:
    """Remove a leading wire dateline; the rest is the sentence a reader wants.

    A dateline is a short place (at most 60 characters, no sentence end or bracket), a source
    in brackets and a dash or colon: «القاهرة - (رويترز):», «دبي (CNN)--», «( CNN) --». CNN
    Arabic's malformed brackets count when dashes follow the source: «(CNN(--», «(CNN( --»
    (both brackets open) and «(CNN--» (no closing bracket: one word of letters, then at least
    two hyphens). A bracket in the sentence itself («قال الوزير (في مقابلة مع CNN) إن …»,
    «مواجهة (العين – الوحدة)») is kept.
    """
    if "(" not in sentence[:110]:
        return sentence
    match = _DATELINE.match(sentence)
    if match is None:
        return sentence
    return sentence[match.end() :].lstrip(" -–—:،,")


def paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text``: its lines, unless the text is hard-wrapped.

    Plain text from some sources is wrapped at a fixed width, so a line break often falls
    inside a sentence. Such text is recognised by most of its lines being long and open-ended
    (no closing punctuation, median at most 100 characters); then a line that fills the width
    and does not end a sentence is joined with the next one. Short open lines (headings, list
    items) are never joined.
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
    joined: list[str] = []
    current = ""
    for line, is_open, following in zip(lines, open_ended, [*lines[1:], ""], strict=True):
        current = f"{current} {line.strip()}" if current else line
        fills_width = len(line.rstrip()) * 10 >= width * 7
        if not (is_open and fills_width and not _LIST_ITEM.match(following)):
            joined.append(current)
            current = ""
    if current:
        joined.append(current)
    return joined


def _is_heading(paragraph: str, punctuated: bool) -> bool:
    """A short line without closing punctuation, in an article that does punctuate."""
    if not punctuated or paragraph.rstrip().endswith(_SENTENCE_END):
        return False
    return len(tokenize(paragraph)) <= HEADING_WORDS


def _not_news(raw: str, normalised: str) -> bool:
    return raw[0] in "*×" or bool(_BOILERPLATE_START.match(normalised) or _CAPTION.match(raw))


def _points_back(normalised: str) -> bool:
    match = _BACK_POINTING_START.match(normalised)
    if match is None:
        return False
    opener = match.group()
    # «قال الوزير …» may open an article; «وقال الوزير …» continues one.
    return not (opener in _CONTINUING_ONLY and normalised.startswith(opener))


def candidates(text: str) -> list[Candidate]:
    """The sentences of ``text`` a summary may use, in article order (see the module doc)."""
    lines = paragraphs(text)
    punctuated = any(line.rstrip().endswith(_SENTENCE_END) for line in lines)
    out: list[Candidate] = []
    seen: set[str] = set()
    after_separator = False
    for number, paragraph in enumerate(lines):
        if _SEPARATOR.match(paragraph):
            after_separator = True
            continue
        if after_separator and len(tokenize(paragraph)) <= HEADING_WORDS:
            continue  # a related-story list under a separator
        after_separator = False
        if _is_heading(paragraph, punctuated):
            continue
        for position, raw in enumerate(split_sentences(paragraph)):
            shown = strip_dateline(raw) if position == 0 else raw
            tokens = tuple(tokenize(shown))
            if not tokens:
                continue
            normalised = " ".join(tokens)
            if normalised in seen or _not_news(shown, normalised):
                continue
            seen.add(normalised)
            ending = shown.rstrip(_QUOTES_CLOSE + ")").rstrip()[-1:]
            out.append(
                Candidate(
                    order=len(out),
                    text=shown,
                    tokens=tokens,
                    terms=frozenset(terms_from_tokens(tokens)),
                    paragraph=number,
                    first_in_paragraph=position == 0,
                    points_back=bool(out) and _points_back(normalised),
                    question=ending in "?؟",
                    quoted=shown[0] in _QUOTES_OPEN,
                    colon=ending == ":",
                )
            )
    return out


def sentence_texts(found: Sequence[Candidate]) -> list[str]:
    """The display texts of candidates, in order."""
    return [c.text for c in found]
