"""Several service instances on one PostgreSQL database: who is alive, and who leads.

PostgreSQL does the coordination; there is no home-made consensus here.

- ``Instances`` records a heartbeat per instance (``instances`` table) and counts the
  instances seen recently, so bot-wide rate limits can be divided among them.
- ``LeaderLock`` is a PostgreSQL session advisory lock held on a connection of its own: the
  instance holding it leads (polls Telegram's getUpdates, which allows one caller per bot). When
  the leader dies its connection closes, the server releases the lock, and the next instance to
  try becomes leader.

On SQLite the process is the database's only instance: it is always the leader and always
counts one instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from digests.store.database import Database, advisory_key, database_now
from digests.store.schema import instances

__all__ = ["Instances", "LeaderLock"]

log = logging.getLogger(__name__)


class Instances:
    """This process's row in ``instances`` and the count of live ones.

    An instance is live when its heartbeat is younger than ``live_for``; rows older than ten
    times that are deleted by whoever beats next (a killed instance leaves its row behind).
    Heartbeats are stamped and compared on the database's clock (``database_now``), so
    instances whose clocks disagree still count each other right.
    """

    def __init__(self, db: Database, *, live_for: timedelta) -> None:
        self._db = db
        self._live_for = live_for
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]
        self._started: datetime | None = None

    async def heartbeat(self) -> int:
        """Record that this instance is alive now; return how many instances are."""
        if self._db.single_instance:
            return 1
        async with self._db.write() as conn:
            now = await database_now(conn)
            if self._started is None:
                self._started = now
            await conn.execute(
                sa.delete(instances).where(instances.c.seen_at < now - 10 * self._live_for)
            )
            updated = await conn.execute(
                instances.update().where(instances.c.id == self.id).values(seen_at=now)
            )
            if updated.rowcount == 0:
                await conn.execute(
                    instances.insert().values(
                        id=self.id,
                        host=socket.gethostname()[:200],
                        pid=os.getpid(),
                        started_at=self._started,
                        seen_at=now,
                    )
                )
            live = await conn.execute(
                sa.select(sa.func.count())
                .select_from(instances)
                .where(instances.c.seen_at >= now - self._live_for)
            )
            return max(1, int(live.scalar_one()))

    async def leave(self) -> None:
        """Remove this instance's row (a clean shutdown; the others' share grows at once)."""
        if self._db.single_instance:
            return
        async with self._db.write() as conn:
            await conn.execute(sa.delete(instances).where(instances.c.id == self.id))


class LeaderLock:
    """Leadership of one role (``name``), held as a PostgreSQL session advisory lock.

    ``acquire`` tries once and never waits; ``check`` confirms the lock is still held (its
    connection is alive) and gives it up otherwise; ``alive`` asks the same but keeps the lock
    either way, for a holder that must wind down its work before ``release`` lets it go. The
    lock lives on a connection checked out for as long as it is held, in autocommit mode, so no
    transaction stays open. On SQLite every call succeeds: the process is the only instance.
    """

    def __init__(self, db: Database, name: str) -> None:
        self._db = db
        self.name = name
        self._key = advisory_key(name)
        self._conn: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        """Whether this process believes it holds the lock (``check`` verifies)."""
        return self._db.single_instance or self._conn is not None

    async def acquire(self) -> bool:
        """Take the lock if it is free; True when this process now holds it."""
        if self.held:
            return True
        conn = await self._db.engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await conn.scalar(sa.select(sa.func.pg_try_advisory_lock(self._key)))
        except BaseException:  # cancelled too: never return a connection that may hold it
            await asyncio.shield(conn.invalidate())
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        log.info("this instance now leads %s", self.name)
        return True

    async def check(self, *, within: float = 5.0) -> bool:
        """True while the lock is held; if its connection has failed, or does not answer
        ``within`` seconds (the server may already have dropped the session and let
        another instance lead), forget it and False."""
        if await self.alive(within=within):
            return True
        await self._drop()
        return False

    async def alive(self, *, within: float = 5.0) -> bool:
        """True while the lock's connection answers within ``within`` seconds; else False,
        with the lock kept (to ``release`` once its holder has stopped what it leads: the server
        may still hold it for this process, and then nobody takes over before that)."""
        if self._db.single_instance:
            return True
        if self._conn is None:
            return False
        try:
            await asyncio.wait_for(self._conn.execute(sa.text("SELECT 1")), within)
        except Exception as exc:
            log.warning("the %s lock's connection does not answer: %r", self.name, exc)
            return False
        return True

    async def lead(self) -> bool:
        """Whether this process leads now: confirm a held lock is still held, else try to
        take it."""
        if self.held and await self.check():
            return True
        return await self.acquire()

    async def release(self, *, within: float = 5.0) -> None:
        """Give the lock up (no-op when not held); a connection that does not answer within
        ``within`` seconds is dropped instead (the server frees the lock with its session)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await asyncio.wait_for(
                conn.scalar(sa.select(sa.func.pg_advisory_unlock(self._key))), within
            )
            await asyncio.wait_for(conn.close(), within)
        except BaseException as exc:  # cancelled too: never keep a connection that may hold it
            with contextlib.suppress(Exception):  # closing the session releases the lock anyway
                await asyncio.shield(conn.invalidate())
            if not isinstance(exc, Exception):
                raise

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.invalidate()
            except Exception:  # the connection is already gone; the server freed the lock
                log.debug("invalidating a dead lock connection failed", exc_info=True)
