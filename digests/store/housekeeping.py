"""Retention: removing what is past its time, in small batches, and reclaiming the space.

``Housekeeping.run`` is the daily job (on the leading instance). Every batch is one short
write transaction of at most ``batch`` rows, and the job yields to the event loop between
batches, so polling and delivery (which wait for SQLite's single write path) wait for one
batch at most, never for the whole run. What goes, and what stays:

- full texts (``keep_text``): an article's ``text`` older than that becomes ``''`` (the
  summary, snippet, topics and search entry stay; an empty text is never fetched again).
- articles (``keep_articles``; None keeps them forever): an article goes with its search
  entry, topics, related links and sent records, but only when every article of its story
  is past its time (a story is removed whole, never cut), and never while it is inside
  ``Retention.protect`` (see below). Archived digests are self-contained JSON, kept as long
  as the articles.
- delivery records (``keep_delivery``): outbox rows that are done (sent, failed, dropped),
  and sent records, which protect a subscriber from getting an article's story again. A sent
  record is removed with its article, or when it is older than ``keep_delivery`` and its
  article's story has no article that arrived within ``protect`` (the longest a digest looks
  back, plus the story window): no digest can pick such an article or story again.

Space: on SQLite with ``auto_vacuum = INCREMENTAL`` (every database created by this release)
freed pages are returned to the file system with ``PRAGMA incremental_vacuum`` in steps;
PostgreSQL's autovacuum reuses the space by itself.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from digests.store.database import Database
from digests.store.schema import (
    archived_digests,
    article_topics,
    articles,
    metadata,
    outbox,
    related_articles,
    sent_items,
)
from digests.store.search import RECENT_SEARCH, drop_from_index, recent_before

__all__ = ["HOUSEKEEPING_BATCH", "Cleaned", "Housekeeping", "Retention"]

log = logging.getLogger(__name__)

HOUSEKEEPING_BATCH = 500
"""Most rows removed per write transaction."""
# How long one batch may hold the write path: each step's batch size halves after a batch
# that took longer and doubles (up to its maximum) after one that took under a quarter of it.
# Fixed sizes missed the 100 ms target at 1M articles: a vacuum step of 200 pages took up to
# 382 ms there (docs/benchmarks.md).
_BATCH_TARGET = 0.04
# First and largest pages per vacuum step. Returning a page from the end of the file costs
# from microseconds (the tail is free already) to over a millisecond (a live page moves, and
# every page pointing at it is rewritten), and the cost changes from one step to the next.
_VACUUM_PAGES = (8, 32)
_DONE = ("sent", "failed", "dropped")


@dataclass(frozen=True, slots=True)
class Retention:
    """How long each kind of row is kept (``[storage]`` keep_*_days); ``keep_articles`` None
    keeps articles forever. ``protect``: articles that arrived within it, and sent records of
    their stories, are kept whatever the other spans say."""

    keep_text: timedelta
    keep_articles: timedelta | None
    keep_delivery: timedelta
    protect: timedelta


@dataclass(slots=True)
class Cleaned:
    """What one run removed, and the longest a single batch held the write path (seconds)
    with the step it belonged to (``longest_by_step``: each step's longest)."""

    texts: int = 0
    articles: int = 0
    sent: int = 0
    outbox: int = 0
    archived: int = 0
    recent_search: int = 0
    pages_freed: int = 0
    longest_batch: float = 0.0
    longest_step: str = ""
    batches: int = field(default=0, repr=False)
    longest_by_step: dict[str, float] = field(default_factory=dict, repr=False)


@dataclass(slots=True)
class _Pace:
    """Rows (or pages) per batch of one step, kept near ``_BATCH_TARGET`` seconds a batch."""

    size: int
    largest: int

    def after(self, took: float) -> None:
        if took > _BATCH_TARGET:
            self.size = max(1, self.size // 2)
        elif took < _BATCH_TARGET / 4:
            self.size = min(self.largest, self.size * 2)


class Housekeeping:
    """The retention job over one database (see the module docstring)."""

    def __init__(self, db: Database, *, batch: int = HOUSEKEEPING_BATCH) -> None:
        self._db = db
        self._batch = batch

    async def run(self, now: datetime, retention: Retention) -> Cleaned:
        """Remove what ``retention`` says is past its time at ``now``, batch by batch, then
        reclaim the freed space on SQLite. Safe to stop at any point (each batch commits on
        its own) and to run again.

        Each batch is chosen on a read connection (SQLite readers do not wait for the
        writer) and removed in one write transaction that checks again, by id, that every
        chosen row is still past its time: a story that gained an article meanwhile stays."""
        done = Cleaned()
        steps = functools.partial(self._steps, done, {})  # one pace per step, for this run
        horizon = now - retention.protect
        text_cut = min(now - retention.keep_text, horizon)
        while count := await steps(_expire_texts, text_cut):
            done.texts += count
        if retention.keep_articles is not None:
            cut = min(now - retention.keep_articles, horizon)
            while count := await steps(
                _remove_articles, cut, first=self._batch // 50, largest=self._batch // 10
            ):
                done.articles += count
            while count := await steps(_remove_archived, cut):
                done.archived += count
        delivery_cut = now - retention.keep_delivery
        while count := await steps(_remove_sent, delivery_cut, horizon):
            done.sent += count
        while count := await steps(_remove_outbox, delivery_cut):
            done.outbox += count
        if self._db.is_sqlite:
            while count := await steps(_trim_recent, now - RECENT_SEARCH, first=self._batch // 5):
                done.recent_search += count
            first, largest = _VACUUM_PAGES
            while count := await steps(_vacuum, first=first, largest=largest):
                done.pages_freed += count
        return done

    async def _steps(
        self,
        done: Cleaned,
        paces: dict[str, _Pace],
        step: _Step,
        *args: Any,
        first: int | None = None,
        largest: int | None = None,
    ) -> int:
        """One batch of ``step``: choose (read), then apply (write), at the step's pace for
        this run; returns the rows (or pages) it removed."""
        name = step.name
        pace = paces.setdefault(name, _Pace(max(1, first or self._batch), largest or self._batch))
        async with self._db.engine.connect() as conn:
            chosen = await step.choose(conn, pace.size, *args)
        if not chosen:
            return 0
        await asyncio.sleep(0)  # let writers that queued meanwhile go first
        started = time.perf_counter()
        async with self._db.write() as conn:
            count = int(await step.apply(conn, chosen, *args))
        took = time.perf_counter() - started
        pace.after(took)
        if self._db.is_sqlite:
            # Copy this batch from the WAL into the database now, outside the write path:
            # otherwise the next commit that fills the WAL does it (with an fsync) while
            # holding the write path, and a poll or a delivery waits for it.
            async with self._db.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        if took > done.longest_batch:
            done.longest_batch, done.longest_step = took, name
        done.longest_by_step[name] = max(took, done.longest_by_step.get(name, 0.0))
        done.batches += 1
        return count


@dataclass(frozen=True, slots=True)
class _Step:
    """One kind of removal: ``choose(conn, size, *args)`` picks up to ``size`` rows on a read
    connection; ``apply(conn, chosen, *args)`` removes those still past their time, inside
    the write transaction, and returns how many it removed."""

    name: str
    choose: Callable[..., Awaitable[list[Any]]]
    apply: Callable[..., Awaitable[int]]


def _story_past(cut: datetime) -> sa.ColumnElement[bool]:
    """An article that arrived before ``cut`` whose story has no article that arrived since (a
    story's key is its ``story_id``, or its own id while it is unclustered)."""
    newer = articles.alias("newer")
    story = sa.func.coalesce(articles.c.story_id, articles.c.id)
    in_story = sa.select(newer.c.id).where(newer.c.story_id == story, newer.c.created_at >= cut)
    root = sa.select(newer.c.id).where(newer.c.id == story, newer.c.created_at >= cut)
    return sa.and_(articles.c.created_at < cut, ~in_story.exists(), ~root.exists())


async def _ids(conn: AsyncConnection, query: sa.Select[Any]) -> list[Any]:
    return list((await conn.execute(query)).scalars())


async def _still_past(
    conn: AsyncConnection, article_ids: Sequence[int], cut: datetime
) -> list[int]:
    """Those of ``article_ids`` whose whole story is still past ``cut`` (looked up by id)."""
    return await _ids(
        conn, sa.select(articles.c.id).where(articles.c.id.in_(article_ids), _story_past(cut))
    )


async def _choose_texts(conn: AsyncConnection, size: int, cut: datetime) -> list[int]:
    return await _ids(
        conn,
        sa.select(articles.c.id)
        .where(articles.c.text != "", articles.c.created_at < cut)  # ix_articles_text_kept
        .order_by(articles.c.created_at)
        .limit(size),
    )


async def _apply_texts(conn: AsyncConnection, ids: list[int], cut: datetime) -> int:
    result = await conn.execute(
        articles.update()
        .where(articles.c.id.in_(ids), articles.c.created_at < cut, articles.c.text != "")
        .values(text="")
    )
    return int(result.rowcount or 0)


async def _choose_articles(conn: AsyncConnection, size: int, cut: datetime) -> list[int]:
    """The oldest ``size`` articles whose whole story arrived before ``cut``."""
    return await _ids(
        conn,
        sa.select(articles.c.id)
        .where(_story_past(cut))
        .order_by(articles.c.created_at)
        .limit(size),
    )


async def _apply_articles(conn: AsyncConnection, chosen: list[int], cut: datetime) -> int:
    # An article takes its search entry, topics, related links and sent records with it.
    ids = await _still_past(conn, chosen, cut)
    if not ids:
        return 0
    await conn.execute(sent_items.delete().where(sent_items.c.article_id.in_(ids)))
    await conn.execute(article_topics.delete().where(article_topics.c.article_id.in_(ids)))
    await conn.execute(
        related_articles.delete().where(
            related_articles.c.article_id.in_(ids) | related_articles.c.related_id.in_(ids)
        )
    )
    if conn.dialect.name == "sqlite":  # PostgreSQL's index columns go with the row
        await drop_from_index(conn, ids, whole=True)
    await conn.execute(articles.delete().where(articles.c.id.in_(ids)))
    return len(ids)


async def _choose_archived(conn: AsyncConnection, size: int, cut: datetime) -> list[int]:
    return await _ids(
        conn,
        sa.select(archived_digests.c.id).where(archived_digests.c.scheduled_at < cut).limit(size),
    )


async def _apply_archived(conn: AsyncConnection, ids: list[int], cut: datetime) -> int:
    result = await conn.execute(
        archived_digests.delete().where(
            archived_digests.c.id.in_(ids), archived_digests.c.scheduled_at < cut
        )
    )
    return int(result.rowcount or 0)


async def _choose_sent(
    conn: AsyncConnection, size: int, cut: datetime, horizon: datetime
) -> list[tuple[str, int]]:
    old = (
        sa.select(sent_items.c.destination, sent_items.c.article_id)
        .join(articles, articles.c.id == sent_items.c.article_id)
        .where(sent_items.c.sent_at < cut, _story_past(horizon))
        .limit(size)
    )
    return [(row.destination, row.article_id) for row in await conn.execute(old)]


async def _apply_sent(
    conn: AsyncConnection, chosen: list[tuple[str, int]], cut: datetime, horizon: datetime
) -> int:
    past = set(await _still_past(conn, sorted({a for _, a in chosen}), horizon))
    rows = [{"d": d, "a": a} for d, a in chosen if a in past]
    if rows:
        await conn.execute(
            sent_items.delete().where(
                sent_items.c.destination == sa.bindparam("d"),
                sent_items.c.article_id == sa.bindparam("a"),
                sent_items.c.sent_at < cut,
            ),
            rows,
        )
    return len(rows)


async def _choose_outbox(conn: AsyncConnection, size: int, cut: datetime) -> list[int]:
    return await _ids(
        conn,
        sa.select(outbox.c.id)
        .where(outbox.c.created_at < cut, outbox.c.status.in_(_DONE))
        .order_by(outbox.c.created_at)
        .limit(size),
    )


async def _apply_outbox(conn: AsyncConnection, ids: list[int], cut: datetime) -> int:
    result = await conn.execute(
        outbox.delete().where(
            outbox.c.id.in_(ids), outbox.c.created_at < cut, outbox.c.status.in_(_DONE)
        )
    )
    return int(result.rowcount or 0)


async def _choose_recent(conn: AsyncConnection, size: int, cut: datetime) -> list[int]:
    return await recent_before(conn, cut, size)


async def _apply_recent(conn: AsyncConnection, ids: list[int], cut: datetime) -> int:
    await drop_from_index(conn, ids, whole=False)  # only ever chosen when past ``cut``
    return len(ids)


async def _choose_pages(conn: AsyncConnection, size: int) -> list[int]:
    """``[size]`` when the database is in incremental auto-vacuum mode and has free pages."""
    if await conn.scalar(sa.text("PRAGMA auto_vacuum")) != 2:
        return []
    return [size] if int(await conn.scalar(sa.text("PRAGMA freelist_count")) or 0) else []


async def _apply_pages(conn: AsyncConnection, chosen: list[int]) -> int:
    """Return up to ``chosen[0]`` free pages to the file system."""
    free = int(await conn.scalar(sa.text("PRAGMA freelist_count")) or 0)
    if free == 0:
        return 0
    # Python's sqlite3 runs one step of a statement per execute, and this pragma frees one
    # page per step; a script runs it to the end (outside a transaction: nothing of ours is
    # pending, and the write path is held, so no other write of this process interleaves).
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    await driver.executescript(f"PRAGMA incremental_vacuum({int(chosen[0])});")
    return free - int(await conn.scalar(sa.text("PRAGMA freelist_count")) or 0)


_expire_texts = _Step("texts", _choose_texts, _apply_texts)
_remove_articles = _Step("articles", _choose_articles, _apply_articles)
_remove_archived = _Step("archived digests", _choose_archived, _apply_archived)
_remove_sent = _Step("sent records", _choose_sent, _apply_sent)
_remove_outbox = _Step("outbox", _choose_outbox, _apply_outbox)
_trim_recent = _Step("recent search", _choose_recent, _apply_recent)
_vacuum = _Step("vacuum", _choose_pages, _apply_pages)


@dataclass(frozen=True, slots=True)
class TableSize:
    """One table: its rows, and its bytes on disk with its indexes (None: not measurable)."""

    name: str
    rows: int
    bytes: int | None


@dataclass(frozen=True, slots=True)
class StoreStats:
    """What the database holds (``newsdigest stats``): each table, the whole database's
    bytes, the oldest row of each kind retention removes (None: there is none), and on
    SQLite the bytes of free pages and the auto_vacuum mode."""

    tables: tuple[TableSize, ...]
    total_bytes: int
    oldest: dict[str, datetime | None]
    free_bytes: int | None = None
    auto_vacuum: str | None = None


_OLDEST = {
    "article": sa.select(sa.func.min(articles.c.created_at)),
    "full text": sa.select(sa.func.min(articles.c.created_at)).where(articles.c.text != ""),
    "sent record": sa.select(sa.func.min(sent_items.c.sent_at)),
    "outbox row": sa.select(sa.func.min(outbox.c.created_at)),
    "archived digest": sa.select(sa.func.min(archived_digests.c.scheduled_at)),
}
_AUTO_VACUUM = {0: "none", 1: "full", 2: "incremental"}


async def store_stats(db: Database) -> StoreStats:
    """Counts and sizes per table, and the oldest row kept of each kind (see ``StoreStats``).
    SQLite sizes come from its ``dbstat`` table (the search index's shadow tables count as
    ``article_search``); without it only the total is known. PostgreSQL's are
    ``pg_total_relation_size`` (the search index is part of ``articles`` there)."""
    names = sorted(metadata.tables) + (["article_search"] if db.is_sqlite else [])
    async with db.engine.connect() as conn:
        rows = {
            name: int(await conn.scalar(sa.text(f'SELECT count(*) FROM "{name}"')) or 0)
            for name in names
        }
        oldest = {label: await conn.scalar(query) for label, query in _OLDEST.items()}
        if db.is_sqlite:
            sizes, total, free, mode = await _sqlite_sizes(conn)
        else:
            sizes = {
                name: int(await conn.scalar(sa.text(f"SELECT pg_total_relation_size('{name}')")))
                for name in names
            }
            total = int(await conn.scalar(sa.text("SELECT pg_database_size(current_database())")))
            free, mode = None, None
    tables = tuple(
        TableSize(name, rows[name], sizes.get(name) if sizes is not None else None)
        for name in names
    )
    return StoreStats(tables, total, oldest, free, mode)


async def _sqlite_sizes(
    conn: AsyncConnection,
) -> tuple[dict[str, int] | None, int, int, str]:
    page = int(await conn.scalar(sa.text("PRAGMA page_size")) or 0)
    total = page * int(await conn.scalar(sa.text("PRAGMA page_count")) or 0)
    free = page * int(await conn.scalar(sa.text("PRAGMA freelist_count")) or 0)
    mode = _AUTO_VACUUM.get(int(await conn.scalar(sa.text("PRAGMA auto_vacuum")) or 0), "?")
    try:
        measured = (
            await conn.execute(
                sa.text(
                    "SELECT coalesce(m.tbl_name, d.name) AS owner, sum(d.pgsize) AS size "
                    "FROM dbstat AS d LEFT JOIN sqlite_master AS m ON m.name = d.name "
                    "GROUP BY owner"
                )
            )
        ).all()
    except sa.exc.OperationalError:  # SQLite built without dbstat
        return None, total, free, mode
    sizes: dict[str, int] = {}
    for owner, size in measured:
        name = "article_search" if str(owner).startswith("article_search") else str(owner)
        sizes[name] = sizes.get(name, 0) + int(size)
    return sizes, total, free, mode
