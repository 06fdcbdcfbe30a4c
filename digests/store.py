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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from digests.arabic import normalise
from digests.errors import StoreError
from digests.models import Article, Entry, Feed
from digests.policy import FeedSettings
from digests.urls import canonical_url

__all__ = ["ArticleText", "FeedUpdate", "NewArticle", "Store", "sqlite_url"]


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps naive UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise StoreError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("config_url", sa.Text, unique=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("next_check_at", UTCDateTime),
    sa.Column("last_checked_at", UTCDateTime),
    sa.Column("last_success_at", UTCDateTime),
    sa.Column("error_count", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("last_error_at", UTCDateTime),
    sa.Column("parse_problem", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id"), nullable=False),
    sa.Column("guid", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("canonical_url", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("title_key", sa.Text, nullable=False),
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("snippet", sa.Text, nullable=False),
    sa.Column("text", sa.Text),
    sa.Column("text_source", sa.String(16)),
    sa.Column("text_error", sa.Text),
    sa.Column("content_hash", sa.String(64)),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

sent_items = sa.Table(
    "sent_items",
    metadata,
    sa.Column("destination", sa.Text, primary_key=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True),
    sa.Column("sent_at", UTCDateTime, nullable=False),
)

_MIGRATIONS = Path(__file__).with_name("migrations")


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

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self._engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    # -- feeds ---------------------------------------------------------------------------

    async def sync_config_feeds(self, configured: Sequence[FeedSettings], now: datetime) -> None:
        """Make the stored feeds match the configuration file.

        New feeds are added (due at once); names and paused flags follow the file; feeds that
        came from the file and are no longer in it are paused, never deleted (their articles
        stay). Feeds added by admins are left alone.
        """
        wanted = {f.url: f for f in configured}
        async with self._write() as conn:
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

    async def list_feeds(self, *, include_paused: bool = True) -> list[Feed]:
        """Every feed, in id order."""
        query = sa.select(feeds).order_by(feeds.c.id)
        if not include_paused:
            query = query.where(feeds.c.paused == sa.false())
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
            statement = _insert_ignore(conn).returning(articles.c.id, articles.c.guid)
            ids = {row.guid: row.id for row in await conn.execute(statement, rows)}
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
        if not texts:
            return
        async with self._write() as conn:
            await conn.execute(
                articles.update()
                .where(articles.c.id == sa.bindparam("article_id"))
                .values(
                    text=sa.bindparam("text"),
                    text_source=sa.bindparam("source"),
                    text_error=sa.bindparam("error"),
                    content_hash=sa.bindparam("hash"),
                ),
                [
                    {
                        "article_id": t.article_id,
                        "text": t.text,
                        "source": t.source,
                        "error": t.error,
                        "hash": hashlib.sha256(normalise(t.text).encode()).hexdigest(),
                    }
                    for t in texts
                ],
            )

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

    async def articles_missing_text(self, *, limit: int) -> list[Article]:
        """Articles whose text was never completed (oldest first)."""
        query = (
            sa.select(articles, feeds.c.name.label("source"))
            .join(feeds, feeds.c.id == articles.c.feed_id)
            .where(articles.c.text.is_(None))
            .order_by(articles.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_article(row) for row in (await conn.execute(query)).mappings()]

    async def count_articles(self) -> int:
        """How many articles are stored."""
        async with self._engine.connect() as conn:
            return int(
                (await conn.execute(sa.select(sa.func.count()).select_from(articles))).scalar_one()
            )

    async def unsent_articles(
        self, destination: str, *, since: datetime, limit: int
    ) -> list[Article]:
        """Articles created since ``since`` that ``destination`` has not been sent, newest first."""
        sent = sa.select(sent_items.c.article_id).where(sent_items.c.destination == destination)
        query = (
            sa.select(articles, feeds.c.name.label("source"))
            .join(feeds, feeds.c.id == articles.c.feed_id)
            .where(articles.c.created_at >= since)
            .where(articles.c.id.not_in(sent))
            .order_by(articles.c.published_at.desc(), articles.c.id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_article(row) for row in (await conn.execute(query)).mappings()]

    async def mark_sent(self, destination: str, article_ids: Sequence[int], now: datetime) -> None:
        """Remember that ``destination`` was sent these articles (idempotent)."""
        if not article_ids:
            return
        async with self._write() as conn:
            statement = _insert_ignore(conn, sent_items).values(
                [{"destination": destination, "article_id": i, "sent_at": now} for i in article_ids]
            )
            await conn.execute(statement)


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


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


def _insert_ignore(conn: AsyncConnection, table: sa.Table = articles) -> Any:
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
    return Feed(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        next_check_at=row["next_check_at"],
        last_checked_at=row["last_checked_at"],
        last_success_at=row["last_success_at"],
        error_count=row["error_count"],
        last_error=row["last_error"],
        parse_problem=row["parse_problem"],
        paused=row["paused"],
        title=row["title"],
    )


def _article(row: sa.RowMapping) -> Article:
    return Article(
        id=row["id"],
        feed_id=row["feed_id"],
        source=row["source"],
        guid=row["guid"],
        url=row["url"],
        title=row["title"],
        published_at=row["published_at"],
        snippet=row["snippet"],
        text=row["text"],
        content_hash=row["content_hash"],
        created_at=row["created_at"],
    )
