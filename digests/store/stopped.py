"""Destinations a chat platform refused for good (kicked, archived, chat gone).

A destination is stopped once, for every instance sharing the database: ``stop`` returns True
only to the caller that stopped it (that one tells the admins). The sender skips stopped
destinations; a service start clears them all, so a fixed destination is tried again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from digests.store.database import Database, from_row, insert_ignore
from digests.store.schema import stopped_destinations

__all__ = ["StoppedDestination", "StoppedDestinations"]

_MAX_REASON = 1000


@dataclass(frozen=True, slots=True)
class StoppedDestination:
    """A destination its platform refused for good: the error as it came, and when."""

    name: str
    reason: str
    stopped_at: datetime


class StoppedDestinations:
    """The ``stopped_destinations`` table; writes go through the database's write path."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def stop(self, destination: str, reason: str, now: datetime) -> bool:
        """Record that ``destination`` is stopped (the platform refused it for good); True when
        this call stopped it, False when it already was (another instance got there first)."""
        async with self._db.write() as conn:
            inserted = await conn.execute(
                insert_ignore(conn, stopped_destinations)
                .values(name=destination, reason=reason[:_MAX_REASON], stopped_at=now)
                .returning(stopped_destinations.c.name)
            )
            return inserted.first() is not None

    async def names(self) -> set[str]:
        """The destinations that are stopped."""
        async with self._db.engine.connect() as conn:
            rows = await conn.execute(sa.select(stopped_destinations.c.name))
            return set(rows.scalars())

    async def details(self) -> dict[str, StoppedDestination]:
        """The stopped destinations by name, each with the platform's error and when."""
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(sa.select(stopped_destinations))).mappings()
            return {row["name"]: from_row(StoppedDestination, row) for row in rows}

    async def clear(self) -> int:
        """Resume every stopped destination (at service start); returns how many there were."""
        async with self._db.write() as conn:
            return (await conn.execute(sa.delete(stopped_destinations))).rowcount or 0
