"""Automatic keyphrases: the multi-word names and terms an article is about.

Pure and deterministic: no I/O, no clock, no randomness; the same input (and the same
``PhraseStats``) always gives the same list.

How (``extract_keyphrases``):

1. **Chunks.** Title and text are cut at punctuation (anything but letters, digits, white
   space and tashkeel) and at *breakers*: stop words (``text.arabic.STOPWORDS``, also
   behind و/ف), numbers, month names and relative time words (الماضي, الحالي, عام …).
   A word carrying a conjunction and the article (والحرس, فالحكومة), or a conjunction
   before a word that also occurs alone in the article (وطالبان), starts a new chunk: it is
   coordination, not part of a name.
2. **Candidates.** Every run of 2 to 4 consecutive words inside a chunk, unless it starts
   with a title or role (قائد, زعيم, وزير, الرئيس …: "قائد فيلق القدس" gives "فيلق القدس")
   or with a definite nisba adjective (الإيراني, الوطنية), which continues the noun before
   it. Internal articles and idafa chains are kept whole: "الجبهة الوطنية المتحدة",
   "فيلق القدس", "سيف العدل". A candidate's ``key`` is the ``text.stems.stem`` of its
   words joined by spaces, so وسيف العدل and سيف العدل, لتنظيم القاعدة and تنظيم القاعدة
   count as one phrase.
3. **Subsumption.** A phrase that never occurs outside a longer *repeated* candidate (same
   count) is dropped in favour of the longer one: the longest repeated phrase wins.
4. **Score** = (occurrences + ``TITLE_BONUS`` if in both title and text) × a mild length
   bonus (a phrase seen once scores ``SINGLE_FACTOR``, twice that in the title) × a position
   factor (earlier first mention, higher) × ``ACTION_FACTOR`` when the phrase is headed by a
   verbal noun (تدريب مقاتلي names an action, not a thing) × ``stats.idf(key)`` when corpus
   statistics are given, so that phrases many articles have ("وسائل الإعلام", "مليار
   دولار", "وكالة الأنباء") sink.
5. **Selection**: best first (ties by key); a phrase that contains, is contained in, or
   overlaps (its end is the other's start) one already chosen is skipped.

The display ``text`` is the most frequent written form, in the original orthography, with
leading proclitics removed where it is safe: و ف ب ك ل before an article become the
article (للحرس → الحرس, وبالحرس → الحرس), and before a word that also occurs bare or with
the article in the article, or starts with a hamza alef (وسيف → سيف when سيف occurs alone,
لحركة → حركة when الحركة occurs, لأفغانستان → أفغانستان, لبي بي سي → بي بي سي); otherwise
the word stays as written (برلين keeps its ب). The key is made from the word as shown, so
a phrase with and without a glued particle is one phrase. Among equally frequent forms the
one with the original orthography wins (``canonical_form``: «إطلاق سراحه», not «اطلاق
سراحه»); the store applies the same rule to the forms seen across articles.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from digests.text.arabic import STOPWORDS, normalise, tokenize
from digests.text.stems import stem

__all__ = [
    "MAX_WORDS",
    "MIN_WORDS",
    "TITLE_BONUS",
    "Keyphrase",
    "PhraseStats",
    "canonical_form",
    "extract_keyphrases",
    "phrase_key",
    "phrase_keys",
]

MIN_WORDS = 2
MAX_WORDS = 4
TITLE_BONUS = 2.0
POSITION_SCALE = 300.0  # tokens: the position factor halves at this first mention
LENGTH_BONUS = 0.15  # per word beyond two
ACTION_FACTOR = 0.5  # for a phrase headed by a verbal noun
SINGLE_FACTOR = 0.5  # the score of a phrase seen once, outside the title (before the factors)


@dataclass(frozen=True, slots=True)
class Keyphrase:
    """A phrase from an article: display ``text``, matching ``key``, ``score``, ``count``."""

    text: str
    key: str
    score: float
    count: int


class PhraseStats:
    """Document frequencies of phrase keys over a corpus. Pure data; ``add`` one document.

    ``idf(key) = ln((1 + documents) / (1 + df(key))) + 1``: 1 for a phrase in every
    document, largest for one never seen. Build it with ``stats.add(phrase_keys(title,
    text))`` per article; persist ``documents`` and ``counts()`` to restore it.
    """

    __slots__ = ("_df", "_documents")

    def __init__(self, df: Mapping[str, int] | None = None, documents: int = 0) -> None:
        self._df: Counter[str] = Counter(df or {})
        self._documents = max(documents, max(self._df.values(), default=0))

    @property
    def documents(self) -> int:
        """How many documents were added."""
        return self._documents

    def add(self, keys: Iterable[str]) -> None:
        """Count one document whose candidate phrase keys are ``keys`` (repeats ignored)."""
        self._df.update(set(keys))
        self._documents += 1

    def df(self, key: str) -> int:
        """In how many documents ``key`` occurs."""
        return self._df.get(key, 0)

    def idf(self, key: str) -> float:
        """Inverse document frequency, smoothed (see the class docstring)."""
        return math.log((1 + self._documents) / (1 + self._df.get(key, 0))) + 1.0

    def counts(self) -> dict[str, int]:
        """A copy of the document frequencies."""
        return dict(self._df)


# --------------------------------------------------------------------------- words


def _normalised(words: str) -> frozenset[str]:
    return frozenset(normalise(w) for w in words.split())


# Words that end a chunk besides the stop words: dates and relative time, which glue onto
# anything ("اجتماع أكتوبر", "الزعيم الحالي").
_BREAKERS = _normalised(
    "يناير فبراير مارس أبريل إبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر"
    " كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين"
    " عام العام عاما سنة السنة سنوات الماضي الماضية المقبل المقبلة الحالي الحالية الجاري"
    " الأسبوع الشهر أسبوع شهر يوم أيام ساعة ساعات دقيقة دقائق صباح مساء ليلة"
    " أمس اليوم الآن حاليا مؤخرا سابقا لاحقا أيضا نحو حوالي قرابة بعض كل جميع أكثر أقل"
    " وفقا طبقا بحسب إضافة بالإضافة خلال أخرى آخر آخرين سياق السياق صدد الصدد"
)
# Titles and roles that precede a name; a phrase does not start with them.
_ROLES = frozenset(
    stem(t)
    for t in tokenize(
        "قائد زعيم رئيس الرئيس وزير نائب المتحدث الناطق الأمين مدير سفير الملك الأمير"
        " الشيخ السيد الجنرال العقيد اللواء العميد الدكتور المستشار عضو أعضاء ممثل ممثلي"
        " قادة عناصر مقاتلي مقاتلو كبار مسؤول مسؤولي المبعوث رئيسة وزيرة"
    )
)
_ARTICLE_PREFIXES = ("ال", "لل", "وال", "فال", "بال", "كال", "ولل", "فلل", "وبال", "فبال")
_HAMZA_ALEF = "أإآ"
_NISBA_ENDINGS = ("ي", "يه", "يون", "يين", "يات")
_DIACRITICS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
_IS_DIACRITIC = re.compile(f"[{_DIACRITICS}]")
_SEGMENT = re.compile(rf"[^\W_](?:[\w{_DIACRITICS}]|[^\S\n])*")


class _Word(NamedTuple):
    """One whitespace-separated word of the article, analysed."""

    norm: str  # normalised token
    key: str  # its stem
    breaks: bool  # ends a chunk (stop word, number, time word, punctuation inside)
    may_start: bool  # a phrase may start here
    coordinated: bool  # و/ف + article (والحرس): starts a new chunk
    action: bool  # a verbal noun (تدريب، تغطية، تعاون، اجتماع، استخدام)


def _article_rest(token: str) -> str | None:
    """The word after its proclitics and article, if ``token`` carries the article."""
    for prefix in _ARTICLE_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 3:
            return token[len(prefix) :]
    return None


def _is_stopword(token: str) -> bool:
    if token in STOPWORDS:
        return True
    return len(token) > 2 and token[0] in "وف" and token[1:] in STOPWORDS


def _is_verbal_noun(token: str) -> bool:
    """Whether ``token`` (proclitics and article aside) has a common masdar pattern.

    تفعيل (تدريب، تمويل)، تفعلة (تغطية)، تفاعل (تعاون، تبادل)، افتعال (اجتماع)، استفعال
    (استخدام). A phrase headed by one names an action ("تدريب مقاتلي"، "تغطية تكاليف")
    rather than a thing, and is scored lower (``ACTION_FACTOR``).
    """
    word = _article_rest(token) or token
    while len(word) > 5 and word[0] in "وفبكل" and word[1] in "تا":
        word = word[1:]
    if len(word) == 5 and word[0] == "ت":
        return word[3] == "ي" or word[4] == "ه" or word[2] == "ا"
    if len(word) == 6 and word[0] == "ا" and word[2] == "ت" and word[4] == "ا":
        return True
    return len(word) == 7 and word.startswith("است") and word[5] == "ا"


@lru_cache(maxsize=1 << 16)
def _analyse(piece: str) -> _Word:
    tokens = tokenize(piece)
    if len(tokens) != 1:
        return _Word("", "", True, False, False, False)
    token = tokens[0]
    if len(token) < 2 or token.isdigit() or _is_stopword(token) or token in _BREAKERS:
        return _Word(token, "", True, False, False, False)
    key = stem(token)
    rest = _article_rest(token)
    adjective = rest is not None and rest.endswith(_NISBA_ENDINGS) and len(rest) >= 4
    coordinated = rest is not None and token[0] in "وف" and not token.startswith("ال")
    may_start = key not in _ROLES and not adjective
    return _Word(token, key, False, may_start, coordinated, _is_verbal_noun(token))


def _runs(text: str, vocabulary: set[str]) -> list[list[tuple[str, _Word]]]:
    """Runs of (written word, analysis) between punctuation and breakers; adds the words'
    normalised forms to ``vocabulary``."""
    runs: list[list[tuple[str, _Word]]] = []
    for segment in _SEGMENT.finditer(text.replace("_", " ")):
        current: list[tuple[str, _Word]] = []
        for piece in segment.group().split():
            word = _analyse(piece)
            vocabulary.add(word.norm)
            if word.breaks:
                if current:
                    runs.append(current)
                current = []
            else:
                current.append((piece, word))
        if current:
            runs.append(current)
    return runs


def _chunks(
    runs: list[list[tuple[str, _Word]]], vocabulary: frozenset[str]
) -> list[list[tuple[str, _Word]]]:
    """The runs cut again before coordinated words: و/ف + article, or و/ف + a word that
    also occurs on its own in the article (وطالبان, وتمويل; not وزارة)."""
    chunks: list[list[tuple[str, _Word]]] = []
    for run in runs:
        current: list[tuple[str, _Word]] = []
        for piece, word in run:
            norm = word.norm
            if current and (
                word.coordinated or (norm[0] in "وف" and len(norm) > 3 and norm[1:] in vocabulary)
            ):
                if len(current) >= MIN_WORDS:
                    chunks.append(current)
                current = []
            current.append((piece, word))
        if len(current) >= MIN_WORDS:
            chunks.append(current)
    return chunks


def _drop_letters(written: str, count: int) -> str:
    """``written`` without its first ``count`` letters (and their tashkeel)."""
    index = 0
    for _ in range(count):
        index += 1
        while index < len(written) and _IS_DIACRITIC.match(written[index]):
            index += 1
    return written[index:]


def _first_word(written: str, token: str, vocabulary: frozenset[str]) -> tuple[str, str]:
    """The first word of a phrase without its leading proclitics, where that is safe: its
    display form and its normalised token (the phrase's key is made from the latter, so
    لبي بي سي and بي بي سي are one phrase)."""
    for prefix in _ARTICLE_PREFIXES[1:]:  # a proclitic before the article: keep the article
        if token.startswith(prefix) and len(token) - len(prefix) >= 3:
            bare = "ال" + token[len(prefix) :]
            if prefix.endswith("لل"):  # ل + ال is written لل: restore the alef
                return "ال" + _drop_letters(written, len(prefix)), bare
            return _drop_letters(written, len(prefix) - 2), bare
    for size in (2, 1):
        if len(token) - size < 2:
            continue
        if (size == 2 and token[0] in "وف" and token[1] in "بكل") or (
            size == 1 and token[0] in "وفبكل"
        ):
            rest = _drop_letters(written, size)
            bare = token[size:]
            if bare in vocabulary or (
                len(bare) >= 3 and (rest[:1] in _HAMZA_ALEF or "ال" + bare in vocabulary)
            ):
                return rest, bare
    return written, token


_ORTHOGRAPHY = frozenset("أإآٱؤئءةى")  # letters that normalisation folds away


def canonical_form(forms: Mapping[str, int]) -> str:
    """The form to show for a phrase written several ways: the most frequent; among equally
    frequent ones, the one that keeps the most of the original orthography (hamzas, ة, ى:
    «إطلاق سراحه» before «اطلاق سراحه»), then the first in sorted order."""
    return min(
        forms.items(),
        key=lambda item: (-item[1], -sum(ch in _ORTHOGRAPHY for ch in item[0]), item[0]),
    )[0]


# --------------------------------------------------------------------------- extraction


class _Candidate:
    __slots__ = ("action", "count", "first", "forms", "in_title", "stems")
    # count: occurrences in title and text; in_title: how many of them in the title;
    # forms: how often each written form occurred (its first word without proclitics)

    def __init__(self, stems: tuple[str, ...], first: int, action: bool) -> None:
        self.stems = stems
        self.action = action
        self.count = 0
        self.first = first
        self.in_title = 0
        self.forms: dict[str, int] = {}

    def display(self) -> str:
        """The most frequent written form (leading proclitics already removed where safe);
        ties go to the form in the original orthography (``canonical_form``)."""
        return canonical_form(self.forms)


def _candidates(title: str, text: str) -> dict[str, _Candidate]:
    seen: set[str] = set()
    runs = [(_runs(title, seen), True), (_runs(text, seen), False)]
    vocabulary = frozenset(seen)
    parts = [(_chunks(part, vocabulary), in_title) for part, in_title in runs]
    found: dict[str, _Candidate] = {}
    position = 0
    for chunks, in_title in parts:
        for chunk in chunks:
            keys = [word.key for _, word in chunk]
            written = [piece for piece, _ in chunk]
            for start, (piece, head) in enumerate(chunk):
                if not head.may_start:
                    continue
                shown, bare = _first_word(piece, head.norm, vocabulary)
                head_key = head.key if bare == head.norm else stem(bare)
                for end in range(start + MIN_WORDS, min(start + MAX_WORDS, len(chunk)) + 1):
                    stems = (head_key, *keys[start + 1 : end])
                    key = " ".join(stems)
                    candidate = found.get(key)
                    if candidate is None:
                        first = 0 if in_title else position + start
                        candidate = found[key] = _Candidate(stems, first, head.action)
                    candidate.count += 1
                    candidate.in_title += in_title
                    form = " ".join((shown, *written[start + 1 : end]))
                    candidate.forms[form] = candidate.forms.get(form, 0) + 1
            if not in_title:
                position += len(chunk) + 1
    return found


def phrase_key(shown: str) -> str:
    """The key of a phrase as ``extract_keyphrases`` shows it (its words' stems)."""
    return " ".join(stem(token) for token in tokenize(shown))


def phrase_keys(title: str, text: str) -> frozenset[str]:
    """The keys of every candidate phrase of an article (what ``PhraseStats.add`` takes)."""
    return frozenset(_candidates(title, text))


def _overlap(one: tuple[str, ...], other: tuple[str, ...]) -> bool:
    """Whether one phrase contains the other, or they could be overlapping windows of the same
    words (the end of one is the start of the other)."""
    if len(one) < len(other):
        one, other = other, one
    size = len(other)
    if any(one[i : i + size] == other for i in range(len(one) - size + 1)):
        return True
    return any(one[-n:] == other[:n] or other[-n:] == one[:n] for n in range(1, size))


def extract_keyphrases(
    title: str, text: str, *, limit: int = 8, stats: PhraseStats | None = None
) -> list[Keyphrase]:
    """The article's keyphrases, best first (see the module docstring)."""
    found = _candidates(title, text)
    subsumed: set[str] = set()
    for candidate in found.values():
        if candidate.count < 2:
            continue
        stems = candidate.stems
        for size in range(MIN_WORDS, len(stems)):
            for i in range(len(stems) - size + 1):
                inner = " ".join(stems[i : i + size])
                other = found.get(inner)  # absent when it cannot start a phrase
                if other is not None and other.count == candidate.count:
                    subsumed.add(inner)
    scored: list[tuple[float, str, _Candidate]] = []
    for key, candidate in found.items():
        if key in subsumed:
            continue
        if candidate.count > 1:
            in_both = candidate.in_title and candidate.count > candidate.in_title
            score = candidate.count + (TITLE_BONUS if in_both else 0.0)
            score *= 1.0 + LENGTH_BONUS * (len(candidate.stems) - MIN_WORDS)
        else:  # seen once: the title is a sentence, not a list of keyphrases
            score = 2 * SINGLE_FACTOR if candidate.in_title else SINGLE_FACTOR
        score /= 1.0 + candidate.first / POSITION_SCALE
        if candidate.action:
            score *= ACTION_FACTOR
        if stats is not None:
            score *= stats.idf(key)
        scored.append((score, key, candidate))
    scored.sort(key=lambda item: (-item[0], item[1]))
    chosen: list[Keyphrase] = []
    taken: list[tuple[str, ...]] = []
    for score, key, candidate in scored:
        if len(chosen) >= limit:
            break
        stems = candidate.stems
        if any(_overlap(stems, other) for other in taken):
            continue
        display = candidate.display()
        chosen.append(Keyphrase(display, key, round(score, 4), candidate.count))
        taken.append(stems)
    return chosen
