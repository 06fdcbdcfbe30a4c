"""Enrichment of new articles: topics, keyphrases, story, related earlier articles, search text.

The ``Enricher`` holds what must be remembered between articles: the taxonomy, the in-memory
similarity index of recent articles (same-story clustering and related coverage) and the
document frequencies of keyphrases. It does no I/O: the pipeline gives it articles and stores
the ``Enrichment`` it returns; at start-up the service rebuilds its memory from stored
articles with ``restore``. Articles must be given in publication order for stories to form
as they would have live.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

from pydantic import ConfigDict, Field

from digests.models import Article, TopicRow
from digests.text.keyphrases import PhraseStats, extract_keyphrases, phrase_key, phrase_keys
from digests.text.query import index_terms
from digests.text.stories import IndexedDoc, SimilarityIndex
from digests.text.taxonomy import Taxonomy

TOPICS_PER_ARTICLE = 10
"""Most taxonomy topics kept per article."""

__all__ = [
    "TOPICS_PER_ARTICLE",
    "Enricher",
    "Enrichment",
    "IndexRow",
    "TopicSettings",
    "keyphrase_identity",
    "keyphrase_slug",
    "taxonomy_rows",
]


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What the enricher learnt about one article: topics, story, related articles, index text."""

    article_id: int
    story_id: int
    topics: tuple[tuple[str, float], ...] = ()  # (slug, weight)
    new_topics: tuple[TopicRow, ...] = ()  # keyphrase topics to create if absent
    related: tuple[tuple[int, float], ...] = ()  # (article id, score)
    search_title: str = ""
    search_body: str = ""


@dataclass(frozen=True, slots=True)
class IndexRow:
    """A stored article as the story index needs it when it is rebuilt."""

    id: int
    source: str
    published_at: datetime
    title: str
    text: str
    story_id: int | None


@dataclass(frozen=True, slots=True)
class TopicSettings:
    """Topics, stories and related articles (``[topics]``)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    taxonomy_file: Annotated[
        Path,
        Field(
            description="The topic taxonomy (TOML); a relative path is relative to the folder "
            "of the configuration file."
        ),
    ] = Path("topics.toml")
    story_window_hours: Annotated[
        int, Field(ge=1, le=24 * 14, description="Articles this close in time can be one story.")
    ] = 48
    related_window_days: Annotated[
        int, Field(ge=1, le=90, description="How far back related earlier articles are looked for.")
    ] = 14
    related_per_article: Annotated[
        int, Field(ge=0, le=10, description="Related earlier articles stored per article.")
    ] = 3
    keyphrases_per_article: Annotated[
        int, Field(ge=0, le=20, description="Automatic keyphrase topics kept per article.")
    ] = 6

    @property
    def story_window(self) -> timedelta:
        """``story_window_hours`` as a span."""
        return timedelta(hours=self.story_window_hours)

    @property
    def related_window(self) -> timedelta:
        """``related_window_days`` as a span."""
        return timedelta(days=self.related_window_days)


def keyphrase_slug(key: str) -> str:
    """A stable ASCII slug for a keyphrase (Telegram deep links need [A-Za-z0-9_-])."""
    return "kp-" + hashlib.sha1(key.encode()).hexdigest()[:12]


def keyphrase_identity(name: str) -> tuple[str, str]:
    """The slug and match key of the keyphrase shown as ``name`` (``phrase_key``)."""
    key = phrase_key(name)
    return keyphrase_slug(key), key


def taxonomy_rows(taxonomy: Taxonomy) -> list[TopicRow]:
    """The taxonomy's topics as the store keeps them."""
    return [TopicRow(t.slug, t.ar, t.en, t.kind) for t in taxonomy.topics]


class Enricher:
    """Turns articles with text into ``Enrichment`` records, remembering recent ones."""

    def __init__(self, taxonomy: Taxonomy, settings: TopicSettings | None = None) -> None:
        self._taxonomy = taxonomy
        self._settings = settings or TopicSettings()
        self._index = SimilarityIndex(window=self._settings.story_window)
        self._phrases = PhraseStats()

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._index

    @property
    def horizon(self) -> timedelta:
        """How far back the index reaches (articles older than this are forgotten)."""
        return self._settings.related_window

    def restore(self, rows: Sequence[IndexRow]) -> int:
        """Add stored articles (oldest first) with their stored story ids; articles already in
        the index are skipped. Returns how many were added."""
        added = 0
        for row in rows:
            if row.id in self._index:
                continue
            added += 1
            doc = IndexedDoc.from_text(row.id, row.source, row.published_at, row.title, row.text)
            self._index.add(doc, story_id=row.story_id)
            self._phrases.add(phrase_keys(row.title, row.text))
        return added

    def enrich(self, article: Article) -> Enrichment:
        """Tag, cluster and link one article, and remember it for the next ones."""
        text = article.text or article.snippet
        doc = IndexedDoc.from_text(
            article.id, article.source, article.published_at, article.title, text
        )
        story = self._index.add(doc)
        related = self._index.related(
            doc, k=self._settings.related_per_article, window=self._settings.related_window
        )
        self._index.evict_before(article.published_at - self._settings.related_window)
        scores = self._taxonomy.assign(article.title, text, limit=TOPICS_PER_ARTICLE)
        topics = [(s.slug, s.weight) for s in scores]
        new_topics = []
        wanted = self._settings.keyphrases_per_article
        # Ask for more than wanted: the phrases the taxonomy already names are dropped below.
        phrases = [
            p
            for p in extract_keyphrases(article.title, text, limit=2 * wanted, stats=self._phrases)
            # A name repeated in the article, and one the taxonomy does not already name
            # ("فيلق القدس", "النظام الإيراني"); a phrase seen once is rarely a topic.
            if p.count >= 2 and not self._taxonomy.tag(p.text, "", min_score=0.01)
        ][:wanted]
        self._phrases.add(phrase_keys(article.title, text))
        best = max((p.score for p in phrases), default=1.0) or 1.0
        for phrase in phrases:
            slug = keyphrase_slug(phrase.key)
            new_topics.append(
                TopicRow(slug, phrase.text, phrase.text, "keyphrase", "keyphrase", phrase.key)
            )
            topics.append((slug, round(0.6 * phrase.score / best, 4)))
        return Enrichment(
            article_id=article.id,
            story_id=story,
            topics=tuple(topics),
            new_topics=tuple(new_topics),
            related=tuple((m.doc_id, round(m.score, 4)) for m in related),
            search_title=index_terms(article.title),
            search_body=index_terms(text),
        )
