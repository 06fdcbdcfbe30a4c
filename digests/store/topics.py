"""Topics and what enrichment stores: the taxonomy's topics and the keyphrases found, the
topics of each article, related earlier articles, story ids and the text of the search index.

``save_enrichments`` writes everything the enricher learnt about a batch of articles in one
transaction; ``index_rows`` and ``enriched_since`` let the in-memory story index be rebuilt
at start-up and catch up with what other instances enriched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
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
from digests.store.schema import (
    article_topics,
    articles,
    feeds,
    follows,
    keyphrase_forms,
    related_articles,
    topics,
)
from digests.store.search import RECENT_SEARCH, write_index
from digests.text.enrich import Enrichment, IndexRow
from digests.text.keyphrases import canonical_form

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
        """Re-tag every article of topic ``from_slug`` with ``to_slug`` (which must exist), move
        its followers there, then drop ``from_slug``; returns how many articles moved. Used to
        promote a keyphrase."""
        async with self._db.write() as conn:
            ids = await _topic_ids(conn, {from_slug, to_slug})
            if from_slug not in ids or to_slug not in ids:
                return 0
            return await _merge_topic(conn, ids[from_slug], ids[to_slug])

    async def rekey_keyphrases(self, name_key: Callable[[str], tuple[str, str]]) -> int:
        """Give every keyphrase topic the slug and match key ``name_key(name_ar)`` returns (the
        matching layer changed): a topic whose new slug is taken is merged into that one
        (articles, followers and written forms move), the others are renamed in place, so no
        follower is lost. Returns how many topics changed."""
        changed = 0
        async with self._db.write() as conn:
            rows = (
                await conn.execute(
                    sa.select(topics.c.id, topics.c.slug, topics.c.name_ar, topics.c.match_key)
                    .where(topics.c.origin == "keyphrase")
                    .order_by(topics.c.id)
                )
            ).all()
            by_slug = {row.slug: row.id for row in rows}
            for row in rows:
                slug, key = name_key(row.name_ar)
                if slug == row.slug and key == row.match_key:
                    continue
                changed += 1
                target = by_slug.get(slug)
                if target is not None and target != row.id:
                    await _merge_topic(conn, row.id, target)
                    del by_slug[row.slug]
                    continue
                await conn.execute(
                    topics.update().where(topics.c.id == row.id).values(slug=slug, match_key=key)
                )
                del by_slug[row.slug]
                by_slug[slug] = row.id
            if changed:
                await _rename_from_forms(conn, list(by_slug.values()))
        return changed

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
                        for _, t in sorted(new_topics.items())  # one lock order
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
            await write_index(
                conn,
                [(i.article_id, i.search_title, i.search_body) for i in items],
                sqlite=self._db.is_sqlite,
                recent_since=now - RECENT_SEARCH,
            )
            seen: dict[tuple[int, str], int] = {}
            for item in items:
                for t in {t.slug: t for t in item.new_topics}.values():  # once per article
                    if t.origin == "keyphrase" and t.slug in topic_ids:
                        pair = (topic_ids[t.slug], t.name_ar)
                        seen[pair] = seen.get(pair, 0) + 1
            if seen:
                await _count_forms(conn, seen)
                await _rename_from_forms(conn, sorted({topic_id for topic_id, _ in seen}))

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


async def _merge_topic(conn: AsyncConnection, from_id: int, to_id: int) -> int:
    """Move topic ``from_id``'s articles, followers and written forms to ``to_id`` and drop
    it; returns how many articles it had."""
    rows = (
        await conn.execute(
            sa.select(article_topics.c.article_id, article_topics.c.weight).where(
                article_topics.c.topic_id == from_id
            )
        )
    ).all()
    if rows:
        await conn.execute(
            insert_ignore(conn, article_topics),
            [{"article_id": r.article_id, "topic_id": to_id, "weight": r.weight} for r in rows],
        )
    followers = (
        await conn.execute(
            sa.select(follows.c.subscriber_id, follows.c.created_at).where(
                follows.c.topic_id == from_id
            )
        )
    ).all()
    if followers:
        await conn.execute(
            insert_ignore(conn, follows),
            [
                {"subscriber_id": f.subscriber_id, "topic_id": to_id, "created_at": f.created_at}
                for f in followers
            ],
        )
    forms = (
        await conn.execute(
            sa.select(keyphrase_forms.c.form, keyphrase_forms.c.seen).where(
                keyphrase_forms.c.topic_id == from_id
            )
        )
    ).all()
    await _count_forms(conn, {(to_id, form.form): form.seen for form in forms})
    for table in (article_topics, follows, keyphrase_forms):
        await conn.execute(table.delete().where(table.c.topic_id == from_id))
    await conn.execute(topics.delete().where(topics.c.id == from_id))
    return len(rows)


async def _count_forms(conn: AsyncConnection, counts: Mapping[tuple[int, str], int]) -> None:
    """Add to how often each (topic id, written form) was seen (one upsert, in key order so
    that instances upserting the same forms at once lock them in the same order)."""
    if not counts:
        return
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(keyphrase_forms)
    statement = insert.on_conflict_do_update(
        index_elements=[keyphrase_forms.c.topic_id, keyphrase_forms.c.form],
        set_={"seen": keyphrase_forms.c.seen + insert.excluded.seen},
    )
    await conn.execute(
        statement, [{"topic_id": t, "form": f, "seen": n} for (t, f), n in sorted(counts.items())]
    )


async def _rename_from_forms(conn: AsyncConnection, topic_ids: Sequence[int]) -> None:
    """Name each keyphrase topic after its canonical written form (``canonical_form``)."""
    for start in range(0, len(topic_ids), 500):
        chunk = topic_ids[start : start + 500]
        forms: dict[int, dict[str, int]] = {}
        for row in await conn.execute(
            sa.select(keyphrase_forms).where(keyphrase_forms.c.topic_id.in_(chunk))
        ):
            forms.setdefault(row.topic_id, {})[row.form] = row.seen
        names = {
            row.id: row.name_ar
            for row in await conn.execute(
                sa.select(topics.c.id, topics.c.name_ar).where(topics.c.id.in_(chunk))
            )
        }
        for topic_id, seen in forms.items():
            name = canonical_form(seen)
            if names.get(topic_id) != name:
                await conn.execute(
                    topics.update()
                    .where(topics.c.id == topic_id)
                    .values(name_ar=name, name_en=name)
                )
