"""Finding the topic a reader names: by slug, by name in any spelling, by alias, or close to it.

Pure. Users name topics by slug, Arabic or English name, or any alias of the taxonomy, in any
spelling variant (ايران = إيران, الإيرانية, Iran, #إيران); an unknown name gets close
matches.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from digests.models import TopicRow
from digests.text.arabic import normalise
from digests.text.taxonomy import Taxonomy

__all__ = ["TopicLookup", "TopicMatch"]

_SUGGESTIONS = 5


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """The topic a user meant, or (``topic`` None) the topics they may have meant:
    ``ambiguous`` when the text is a name of each of them, else names spelt close to it."""

    topic: TopicRow | None
    candidates: tuple[TopicRow, ...] = ()
    ambiguous: bool = False


class TopicLookup:
    """Finds the topic a user names, among the topics given. Pure.

    In order: the slug; the Arabic or English name, normalised (ايران = إيران, Iran = iran,
    «#الولايات_المتحدة» = الولايات المتحدة); any alias of the taxonomy with its proclitics and
    inflections (الإيرانية → iran). One hit is the answer; several are all candidates (عمان is
    Oman and Amman). Otherwise the candidates are names that contain the text or are spelt
    close to it.
    """

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        self._taxonomy = taxonomy

    def resolve(self, text: str, topics: Sequence[TopicRow]) -> TopicMatch:
        """The topic of ``topics`` that ``text`` names (see the class doc)."""
        key = _topic_key(text)
        if not key:
            return TopicMatch(None)
        by_slug = {row.slug: row for row in topics}
        slug = key.replace(" ", "-")
        if slug in by_slug:
            return TopicMatch(by_slug[slug])
        named = [row for row in topics if key in _names(row)]
        if not named and self._taxonomy is not None:
            slugs = self._taxonomy.lookup(text.strip().lstrip("#").replace("_", " "))
            named = [by_slug[s] for s in slugs if s in by_slug]
        if len(named) == 1:
            return TopicMatch(named[0])
        if named:
            return TopicMatch(None, tuple(named), ambiguous=True)
        return TopicMatch(None, _close(key, topics))


def _topic_key(text: str) -> str:
    return normalise(text.strip().lstrip("#").replace("_", " ").strip("«»\"'“”"))


def _names(row: TopicRow) -> tuple[str, ...]:
    return (normalise(row.name_ar), normalise(row.name_en), row.slug)


def _close(key: str, topics: Sequence[TopicRow]) -> tuple[TopicRow, ...]:
    found: dict[str, TopicRow] = {}
    if len(key) >= 3:
        for row in topics:
            if any(key in name for name in _names(row)):
                found.setdefault(row.slug, row)
    by_name: dict[str, list[TopicRow]] = {}
    for row in topics:
        for name in _names(row):
            by_name.setdefault(name, []).append(row)
    for name in difflib.get_close_matches(key, list(by_name), n=_SUGGESTIONS, cutoff=0.7):
        for row in by_name[name]:
            found.setdefault(row.slug, row)
    return tuple(found.values())[:_SUGGESTIONS]
