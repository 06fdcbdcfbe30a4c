"""The matching layer: which word forms are the same word, for search, topics, keyphrases,
stories and alerts.

Pure, deterministic; two tables of package data are read once, on first use:
``data/lexicon.tsv.gz`` (every word form seen at least three times in 27,710 Arabic news
articles of 2018, with its count, and a flag on forms in ال mostly written أل/إل/آل there;
built by ``bench/build_lexicon.py``) and ``data/places.tsv`` (countries and peoples and the
words that name them).

``stem(token)`` takes a token of ``text.arabic.tokenize`` (already normalised: one alef,
ة → ه, ى → ي, the hamza seats ؤ ئ → ء) and returns its matching key. The rules, in order:

1. **Places.** A form of a country or people (``places.tsv``) gives the place's key:
   ليبيا، ليبي، الليبيين → ليبيا; الإمارات، إماراتي → الامارات; كوريا، الكوريتين → كوريا.
2. **Particles, one at a time, only where the rest is a word** (the place table is looked
   up after each):

   * the article (ال, and لل after ل) comes off when the rest is attested, when the form
     takes a preposition (بالتقرير: a noun, not a verb like التقى), or when the form is
     unknown; never from a form mostly written with a hamza alef (إلغاء، ألوان، إلهام،
     ألمانيا);
   * the future سـ before ي ت ن ا (سيطلب → يطلب) and a one-letter particle (و ف ب ك ل)
     come off when the rest is attested, unless the form is a word in its own right: a
     preposition or the article stands in front of it somewhere (الوزير، لفيصل), which
     never happens to a form that already carries a particle. So وإيران → إيران and
     والوزير → وزير, but وزير، فيصل، كندا، بولندا، بوتين stay whole.
3. **Endings, in three layers, only where the rest is a word.** At most one ending of each
   layer, outermost first: a pronoun (هما ها هم كم نا ه: حكومته → حكومة, يتوقعونها →
   يتوقعون), then number and gender (تين ات ون ين, the feminine ة, the tanwin alef:
   المسؤولين → مسؤول, الانتخابات → انتخاب, حملات → حملة, واضحا → واضح), then the nisba
   (ي: الاقتصادية → اقتصادي → اقتصاد, سياسي → سياسة). The rest must be seen at least
   ``ENDING_MIN`` times and 1/50 as often as the form, not be a function word, and (except
   under a pronoun) be seen with the article: names take no article, so لوسيا, تشرين,
   بوتين, ايلون keep their endings. The feminine ة comes off only an adjective (a word with
   a plural in ون, or a nisba): متشددة → متشدد, but خبرة stays apart from خبر. The dual
   ان never comes off (طالبان, سلمان, لبنان are not طالب, سلم, لبن), nor the tens
   (عشرين is not عشر).
4. Nothing else: no root extraction and no Snowball stemmer, which made كندا meet بولندا,
   بوتين meet التين and هيئة meet هي.

``variants(token)`` are the keys a token is indexed under: its stem, and where a particle
stayed on only because the lexicon has never seen the rest, the rest's key too (a new name
behind و: «وزيلينسكي» is found by «زيلينسكي»; a rare noun behind its article). Queries use
``stem``; ``same_word(a, b)`` says whether two written forms meet (a key in common).

``terms(text)`` = the keys of the content words of ``text`` (stop words and one-letter tokens
dropped): the one function behind the search index, queries, topics, keyphrases, stories and
alerts. Measured against 3,089 labelled pairs (``tests/data/match_pairs.tsv``): see
docs/search.md and docs/benchmarks.md.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources

from digests.text.arabic import STOPWORDS, normalise, tokenize

__all__ = [
    "ENDING_SHARE",
    "RULES_VERSION",
    "hamza_initial",
    "index_keys",
    "is_stopword",
    "lexicon",
    "matching_version",
    "names",
    "places",
    "same_word",
    "stem",
    "terms",
    "terms_from_tokens",
    "variants",
]

RULES_VERSION = 2
"""Bumped whenever a rule below changes what meets (with the tables, ``matching_version``)."""
ENDING_SHARE = 0.02
"""An ending is removed when the rest is attested at least this share as often..."""
ENDING_MIN = 5
"""...and at least this many times (a name's rest is rarely a frequent word: ايلون/ايل)."""
ARTICLE_SHARE = 0.0
"""The article comes off a form when the rest is attested at least this share as often (or
the form takes a preposition, or is unknown)."""
PARTICLE_DOMINANT = 10
"""...even off a form that takes a preposition, when the rest is this many times as common
(وكأس: لوكاس is a name, but كأس is 23 times as common as وكأس)."""
PARTICLE_MIN = 3
"""A one-letter particle comes off when the rest is attested at least this often..."""
PARTICLE_SHARE = {"و": 0.0, "ف": 0.0, "ب": 0.0, "ل": 0.0, "ك": 2.0}
"""...and at least this share as often as the whole form: كـ ("like") is a rare particle
in news, and a word in ك is more often a name (كريت، كركوك)."""

_ONE_LETTER = "وفبكل"
# What may stand in front of a word, and never in front of و or ف.
_PREPOSITIONS = ("ال", "ب", "ل", "ك")
# The prefixes of the imperfect, after which سـ is the future.
_IMPERFECT = frozenset("يتنا")
# Endings in three layers, outermost first; at most one of each layer comes off.
_PRONOUNS = ("هما", "ها", "هم", "كم", "نا", "ه")
_NUMBER = ("تين", "ات", "ون", "ين", "ه", "ا")  # dual, plurals, the feminine ة, tanwin alef
_NISBA = ("ي",)
_LAYERS = (_PRONOUNS, _NUMBER, _NISBA)
# The tens are not plurals of the units (عشرين is twenty, not tens of عشر).
_TENS = frozenset(
    ten + ending
    for ten in ("عشر", "ثلاث", "اربع", "خمس", "ست", "سبع", "ثمان", "تسع")
    for ending in ("ين", "ون")
)
_MIN_REST = 3  # letters a stem keeps


@cache
def lexicon() -> dict[str, int]:
    """Word form → how often it was seen (normalised forms; see the module doc)."""
    return _tables()[0]


@cache
def hamza_initial() -> frozenset[str]:
    """Forms that start with ال but are mostly written أل/إل/آل there: their ال is no article
    (إلغاء، ألوان، إلهام، ألمانيا all normalise to a form in ال)."""
    return _tables()[1]


@cache
def matching_version() -> str:
    """A short fingerprint of the rules and tables: stored keys made under another version
    (the search index, keyphrase topics) must be made again."""
    digest = hashlib.sha256(str(RULES_VERSION).encode())
    for name in ("data/lexicon.tsv.gz", "data/places.tsv", "data/names.tsv"):
        digest.update(resources.files("digests.text").joinpath(name).read_bytes())
    return f"{RULES_VERSION}-{digest.hexdigest()[:12]}"


@cache
def _tables() -> tuple[dict[str, int], frozenset[str]]:
    data = resources.files("digests.text").joinpath("data/lexicon.tsv.gz").read_bytes()
    counts: dict[str, int] = {}
    hamza: list[str] = []
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        form, count, *flag = line.split("\t")
        counts[form] = int(count)
        if flag:
            hamza.append(form)
    return counts, frozenset(hamza)


@cache
def names() -> frozenset[str]:
    """Proper names never split (``data/names.tsv``), normalised."""
    text = resources.files("digests.text").joinpath("data/names.tsv").read_text("utf-8")
    return frozenset(
        normalise(line) for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@cache
def places() -> dict[str, str]:
    """Normalised form of a country or people → the place's key (its first form)."""
    text = resources.files("digests.text").joinpath("data/places.tsv").read_text("utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        written = [form.strip() for form in line.split("\t") if form.strip()]
        key = normalise(written[0])
        for form in written:
            folded = normalise(form)
            table.setdefault(folded, key)
            if form.startswith("ال"):  # the article, not a hamza alef (ألمانيا)
                table.setdefault(folded[2:], key)
            else:
                table.setdefault("ال" + folded, key)
    return table


_NAME_COUNT = 10**6  # a listed name counts as a very common word


def _seen(form: str) -> int:
    return _NAME_COUNT if form in names() else lexicon().get(form, 0)


def _is_closed(word: str) -> bool:
    """Whether ``word`` is a word in its own right: a preposition or the article stands in
    front of it somewhere (الوزير، لفيصل). Prepositions never stand in front of و or ف, nor
    two of them together, so a form that takes one does not begin with a particle."""
    # ل + a word in ل is written لل like ل + ال: للتطوير is ل + التطوير, not ل + لتطوير.
    return any(_seen(p + word) for p in _PREPOSITIONS if not (p == "ل" and word[0] == "ل"))


def _takes_preposition(word: str) -> bool:
    """Whether a form in ال is a noun with its article: ب، ك or ل stand in front of it
    (بالتقرير، للتقرير). A verb of the form افتعل (التقى، التزم) never takes one."""
    return bool(_seen("ب" + word) or _seen("ك" + word) or _seen("ل" + word[1:]))


def _without_particles(token: str) -> str:
    """``token`` with its particles removed as far as what remains is a word (rule 2)."""
    known, protected = places(), names()
    word = token
    while word not in known and word not in protected:
        count = _seen(word)
        if word.startswith("لل") and len(word) - 2 >= _MIN_REST:
            # ل + ال: للرئيس is ل + الرئيس; للاجئين is ل + اللاجئين (one lam dropped).
            rest = max((word[2:], "ل" + word[2:]), key=_seen)
            if _seen(rest):
                word = rest
                continue
        if word.startswith("ال") and len(word) - 2 >= 2 and word not in hamza_initial():
            rest = word[2:]
            rest_count = _seen(rest)
            if (
                not count
                or _takes_preposition(word)
                or (rest_count >= max(3, ARTICLE_SHARE * count) and not is_stopword(rest))
            ) and (len(rest) >= _MIN_REST or rest_count):
                word = rest
                continue
        if word[0] == "س" and word[1:2] in _IMPERFECT and len(word) - 1 >= _MIN_REST:
            rest = word[1:]  # the future: سيطلب → يطلب
            if _seen(rest) >= max(PARTICLE_MIN, count):
                word = rest
                continue
        if word[0] in _ONE_LETTER and len(word) - 1 >= _MIN_REST:
            rest = word[1:]
            share = PARTICLE_SHARE.get(word[0], 0.0)
            rest_count = _seen(rest)
            if rest_count >= max(PARTICLE_MIN, share * count) and (
                rest_count >= PARTICLE_DOMINANT * count or not _is_closed(word)
            ):
                word = rest
                continue
        break
    return word


def _without_endings(word: str) -> str:
    """``word`` with its endings removed, a layer at a time, while what remains is a
    frequent word (rule 3)."""
    known, protected = places(), names()
    for layer in _LAYERS:
        if word in known or word in protected:
            break
        rest = _one_ending(word, layer)
        if rest is not None and layer is _NUMBER and word.endswith("ات") and rest.endswith("ه"):
            rest = _one_ending(rest, layer) or rest  # مسلحات → مسلحة → مسلح (its feminine)
        word = rest or word
    return word


def _one_ending(word: str, layer: tuple[str, ...]) -> str | None:
    """``word`` without one ending of ``layer``, or ``None`` when none may come off."""
    if word in _TENS:
        return None
    count = _seen(word)
    for ending in layer:
        if not word.endswith(ending) or len(word) - len(ending) < _MIN_REST:
            continue
        rest = word[: -len(ending)]
        least = max(ENDING_MIN, ENDING_SHARE * count)
        if ending == "ات":  # حملات → حملة, انتخابات → انتخاب: the commoner of the two
            rest = max((rest, rest + "ه"), key=_seen)
        elif layer is _NISBA:  # اقتصادي → اقتصاد, but سياسي → سياسة
            if _seen(rest) < least or not _takes_article(rest):
                rest += "ه"
        elif layer is _PRONOUNS and rest.endswith("ت"):  # حكومته → حكومة, not حكومت
            rest = max((rest, rest[:-1] + "ه"), key=_seen)
        if _seen(rest) < least or is_stopword(rest):
            continue
        nisba_feminine = ending == "ه" and rest.endswith("ي")  # امكانية → امكاني
        if layer is not _PRONOUNS and not nisba_feminine and not _takes_article(rest):
            continue  # a name: لوسيا is not لوسي + ا, تشرين not تشر + ين
        if ending == "ه" and layer is _NUMBER and not _is_adjective(rest):
            continue  # خبرة is not a feminine of خبر, نهاية of نهاي
        return rest
    return None


def _takes_article(word: str) -> bool:
    """Whether ``word`` is seen with the article (nouns and adjectives, not names)."""
    return bool(_seen("ال" + word) or _seen("بال" + word) or _seen("وال" + word))


def _is_adjective(word: str) -> bool:
    """Whether ``word`` has a masculine plural in ون (متشددون، مسؤولون) or is a nisba: then
    its form in ة is its feminine. (Not ين: that is also the dual of a noun, حكمين.)"""
    return word.endswith("ي") or bool(_seen(word + "ون"))


@lru_cache(maxsize=1 << 17)
def stem(token: str) -> str:
    """The matching key of one normalised token (see the module doc). Tokens that are not
    Arabic (Latin words, numbers) and tokens of fewer than three letters are returned as
    they are."""
    if len(token) < _MIN_REST or token.isascii():
        return token
    known = places()
    if token in known:
        return known[token]
    word = _without_particles(token)
    if word in known:
        return known[word]
    word = _without_endings(word)
    return known.get(word, word)


@lru_cache(maxsize=1 << 15)
def variants(token: str) -> tuple[str, ...]:
    """The keys under which ``token`` is indexed: its stem, and where a particle stayed on
    only because the lexicon has never seen the rest, the stem of the rest too: a new name
    behind و (وزيلينسكي → زيلينسكي), a rare noun behind its article (الأرانب → أرانب).
    The rest is unknown to the lexicon, so the extra key meets only that word's own forms."""
    key = stem(token)
    if token.isascii() or len(token) < 5:
        return (key,)
    word = _without_particles(token)
    if word.startswith("ال") and word not in hamza_initial() and not _seen(word[2:]):
        rest = word[2:]
    elif word[0] in _ONE_LETTER and not _seen(word) and not _seen(word[1:]):
        rest = word[1:]
    else:
        return (key,)
    other = stem(rest)
    return (key,) if other == key else (key, other)


def same_word(a: str, b: str) -> bool:
    """Whether two written words meet: one of their keys is the same."""
    ta, tb = tokenize(a), tokenize(b)
    if len(ta) != 1 or len(tb) != 1:
        return normalise(a) == normalise(b)
    return bool(set(variants(ta[0])) & set(variants(tb[0])))


def is_stopword(token: str) -> bool:
    """Whether ``token`` (normalised) is a stop word, or و/ف + one: ``terms`` drops it."""
    if token in STOPWORDS:
        return True
    return len(token) > 2 and token[0] in "وف" and token[1:] in STOPWORDS


# Tokens seen recently → their term ("" for a stop word). A plain dict look-up is several times
# cheaper than an lru_cache call, and this is the innermost loop of indexing and summarising.
# Bounded: cleared when full, which costs one refill and keeps memory flat.
_TERM_CACHE: dict[str, str] = {}
_TERM_CACHE_SIZE = 1 << 17


def terms_from_tokens(tokens: Iterable[str]) -> list[str]:
    """``terms`` for text already split by ``tokenize`` (saves normalising it twice)."""
    tokens = list(tokens)
    found = list(map(_TERM_CACHE.get, tokens))  # the hot path stays in C
    if None in found:
        for i, term in enumerate(found):
            if term is None:
                token = tokens[i]
                term = "" if len(token) < 2 or is_stopword(token) else stem(token)
                if len(_TERM_CACHE) >= _TERM_CACHE_SIZE:
                    _TERM_CACHE.clear()
                _TERM_CACHE[token] = found[i] = term
    return list(filter(None, found))


def terms(text: str) -> list[str]:
    """The keys of the content words of ``text``, in order, repeats kept: stop words and
    one-character tokens are dropped. The single function behind indexing, matching and
    queries."""
    return terms_from_tokens(tokenize(text))


def index_keys(text: str) -> list[str]:
    """What an index stores for ``text``: ``terms(text)`` in order, then the other
    ``variants`` of its words (once each). The extra keys come last so that a phrase of
    keys stays a run of adjacent keys."""
    tokens = tokenize(text)
    keys = terms_from_tokens(tokens)
    have = set(keys)
    extra = []
    for token in tokens:
        if len(token) < 5 or token.isascii():
            continue
        for key in variants(token)[1:]:
            if key not in have:
                have.add(key)
                extra.append(key)
    return keys + extra if extra else keys
