"""Articles and what was sent of them: the store decides what is new, keeps each article's
text and summary, groups articles into stories, and remembers which destination was sent
which story.

``insert_entries`` inserts only entries that are absent (by feed + GUID, then by canonical
URL, then by normalised headline within the dedup window) and returns just those; later
steps only ever see new work. ``record_sent`` with ``strict`` makes "a story is sent to a
destination once" hold across instances sharing the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from digests.errors import AlreadySent
from digests.models import Article, Entry, Feed
from digests.store.database import Database, from_row, insert_ignore, update_rows
from digests.store.schema import articles, feeds, sent_items
from digests.text.arabic import normalise
from digests.text.urls import canonical_url

__all__ = [
    "ArticleText",
    "Articles",
    "NewArticle",
    "StoredSummary",
    "record_sent",
    "story_key",
    "with_source",
]


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article the store has just inserted, with what the pipeline needs to complete it."""

    article: Article
    content: str | None  # full text carried by the feed, if any
    image: str | None = None  # the feed's image for it, to check before it is stored


@dataclass(frozen=True, slots=True)
class ArticleText:
    """The clean text of an article and where it came from: feed, page or snippet."""

    article_id: int
    text: str
    source: str
    error: str | None = None
    image: str | None = None  # the page's lead image, when the text came from the page


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """A summary kept with its article: its text (None when none was written), how it was
    made, and a note (why the preferred method was not used)."""

    article_id: int
    text: str | None
    method: str
    note: str | None = None


def with_source() -> sa.Select[Any]:
    """``SELECT articles.*, feeds.name AS source`` (an ``Article`` row) to add clauses to."""
    return sa.select(articles, feeds.c.name.label("source")).join(
        feeds, feeds.c.id == articles.c.feed_id
    )


def story_key() -> sa.ColumnElement[int]:
    """The story of an article: its ``story_id``, or its own id while it is unclustered."""
    return sa.func.coalesce(articles.c.story_id, articles.c.id)


class Articles:
    """The ``articles`` and ``sent_items`` tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert_entries(
        self,
        feed: Feed,
        entries: Iterable[Entry],
        now: datetime,
        *,
        dedup_window: timedelta,
    ) -> list[NewArticle]:
        """Insert the entries that are new and return them as articles, in feed order.

        An entry is not new when the feed already has its GUID, when any article has its
        canonical URL, or when this feed published the same normalised headline within
        ``dedup_window`` (feeds that rewrite GUIDs). Duplicates inside one document count once.
        """
        candidates: list[tuple[Entry, str, str]] = []
        seen_guids: set[str] = set()
        for entry in entries:
            if entry.guid in seen_guids:
                continue
            seen_guids.add(entry.guid)
            candidates.append(
                (entry, canonical_url(entry.link or entry.guid), normalise(entry.title))
            )
        if not candidates:
            return []
        since = now - dedup_window
        async with self._db.write() as conn:
            known_guids = await _existing(
                conn,
                articles.c.guid,
                [c[0].guid for c in candidates],
                articles.c.feed_id == feed.id,
            )
            known_urls = await _existing(conn, articles.c.canonical_url, [c[1] for c in candidates])
            known_titles = await _existing(
                conn,
                articles.c.title_key,
                [c[2] for c in candidates],
                sa.and_(articles.c.feed_id == feed.id, articles.c.created_at >= since),
            )
            rows: list[dict[str, Any]] = []
            for entry, url, title_key in candidates:
                if entry.guid in known_guids or url in known_urls or title_key in known_titles:
                    continue
                known_urls.add(url)
                known_titles.add(title_key)
                rows.append(
                    {
                        "feed_id": feed.id,
                        "guid": entry.guid,
                        "url": entry.link or entry.guid,
                        "canonical_url": url,
                        "title": entry.title,
                        "title_key": title_key,
                        "published_at": min(entry.published, now) if entry.published else now,
                        "snippet": entry.snippet,
                        "created_at": now,
                    }
                )
            if not rows:
                return []
            statement = insert_ignore(conn, articles).returning(articles.c.id, articles.c.guid)
            # In one key order, so two instances inserting the same new URLs at once wait for
            # each other instead of deadlocking (each would hold a row the other needs).
            in_key_order = sorted(rows, key=lambda row: row["canonical_url"])
            ids = {row.guid: row.id for row in await conn.execute(statement, in_key_order)}
        by_guid = {entry.guid: entry for entry, _, _ in candidates}
        created: list[NewArticle] = []
        for row in rows:
            if row["guid"] not in ids:
                continue  # inserted concurrently by another poll
            entry = by_guid[row["guid"]]
            article = Article(
                id=ids[row["guid"]],
                feed_id=feed.id,
                source=feed.name,
                guid=entry.guid,
                url=row["url"],
                title=entry.title,
                published_at=row["published_at"],
                snippet=entry.snippet,
                text=None,
                content_hash=None,
                created_at=now,
            )
            created.append(NewArticle(article=article, content=entry.content, image=entry.image))
        return created

    async def set_texts(self, texts: Sequence[ArticleText]) -> None:
        """Store the clean text of articles, all in one transaction."""
        rows = [
            {
                "id": t.article_id,
                "text": t.text,
                "text_source": t.source,
                "text_error": t.error,
                "content_hash": hashlib.sha256(normalise(t.text).encode()).hexdigest(),
            }
            for t in texts
        ]
        async with self._db.write() as conn:
            await update_rows(conn, articles, "id", rows)

    async def set_images(self, images: Mapping[int, str]) -> None:
        """Store each article's checked lead image (article id → URL)."""
        if not images:
            return
        async with self._db.write() as conn:
            for article_id, url in sorted(images.items()):
                await conn.execute(
                    sa.update(articles).where(articles.c.id == article_id).values(image_url=url)
                )

    async def set_summaries(self, summaries: Sequence[StoredSummary]) -> None:
        """Store the summaries written by the LLM backend, or why it was not used."""
        rows = [
            {
                "id": s.article_id,
                "summary": s.text,
                "summary_method": s.method,
                "summary_note": s.note,
            }
            for s in summaries
        ]
        async with self._db.write() as conn:
            await update_rows(conn, articles, "id", rows)

    async def recent(self, *, feed_id: int | None = None, limit: int = 100) -> list[Article]:
        """The newest articles (by arrival), optionally of one feed."""
        query = with_source().order_by(articles.c.id.desc()).limit(limit)
        if feed_id is not None:
            query = query.where(articles.c.feed_id == feed_id)
        return await self._load(query)

    async def missing_text(
        self, *, limit: int, created_before: datetime | None = None
    ) -> list[Article]:
        """Articles whose text was never completed (oldest first), only those stored before
        ``created_before`` when given (younger ones may still be in another poll's hands)."""
        query = with_source().where(articles.c.text.is_(None)).order_by(articles.c.id).limit(limit)
        if created_before is not None:
            query = query.where(articles.c.created_at < created_before)
        return await self._load(query)

    async def count(self) -> int:
        """How many articles are stored."""
        async with self._db.engine.connect() as conn:
            return int(
                (await conn.execute(sa.select(sa.func.count()).select_from(articles))).scalar_one()
            )

    async def arrivals_since(self, since: datetime) -> tuple[int, int]:
        """How many articles arrived since ``since``, and how many stories they belong to
        (the admins' ``stats``; the feeds' yield as a whole)."""
        query = sa.select(sa.func.count(), sa.func.count(sa.distinct(story_key()))).where(
            articles.c.created_at >= since
        )
        async with self._db.engine.connect() as conn:
            count, stories = (await conn.execute(query)).one()
        return int(count), int(stories)

    async def unsent(
        self,
        destination: str,
        *,
        since: datetime,
        limit: int,
        sources: Iterable[str] = (),
    ) -> list[Article]:
        """Articles created since ``since`` that ``destination`` has not been sent, newest first;
        only from the feeds named in ``sources`` when it is not empty."""
        sent = sa.select(sent_items.c.article_id).where(sent_items.c.destination == destination)
        query = (
            with_source()
            .where(articles.c.created_at >= since)
            .where(articles.c.id.not_in(sent))
            .order_by(articles.c.published_at.desc(), articles.c.id.desc())
            .limit(limit)
        )
        names = sorted(set(sources))
        if names:
            query = query.where(feeds.c.name.in_(names))
        return await self._load(query)

    async def sent_stories(self, destination: str, story_ids: Sequence[int]) -> set[int]:
        """Which of ``story_ids`` already had an article sent to ``destination``."""
        if not story_ids:
            return set()
        story = story_key()
        query = (
            sa.select(story)
            .join(sent_items, sent_items.c.article_id == articles.c.id)
            .where(sent_items.c.destination == destination, story.in_(story_ids))
            .distinct()
        )
        async with self._db.engine.connect() as conn:
            return set((await conn.execute(query)).scalars())

    async def sent_among(self, destination: str, article_ids: Sequence[int]) -> set[int]:
        """Which of ``article_ids`` were already sent to ``destination``."""
        if not article_ids:
            return set()
        query = sa.select(sent_items.c.article_id).where(
            sent_items.c.destination == destination, sent_items.c.article_id.in_(article_ids)
        )
        async with self._db.engine.connect() as conn:
            return set((await conn.execute(query)).scalars())

    async def mark_sent(self, destination: str, article_ids: Sequence[int], now: datetime) -> None:
        """Remember that ``destination`` was sent these articles (idempotent)."""
        async with self._db.write() as conn:
            await record_sent(conn, destination, article_ids, now)

    async def of_stories(self, story_ids: Sequence[int]) -> dict[int, list[Article]]:
        """Every article of each story, oldest first (an unclustered article is its own story)."""
        if not story_ids:
            return {}
        query = (
            with_source()
            .where(story_key().in_(story_ids))
            .order_by(articles.c.published_at, articles.c.id)
        )
        out: dict[int, list[Article]] = {}
        for article in await self._load(query):
            out.setdefault(article.story, []).append(article)
        return out

    async def by_ids(self, ids: Sequence[int]) -> dict[int, Article]:
        """The articles ``ids`` that exist, by id."""
        if not ids:
            return {}
        return {a.id: a for a in await self._load(with_source().where(articles.c.id.in_(ids)))}

    async def _load(self, query: sa.Select[Any]) -> list[Article]:
        async with self._db.engine.connect() as conn:
            return [article_of(row) for row in (await conn.execute(query)).mappings()]


async def record_sent(
    conn: AsyncConnection,
    destination: str,
    article_ids: Sequence[int],
    now: datetime,
    *,
    strict: bool = False,
) -> None:
    """``Articles.mark_sent`` on an open write transaction (the outbox's, when it queues a
    digest: parts queued and stories marked sent commit together or not at all).

    With ``strict``, raise ``AlreadySent`` when any of the articles was already recorded for
    ``destination`` (the caller's transaction then rolls back): two digests composed at the
    same time, by two instances, cannot both post a story. On PostgreSQL the second insert
    waits for the first transaction and then sees its rows.
    """
    wanted = set(article_ids)
    if not wanted:
        return
    statement = insert_ignore(conn, sent_items).values(
        [{"destination": destination, "article_id": i, "sent_at": now} for i in sorted(wanted)]
    )
    if not strict:
        await conn.execute(statement)
        return
    inserted = set((await conn.execute(statement.returning(sent_items.c.article_id))).scalars())
    if inserted != wanted:
        raise AlreadySent(destination, wanted - inserted)


def article_of(row: sa.RowMapping) -> Article:
    """An ``Article`` from a row of ``with_source()``."""
    return from_row(Article, row)


async def _existing(
    conn: AsyncConnection,
    column: sa.Column[str],
    values: Sequence[str],
    condition: sa.ColumnElement[bool] | None = None,
) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(values), 500):
        query = sa.select(column).where(column.in_(values[start : start + 500]))
        if condition is not None:
            query = query.where(condition)
        found.update((await conn.execute(query)).scalars())
    return found
