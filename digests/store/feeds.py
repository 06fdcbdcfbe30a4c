"""Feeds and their polling state: what the configuration and the admins ask to poll, when each
feed is due, how its last polls went, and whether the admins were told it is failing.

A feed an admin removed keeps its row (its articles reference it) with origin ``removed``:
listing, finding and polling no longer see it, and adding the same URL revives it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from digests.errors import StoreError
from digests.ingest.settings import FeedSettings
from digests.models import Feed
from digests.store.database import SYNC_LOCK, Database, from_row, serialise
from digests.store.schema import feeds
from digests.text.arabic import normalise
from digests.text.urls import canonical_url

__all__ = ["FeedUpdate", "Feeds"]

# The origin of a feed an admin removed: the row stays for its articles, unseen otherwise.
_REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """What a successful poll changes on a feed."""

    next_check_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    new_url: str | None = None
    parse_problem: str | None = None


class Feeds:
    """The ``feeds`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def sync_config(self, configured: Sequence[FeedSettings], now: datetime) -> None:
        """Make the stored feeds match the configuration file.

        New feeds are added (due at once); names, paused and allow_private flags follow the
        file; feeds that came from the file and are no longer in it are paused, never deleted
        (their articles stay). Feeds added by admins are left alone.
        """
        wanted = {f.url: f for f in configured}
        async with self._db.write() as conn:
            await serialise(conn, SYNC_LOCK)
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
                        .values(
                            name=spec.name, paused=spec.paused, allow_private=spec.allow_private
                        )
                    )
                else:
                    await conn.execute(
                        feeds.insert().values(
                            config_url=url,
                            url=url,
                            name=spec.name,
                            origin="config",
                            paused=spec.paused,
                            allow_private=spec.allow_private,
                            error_count=0,
                            created_at=now,
                        )
                    )
            gone = [feed_id for url, feed_id in known.items() if url not in wanted]
            if gone:
                await conn.execute(feeds.update().where(feeds.c.id.in_(gone)).values(paused=True))

    async def all(
        self, *, include_paused: bool = True, include_removed: bool = False
    ) -> list[Feed]:
        """Every feed, in id order (feeds an admin removed only when asked)."""
        query = sa.select(feeds).order_by(feeds.c.id)
        if not include_paused:
            query = query.where(feeds.c.paused == sa.false())
        if not include_removed:
            query = query.where(feeds.c.origin != _REMOVED)
        async with self._db.engine.connect() as conn:
            return [_feed(row) for row in (await conn.execute(query)).mappings()]

    async def created_at(self) -> dict[int, datetime]:
        """When each feed was added (a feed that never succeeded has failed since then)."""
        async with self._db.engine.connect() as conn:
            rows = await conn.execute(sa.select(feeds.c.id, feeds.c.created_at))
            return {row.id: row.created_at for row in rows}

    async def claim_due(self, now: datetime, *, limit: int, lease: timedelta) -> list[Feed]:
        """Feeds due at ``now`` (oldest first), each pushed ``lease`` ahead so no tick re-claims
        it while its poll is in flight; the poll's outcome then sets the real next check."""
        async with self._db.write() as conn:
            query = (
                sa.select(feeds)
                .where(feeds.c.paused == sa.false())
                .where(sa.or_(feeds.c.next_check_at.is_(None), feeds.c.next_check_at <= now))
                .order_by(feeds.c.next_check_at.is_not(None), feeds.c.next_check_at, feeds.c.id)
                .limit(limit)
            )
            if not self._db.is_sqlite:
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
        async with self._db.write() as conn:
            await conn.execute(feeds.update().where(feeds.c.id == feed_id).values(**values))

    async def record_failure(
        self, feed_id: int, now: datetime, *, error: str, next_check_at: datetime
    ) -> None:
        """Record a failed poll: count it, keep the message, schedule the retry."""
        async with self._db.write() as conn:
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

    async def add(self, url: str, name: str, now: datetime, *, title: str | None = None) -> Feed:
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
        async with self._db.write() as conn:
            rows = (await conn.execute(sa.select(feeds))).mappings().all()
            same = [r for r in rows if key in {canonical_url(r["url"]), r["config_url"]}]
            live = next((r for r in same if r["origin"] != _REMOVED), None)
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

    async def remove(self, id_or_url: int | str) -> bool:
        """Remove a feed an admin added; False when there is no such (unremoved) feed.

        The row is kept, paused and marked removed (origin "removed"): articles reference
        their feed, and stay searchable and in digest history with their source name;
        ``all``, ``find`` and polling no longer see it, and ``add`` of the same URL revives
        it. A feed from the configuration file raises ``StoreError``: the file decides which
        of those exist (it would be back at the next start); pause it or delete it from the
        file instead.
        """
        async with self._db.write() as conn:
            row = await _find(conn, id_or_url)
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
                .values(origin=_REMOVED, paused=True, next_check_at=None)
            )
            return True

    async def set_paused(self, id_or_url: int | str, paused: bool) -> Feed | None:
        """Pause or resume a feed (a resumed feed is due at once); None when there is no such
        feed. A feed from the configuration file takes the file's flag again at the next
        start (``sync_config``)."""
        async with self._db.write() as conn:
            row = await _find(conn, id_or_url)
            if row is None:
                return None
            values: dict[str, Any] = {"paused": paused}
            if not paused:
                values["next_check_at"] = None
            await conn.execute(feeds.update().where(feeds.c.id == row["id"]).values(**values))
            found = await conn.execute(sa.select(feeds).where(feeds.c.id == row["id"]))
            return _feed(found.mappings().one())

    async def find(self, id_or_url_or_name: int | str) -> Feed | None:
        """A feed by id («12» or «#12»), URL (canonical form) or name (ignoring case and Arabic
        spelling variants); removed feeds are not found."""
        async with self._db.engine.connect() as conn:
            row = await _find(conn, id_or_url_or_name)
        return _feed(row) if row is not None else None

    # -- what the admins were told ------------------------------------------------------

    async def health_reported(self) -> set[int]:
        """Ids of the feeds reported failing to the admins and not yet reported recovered."""
        query = sa.select(feeds.c.id).where(feeds.c.health_reported_at.is_not(None))
        async with self._db.engine.connect() as conn:
            return set((await conn.execute(query)).scalars())

    async def claim_health_news(
        self, failing: Iterable[int], recovered: Iterable[int], now: datetime
    ) -> tuple[set[int], set[int]]:
        """Record that ``failing`` feeds are being reported failing and ``recovered`` ones
        recovered; returns the ids this call changed (a feed another instance reported in the
        meantime is not returned, so only one instance tells the admins)."""
        reported = feeds.c.health_reported_at
        async with self._db.write() as conn:
            return (
                await _set_health(conn, failing, now, reported.is_(None)),
                await _set_health(conn, recovered, None, reported.is_not(None)),
            )

    async def undo_health_news(
        self, failing: Iterable[int], recovered: Iterable[int], reported_at: datetime
    ) -> None:
        """Undo ``claim_health_news`` (the admins could not be told: try again next pass)."""
        async with self._db.write() as conn:
            await _set_health(conn, failing, None)
            await _set_health(conn, recovered, reported_at)

    async def forget_health(self, feed_ids: Iterable[int]) -> None:
        """Clear the reported state of feeds (paused or removed: forgotten without a word)."""
        async with self._db.write() as conn:
            await _set_health(conn, feed_ids, None)


async def _find(conn: AsyncConnection, ref: int | str) -> sa.RowMapping | None:
    """The unremoved feed ``ref`` names: an id, then a URL, then a name (see ``Feeds.find``)."""
    live = sa.select(feeds).where(feeds.c.origin != _REMOVED).order_by(feeds.c.id)
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


def _feed(row: sa.RowMapping) -> Feed:
    return from_row(Feed, row)
