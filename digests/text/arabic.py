"""Arabic text for matching and for summaries: normalisation, sentences, tokens, stop words.

Pure functions: no I/O, no clock, no state beyond constant tables.

Contracts:

* ``normalise(text)`` folds text for *matching*, never for display.
* ``split_sentences(text)`` cuts display text into sentences and returns them in the
  original orthography (only outer white space is stripped).
* ``tokenize(text)`` returns normalised word tokens (Arabic, Latin and digits).

Which tokens are the same word (stems, terms) is ``text.stems``, the matching layer.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "STOPWORDS",
    "normalise",
    "split_sentences",
    "tokenize",
]

# --------------------------------------------------------------------------- normalise

# Tashkeel (harakat, tanwin, shadda, sukun, superscript alef, Quranic marks) and tatweel, and
# the invisible format characters that break words apart for a tokenizer: zero-width
# (non-)joiners and spaces, bidi marks and isolates, the Arabic letter mark, a stray BOM.
_REMOVED = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
    "\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
# One str.replace per letter: on Arabic text it is some twenty times faster than str.translate,
# which falls back to a dictionary look-up per character outside ASCII.
_LETTERS = (
    ("أ", "ا"),
    ("إ", "ا"),
    ("آ", "ا"),
    ("ٱ", "ا"),
    ("ى", "ي"),
    ("ة", "ه"),
    ("ؤ", "ء"),
    ("ئ", "ء"),
)
_EASTERN_DIGITS = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
_REMOVED_OR_DIGIT = re.compile(_REMOVED.pattern[:-1] + "\u0660-\u0669\u06f0-\u06f9]")
_DIGITS = str.maketrans(
    {
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Persian digits
    }
)


def _fold(text: str) -> str:
    """``normalise`` without the white-space clean-up (the tokenizer does not need it).

    The checks before each step skip work that most news text does not need: it is usually
    NFKC already and has no tashkeel or Eastern digits. Same result, half the time.
    """
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if _REMOVED_OR_DIGIT.search(text):
        text = _REMOVED.sub("", text)
        if _EASTERN_DIGITS.search(text):
            text = text.translate(_DIGITS)
    for letter, replacement in _LETTERS:
        text = text.replace(letter, replacement)
    return text.casefold()


def normalise(text: str) -> str:
    """Return ``text`` folded for matching: NFKC, no tashkeel or tatweel, unified letters.

    Alef forms (أ إ آ ٱ) become ا, ى → ي, ة → ه, the hamza seats ؤ ئ become ء (so مسؤول and
    مسئول, شؤون and شئون meet), Arabic-Indic and Persian digits become ASCII, Latin is
    lower-cased, invisible format characters (zero-width joiners, bidi marks) are dropped and
    runs of white space become one space.
    """
    return " ".join(_fold(text).split())


# --------------------------------------------------------------------------- sentences

_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
# What the scanner stops at: quote marks (to know whether we are inside a quotation) and
# runs of sentence-ending punctuation.
_MARKS = re.compile(r'[«»“”"]|[.!?؟؛…]+')
_CLOSERS = ")]}»”’"
_NOT_AN_END_AFTER = "،,:;"
# The word just before a period, when it is a single letter or a dotted run of single letters
# (initials and abbreviations: د. أ. م. ص. ق.م. هـ. أ.د. U.S. e.g.), perhaps after the
# conjunction و (وأ.د.); the optional tatweel allows هـ.
_INITIALS_BEFORE = re.compile(r"(?<![^\s(\[«“\"'/-])و?(?:[^\W\d_]ـ?\.)*[^\W\d_]ـ?\Z")
# A number (and a space) before such an initial: "1770 م." or "300 ق.م." are era markers, and
# their period usually ends the sentence.
_NUMBER_BEFORE = re.compile(r"\d\s*\Z")
_LATIN_ABBREVIATIONS = frozenset(
    [
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "vs",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "gov",
        "sen",
        "rep",
        "no",
        "fig",
        "vol",
        "ed",
        "eds",
    ]
)
_LATIN_WORD_BEFORE = re.compile(r"(?<![^\s(\[«“\"'])[A-Za-z]+\Z")
# Words that continue a sentence after an era marker: "عام 300 ق.م. في أثينا".
_CONTINUATIONS = frozenset(["في", "من", "إلى", "الى", "حتى", "عن", "على", "او", "أو", "و"])
_FIRST_WORD = re.compile(r"\s*(\S+)")
# Latin letters spelled out in Arabic letters, as Arabic news writes initials: إم. إتش17
# (MH17), بي. بي. سي. (BBC), إف. بي. آي. (FBI), سي.أي.ايه (CIA); with the spellings news
# sites use with أ or without hamza. Several are also Arabic words (في "in", أو "or", إن
# "that", أي "any", كي "so that", بي "with me"), hence the narrow rule in
# ``_inside_spelled_initials``.
_LETTER_NAMES = frozenset(
    "إيه أيه ايه بي سي دي إي إف أف اف جي إتش أتش اتش إيتش ايتش آي أي اي جيه كيه كي إل أل ال"
    " إم أم ام إن أن ان أو او كيو آر أر ار إس أس اس تي يو في دبليو إكس أكس اكس واي زد".split()
)
# Letter names that are also words opening Arabic sentences: «في 2023 باع …» is a sentence.
_OPENING_WORDS = frozenset(["في", "إن", "أن", "ان", "أو", "او", "أي", "اي", "كي"])
# A short word just before a period, which may be a spelled letter, perhaps after the
# conjunction و or the preposition ل (وبي. بي. سي., لسي.إن.إن); it may follow a period, for
# chains written without spaces.
_SHORT_WORD_BEFORE = re.compile(r"(?<![^\s(\[«“\"'/.-])[^\W\d_]{2,6}\Z")
# The whole word after a period, and what follows it: a period, or a number (glued, after a
# dash or after a space).
_LETTER_NAME_AFTER = re.compile(r"(\s*)([^\W\d_]{2,5})(?![^\W\d_])(\.|[-–]?\d|\s+\d)?")
_URLS = re.compile(
    r"(?:https?://|www\.)[^\s<>«»\"]*[^\s<>«»\".,!?؟،؛:)\]]"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)
# Arabic web names written with a dot: العربية.نت, مصراوي.كوم.
_ARABIC_DOMAIN_AFTER = re.compile(r"(?:نت|كوم|اورغ|أورغ)(?![^\W_])")
_HAS_WORD = re.compile(r"[^\W_]")


def _is_latin_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _period_ends_sentence(line: str, start: int) -> bool:
    """Decide whether the single ``.`` at ``line[start]`` ends a sentence."""
    before = line[start - 1] if start > 0 else " "
    after = line[start + 1] if start + 1 < len(line) else " "
    if before.isdigit() and after.isdigit():  # 4.5, ٤.٥, 12.5.2024
        return False
    if after in _NOT_AN_END_AFTER:  # "ق.م.،" or "etc.," continue the sentence
        return False
    if not after.isspace():
        if _is_latin_alnum(before) and _is_latin_alnum(after):  # example.com, e.g
            return False
        if _ARABIC_DOMAIN_AFTER.match(line, start + 1):  # العربية.نت
            return False
    # The common case, decided without a regex: an Arabic word of three letters or more ends,
    # unless it is a spelled Latin letter (إتش. دبليو.); no word of seven letters is one.
    common = after.isspace() and before != "ـ" and not before.isascii() and start >= 3
    if common and line[start - 3 : start].isalpha():
        long_word = start >= 7 and line[start - 7 : start].isalpha()
        return long_word or not _inside_spelled_initials(line, start)
    return _period_after_short_word(line, start, after)


def _letter_name_before(line: str, end: int) -> int | None:
    """Where the spelled Latin letter (``إم``, ``وبي``, ``لسي``) ending at ``line[end]`` begins."""
    found = _SHORT_WORD_BEFORE.search(line, max(0, end - 6), end)
    if found is None:
        return None
    word = found.group()
    if word in _LETTER_NAMES or (word[0] in "ول" and word[1:] in _LETTER_NAMES):
        return found.start()
    return None


def _inside_spelled_initials(line: str, start: int) -> bool:
    """Whether the ``.`` at ``line[start]`` follows a spelled letter inside spelled initials.

    It does when the word before it is a spelled Latin letter (``_LETTER_NAMES``) and either
    the next word is one too and is glued to the period (``بي.بي``), or followed by a period
    (``بي. بي. سي.``) or by a number (``إم. إتش17``, ``إم. إتش-17``; after a space,
    ``إم. إتش 17``, unless the next word is one that opens sentences: ``في 2023``); or the
    word before is the last of a dotted chain (the ``سي.`` of ``بي. بي. سي.``), which, like
    ``U.S.``, does not end the sentence.
    """
    before = line[start - 1] if start > 0 else " "
    if before.isascii() or not before.isalpha():
        return False
    word_start = _letter_name_before(line, start)
    if word_start is None:
        return False
    following = _LETTER_NAME_AFTER.match(line, start + 1)
    if following is not None and following.group(2) in _LETTER_NAMES:
        space, letter, joint = following.groups()
        if not space:  # بي.بي, إم.إتش17
            return True
        if joint is not None and not (joint[0].isspace() and letter in _OPENING_WORDS):
            return True
    # The last letter of a dotted chain: the word before this one is a spelled letter and a period.
    dot = word_start - 1
    while dot > 0 and line[dot].isspace():
        dot -= 1
    return dot > 0 and line[dot] == "." and _letter_name_before(line, dot) is not None


def _period_after_short_word(line: str, start: int, after: str) -> bool:
    """The rest of ``_period_ends_sentence``: initials, abbreviations, era markers."""
    if _inside_spelled_initials(line, start):  # إم. إتش17, بي. بي. سي., إم.إتش17
        return False
    initials = _INITIALS_BEFORE.search(line, max(0, start - 24), start)
    if initials is not None:
        if not after.isspace():  # inside a dotted abbreviation: ق.م
            return False
        # Era markers after a number ("عام 1827 م. ثم") end the sentence unless the next word
        # plainly continues it ("300 ق.م. في أثينا").
        if _NUMBER_BEFORE.search(line, max(0, initials.start() - 8), initials.start()):
            following = _FIRST_WORD.match(line, start + 1)
            return following is None or following.group(1) not in _CONTINUATIONS
        return False
    latin = _LATIN_WORD_BEFORE.search(line, max(0, start - 8), start)
    return latin is None or latin.group().lower() not in _LATIN_ABBREVIATIONS


def _quote_kinds(line: str) -> frozenset[str]:
    """The quote marks of ``line`` that pair up; unbalanced ones are ignored (typos happen)."""
    kinds = set()
    if "«" in line and line.count("«") == line.count("»"):
        kinds.add("«")
    if "“" in line and line.count("“") == line.count("”"):
        kinds.add("“")
    if '"' in line and line.count('"') % 2 == 0:
        kinds.add('"')
    return frozenset(kinds)


def _split_line(line: str) -> list[str]:
    """Split one line (no line breaks inside) into sentences, before stripping."""
    kinds = _quote_kinds(line)
    protected: list[tuple[int, int]] = []
    if "://" in line or "www." in line or "@" in line:
        protected = [m.span() for m in _URLS.finditer(line)]
    guillemets = curly = 0
    straight = False
    pieces: list[str] = []
    begin = 0
    for match in _MARKS.finditer(line):
        mark = match.group()
        start, end = match.span()
        if mark == "«" or mark == "»":
            if "«" in kinds:
                guillemets = guillemets + 1 if mark == "«" else max(0, guillemets - 1)
            continue
        if mark == "“" or mark == "”":
            if "“" in kinds:
                curly = curly + 1 if mark == "“" else max(0, curly - 1)
            continue
        if mark == '"':
            if '"' in kinds:
                straight = not straight
            continue
        if guillemets or curly or straight:
            continue  # the quotation's own punctuation belongs to the quoted sentence
        if protected and any(a <= start < b for a, b in protected):
            continue
        if mark == "." and not _period_ends_sentence(line, start):
            continue
        while end < len(line) and line[end] in _CLOSERS:
            end += 1
        pieces.append(line[begin:end])
        begin = end
    pieces.append(line[begin:])
    return pieces


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, in order, in the original orthography.

    Sentences end at ``. ! ? ؟ ؛ …`` (and runs such as ``..``, ``؟!``) and at line breaks.
    A period does not end a sentence inside a number or date (``4.5``, ``12.5.2024``), after a
    single-letter initial or dotted abbreviation (``د.``, ``م.``, ``ق.م.``, ``U.S.``), inside
    Latin initials spelled in Arabic letters (``إم. إتش17``, ``بي. بي. سي.``: see below), after a
    Latin title (``Dr.``), inside a URL, e-mail address or web name (``العربية.نت``), or before
    a comma or colon. An era marker after a number (``عام 1827 م.``) ends the sentence unless a
    preposition follows. Punctuation inside a balanced quotation (``«»``, ``“”``, ``"…"``) belongs
    to the quoted sentence and never splits it. A period glued to the next Arabic word (a
    common typo: ``نوح.وتعني``) still ends the sentence. Pieces without a letter or digit
    (stray punctuation, emoji-only lines) are dropped; every sentence is stripped.

    Spelled initials: Arabic news writes Latin initials as letter names (إم M, إتش H, بي B,
    سي C, إف F, آي/أي I, إن N, في V, دبليو W, …). A period after such a letter name (perhaps
    with و or ل in front) does not end the sentence when the next word is a letter name glued
    to the period (``بي.بي وحقل``, ``لسي.إن.إن``), or followed by a period (``بي. بي. سي.``)
    or by a number, glued or after a dash (``إم. إتش17``, ``إتش-17``) or a space (``إم. إتش
    17``, but not ``في 2023``, ``إن 3``: those open sentences); nor does the period of the last
    letter of such a dotted chain (``بي. بي. سي. عن مصادر``), as with ``U.S.``. A letter name
    ending a sentence otherwise still ends it: ``فيتامين دي. في المقابل``, ``منصة إكس. وقال``,
    ``بي إم دبليو.``, ``ثقوا بي. إن``. في, أو, إن, أي and كي are prepositions and particles
    as well, but those cannot end a sentence, so treating them as letters on the left of a
    period costs nothing; on the right, a bare one after a space (no period, no number) never
    keeps a sentence going.
    """
    sentences: list[str] = []
    for line in _LINE_BREAKS.split(text):
        if not line or line.isspace():
            continue
        for piece in _split_line(line):
            piece = piece.strip()
            if piece and _HAS_WORD.search(piece):
                sentences.append(piece)
    return sentences


# --------------------------------------------------------------------------- tokens

_WORD = re.compile(r"[^\W_]+")
_WORD_OR_UNDERSCORE = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    """Return the word tokens of ``normalise(text)``: runs of letters or digits, any script."""
    folded = _fold(text)
    # Without an underscore, \w+ finds the same tokens as [^\W_]+, a little faster.
    return (_WORD if "_" in folded else _WORD_OR_UNDERSCORE).findall(folded)


def _normalised(words: str) -> frozenset[str]:
    return frozenset(normalise(word) for word in words.split())


# Written in ordinary spelling and normalised at import, so the list stays readable. The list
# is for news Arabic: function words plus the reporting verbs and formulas ("قال", "وأضاف",
# "بحسب", weekdays) that every wire story repeats and that carry nothing a reader would search
# for or a summary should be chosen by. A token that is ``و``/``ف`` + a stop word is a stop
# word too (see ``text.stems``), so those forms need no entries of their own.
STOPWORDS: frozenset[str] = _normalised(
    # prepositions and adverbs of place and time
    "في من إلى على عن مع حتى منذ مذ عند لدى نحو حول دون بين ضد عبر خلال قبل بعد أمام خلف"
    " وراء فوق تحت داخل خارج ضمن عقب إثر وسط تجاه إزاء بشأن حيال وفق وفقا طبقا بحسب حسب"
    " جراء بسبب أجل لأجل قبيل بعدما بعيد "
    # prepositions with pronouns
    " فيه فيها فيهم فيهما منه منها منهم منهما عليه عليها عليهم عليهما إليه إليها إليهم"
    " عنه عنها عنهم معه معها معهم له لها لهم لهما لنا لي لك لكم به بها بهم بنا لديه لديها"
    " لديهم لدينا عندها عنده عندهم بينهم بينها بينهما "
    # conjunctions, particles, negation
    " و ف ثم أو أم بل لكن لكنه لكنها ولكن إلا غير سوى إما أما إذ إذا إذن لو لولا كي لكي"
    " حيث حين حينما عندما بينما كلما لما مما ممن فيما كما كأن مثل لا لم لن ليس ليست"
    " ليسوا ما ماذا متى أين كيف لماذا هل قد لقد سوف إن أن إنه أنه إنها أنها أنهم إنهم"
    " بأن لأن كأن لعل بأنه بأنها يا أي أية "
    # pronouns, demonstratives, relatives
    " هو هي هم هن هما أنا نحن أنت أنتم أنتما أنتن إياه إياها إياهم هذا هذه ذلك تلك هؤلاء"
    " أولئك هذان هاتان هذين هاتين ذاك هنا هناك هنالك الذي التي الذين اللذان اللتان اللذين"
    " اللتين اللاتي اللواتي اللائي "
    # auxiliary and light verbs
    " كان كانت كانوا كن يكون تكون يكونوا تكن يكن أصبح أصبحت أصبحوا بات باتت ظل ظلت صار"
    " صارت أضحى أمسى مازال مازالت زال زالت يزال تزال تم يتم تمت جرى يجري يمكن يمكنه"
    " ينبغي يجب عاد عادت "
    # quantifiers and adverbs
    " كل كلا كلتا بعض جميع عدة أيضا فقط كذلك هكذا جدا حاليا الآن مجددا أكثر أقل نفس ذات"
    " ذاته ذاتها أحد إحدى حوالي قرابة تقريبا خاصة لاسيما سيما "
    # reporting verbs and attributions
    " قال قالت قالوا يقول تقول يقولون أضاف أضافت أضافوا يضيف تضيف أكد أكدت أكدوا يؤكد"
    " تؤكد أشار أشارت أشاروا يشير تشير أوضح أوضحت يوضح توضح ذكر ذكرت يذكر تابع تابعت"
    " أفاد أفادت يفيد صرح صرحت لفت لفتت أعلن أعلنت يعلن تعلن أردف أردفت اعتبر اعتبرت"
    " قائلا مضيفا مشيرا مؤكدا موضحا لافتا معتبرا نقلا "
    # days and relative time words of wire copy
    " اليوم أمس غدا الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد "
)
