"""The database: feeds with their polling state, articles, and what each destination was sent.

SQLAlchemy 2 Core on asyncio. SQLite (aiosqlite, one file, WAL) is the embedded default;
the same statements run on PostgreSQL (asyncpg). The schema is created and upgraded by the
Alembic migrations in ``digests/migrations`` when the store opens.

The store decides what is new: ``insert_entries`` inserts only entries that are absent (by
feed + GUID, then by canonical URL, then by normalised headline within the dedup window) and
returns just those. SQLite has one writer, so every write goes through one lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from digests.arabic import normalise
from digests.errors import AlreadySent, StoreError
from digests.models import Article, Entry, Feed
from digests.policy import FeedSettings
from digests.schema import (
    article_topics,
    articles,
    feeds,
    from_row,
    related_articles,
    sent_items,
    topics,
)
from digests.search import Query, SearchFilters
from digests.urls import canonical_url

__all__ = [
    "ArticleText",
    "Enrichment",
    "FeedUpdate",
    "IndexRow",
    "NewArticle",
    "Store",
    "StoredSummary",
    "TopicRow",
    "advisory_key",
    "insert_ignore",
    "record_sent",
    "sqlite_url",
]


_MIGRATIONS = Path(__file__).with_name("migrations")


def advisory_key(name: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory-lock key for ``name`` (the same in every
    process and every release)."""
    digest = hashlib.blake2b(f"newsdigest:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# Advisory locks held to the end of a transaction: while migrating, and while syncing the
# configured feeds and topics (instances that start together would both insert the same rows).
_MIGRATION_LOCK = advisory_key("migrations")
_SYNC_LOCK = advisory_key("config-sync")


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite database file."""
    return f"sqlite+aiosqlite:///{path}"


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article the store has just inserted, with what the pipeline needs to complete it."""

    article: Article
    content: str | None  # full text carried by the feed, if any


@dataclass(frozen=True, slots=True)
class ArticleText:
    """The clean text of an article and where it came from: feed, page or snippet."""

    article_id: int
    text: str
    source: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """A summary kept with its article: its text (None when none was written), how it was
    made, and a note (why the preferred method was not used)."""

    article_id: int
    text: str | None
    method: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class TopicRow:
    """A topic as stored: taxonomy topics come from config/topics.toml, keyphrases are found."""

    slug: str
    name_ar: str
    name_en: str
    kind: str
    origin: str = "taxonomy"  # or "keyphrase"
    match_key: str | None = None


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What the pipeline learnt about one article: topics, story, related articles, index text."""

    article_id: int
    story_id: int
    topics: tuple[tuple[str, float], ...] = ()  # (slug, weight)
    new_topics: tuple[TopicRow, ...] = ()  # keyphrase topics to create if absent
    related: tuple[tuple[int, float], ...] = ()  # (article id, score)
    search_title: str = ""
    search_body: str = ""


@dataclass(frozen=True, slots=True)
class IndexRow:
    """An article as the similarity index needs it at start-up."""

    id: int
    source: str
    published_at: datetime
    title: str
    text: str
    story_id: int | None


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """What a successful poll changes on a feed."""

    next_check_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    new_url: str | None = None
    parse_problem: str | None = None


class Store:
    """Async access to the database; create with ``await Store.open(url)``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._is_sqlite = engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect to ``url``, create the SQLite file's folder if needed, apply migrations."""
        if url.startswith("sqlite"):
            path = url.split(":///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        async with engine.begin() as conn:
            await _serialise(conn, _MIGRATION_LOCK)  # instances starting together
            await conn.run_sync(_upgrade)
        return store

    async def close(self) -> None:
        """Release every connection."""
        await self._engine.dispose()

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        lock = self._write_lock if self._is_sqlite else contextlib.nullcontext()
        async with lock, self._engine.begin() as conn:
            yield conn

    @property
    def single_instance(self) -> bool:
        """True for SQLite: one process owns the database (no other instance can be live)."""
        return self._is_sqlite

    @property
    def engine(self) -> AsyncEngine:
        """The engine, for modules that keep their own tables (the outbox). Read with
        ``engine.connect()``; write only inside ``write()``."""
        return self._engine

    def write(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        """A write transaction: committed on exit, rolled back on error. On SQLite it holds the
        store's single write lock, so never call another writing method of the store inside."""
        return self._write()

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self._engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    # -- feeds ---------------------------------------------------------------------------

    # The origin of a feed an admin removed: the row stays for its articles, unseen otherwise.
    _REMOVED = "removed"

    async def sync_config_feeds(self, configured: Sequence[FeedSettings], now: datetime) -> None:
        """Make the stored feeds match the configuration file.

        New feeds are added (due at once); names and paused flags follow the file; feeds that
        came from the file and are no longer in it are paused, never deleted (their articles
        stay). Feeds added by admins are left alone.
        """
        wanted = {f.url: f for f in configured}
        async with self._write() as conn:
            await _serialise(conn, _SYNC_LOCK)
            rows = (
                await conn.execute(
                    sa.select(feeds.c.id, feeds.c.config_url).where(feeds.c.origin == "config")
                )
            ).all()
            known = {row.config_url: row.id for row in rows}
            for url, spec in wanted.items():
                if url in known:
                    await conn.execute(
                        feeds.update()
                        .where(feeds.c.id == known[url])
                        .values(name=spec.name, paused=spec.paused)
                    )
                else:
                    await conn.execute(
                        feeds.insert().values(
                            config_url=url,
                            url=url,
                            name=spec.name,
                            origin="config",
                            paused=spec.paused,
                            error_count=0,
                            created_at=now,
                        )
                    )
            gone = [feed_id for url, feed_id in known.items() if url not in wanted]
            if gone:
                await conn.execute(feeds.update().where(feeds.c.id.in_(gone)).values(paused=True))

    async def list_feeds(
        self, *, include_paused: bool = True, include_removed: bool = False
    ) -> list[Feed]:
        """Every feed, in id order (feeds an admin removed only when asked)."""
        query = sa.select(feeds).order_by(feeds.c.id)
        if not include_paused:
            query = query.where(feeds.c.paused == sa.false())
        if not include_removed:
            query = query.where(feeds.c.origin != self._REMOVED)
        async with self._engine.connect() as conn:
            return [_feed(row) for row in (await conn.execute(query)).mappings()]

    async def claim_due_feeds(self, now: datetime, *, limit: int, lease: timedelta) -> list[Feed]:
        """Feeds due at ``now`` (oldest first), each pushed ``lease`` ahead so no tick re-claims
        it while its poll is in flight; the poll's outcome then sets the real next check."""
        async with self._write() as conn:
            query = (
                sa.select(feeds)
                .where(feeds.c.paused == sa.false())
                .where(sa.or_(feeds.c.next_check_at.is_(None), feeds.c.next_check_at <= now))
                .order_by(feeds.c.next_check_at.is_not(None), feeds.c.next_check_at, feeds.c.id)
                .limit(limit)
            )
            if not self._is_sqlite:
                query = query.with_for_update(skip_locked=True)
            due = [_feed(row) for row in (await conn.execute(query)).mappings()]
            if due:
                await conn.execute(
                    feeds.update()
                    .where(feeds.c.id.in_([f.id for f in due]))
                    .values(next_check_at=now + lease)
                )
            return due

    async def record_success(self, feed_id: int, now: datetime, update: FeedUpdate) -> None:
        """Record a successful poll (200 or 304): clear errors, store validators, schedule."""
        values: dict[str, Any] = {
            "last_checked_at": now,
            "last_success_at": now,
            "next_check_at": update.next_check_at,
            "error_count": 0,
            "last_error": None,
            "parse_problem": update.parse_problem,
        }
        if update.etag is not None or update.last_modified is not None:
            values["etag"] = update.etag
            values["last_modified"] = update.last_modified
        if update.title:
            values["title"] = update.title
        if update.new_url:
            values["url"] = update.new_url
        async with self._write() as conn:
            await conn.execute(feeds.update().where(feeds.c.id == feed_id).values(**values))

    async def record_failure(
        self, feed_id: int, now: datetime, *, error: str, next_check_at: datetime
    ) -> None:
        """Record a failed poll: count it, keep the message, schedule the retry."""
        async with self._write() as conn:
            await conn.execute(
                feeds.update()
                .where(feeds.c.id == feed_id)
                .values(
                    last_checked_at=now,
                    error_count=feeds.c.error_count + 1,
                    last_error=error[:1000],
                    last_error_at=now,
                    next_check_at=next_check_at,
                )
            )

    async def add_feed(
        self, url: str, name: str, now: datetime, *, title: str | None = None
    ) -> Feed:
        """Add a feed on an admin's request (origin "admin", due at once) and return it.

        A feed with the same URL (compared in canonical form, against both the configured and
        the current URL) raises ``StoreError``. A feed an admin removed earlier comes back
        under its old id, with its articles, unpaused and with a clean error record.
        """
        key = canonical_url(url)
        values: dict[str, Any] = {
            "url": url,
            "name": name,
            "title": title,
            "origin": "admin",
            "paused": False,
            "etag": None,
            "last_modified": None,
            "next_check_at": None,
            "error_count": 0,
            "last_error": None,
            "last_error_at": None,
            "parse_problem": None,
        }
        async with self._write() as conn:
            rows = (await conn.execute(sa.select(feeds))).mappings().all()
            same = [r for r in rows if key in {canonical_url(r["url"]), r["config_url"]}]
            live = next((r for r in same if r["origin"] != self._REMOVED), None)
            if live is not None:
                raise StoreError(
                    f"a feed with the URL {url} already exists: #{live['id']} {live['name']}"
                )
            if same:
                feed_id = same[0]["id"]
                await conn.execute(feeds.update().where(feeds.c.id == feed_id).values(**values))
            else:
                inserted = await conn.execute(
                    feeds.insert().values(created_at=now, **values).returning(feeds.c.id)
                )
                feed_id = inserted.scalar_one()
            row = (await conn.execute(sa.select(feeds).where(feeds.c.id == feed_id))).mappings()
            return _feed(row.one())

    async def remove_feed(self, id_or_url: int | str) -> bool:
        """Remove a feed an admin added; False when there is no such (unremoved) feed.

        The row is kept, paused and marked removed (origin "removed"): articles reference
        their feed, and stay searchable and in digest history with their source name;
        ``list_feeds``, ``find_feed`` and polling no longer see it, and ``add_feed`` of the
        same URL revives it. A feed from the configuration file raises ``StoreError``: the
        file decides which of those exist (it would be back at the next start); pause it or
        delete it from the file instead.
        """
        async with self._write() as conn:
            row = await self._find_feed(conn, id_or_url)
            if row is None:
                return False
            if row["origin"] == "config":
                raise StoreError(
                    f"feed #{row['id']} {row['name']} comes from the configuration file; "
                    "remove it there, or pause it"
                )
            await conn.execute(
                feeds.update()
                .where(feeds.c.id == row["id"])
                .values(origin=self._REMOVED, paused=True, next_check_at=None)
            )
            return True

    async def set_paused(self, id_or_url: int | str, paused: bool) -> Feed | None:
        """Pause or resume a feed (a resumed feed is due at once); None when there is no such
        feed. A feed from the configuration file takes the file's flag again at the next
        start (``sync_config_feeds``)."""
        async with self._write() as conn:
            row = await self._find_feed(conn, id_or_url)
            if row is None:
                return None
            values: dict[str, Any] = {"paused": paused}
            if not paused:
                values["next_check_at"] = None
            await conn.execute(feeds.update().where(feeds.c.id == row["id"]).values(**values))
            found = await conn.execute(sa.select(feeds).where(feeds.c.id == row["id"]))
            return _feed(found.mappings().one())

    async def find_feed(self, id_or_url_or_name: int | str) -> Feed | None:
        """A feed by id («12» or «#12»), URL (canonical form) or name (ignoring case and Arabic
        spelling variants); removed feeds are not found."""
        async with self._engine.connect() as conn:
            row = await self._find_feed(conn, id_or_url_or_name)
        return _feed(row) if row is not None else None

    async def arrivals_since(self, since: datetime) -> tuple[int, int]:
        """How many articles arrived since ``since``, and how many stories they belong to
        (the admins' ``stats``; the feeds' yield as a whole)."""
        story = sa.func.coalesce(articles.c.story_id, articles.c.id)
        query = sa.select(sa.func.count(), sa.func.count(sa.distinct(story))).where(
            articles.c.created_at >= since
        )
        async with self._engine.connect() as conn:
            count, stories = (await conn.execute(query)).one()
        return int(count), int(stories)

    async def health_reported(self) -> set[int]:
        """Ids of the feeds reported failing to the admins and not yet reported recovered."""
        query = sa.select(feeds.c.id).where(feeds.c.health_reported_at.is_not(None))
        async with self._engine.connect() as conn:
            return set((await conn.execute(query)).scalars())

    async def claim_health_news(
        self, failing: Iterable[int], recovered: Iterable[int], now: datetime
    ) -> tuple[set[int], set[int]]:
        """Record that ``failing`` feeds are being reported failing and ``recovered`` ones
        recovered; returns the ids this call changed (a feed another instance reported in the
        meantime is not returned, so only one instance tells the admins)."""
        reported = feeds.c.health_reported_at
        async with self._write() as conn:
            return (
                await _set_health(conn, failing, now, reported.is_(None)),
                await _set_health(conn, recovered, None, reported.is_not(None)),
            )

    async def undo_health_news(
        self, failing: Iterable[int], recovered: Iterable[int], reported_at: datetime
    ) -> None:
        """Undo ``claim_health_news`` (the admins could not be told: try again next pass)."""
        async with self._write() as conn:
            await _set_health(conn, failing, None)
            await _set_health(conn, recovered, reported_at)

    async def forget_health(self, feed_ids: Iterable[int]) -> None:
        """Clear the reported state of feeds (paused or removed: forgotten without a word)."""
        async with self._write() as conn:
            await _set_health(conn, feed_ids, None)

    @staticmethod
    async def _find_feed(conn: AsyncConnection, ref: int | str) -> sa.RowMapping | None:
        """The unremoved feed ``ref`` names: an id, then a URL, then a name (see ``find_feed``)."""
        live = sa.select(feeds).where(feeds.c.origin != Store._REMOVED).order_by(feeds.c.id)
        text = str(ref).strip()
        number = text.removeprefix("#")
        if isinstance(ref, int) or number.isdecimal():
            found = await conn.execute(live.where(feeds.c.id == int(number)))
            row = found.mappings().first()
            if row is not None or isinstance(ref, int):
                return row
        rows = (await conn.execute(live)).mappings().all()
        key = canonical_url(text)
        by_url = [r for r in rows if key in {canonical_url(r["url"]), r["config_url"]}]
        if by_url:
            return by_url[0]
        name = normalise(text)
        return next((r for r in rows if normalise(r["name"]) == name), None)

    # -- articles ------------------------------------------------------------------------

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
        created: list[NewArticle] = []
        async with self._write() as conn:
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
            statement = insert_ignore(conn).returning(articles.c.id, articles.c.guid)
            # In one key order, so two instances inserting the same new URLs at once wait for
            # each other instead of deadlocking (each would hold a row the other needs).
            in_key_order = sorted(rows, key=lambda row: row["canonical_url"])
            ids = {row.guid: row.id for row in await conn.execute(statement, in_key_order)}
        by_guid = {entry.guid: entry for entry, _, _ in candidates}
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
            created.append(NewArticle(article=article, content=entry.content))
        return created

    async def set_article_texts(self, texts: Sequence[ArticleText]) -> None:
        """Store the clean text of articles, all in one transaction."""
        rows = [
            {
                "article_id": t.article_id,
                "text": t.text,
                "text_source": t.source,
                "text_error": t.error,
                "content_hash": hashlib.sha256(normalise(t.text).encode()).hexdigest(),
            }
            for t in texts
        ]
        async with self._write() as conn:
            await _update_articles(conn, rows)

    async def set_summaries(self, summaries: Sequence[StoredSummary]) -> None:
        """Store the summaries written by the LLM backend, or why it was not used."""
        rows = [
            {
                "article_id": s.article_id,
                "summary": s.text,
                "summary_method": s.method,
                "summary_note": s.note,
            }
            for s in summaries
        ]
        async with self._write() as conn:
            await _update_articles(conn, rows)

    async def recent_articles(
        self, *, feed_id: int | None = None, limit: int = 100
    ) -> list[Article]:
        """The newest articles (by arrival), optionally of one feed."""
        query = (
            sa.select(articles, feeds.c.name.label("source"))
            .join(feeds, feeds.c.id == articles.c.feed_id)
            .order_by(articles.c.id.desc())
            .limit(limit)
        )
        if feed_id is not None:
            query = query.where(articles.c.feed_id == feed_id)
        async with self._engine.connect() as conn:
            return [_article(row) for row in (await conn.execute(query)).mappings()]

    async def articles_missing_text(
        self, *, limit: int, created_before: datetime | None = None
    ) -> list[Article]:
        """Articles whose text was never completed (oldest first), only those stored before
        ``created_before`` when given (younger ones may still be in another poll's hands)."""
        query = (
            sa.select(articles, feeds.c.name.label("source"))
            .join(feeds, feeds.c.id == articles.c.feed_id)
            .where(articles.c.text.is_(None))
            .order_by(articles.c.id)
            .limit(limit)
        )
        if created_before is not None:
            query = query.where(articles.c.created_at < created_before)
        async with self._engine.connect() as conn:
            return [_article(row) for row in (await conn.execute(query)).mappings()]

    async def count_articles(self) -> int:
        """How many articles are stored."""
        async with self._engine.connect() as conn:
            return int(
                (await conn.execute(sa.select(sa.func.count()).select_from(articles))).scalar_one()
            )

    async def unsent_articles(
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
            sa.select(articles, feeds.c.name.label("source"))
            .join(feeds, feeds.c.id == articles.c.feed_id)
            .where(articles.c.created_at >= since)
            .where(articles.c.id.not_in(sent))
            .order_by(articles.c.published_at.desc(), articles.c.id.desc())
            .limit(limit)
        )
        names = sorted(set(sources))
        if names:
            query = query.where(feeds.c.name.in_(names))
        async with self._engine.connect() as conn:
            return [_article(row) for row in (await conn.execute(query)).mappings()]

    async def sent_stories(self, destination: str, story_ids: Sequence[int]) -> set[int]:
        """Which of ``story_ids`` already had an article sent to ``destination``."""
        if not story_ids:
            return set()
        story = sa.func.coalesce(articles.c.story_id, articles.c.id)
        query = (
            sa.select(story)
            .join(sent_items, sent_items.c.article_id == articles.c.id)
            .where(sent_items.c.destination == destination, story.in_(story_ids))
            .distinct()
        )
        async with self._engine.connect() as conn:
            return set((await conn.execute(query)).scalars())

    async def mark_sent(self, destination: str, article_ids: Sequence[int], now: datetime) -> None:
        """Remember that ``destination`` was sent these articles (idempotent)."""
        async with self._write() as conn:
            await record_sent(conn, destination, article_ids, now)

    # -- topics, stories, related, search ------------------------------------------------

    async def sync_topics(self, rows: Sequence[TopicRow], now: datetime) -> None:
        """Insert or update the taxonomy's topics (by slug); other topics are left alone."""
        if not rows:
            return
        async with self._write() as conn:
            await _serialise(conn, _SYNC_LOCK)
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

    async def move_topic(self, from_slug: str, to_slug: str) -> int:
        """Re-tag every article of topic ``from_slug`` with ``to_slug`` (which must exist), then
        drop ``from_slug``; returns how many articles moved. Used to promote a keyphrase."""
        async with self._write() as conn:
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

    async def topic_counts(
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
        async with self._engine.connect() as conn:
            return [
                (_topic(row), row["articles"]) for row in (await conn.execute(query)).mappings()
            ]

    async def list_topics(self, *, origin: str | None = None) -> list[TopicRow]:
        """Every topic (optionally only taxonomy or only keyphrase ones), by slug."""
        query = sa.select(topics).order_by(topics.c.slug)
        if origin is not None:
            query = query.where(topics.c.origin == origin)
        async with self._engine.connect() as conn:
            return [_topic(row) for row in (await conn.execute(query)).mappings()]

    async def save_enrichments(self, items: Sequence[Enrichment], now: datetime) -> None:
        """Store topics, story ids, related links and search text of articles, in one go."""
        if not items:
            return
        async with self._write() as conn:
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
            await _update_articles(
                conn,
                [
                    {"article_id": item.article_id, "story_id": item.story_id, "enriched_at": now}
                    for item in items
                ],
            )
            if self._is_sqlite:
                await conn.execute(
                    sa.text(
                        "INSERT OR REPLACE INTO article_search(rowid, title, body) "
                        "VALUES (:id, :title, :body)"
                    ),
                    [
                        {"id": i.article_id, "title": i.search_title, "body": i.search_body}
                        for i in items
                    ],
                )
            else:  # PostgreSQL: columns only its migration adds (a generated tsvector reads them)
                await conn.execute(
                    sa.text(
                        "UPDATE articles SET search_title = :title, search_body = :body "
                        "WHERE id = :id"
                    ),
                    [
                        {"id": i.article_id, "title": i.search_title, "body": i.search_body}
                        for i in items
                    ],
                )

    async def articles_to_enrich(
        self, *, limit: int, created_before: datetime | None = None
    ) -> list[Article]:
        """Articles with text but no enrichment yet, oldest first (see ``articles_missing_text``
        for ``created_before``)."""
        query = (
            sa.select(articles, feeds.c.name.label("source"))
            .join(feeds, feeds.c.id == articles.c.feed_id)
            .where(articles.c.text.is_not(None), articles.c.enriched_at.is_(None))
            .order_by(articles.c.id)
            .limit(limit)
        )
        if created_before is not None:
            query = query.where(articles.c.created_at < created_before)
        async with self._engine.connect() as conn:
            return [_article(row) for row in (await conn.execute(query)).mappings()]

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
        async with self._engine.connect() as conn:
            for chunk in chunks:
                out += [
                    IndexRow(r.id, r.name, r.published_at, r.title, r.text or "", r.story_id)
                    for r in await conn.execute(chunk)
                ]
        return sorted(out, key=lambda r: (r.published_at, r.id))

    async def enriched_since(self, since: datetime) -> list[int]:
        """Ids of the articles enriched at or after ``since`` (by any instance)."""
        query = sa.select(articles.c.id).where(articles.c.enriched_at >= since)
        async with self._engine.connect() as conn:
            return list((await conn.execute(query)).scalars())

    async def search(
        self,
        query: Query,
        filters: SearchFilters,
        *,
        now: datetime,
        page: int = 1,
        per_page: int = 5,
        any_term: bool = False,
        half_life_days: float = 7.0,
        candidates: int = 500,
    ) -> tuple[list[Article], int]:
        """Articles matching ``query`` (and ``filters``), best first, and the total count.

        The score is relevance (BM25 on SQLite, title weighted 3×; ts_rank on PostgreSQL)
        divided by ``1 + age / half_life_days``: a match a week old counts half as much as one
        published now. On SQLite the ``candidates`` most recently stored matches are ranked
        (the full-text index walks them newest first without sorting every match), which keeps
        common words fast; older matches only show when fewer than that many are newer.
        """
        conditions: list[sa.ColumnElement[bool]] = []
        if filters.topic:
            conditions.append(
                articles.c.id.in_(
                    sa.select(article_topics.c.article_id)
                    .join(topics, topics.c.id == article_topics.c.topic_id)
                    .where(topics.c.slug == filters.topic)
                )
            )
        if filters.source:
            conditions.append(
                articles.c.feed_id.in_(sa.select(feeds.c.id).where(feeds.c.name == filters.source))
            )
        if filters.since:
            conditions.append(articles.c.published_at >= filters.since)
        if filters.until:
            conditions.append(articles.c.published_at < filters.until)
        async with self._engine.connect() as conn:
            if self._is_sqlite:
                scored, total = await _fts5_candidates(
                    conn, query.fts5(any_term=any_term), conditions, candidates
                )
            else:
                scored, total = await _tsquery_candidates(
                    conn, query.tsquery(any_term=any_term), conditions, candidates
                )

            def score(article_id: int) -> tuple[float, int]:
                relevance, published = scored[article_id]
                age_days = max(0.0, (now - published).total_seconds() / 86400)
                return relevance / (1.0 + age_days / half_life_days), article_id

            ranked = sorted(scored, key=score, reverse=True)
            ids = ranked[(max(page, 1) - 1) * per_page :][:per_page]
            loaded = {
                row["id"]: _article(row)
                for row in (
                    await conn.execute(
                        sa.select(articles, feeds.c.name.label("source"))
                        .join(feeds, feeds.c.id == articles.c.feed_id)
                        .where(articles.c.id.in_(ids))
                    )
                ).mappings()
            }
        return [loaded[i] for i in ids if i in loaded], total

    async def topics_of(
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
        async with self._engine.connect() as conn:
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
        async with self._engine.connect() as conn:
            for row in (await conn.execute(query)).mappings():
                out.setdefault(row["of_id"], []).append(_article(row))
        return out

    async def story_articles(self, story_ids: Sequence[int]) -> dict[int, list[Article]]:
        """Every article of each story, oldest first (an unclustered article is its own story)."""
        if not story_ids:
            return {}
        story = sa.func.coalesce(articles.c.story_id, articles.c.id)
        query = (
            sa.select(articles, feeds.c.name.label("source"))
            .join(feeds, feeds.c.id == articles.c.feed_id)
            .where(story.in_(story_ids))
            .order_by(articles.c.published_at, articles.c.id)
        )
        out: dict[int, list[Article]] = {}
        async with self._engine.connect() as conn:
            for row in (await conn.execute(query)).mappings():
                article = _article(row)
                out.setdefault(article.story, []).append(article)
        return out


async def _fts5_candidates(
    conn: AsyncConnection,
    match: str,
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> tuple[dict[int, tuple[float, datetime]], int]:
    """The newest ``limit`` FTS5 matches with their BM25 relevance, and the match count."""
    fts = sa.table("article_search", sa.column("rowid"))
    where: list[sa.ColumnElement[bool] | sa.TextClause] = [
        sa.text("article_search MATCH :match").bindparams(match=match)
    ]
    if conditions:
        where.append(fts.c.rowid.in_(sa.select(articles.c.id).where(*conditions)))
    relevance: sa.Label[Any] = sa.literal_column("-bm25(article_search, 3.0, 1.0)").label(
        "relevance"
    )
    rows = await conn.execute(
        sa.select(fts.c.rowid, relevance, articles.c.published_at)
        .select_from(fts)
        .join(articles, articles.c.id == fts.c.rowid)
        .where(*where)
        .order_by(fts.c.rowid.desc())
        .limit(limit)
    )
    scored = {row.rowid: (float(row.relevance), row.published_at) for row in rows}
    if len(scored) < limit:
        return scored, len(scored)  # every match is a candidate: no need to count
    count = await conn.execute(sa.select(sa.func.count()).select_from(fts).where(*where))
    return scored, int(count.scalar_one())


async def _tsquery_candidates(
    conn: AsyncConnection,
    tsquery: str,
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> tuple[dict[int, tuple[float, datetime]], int]:
    """The newest ``limit`` PostgreSQL full-text matches with ts_rank, and the match count."""
    query = sa.func.to_tsquery("simple", tsquery)
    vector: sa.ColumnElement[Any] = sa.literal_column("articles.search_vector")
    matched = sa.select(
        articles.c.id, sa.func.ts_rank(vector, query).label("relevance"), articles.c.published_at
    ).where(vector.op("@@")(query), *conditions)
    rows = await conn.execute(matched.order_by(articles.c.id.desc()).limit(limit))
    count = await conn.execute(sa.select(sa.func.count()).select_from(matched.subquery()))
    scored = {row.id: (float(row.relevance), row.published_at) for row in rows}
    return scored, int(count.scalar_one())


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


async def _update_articles(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Per-article column updates in one executemany; each row has ``article_id`` and the same
    columns. (Bind names get a prefix: SQLAlchemy reserves the column names.)"""
    if not rows:
        return
    columns = [key for key in rows[0] if key != "article_id"]
    statement = (
        articles.update()
        .where(articles.c.id == sa.bindparam("b_article_id"))
        .values({column: sa.bindparam(f"b_{column}") for column in columns})
    )
    await conn.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in rows])


async def record_sent(
    conn: AsyncConnection,
    destination: str,
    article_ids: Sequence[int],
    now: datetime,
    *,
    strict: bool = False,
) -> None:
    """``Store.mark_sent`` on an open write transaction (the outbox's ``also`` callback).

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


async def _set_health(
    conn: AsyncConnection,
    feed_ids: Iterable[int],
    reported_at: datetime | None,
    condition: sa.ColumnElement[bool] | None = None,
) -> set[int]:
    """Set ``health_reported_at`` on the feeds (those meeting ``condition``); returns their ids."""
    ids = sorted(set(feed_ids))
    if not ids:
        return set()
    statement = feeds.update().where(feeds.c.id.in_(ids))
    if condition is not None:
        statement = statement.where(condition)
    rows = await conn.execute(
        statement.values(health_reported_at=reported_at).returning(feeds.c.id)
    )
    return set(rows.scalars())


async def _serialise(conn: AsyncConnection, key: int) -> None:
    """On PostgreSQL, wait for the advisory lock ``key`` until this transaction ends, so
    transactions of several instances that take it run one after another (SQLite has one
    writer already)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=10000",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def insert_ignore(conn: AsyncConnection, table: sa.Table = articles) -> Any:
    """An INSERT into ``table`` that skips rows conflicting with a unique key (both dialects)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


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


def _feed(row: sa.RowMapping) -> Feed:
    return from_row(Feed, row)


def _article(row: sa.RowMapping) -> Article:
    return from_row(Article, row)
