"""The web archive's reads, and the one write that archives a posted digest.

``record_digest`` stores a composed ``Digest`` under its address (``compose.archive``) on an
open write transaction: the outbox calls it in the transaction that queues the digest's parts
(``Outbox.enqueue(archive=…)``), so a digest is archived exactly when it is posted, once per
address. ``Archive.record`` does the same in a transaction of its own (the console, which
prints at once). The digest is kept as JSON, exactly as composed: the pages show it as the
chat did, whatever happens to its articles later. The one exception is a live update of a
digest of several stories (``deliver.updates``): its edits are queued with the digest as
rebuilt (``ArchiveRecord.replace``), which takes the archived body's place in the same
transaction, so the page keeps showing what the chat shows.

Everything else here is read-only and serves the web pages: the archive of a destination
(newest first, paged), one digest, the latest digests (feeds), the articles of one story, a
topic's stories and its stories per day. Each read is one or two indexed queries; no page
loads an article's text except the story page, which summarises its articles.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from digests.compose.archive import DigestAddress
from digests.models import Article, Digest, DigestItem, DigestSection, Link, TopicRef, TopicRow
from digests.store.articles import article_of, story_key, with_source
from digests.store.database import Database, from_row, insert_ignore
from digests.store.schema import archived_digests, article_topics, articles, feeds, topics

__all__ = [
    "Archive",
    "ArchiveEntry",
    "ArchiveRecord",
    "ArchivedDigest",
    "StoryLine",
    "digest_from_json",
    "digest_to_json",
    "record_digest",
]

_HEADLINES = 3  # headlines kept beside each digest for the archive lists
_STORY_ARTICLES = 200  # most articles of one story read for its page
_LATEST_READ = 10  # a topic's latest arrivals read per story listed
_ARRIVAL_SLACK = timedelta(days=1)  # how long before its publication an article may arrive


@dataclass(frozen=True, slots=True)
class ArchiveRecord:
    """A digest to archive: where it lives, the time it is for, and the digest itself; with
    ``replace``, the new body of a digest archived already (its messages were edited)."""

    address: DigestAddress
    scheduled_at: datetime
    digest: Digest
    replace: bool = False


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """An archived digest as the archive lists show it (without its body)."""

    destination: str
    day: str
    slot: str
    kind: str
    scheduled_at: datetime
    composed_at: datetime
    items: int
    headlines: tuple[str, ...]

    @property
    def address(self) -> DigestAddress:
        """Where the digest lives."""
        return DigestAddress(self.destination, self.day, self.slot)


@dataclass(frozen=True, slots=True)
class ArchivedDigest:
    """An archived digest with its body, exactly as it was composed."""

    entry: ArchiveEntry
    digest: Digest


@dataclass(frozen=True, slots=True)
class StoryLine:
    """A story as a list shows it: its lead article's headline, link, source and time."""

    story_id: int
    article_id: int
    title: str
    url: str
    source: str
    published_at: datetime


async def record_digest(conn: AsyncConnection, record: ArchiveRecord) -> bool:
    """Archive ``record`` on the open write transaction ``conn``; False (nothing written) when
    its address is archived already. With ``record.replace``, the digest archived at its
    address is given the record's body instead (its time and kind stay); False when there is
    none."""
    digest = record.digest
    address = record.address
    if record.replace:
        body = {
            "items": len(digest.items),
            "headlines": _headlines(digest),
            "body": digest_to_json(digest),
        }
        updated = await conn.execute(
            archived_digests.update()
            .where(
                archived_digests.c.destination == address.destination,
                archived_digests.c.day == address.day,
                archived_digests.c.slot == address.slot,
            )
            .values(body)
        )
        return bool(updated.rowcount)
    row = {
        "destination": address.destination,
        "day": address.day,
        "slot": address.slot,
        "kind": digest.kind,
        "scheduled_at": record.scheduled_at,
        "composed_at": digest.created_at,
        "items": len(digest.items),
        "headlines": _headlines(digest),
        "body": digest_to_json(digest),
    }
    inserted = await conn.execute(
        insert_ignore(conn, archived_digests).values(row).returning(archived_digests.c.id)
    )
    return inserted.first() is not None


def _headlines(digest: Digest) -> str:
    """The first items' titles, kept beside the body for the archive lists (JSON)."""
    return json.dumps([item.title for item in digest.items[:_HEADLINES]], ensure_ascii=False)


class Archive:
    """The ``archived_digests`` table, and the reads of the web pages."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, record: ArchiveRecord) -> bool:
        """Archive ``record`` in a transaction of its own (``record_digest``)."""
        async with self._db.write() as conn:
            return await record_digest(conn, record)

    async def page(
        self, destination: str, *, page: int, per_page: int
    ) -> tuple[list[ArchiveEntry], int]:
        """One page (from 1) of ``destination``'s archive, newest first, and how many digests
        it has in all."""
        count = sa.select(sa.func.count()).where(archived_digests.c.destination == destination)
        query = (
            _entries()
            .where(archived_digests.c.destination == destination)
            .order_by(archived_digests.c.scheduled_at.desc(), archived_digests.c.id.desc())
            .limit(per_page)
            .offset((max(1, page) - 1) * per_page)
        )
        async with self._db.engine.connect() as conn:
            total = int((await conn.execute(count)).scalar_one())
            rows = (await conn.execute(query)).mappings().all()
        return [_entry(row) for row in rows], total

    async def latest(self, destinations: Sequence[str]) -> dict[str, ArchiveEntry]:
        """The newest archived digest of each of ``destinations`` that has one."""
        out: dict[str, ArchiveEntry] = {}
        async with self._db.engine.connect() as conn:
            for name in destinations:
                query = (
                    _entries()
                    .where(archived_digests.c.destination == name)
                    .order_by(archived_digests.c.scheduled_at.desc(), archived_digests.c.id.desc())
                    .limit(1)
                )
                row = (await conn.execute(query)).mappings().first()
                if row is not None:
                    out[name] = _entry(row)
        return out

    async def find(self, address: DigestAddress) -> ArchivedDigest | None:
        """The digest archived at ``address``, or None."""
        query = sa.select(archived_digests).where(
            archived_digests.c.destination == address.destination,
            archived_digests.c.day == address.day,
            archived_digests.c.slot == address.slot,
        )
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return _archived(row) if row is not None else None

    async def recent(self, destination: str, *, limit: int) -> list[ArchivedDigest]:
        """``destination``'s newest ``limit`` digests with their bodies (for its feeds)."""
        query = (
            sa.select(archived_digests)
            .where(archived_digests.c.destination == destination)
            .order_by(archived_digests.c.scheduled_at.desc(), archived_digests.c.id.desc())
            .limit(limit)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_archived(row) for row in rows]

    async def stories_of(self, article_ids: Sequence[int]) -> dict[int, int]:
        """The story of each of ``article_ids`` that still exists (for links to story pages)."""
        if not article_ids:
            return {}
        query = sa.select(articles.c.id, story_key()).where(articles.c.id.in_(article_ids))
        async with self._db.engine.connect() as conn:
            return {int(i): int(s) for i, s in (await conn.execute(query)).all()}

    async def story(self, story_id: int) -> list[Article]:
        """The articles of story ``story_id``, oldest first (empty when there is none).

        Reads by ``story_id`` and by primary key (both indexed), so one story costs the same
        whatever the size of the store; at most 200 articles."""
        query = (
            with_source()
            .where(sa.or_(articles.c.story_id == story_id, articles.c.id == story_id))
            .order_by(articles.c.published_at, articles.c.id)
            .limit(_STORY_ARTICLES + 1)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        found = [article_of(row) for row in rows]
        return [a for a in found if a.story == story_id][:_STORY_ARTICLES]

    async def topic(self, slug: str) -> TopicRow | None:
        """The topic ``slug``, or None."""
        query = sa.select(topics).where(topics.c.slug == slug)
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return from_row(TopicRow, row) if row is not None else None

    async def topic_story_starts(self, slug: str, since: datetime) -> list[datetime]:
        """When each story on topic ``slug`` since ``since`` was first published (by its
        articles carrying the topic), one time per story.

        Only articles that arrived from a day before ``since`` on are read (an article
        arrives after it is published, give or take a feed's clock), through the topic's
        index by article id: the cost follows the window, not the topic's whole history."""
        first = sa.func.min(articles.c.published_at)
        async with self._db.engine.connect() as conn:
            topic_id = await _topic_id(conn, slug)
            first_id = await conn.scalar(  # the first arrival since then, by its index
                sa.select(articles.c.id)
                .where(articles.c.created_at >= since - _ARRIVAL_SLACK)
                .order_by(articles.c.created_at, articles.c.id)
                .limit(1)
            )
            if topic_id is None or first_id is None:
                return []
            query = (
                sa.select(first)
                .select_from(article_topics)
                .join(articles, articles.c.id == article_topics.c.article_id)
                .where(
                    article_topics.c.topic_id == topic_id,
                    article_topics.c.article_id >= first_id,
                    articles.c.published_at >= since,
                )
                .group_by(story_key())
            )
            return list((await conn.execute(query)).scalars())

    async def topic_stories(self, slug: str, *, limit: int) -> list[StoryLine]:
        """The ``limit`` newest stories on topic ``slug``, each by its newest article on it:
        among the topic's latest arrivals (read backwards through its index), newest
        published first."""
        async with self._db.engine.connect() as conn:
            topic_id = await _topic_id(conn, slug)
            if topic_id is None:
                return []
            recent = (
                sa.select(article_topics.c.article_id)
                .where(article_topics.c.topic_id == topic_id)
                .order_by(article_topics.c.article_id.desc())
                .limit(limit * _LATEST_READ)
                .subquery()
            )
            query = (
                sa.select(
                    articles.c.id,
                    story_key().label("story"),
                    articles.c.title,
                    articles.c.url,
                    articles.c.published_at,
                    feeds.c.name.label("source"),
                )
                .join(recent, recent.c.article_id == articles.c.id)
                .join(feeds, feeds.c.id == articles.c.feed_id)
            )
            rows = (await conn.execute(query)).mappings().all()
        lines: dict[int, StoryLine] = {}
        for row in sorted(rows, key=lambda r: (r["published_at"], r["id"]), reverse=True):
            story = int(row["story"])
            if story not in lines:
                lines[story] = StoryLine(
                    story_id=story,
                    article_id=row["id"],
                    title=row["title"],
                    url=row["url"],
                    source=row["source"],
                    published_at=row["published_at"],
                )
        return list(lines.values())[:limit]


async def _topic_id(conn: AsyncConnection, slug: str) -> int | None:
    found = await conn.scalar(sa.select(topics.c.id).where(topics.c.slug == slug))
    return int(found) if found is not None else None


def _entries() -> sa.Select[Any]:
    """The columns of an ``ArchiveEntry`` (never the body)."""
    return sa.select(*(c for c in archived_digests.c if c.name not in ("id", "body")))


def _entry(row: sa.RowMapping) -> ArchiveEntry:
    return ArchiveEntry(
        destination=row["destination"],
        day=row["day"],
        slot=row["slot"],
        kind=row["kind"],
        scheduled_at=row["scheduled_at"],
        composed_at=row["composed_at"],
        items=row["items"],
        headlines=tuple(json.loads(row["headlines"])),
    )


def _archived(row: sa.RowMapping) -> ArchivedDigest:
    return ArchivedDigest(_entry(row), digest_from_json(row["body"]))


# --------------------------------------------------------------------------- JSON


def digest_to_json(digest: Digest) -> str:
    """``digest`` as JSON (times in ISO 8601); ``digest_from_json`` reads it back equal."""
    return json.dumps(
        {
            "destination": digest.destination,
            "created_at": digest.created_at.isoformat(),
            "kind": digest.kind,
            "note": digest.note,
            "sections": [
                {
                    "topic": _topic_json(section.topic),
                    "items": [_item_json(item) for item in section.items],
                }
                for section in digest.sections
            ],
        },
        ensure_ascii=False,
    )


def digest_from_json(text: str) -> Digest:
    """The ``Digest`` that ``digest_to_json`` wrote."""
    data = json.loads(text)
    return Digest(
        destination=data["destination"],
        created_at=datetime.fromisoformat(data["created_at"]),
        kind=data["kind"],
        note=data["note"],
        sections=tuple(
            DigestSection(
                topic=TopicRef(**section["topic"]) if section["topic"] else None,
                items=tuple(_item_of(item) for item in section["items"]),
            )
            for section in data["sections"]
        ),
    )


def _topic_json(topic: TopicRef | None) -> dict[str, str] | None:
    return {"slug": topic.slug, "name": topic.name} if topic is not None else None


def _link_json(link: Link) -> dict[str, str]:
    return {"title": link.title, "url": link.url, "source": link.source}


def _item_json(item: DigestItem) -> dict[str, Any]:
    return {
        "article_id": item.article_id,
        "title": item.title,
        "url": item.url,
        "source": item.source,
        "published_at": item.published_at.isoformat(),
        "summary": item.summary,
        "also_reported_by": [_link_json(link) for link in item.also_reported_by],
        "topics": [_topic_json(topic) for topic in item.topics],
        "related": [_link_json(link) for link in item.related],
    }


def _item_of(data: dict[str, Any]) -> DigestItem:
    return DigestItem(
        article_id=data["article_id"],
        title=data["title"],
        url=data["url"],
        source=data["source"],
        published_at=datetime.fromisoformat(data["published_at"]),
        summary=data["summary"],
        also_reported_by=tuple(Link(**link) for link in data["also_reported_by"]),
        topics=tuple(TopicRef(**topic) for topic in data["topics"]),
        related=tuple(Link(**link) for link in data["related"]),
    )
