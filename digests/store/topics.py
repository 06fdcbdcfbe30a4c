"""Topics and what enrichment stores: the taxonomy's topics and the keyphrases found, the
topics of each article, related earlier articles, story ids and the text of the search index.

``save_enrichments`` writes everything the enricher learnt about a batch of articles in one
transaction; ``index_rows`` and ``enriched_since`` let the in-memory story index be rebuilt
at start-up and catch up with what other instances enriched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from digests.models import Article, TopicRow
from digests.store.articles import article_of, with_source
from digests.store.database import (
    SYNC_LOCK,
    Database,
    from_row,
    insert_ignore,
    serialise,
    update_rows,
)
from digests.store.schema import article_topics, articles, feeds, related_articles, topics
from digests.text.enrich import Enrichment, IndexRow

__all__ = ["Topics"]


class Topics:
    """The ``topics``, ``article_topics`` and ``related_articles`` tables, and the enrichment
    columns of ``articles`` (story id, enriched at, search text)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def sync(self, rows: Sequence[TopicRow], now: datetime) -> None:
        """Insert or update the taxonomy's topics (by slug); other topics are left alone."""
        if not rows:
            return
        async with self._db.write() as conn:
            await serialise(conn, SYNC_LOCK)
            existing = {
                row.slug: row.id
                for row in await conn.execute(sa.select(topics.c.slug, topics.c.id))
            }
            for row in rows:
                values = {
                    "name_ar": row.name_ar,
                    "name_en": row.name_en,
                    "kind": row.kind,
                    "origin": row.origin,
                    "match_key": row.match_key,
                }
                if row.slug in existing:
                    await conn.execute(
                        topics.update().where(topics.c.id == existing[row.slug]).values(**values)
                    )
                else:
                    await conn.execute(
                        topics.insert().values(slug=row.slug, created_at=now, **values)
                    )

    async def move(self, from_slug: str, to_slug: str) -> int:
        """Re-tag every article of topic ``from_slug`` with ``to_slug`` (which must exist), then
        drop ``from_slug``; returns how many articles moved. Used to promote a keyphrase."""
        async with self._db.write() as conn:
            ids = await _topic_ids(conn, {from_slug, to_slug})
            if from_slug not in ids or to_slug not in ids:
                return 0
            rows = (
                await conn.execute(
                    sa.select(article_topics.c.article_id, article_topics.c.weight).where(
                        article_topics.c.topic_id == ids[from_slug]
                    )
                )
            ).all()
            if rows:
                await conn.execute(
                    insert_ignore(conn, article_topics),
                    [
                        {"article_id": r.article_id, "topic_id": ids[to_slug], "weight": r.weight}
                        for r in rows
                    ],
                )
            await conn.execute(
                article_topics.delete().where(article_topics.c.topic_id == ids[from_slug])
            )
            await conn.execute(topics.delete().where(topics.c.id == ids[from_slug]))
            return len(rows)

    async def counts(
        self, *, origin: str | None = None, limit: int = 50
    ) -> list[tuple[TopicRow, int]]:
        """Topics with how many articles carry them, most used first."""
        count = sa.func.count(article_topics.c.article_id)
        query = (
            sa.select(topics, count.label("articles"))
            .join(article_topics, article_topics.c.topic_id == topics.c.id)
            .group_by(topics.c.id)
            .order_by(count.desc(), topics.c.slug)
            .limit(limit)
        )
        if origin is not None:
            query = query.where(topics.c.origin == origin)
        async with self._db.engine.connect() as conn:
            return [
                (_topic(row), row["articles"]) for row in (await conn.execute(query)).mappings()
            ]

    async def all(self, *, origin: str | None = None) -> list[TopicRow]:
        """Every topic (optionally only taxonomy or only keyphrase ones), by slug."""
        query = sa.select(topics).order_by(topics.c.slug)
        if origin is not None:
            query = query.where(topics.c.origin == origin)
        async with self._db.engine.connect() as conn:
            return [_topic(row) for row in (await conn.execute(query)).mappings()]

    async def of_articles(
        self, article_ids: Sequence[int]
    ) -> dict[int, list[tuple[TopicRow, float]]]:
        """The topics of each article with their weights, heaviest first."""
        if not article_ids:
            return {}
        query = (
            sa.select(article_topics.c.article_id, article_topics.c.weight, topics)
            .join(topics, topics.c.id == article_topics.c.topic_id)
            .where(article_topics.c.article_id.in_(article_ids))
            .order_by(article_topics.c.article_id, article_topics.c.weight.desc(), topics.c.slug)
        )
        out: dict[int, list[tuple[TopicRow, float]]] = {}
        made: dict[int, TopicRow] = {}  # one TopicRow per topic (a story's articles share them)
        async with self._db.engine.connect() as conn:
            for row in (await conn.execute(query)).mappings():
                topic = made.get(row["id"])
                if topic is None:
                    topic = made[row["id"]] = _topic(row)
                out.setdefault(row["article_id"], []).append((topic, row["weight"]))
        return out

    async def related_of(self, article_ids: Sequence[int]) -> dict[int, list[Article]]:
        """The stored related earlier articles of each article, best first."""
        if not article_ids:
            return {}
        other = articles.alias("other")
        query = (
            sa.select(
                related_articles.c.article_id.label("of_id"), other, feeds.c.name.label("source")
            )
            .join(other, other.c.id == related_articles.c.related_id)
            .join(feeds, feeds.c.id == other.c.feed_id)
            .where(related_articles.c.article_id.in_(article_ids))
            .order_by(related_articles.c.article_id, related_articles.c.score.desc())
        )
        out: dict[int, list[Article]] = {}
        async with self._db.engine.connect() as conn:
            for row in (await conn.execute(query)).mappings():
                out.setdefault(row["of_id"], []).append(article_of(row))
        return out

    async def save_enrichments(self, items: Sequence[Enrichment], now: datetime) -> None:
        """Store topics, story ids, related links and search text of articles, in one go."""
        if not items:
            return
        async with self._db.write() as conn:
            new_topics = {t.slug: t for item in items for t in item.new_topics}
            if new_topics:
                await conn.execute(
                    insert_ignore(conn, topics),
                    [
                        {
                            "slug": t.slug,
                            "name_ar": t.name_ar,
                            "name_en": t.name_en,
                            "kind": t.kind,
                            "origin": t.origin,
                            "match_key": t.match_key,
                            "created_at": now,
                        }
                        for t in new_topics.values()
                    ],
                )
            slugs = {slug for item in items for slug, _ in item.topics}
            topic_ids = await _topic_ids(conn, slugs)
            topic_rows = [
                {"article_id": item.article_id, "topic_id": topic_ids[slug], "weight": weight}
                for item in items
                for slug, weight in item.topics
                if slug in topic_ids
            ]
            if topic_rows:
                await conn.execute(insert_ignore(conn, article_topics), topic_rows)
            related_rows = [
                {"article_id": item.article_id, "related_id": other, "score": score}
                for item in items
                for other, score in item.related
            ]
            if related_rows:
                await conn.execute(insert_ignore(conn, related_articles), related_rows)
            await update_rows(
                conn,
                articles,
                "id",
                [
                    {"id": item.article_id, "story_id": item.story_id, "enriched_at": now}
                    for item in items
                ],
            )
            index = [
                {"id": i.article_id, "title": i.search_title, "body": i.search_body} for i in items
            ]
            if self._db.is_sqlite:
                await conn.execute(
                    sa.text(
                        "INSERT OR REPLACE INTO article_search(rowid, title, body) "
                        "VALUES (:id, :title, :body)"
                    ),
                    index,
                )
            else:  # PostgreSQL: columns only its migration adds (a generated tsvector reads them)
                await conn.execute(
                    sa.text(
                        "UPDATE articles SET search_title = :title, search_body = :body "
                        "WHERE id = :id"
                    ),
                    index,
                )

    async def to_enrich(
        self, *, limit: int, created_before: datetime | None = None
    ) -> list[Article]:
        """Articles with text but no enrichment yet, oldest first (only those stored before
        ``created_before`` when given: younger ones may still be in another poll's hands)."""
        query = (
            with_source()
            .where(articles.c.text.is_not(None), articles.c.enriched_at.is_(None))
            .order_by(articles.c.id)
            .limit(limit)
        )
        if created_before is not None:
            query = query.where(articles.c.created_at < created_before)
        async with self._db.engine.connect() as conn:
            return [article_of(row) for row in (await conn.execute(query)).mappings()]

    async def index_rows(
        self, since: datetime, *, ids: Sequence[int] | None = None
    ) -> list[IndexRow]:
        """Enriched articles published since ``since``, in time order, to rebuild the index
        (only the articles ``ids`` when given)."""
        query = (
            sa.select(
                articles.c.id,
                feeds.c.name,
                articles.c.published_at,
                articles.c.title,
                articles.c.text,
                articles.c.story_id,
            )
            .join(feeds, feeds.c.id == articles.c.feed_id)
            .where(articles.c.published_at >= since, articles.c.enriched_at.is_not(None))
            .order_by(articles.c.published_at, articles.c.id)
        )
        chunks = (
            [query]
            if ids is None
            else [
                query.where(articles.c.id.in_(ids[start : start + 500]))
                for start in range(0, len(ids), 500)
            ]
        )
        out: list[IndexRow] = []
        async with self._db.engine.connect() as conn:
            for chunk in chunks:
                out += [
                    IndexRow(r.id, r.name, r.published_at, r.title, r.text or "", r.story_id)
                    for r in await conn.execute(chunk)
                ]
        return sorted(out, key=lambda r: (r.published_at, r.id))

    async def enriched_since(self, since: datetime) -> list[int]:
        """Ids of the articles enriched at or after ``since`` (by any instance)."""
        query = sa.select(articles.c.id).where(articles.c.enriched_at >= since)
        async with self._db.engine.connect() as conn:
            return list((await conn.execute(query)).scalars())


async def _topic_ids(conn: AsyncConnection, slugs: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(slugs)
    for start in range(0, len(ordered), 500):
        rows = await conn.execute(
            sa.select(topics.c.slug, topics.c.id).where(
                topics.c.slug.in_(ordered[start : start + 500])
            )
        )
        found.update({row.slug: row.id for row in rows})
    return found


def _topic(row: sa.RowMapping) -> TopicRow:
    return from_row(TopicRow, row)
