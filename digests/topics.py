"""Topics for articles: a taxonomy of named things and themes, and a tagger that applies it.

Pure: no I/O, no clock, no randomness. The caller reads the taxonomy file and passes its text
to ``Taxonomy.from_toml``; ``Taxonomy.tag(title, text)`` returns the topics of one article.
A ``Taxonomy`` is immutable: ``with_topic`` returns a new one.

The file format is described in the header of ``config/topics.toml``. Each topic has a slug,
an Arabic and an English name, a kind, an optional parent and phrases of four roles:

* ``aliases``: names and adjective forms; a match is strong evidence (weight 1). The Arabic
  name ``ar`` is an alias too, unless it is listed under ``ambiguous``.
* ``ambiguous``: names with a common other meaning (bare القاعدة "the base", عمان = Oman or
  Amman, فتح "opened"). They count as aliases only when the article also matches an
  unambiguous alias of the topic itself, of its parent or of one of its children.
* ``keywords``: terms that imply the topic, weaker (weight ``KEYWORD_WEIGHT``).
* ``exclude``: longer phrases that contain a name but mean something else (مجلس الأمن القومي,
  مسقط رأسه). They match like any phrase and count for nothing, so the name inside them is
  not counted (another topic may still claim the same phrase).

``parent`` names a broader topic (a capital's country, a sport's ``sport``); every hit on a
topic also counts for its parent, so ``طهران`` is evidence for ``iran``.

Matching. Text and phrases are cut into normalised tokens by ``digests.arabic.tokenize`` (no
tashkeel or tatweel, one alef, ة → ه, ى → ي, Latin lower-cased). A phrase word matches a text
token that is the word itself behind the proclitics و ف, then ب ك ل, then the article (ال,
or لل after ل): إيران matches وإيران، لإيران، بإيران. A nisba adjective matches its
inflections: إيراني matches الإيرانية، الإيرانيون، الإيرانيين، إيرانيا (and so a country in
يا meets its adjective: سوريا، سوري). A token ending in a
plural ون ين ات also matches the singular phrase word (ات also the word in ة) and a plural
in ون the phrase word in ين (and back).

This is generation from the taxonomy's own words, not stemming: the proclitics are stripped
only where what remains is a word of the taxonomy. ``digests.arabic.stem`` (the search
stemmer) is deliberately not used: it strips و ف ب ك ل from the start of every word and
ends with the Snowball stemmer, which makes طالبان meet طالب "student" and طالبت "she
demanded", فنان "artist" meet لبنان, الأميركية meet أمير "prince" and ولاية meet الولايات:
harmless for ranking search results, wrong for naming an article's topics.

A phrase word written with the definite article matches only tokens that carry it: ``الرياض``
matches الرياض، بالرياض، للرياض but not the name رياض; ``رياض`` would match all four. A word
that starts with a hamza alef (ألمانيا) has no article. Multi-word phrases match consecutive
tokens; at each position the longest phrase of any topic wins (فيلق القدس beats القدس,
تنظيم القاعدة beats القاعدة) and matching resumes after it. Title and text are matched
separately, so no phrase spans the two; punctuation inside the text does not separate words.

Scoring (``Taxonomy.tag``): a leading wire dateline ("دبي، الإمارات العربية المتحدة (CNN)--")
is skipped: it says where the story was filed, not what it is about. Each hit adds role
weight × place weight to its topic, where the place weight is ``TITLE_WEIGHT`` in the title
and, in the text, 1 for the first ``LEAD_TOKENS`` tokens, then ``LEAD_TOKENS / position``: a
name repeated in the lead counts fully, a passing mention deep in a long article counts
little. Scores then flow from children to parents. A topic is kept when its score reaches
``min_score``; its weight is ``1 - exp(-score / WEIGHT_SCALE)`` rounded to 4 places (at
least 0.0001). Results are sorted by weight (descending), then slug, and cut to ``limit``.

Promotion: an admin can turn an automatic keyphrase (``digests.keyphrases``) into a topic:
``promote(keyphrase.text, slug=..., en=...)`` builds the ``TopicDef``,
``taxonomy.with_topic(topic)`` returns the new taxonomy and ``to_toml_entry(topic)`` the
``[[topics]]`` block that the bot appends to the user's taxonomy file; ``from_toml`` reads it
back to an equal ``TopicDef``. ``taxonomy.lookup(phrase)`` tells whether a phrase is already
a name in the taxonomy.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from itertools import compress
from typing import Any

from digests.arabic import STOPWORDS, normalise, tokenize
from digests.errors import ConfigError

__all__ = [
    "KEYWORD_WEIGHT",
    "KINDS",
    "LEAD_TOKENS",
    "TITLE_WEIGHT",
    "WEIGHT_SCALE",
    "Taxonomy",
    "TopicDef",
    "TopicScore",
    "promote",
    "to_toml_entry",
]

KINDS = frozenset({"country", "city", "organisation", "person", "theme"})
TITLE_WEIGHT = 2.5
KEYWORD_WEIGHT = 0.35
LEAD_TOKENS = 80
WEIGHT_SCALE = 4.0
MAX_PHRASE_WORDS = 8

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_PHRASE_FIELDS = ("aliases", "keywords", "ambiguous", "exclude")


# --------------------------------------------------------------------------- word forms

# (proclitics, carries the article): و/ف, then ب/ك/ل, then ال (ل + ال is written لل).
_PREFIXES: tuple[tuple[str, bool], ...] = tuple(
    (conj + prep + art, bool(art))
    for conj in ("", "و", "ف")
    for prep in ("", "ب", "ك", "ل")
    for art in ("", "ال")
    if not (prep == "ل" and art)
) + tuple((conj + "لل", True) for conj in ("", "و", "ف"))
_NISBA_ENDINGS = ("ون", "ين", "ات", "ه", "ا")  # after ي: إيرانيون، إيرانيين، إيرانية، إيرانيا
# "دبي، الإمارات العربية المتحدة (CNN)--": where the story was filed, not what it is about.
_DATELINE = re.compile(r"\s*[^\n.!?؟():]{1,60}?\s*\([^()\n]{1,30}\)\s*[-–—]+")
_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")

_Word = tuple[str, bool]  # (word without article and nisba ending, must carry the article)
# What a token can be: (taxonomy word, carries the article) for each way to read it. لكرة is
# the word لكرة (as written in "الاتحاد الدولي لكرة القدم") and ل + كرة; () when none.
_Readings = tuple[tuple[str, bool], ...]


def _nisba_base(token: str) -> str:
    """إيرانية → إيراني: the masculine singular of a nisba form, else ``token`` itself."""
    for ending in _NISBA_ENDINGS:
        if token.endswith(ending) and len(token) - len(ending) >= 3:
            base = token[: -len(ending)]
            if base.endswith("ي"):
                return base
            break
    return token


def _phrase_words(phrase: str) -> tuple[_Word, ...]:
    """The words of a taxonomy phrase: article removed (and remembered), nisba folded."""
    words: list[_Word] = []
    for raw in phrase.split():
        bare = _TASHKEEL.sub("", unicodedata.normalize("NFKC", raw))
        for n, token in enumerate(tokenize(raw)):
            # Judged on the spelling before normalisation: ألمانيا starts with a hamza alef.
            article = n == 0 and bare.startswith("ال") and len(token) >= 4
            word = token[2:] if article else token
            words.append((_nisba_base(word) if not word.isascii() else word, article))
    return tuple(words)


def _is_stopword(token: str) -> bool:
    if token in STOPWORDS:
        return True
    return len(token) > 2 and token[0] in "وف" and token[1:] in STOPWORDS


# --------------------------------------------------------------------------- definitions


@dataclass(frozen=True, slots=True)
class TopicDef:
    """One topic of the taxonomy, as written in the file (see the module docstring)."""

    slug: str
    ar: str
    en: str
    kind: str
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class TopicScore:
    """A topic assigned to an article: its slug and a weight in (0, 1]."""

    slug: str
    weight: float


_ALIAS, _AMBIGUOUS, _KEYWORD, _EXCLUDE = range(4)
_MEMO_SIZE = 1 << 17
_ROLE_WEIGHT = (1.0, 1.0, KEYWORD_WEIGHT, 0.0)


_Claim = tuple[int, int]  # (topic index, role)


class _Node:
    """A node of the phrase trie: one edge per (word, article required), the claims of the
    phrases that end here."""

    __slots__ = ("children", "claims")

    def __init__(self) -> None:
        self.children: dict[str, list[tuple[bool, _Node]]] = {}
        self.claims: list[_Claim] = []


# --------------------------------------------------------------------------- the taxonomy


class Taxonomy:
    """A validated set of topics, compiled for tagging. Immutable; build with ``from_toml``.

    Does not interact with any dependencies, only processes data.
    """

    __slots__ = (
        "_by_slug",
        "_children",
        "_heads",
        "_levels",
        "_memo",
        "_parent",
        "_phrases",
        "_root",
        "_surfaces",
        "source",
    )

    def __init__(self, topics: Iterable[TopicDef], *, source: str = "taxonomy") -> None:
        self.source = source
        ordered = list(topics)
        self._by_slug: dict[str, TopicDef] = {}
        for i, topic in enumerate(ordered):
            _check_topic(topic, i, source)
            if topic.slug in self._by_slug:
                _fail(source, i, topic.slug, "slug", "duplicate slug")
            self._by_slug[topic.slug] = topic
        position = {slug: i for i, slug in enumerate(self._by_slug)}
        self._parent: list[int | None] = []
        for i, topic in enumerate(ordered):
            if topic.parent is None:
                self._parent.append(None)
            elif topic.parent == topic.slug:
                _fail(source, i, topic.slug, "parent", "a topic cannot be its own parent")
            elif topic.parent not in position:
                _fail(source, i, topic.slug, "parent", f"unknown topic {topic.parent!r}")
            else:
                self._parent.append(position[topic.parent])
        depths = [self._depth_of(i, ordered, source) for i in range(len(ordered))]
        self._children: list[list[int]] = [[] for _ in ordered]
        for i, parent in enumerate(self._parent):
            if parent is not None:
                self._children[parent].append(i)
        # Deepest topics first, so that scores flow up a whole chain in one pass.
        self._levels = [
            [i for i, depth in enumerate(depths) if depth == level]
            for level in range(max(depths, default=0), 0, -1)
        ]
        self._phrases, self._root, self._surfaces = _compile(ordered)
        # Token → _readings(token): news vocabulary repeats, so most tokens are answered by
        # one lookup. A bounded memo of a pure function; it never changes a result. When full
        # it is replaced, never cleared, so that a scan in another thread keeps a whole one.
        self._memo: dict[str, _Readings] = {}
        self._heads: set[str] = set()  # memoised tokens whose word starts some phrase

    def _depth_of(self, i: int, ordered: Sequence[TopicDef], source: str) -> int:
        depth, seen, node = 0, {i}, self._parent[i]
        while node is not None:
            if node in seen:
                _fail(source, i, ordered[i].slug, "parent", "parents form a cycle")
            seen.add(node)
            depth += 1
            node = self._parent[node]
        return depth

    # ----------------------------------------------------------------------- construction

    @classmethod
    def from_toml(cls, text: str, *, source: str = "topics.toml") -> Taxonomy:
        """Parse and validate a taxonomy file; raise ``ConfigError`` naming what is wrong."""
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{source}: not valid TOML: {error}") from None
        unknown = sorted(set(document) - {"topics"})
        if unknown:
            raise ConfigError(f"{source}: {unknown[0]}: unknown top-level key (only [[topics]])")
        tables = document.get("topics", [])
        if not isinstance(tables, list):
            raise ConfigError(f"{source}: topics: must be an array of tables ([[topics]])")
        return cls((_topic_from_table(t, i, source) for i, t in enumerate(tables)), source=source)

    def with_topic(self, topic: TopicDef) -> Taxonomy:
        """Return a new taxonomy with ``topic`` appended; ``ConfigError`` if it is invalid."""
        return Taxonomy((*self._by_slug.values(), topic), source=self.source)

    # ----------------------------------------------------------------------- access

    @property
    def topics(self) -> tuple[TopicDef, ...]:
        """The topics, in file order."""
        return tuple(self._by_slug.values())

    def get(self, slug: str) -> TopicDef:
        """The topic called ``slug``; ``KeyError`` if there is none."""
        return self._by_slug[slug]

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    def __len__(self) -> int:
        return len(self._by_slug)

    def __iter__(self) -> Iterator[TopicDef]:
        return iter(self._by_slug.values())

    def __repr__(self) -> str:
        return f"Taxonomy({len(self)} topics from {self.source!r})"

    def overlaps(self) -> dict[str, tuple[str, ...]]:
        """Phrases that are an unambiguous alias of more than one topic: phrase → slugs."""
        slugs = list(self._by_slug)
        out: dict[str, tuple[str, ...]] = {}
        for words, claims in self._phrases.items():
            owners = sorted({slugs[t] for t, role in claims if role == _ALIAS})
            if len(owners) > 1:
                out[" ".join(("ال" if art else "") + word for word, art in words)] = tuple(owners)
        return out

    def lookup(self, phrase: str) -> tuple[str, ...]:
        """Slugs of the topics that have the whole of ``phrase`` as an alias or ambiguous name."""
        tokens = tokenize(phrase)
        readings = {token: self._readings(token) for token in tokens}
        length, claims = _longest(self._root, tokens, readings, 0)
        if length != len(tokens):
            return ()
        slugs = list(self._by_slug)
        return tuple(sorted({slugs[t] for t, role in claims if role <= _AMBIGUOUS}))

    # ----------------------------------------------------------------------- tagging

    def tag(
        self, title: str, text: str, *, limit: int = 5, min_score: float = 1.0
    ) -> list[TopicScore]:
        """The topics of an article, strongest first (see the module docstring)."""
        if min_score <= 0:
            raise ValueError("min_score must be positive")
        hits: list[dict[int, float]] = [{}, {}, {}]  # alias, ambiguous, keyword
        self._scan(tokenize(title), hits, title=True)
        dateline = _DATELINE.match(text)
        self._scan(tokenize(text[dateline.end() :] if dateline else text), hits, title=False)
        strong, ambiguous, keywords = hits
        score = dict(strong)
        for topic, value in keywords.items():
            score[topic] = score.get(topic, 0.0) + value
        for topic, value in ambiguous.items():
            parent = self._parent[topic]
            if (
                topic in strong
                or (parent is not None and parent in strong)
                or any(child in strong for child in self._children[topic])
            ):
                score[topic] = score.get(topic, 0.0) + value
        for level in self._levels:
            for topic in level:
                parent = self._parent[topic]
                if topic in score and parent is not None:
                    score[parent] = score.get(parent, 0.0) + score[topic]
        slugs = list(self._by_slug)
        found = [
            TopicScore(slugs[t], max(round(1.0 - math.exp(-s / WEIGHT_SCALE), 4), 0.0001))
            for t, s in score.items()
            if s >= min_score
        ]
        found.sort(key=lambda topic: (-topic.weight, topic.slug))
        return found[: max(limit, 0)]

    def _readings(self, token: str) -> _Readings:
        """The taxonomy words that ``token`` is a form of, each with whether it carries ال.

        The token as written, and its nisba base or its singular: ولاية is و + آية (from
        "أوبن إيه آي") as written and the nisba ولاي; all readings are kept.
        """
        surfaces = self._surfaces
        found = surfaces.get(token, ())
        if len(token) < 4:
            return found
        base = _nisba_base(token)
        if base is not token:
            return found + surfaces.get(base, ())
        ending, stem = token[-2:], token[:-2]
        if ending == "ات":  # رياضات: رياضة (not رياض), مستوطنات: مستوطنة or مستوطن
            return found + (surfaces.get(stem + "ه") or surfaces.get(stem, ()))
        if ending in ("ون", "ين"):  # مستوطنون: مستوطن or مستوطنين
            other = stem + ("ين" if ending == "ون" else "ون")
            return found + (surfaces.get(stem) or surfaces.get(other, ()))
        return found

    def _scan(self, tokens: list[str], hits: list[dict[int, float]], *, title: bool) -> None:
        root, memo, heads = self._root, self._memo, self._heads
        # Per-token work stays in C (set, map, compress); Python sees only new word types
        # and the positions where some phrase may start.
        new = set(tokens).difference(memo)
        if new:
            if len(memo) + len(new) > _MEMO_SIZE:
                memo, heads = self._memo, self._heads = {}, set()
                new = set(tokens)
            for token in new:
                readings = memo[token] = self._readings(token)
                if any(word in root.children for word, _ in readings):
                    heads.add(token)
        resume = 0  # matching resumes after the last phrase found
        for i in compress(range(len(tokens)), map(heads.__contains__, tokens)):
            if i < resume:
                continue
            length, claims = _longest(root, tokens, memo, i)
            if not length:
                continue
            place = TITLE_WEIGHT if title else (1.0 if i < LEAD_TOKENS else LEAD_TOKENS / i)
            for topic, role in claims:
                if role != _EXCLUDE:
                    bucket = hits[role]
                    bucket[topic] = bucket.get(topic, 0.0) + _ROLE_WEIGHT[role] * place
            resume = i + length


def _longest(
    root: _Node, tokens: list[str], readings: Mapping[str, _Readings], start: int
) -> tuple[int, list[_Claim]]:
    """The longest phrase at ``tokens[start:]``: its length in tokens and its claims.

    Phrases that differ only in the article (الرياض, رياض) can both match; their claims are
    merged, one per topic, keeping the strongest role (alias < ambiguous < keyword < exclude).
    """
    best = 0
    found: list[list[_Claim]] = []
    stack = [(root, start)]
    while stack:
        node, at = stack.pop()
        if at == len(tokens):
            continue
        for word, carries in readings[tokens[at]]:
            for article, child in node.children.get(word, ()):
                if article and not carries:
                    continue
                depth = at + 1 - start
                if child.claims:
                    if depth > best:
                        best, found = depth, [child.claims]
                    elif depth == best and child.claims not in found:
                        found.append(child.claims)
                if child.children:
                    stack.append((child, at + 1))
    if len(found) <= 1:
        return best, found[0] if found else []
    strongest: dict[int, int] = {}
    for claims in found:
        for topic, role in claims:
            if role < strongest.get(topic, _EXCLUDE + 1):
                strongest[topic] = role
    return best, list(strongest.items())


def _compile(
    topics: Sequence[TopicDef],
) -> tuple[dict[tuple[_Word, ...], list[_Claim]], _Node, dict[str, _Readings]]:
    """Every phrase with its claims, the phrase trie, and the surface forms of the words."""
    phrases: dict[tuple[_Word, ...], list[_Claim]] = {}
    for t, topic in enumerate(topics):
        ambiguous = {normalise(p) for p in topic.ambiguous}
        listed = [(p, _ALIAS) for p in topic.aliases]
        if normalise(topic.ar) not in ambiguous:
            listed.insert(0, (topic.ar, _ALIAS))
        listed += [(p, _AMBIGUOUS) for p in topic.ambiguous]
        listed += [(p, _KEYWORD) for p in topic.keywords]
        listed += [(p, _EXCLUDE) for p in topic.exclude]
        roles: dict[tuple[_Word, ...], int] = {}
        for phrase, role in listed:
            # A phrase listed twice in one topic keeps its first, strongest role.
            roles.setdefault(_phrase_words(phrase), role)
        for words, role in roles.items():
            phrases.setdefault(words, []).append((t, role))
    root = _Node()
    surfaces: dict[str, _Readings] = {}
    for words, claims in phrases.items():
        node = root
        for word, article in words:
            edges = node.children.setdefault(word, [])
            child = next((c for a, c in edges if a == article), None)
            if child is None:
                child = _Node()
                edges.append((article, child))
            node = child
            for prefix, carries in _PREFIXES:
                surface = prefix + word
                known = surfaces.get(surface, ())
                if (word, carries) not in known:
                    surfaces[surface] = (*known, (word, carries))
        node.claims = claims
    return phrases, root, surfaces


# --------------------------------------------------------------------------- validation


def _fail(source: str, index: int, slug: str | None, key: str, problem: str) -> None:
    where = f"topics[{index}]" + (f" ({slug})" if slug else "")
    raise ConfigError(f"{source}: {where}: {key}: {problem}")


def _check_topic(topic: TopicDef, i: int, source: str) -> None:
    slug = topic.slug if isinstance(topic.slug, str) else None
    if slug is None or not _SLUG.match(slug):
        _fail(source, i, slug, "slug", "must be lower-case ASCII letters, digits and hyphens")
    for key in ("ar", "en"):
        value = getattr(topic, key)
        if not isinstance(value, str) or not value.strip():
            _fail(source, i, slug, key, "must be a non-empty string")
    problem = _phrase_problem(topic.ar)
    if problem:
        _fail(source, i, slug, "ar", f"{topic.ar!r} {problem}")
    if topic.kind not in KINDS:
        _fail(source, i, slug, "kind", f"{topic.kind!r} is not one of {', '.join(sorted(KINDS))}")
    if topic.parent is not None and not isinstance(topic.parent, str):
        _fail(source, i, slug, "parent", "must be a topic slug")
    for key in _PHRASE_FIELDS:
        phrases = getattr(topic, key)
        if not isinstance(phrases, tuple):
            _fail(source, i, slug, key, "must be a list of strings")
        for phrase in phrases:
            problem = _phrase_problem(phrase)
            if problem:
                _fail(source, i, slug, key, f"{phrase!r} {problem}")


def _phrase_problem(phrase: object) -> str | None:
    if not isinstance(phrase, str):
        return "is not a string"
    tokens = tokenize(phrase)
    if not tokens:
        return "has no words"
    if len(tokens) > MAX_PHRASE_WORDS:
        return f"has more than {MAX_PHRASE_WORDS} words"
    if all(_is_stopword(token) for token in tokens):
        return "is only stop words"
    return None


_TOPIC_KEYS = tuple(f.name for f in fields(TopicDef))


def _topic_from_table(table: object, i: int, source: str) -> TopicDef:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: topics[{i}]: must be a table")
    raw_slug = table.get("slug")
    slug = raw_slug if isinstance(raw_slug, str) else None
    for key in table:
        if key not in _TOPIC_KEYS:
            _fail(source, i, slug, key, f"unknown key (allowed: {', '.join(_TOPIC_KEYS)})")
    for key in ("slug", "ar", "en", "kind"):
        if key not in table:
            _fail(source, i, slug, key, "is required")
        if not isinstance(table[key], str):
            _fail(source, i, slug, key, "must be a string")
    values: dict[str, Any] = {key: table[key] for key in ("slug", "ar", "en", "kind")}
    for key in _PHRASE_FIELDS:
        phrases = table.get(key, [])
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            _fail(source, i, slug, key, "must be a list of strings")
        values[key] = tuple(phrases)
    parent = table.get("parent")
    if parent is not None and not isinstance(parent, str):
        _fail(source, i, slug, "parent", "must be a topic slug")
    return TopicDef(**values, parent=parent)


# --------------------------------------------------------------------------- promotion


def promote(
    phrase: str,
    *,
    slug: str,
    en: str,
    kind: str = "theme",
    ar: str | None = None,
    aliases: Sequence[str] = (),
    parent: str | None = None,
) -> TopicDef:
    """A topic made from a keyphrase's display text: its Arabic name unless ``ar`` is given.

    The phrase is matched as written (an article written in it is required in the text, see
    the module docstring). Validation happens when the topic joins a taxonomy
    (``Taxonomy.with_topic``), which raises ``ConfigError`` for a bad slug or a taken one.
    """
    name = (ar if ar is not None else phrase).strip()
    extra: list[str] = []
    for alias in (phrase.strip(), *aliases):
        if normalise(alias) != normalise(name) and alias not in extra:
            extra.append(alias)
    return TopicDef(slug=slug, ar=name, en=en, kind=kind, aliases=tuple(extra), parent=parent)


_TOML_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _toml_string(value: str) -> str:
    out = []
    for char in value:
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def to_toml_entry(topic: TopicDef) -> str:
    """The ``[[topics]]`` block for ``topic``, ending in a newline, to append to a file."""
    lines = ["[[topics]]"]
    for key in ("slug", "ar", "en", "kind"):
        lines.append(f"{key} = {_toml_string(getattr(topic, key))}")
    if topic.parent is not None:
        lines.append(f"parent = {_toml_string(topic.parent)}")
    for key in _PHRASE_FIELDS:
        phrases: tuple[str, ...] = getattr(topic, key)
        if phrases:
            lines.append(f"{key} = [{', '.join(_toml_string(p) for p in phrases)}]")
    return "\n".join(lines) + "\n"
