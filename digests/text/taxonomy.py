"""The topic taxonomy: its file format, its validation, and promotion of keyphrases.

Pure: the caller reads the taxonomy file and passes its text to ``Taxonomy.from_toml``. A
``Taxonomy`` is an immutable, validated set of topics; ``with_topic`` returns a new one. What
its words match in an article, and how topics are scored, is ``text.tagger`` (the taxonomy
compiles one for itself: ``Taxonomy.tag``).

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

Promotion: an admin can turn an automatic keyphrase (``text.keyphrases``) into a topic:
``promote(keyphrase.text, slug=..., en=...)`` builds the ``TopicDef``,
``taxonomy.with_topic(topic)`` returns the new taxonomy and ``to_toml_entry(topic)`` the
``[[topics]]`` block that the bot appends to the user's taxonomy file; ``from_toml`` reads it
back to an equal ``TopicDef``. ``taxonomy.lookup(phrase)`` tells whether a phrase is already
a name in the taxonomy.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from digests.errors import ConfigError
from digests.text.arabic import STOPWORDS, normalise, tokenize
from digests.text.tagger import KEYWORD_WEIGHT, Tagger, TopicPhrases, TopicScore
from digests.text.topic_model import Evidence

__all__ = [
    "KINDS",
    "MAX_PHRASE_WORDS",
    "Taxonomy",
    "TopicDef",
    "TopicScore",
    "promote",
    "to_toml_entry",
]

KINDS = frozenset({"country", "city", "organisation", "person", "theme"})
MAX_PHRASE_WORDS = 8

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_PHRASE_FIELDS = ("aliases", "keywords", "ambiguous", "exclude")
assert KEYWORD_WEIGHT < 1  # keywords are weaker evidence than names (see the module doc)


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


class Taxonomy:
    """A validated set of topics, compiled for tagging. Immutable; build with ``from_toml``.

    Does not interact with any dependencies, only processes data.
    """

    __slots__ = ("_by_slug", "_tagger", "source")

    def __init__(self, topics: Iterable[TopicDef], *, source: str = "taxonomy") -> None:
        self.source = source
        ordered = list(topics)
        self._by_slug: dict[str, TopicDef] = {}
        for i, topic in enumerate(ordered):
            _check_topic(topic, i, source)
            if topic.slug in self._by_slug:
                _fail(source, i, topic.slug, "slug", "duplicate slug")
            self._by_slug[topic.slug] = topic
        for i, topic in enumerate(ordered):
            _check_parent(i, topic, self._by_slug, source)
        for i, topic in enumerate(ordered):
            _check_no_cycle(i, topic, self._by_slug, source)
        self._tagger = Tagger([_phrases(topic) for topic in ordered])

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

    # ----------------------------------------------------------------------- tagging

    def tag(
        self, title: str, text: str, *, limit: int = 5, min_score: float = 1.0
    ) -> list[TopicScore]:
        """The topics of an article, strongest first (``Tagger.tag``)."""
        return self._tagger.tag(title, text, limit=limit, min_score=min_score)

    def assign(self, title: str, text: str, *, limit: int = 10) -> list[TopicScore]:
        """The topics to file an article under, most certain first (``Tagger.assign``)."""
        return self._tagger.assign(title, text, limit=limit)

    def evidence(self, title: str, text: str) -> list[tuple[str, Evidence]]:
        """Every named topic with its evidence, strongest first (``Tagger.evidence``)."""
        tagger = self._tagger
        return [(tagger.slug(t), e) for t, e in tagger.evidence(title, text)]

    def lookup(self, phrase: str) -> tuple[str, ...]:
        """Slugs of the topics that have the whole of ``phrase`` as an alias or ambiguous name."""
        return self._tagger.lookup(phrase)

    def overlaps(self) -> dict[str, tuple[str, ...]]:
        """Phrases that are an unambiguous alias of more than one topic: phrase → slugs."""
        return self._tagger.overlaps()


def _phrases(topic: TopicDef) -> TopicPhrases:
    """The topic's phrases by role; its Arabic name is a name unless listed as ambiguous."""
    ambiguous = {normalise(p) for p in topic.ambiguous}
    names = topic.aliases if normalise(topic.ar) in ambiguous else (topic.ar, *topic.aliases)
    return TopicPhrases(
        topic.slug,
        topic.parent,
        names,
        topic.ambiguous,
        topic.keywords,
        topic.exclude,
        topic.kind,
    )


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


def _check_parent(i: int, topic: TopicDef, by_slug: Mapping[str, TopicDef], source: str) -> None:
    """The parent of ``topic`` (the ``i``-th) is another topic of the taxonomy."""
    if topic.parent is None:
        return
    if topic.parent == topic.slug:
        _fail(source, i, topic.slug, "parent", "a topic cannot be its own parent")
    if topic.parent not in by_slug:
        _fail(source, i, topic.slug, "parent", f"unknown topic {topic.parent!r}")


def _check_no_cycle(i: int, topic: TopicDef, by_slug: Mapping[str, TopicDef], source: str) -> None:
    """Following parents from ``topic`` never comes back (every parent exists: checked)."""
    seen = {topic.slug}
    parent = topic.parent
    while parent is not None:
        if parent in seen:
            _fail(source, i, topic.slug, "parent", "parents form a cycle")
        seen.add(parent)
        parent = by_slug[parent].parent


def _is_stopword(token: str) -> bool:
    if token in STOPWORDS:
        return True
    return len(token) > 2 and token[0] in "وف" and token[1:] in STOPWORDS


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
