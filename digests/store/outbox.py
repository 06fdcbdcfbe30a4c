"""The durable outbox: every message part is stored before it is sent and marked after.

Platform-neutral: a payload is opaque text (the rendered message as JSON); senders live in
``bot/``. The outbox only decides *what* may be sent now and remembers what happened.

Contract:

- ``enqueue`` stores every part of one digest in one transaction, idempotent on
  ``digest_key``: a second enqueue of a known key changes nothing and returns False. With
  ``sent``, the digest's stories are recorded as sent to its destination in that same
  transaction (strictly: ``AlreadySent`` when another digest took one of them first), so
  "parts queued" and "stories marked sent" commit together or not at all.
- ``claim`` hands out due parts, at most one per chat, and always that chat's oldest unsent part
  (by id, across digests): part k+1 is never handed out while part k is unsent, and a part
  waiting for its retry time holds back the rest of its chat. A failed or dropped part no longer
  holds anything back, and one chat never stalls another. A claimed part is leased (status
  ``sending`` until ``claimed_until``); when the sender dies the lease expires and the part is
  claimable again. On PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED``, so instances
  sharing the database never claim the same part; on SQLite the store's write lock serialises
  claims.
- Leases run on the database's clock (``database_now``), never a claimer's (whose ``now`` only
  decides which parts are due). A lease's end is its holder's proof of ownership: ``renew``
  and ``give_back`` act only on parts whose lease end is still the one their holder was given.
  Senders keep leases short and renew them while sending, so a dead sender's part is taken
  over within one lease.
- The claimer ends the lease with one of: ``mark_sent`` (the platform accepted it), ``retry``
  (transient error: pending again from ``not_before``, one more attempt counted), ``postpone``
  (no error, e.g. the rate limiter said wait) or ``fail`` (permanent; the caller deactivates the
  destination and may ``drop_destination`` its remaining parts). These return False when the
  part was no longer ``sending`` (the lease had expired and another claimer took over).

Delivery is at-least-once: chat platforms take no idempotency key, so a crash between the
platform's answer and ``mark_sent`` sends that one part again after its lease; senders call
``mark_sent`` straight after the answer to keep that window small.

Statuses: ``pending`` → ``sending`` → ``sent`` | ``failed`` | ``dropped`` (and back to
``pending`` on retry). Parts are numbered from 1 to ``parts``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from digests.store.archive import ArchiveRecord, record_digest
from digests.store.articles import record_sent
from digests.store.chats import current_chat, move_chat
from digests.store.database import Database, database_now, from_row, insert_ignore
from digests.store.schema import outbox

__all__ = ["PLATFORMS", "Outbox", "OutboxMessage", "SentStories"]

log = logging.getLogger(__name__)

PLATFORMS = frozenset({"telegram", "slack", "console"})
_UNSENT = ("pending", "sending")
_MAX_ERROR = 1000


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One stored message part: where it goes, what it says, and how far its delivery got."""

    id: int
    destination: str
    platform: str
    chat: str
    thread: str | None
    digest_key: str
    part: int  # 1-based
    parts: int
    payload: str
    status: str
    attempts: int
    not_before: datetime
    claimed_until: datetime | None
    created_at: datetime
    platform_message_id: str | None = None
    error: str | None = None
    sent_at: datetime | None = None

    @property
    def is_last(self) -> bool:
        """True for the final part of its digest."""
        return self.part == self.parts


@dataclass(frozen=True, slots=True)
class SentStories:
    """The articles a queued digest covers, recorded as sent to ``destination`` with it."""

    destination: str
    article_ids: tuple[int, ...]


class Outbox:
    """The outbox tables; every write goes through the database's write path."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(
        self,
        destination: str,
        platform: str,
        chat: str,
        thread: str | None,
        digest_key: str,
        payloads: Sequence[str],
        now: datetime,
        *,
        sent: SentStories | None = None,
        archive: ArchiveRecord | None = None,
    ) -> bool:
        """Store the parts of one digest, due at ``now``; False if ``digest_key`` is known.

        ``chat`` is replaced by its new id when the chat has moved (``rename_chat``). ``sent``
        is recorded in the same transaction, only when the parts are new; when one of its
        stories was already sent there, ``AlreadySent`` is raised and nothing is stored.
        ``archive`` (the web archive's copy of the digest) is written with them too.
        """
        if not payloads:
            raise ValueError(f"digest {digest_key!r} has no parts to enqueue")
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; expected one of {sorted(PLATFORMS)}")
        try:
            async with self._db.write() as conn:
                if await _queued(conn, digest_key):
                    return False
                target = await current_chat(conn, platform, chat)
                rows = [
                    {
                        "destination": destination,
                        "platform": platform,
                        "chat": target,
                        "thread": thread,
                        "digest_key": digest_key,
                        "part": number,
                        "parts": len(payloads),
                        "payload": payload,
                        "status": "pending",
                        "attempts": 0,
                        "not_before": now,
                        "created_at": now,
                    }
                    for number, payload in enumerate(payloads, start=1)
                ]
                statement = insert_ignore(conn, outbox).returning(outbox.c.id)
                inserted = (await conn.execute(statement, rows)).all()
                if len(inserted) != len(rows):
                    # Another instance queued this key between our check and our insert (with
                    # as many parts or not): roll back whatever of ours went in.
                    raise _KeyTaken
                if sent is not None:
                    await record_sent(conn, sent.destination, sent.article_ids, now, strict=True)
                if archive is not None:
                    await record_digest(conn, archive)
        except _KeyTaken:
            return False
        return True

    async def claim(
        self, now: datetime, *, limit: int, lease: timedelta, platform: str | None = None
    ) -> list[OutboxMessage]:
        """Lease up to ``limit`` due parts, one per chat, each its chat's oldest unsent part.

        A part is due when pending with ``not_before <= now``, or sending with a lease that
        has expired on the database's clock (its sender died). Oldest parts are served first;
        ``platform`` restricts the claim to one platform. Claimed parts are ``sending`` for
        ``lease`` on the database's clock; their ``claimed_until`` is the holder's token for
        ``renew`` and ``give_back``.
        """
        unsent = outbox.c.status.in_(_UNSENT)
        heads = sa.select(sa.func.min(outbox.c.id).label("id")).where(unsent)
        if platform is not None:
            heads = heads.where(outbox.c.platform == platform)
        head = heads.group_by(outbox.c.platform, outbox.c.chat).subquery("heads")
        async with self._db.write() as conn:
            clock = await database_now(conn)
            due = sa.or_(
                sa.and_(outbox.c.status == "pending", outbox.c.not_before <= now),
                sa.and_(outbox.c.status == "sending", outbox.c.claimed_until <= clock),
            )
            pick = (
                sa.select(outbox.c.id)
                .join(head, head.c.id == outbox.c.id)
                .where(due)
                .order_by(outbox.c.id)
                .limit(limit)
            )
            if conn.dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True, of=outbox)
            rows = await conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(pick))
                .values(status="sending", claimed_until=clock + lease)
                .returning(*outbox.c)
            )
            claimed = [_message(row) for row in rows.mappings()]
        return sorted(claimed, key=lambda m: m.id)

    async def renew(self, held: Mapping[int, datetime], lease: timedelta) -> dict[int, datetime]:
        """Extend the leases of parts being sent: ``held`` maps each part to the lease end its
        holder was given (by ``claim`` or the last ``renew``). Returns the parts still held,
        each with its new end (``lease`` from now on the database's clock); a part missing
        from the answer was taken over (its lease had run out) or is no longer sending."""
        async with self._db.write() as conn:
            until = await database_now(conn) + lease
            return dict.fromkeys(await _update_held(conn, held, claimed_until=until), until)

    async def give_back(self, held: Mapping[int, datetime]) -> int:
        """Hand back untried the parts still held with these lease ends (as ``renew``): they
        are pending and due at once, for any claimer, with no attempt counted (a send cut
        short at shutdown). Returns how many were given back."""
        async with self._db.write() as conn:
            return len(await _update_held(conn, held, status="pending", claimed_until=None))

    async def mark_sent(
        self,
        id: int,
        platform_message_id: str | None,
        now: datetime,
        *,
        chat_pause: timedelta | None = None,
    ) -> bool:
        """Record that the platform accepted part ``id`` (as ``platform_message_id``).

        Accepted from any status but ``sent`` (the platform's word wins over a late drop);
        False when it was already marked sent, whose first message id is kept. With
        ``chat_pause``, the chat's other pending parts are not due before ``now + chat_pause``
        (in the same transaction): the platform's per-chat pace then holds whichever instance
        claims the next part.
        """
        async with self._db.write() as conn:
            row = (
                await conn.execute(
                    outbox.update()
                    .where(outbox.c.id == id, outbox.c.status != "sent")
                    .values(
                        status="sent",
                        platform_message_id=platform_message_id,
                        sent_at=now,
                        claimed_until=None,
                    )
                    .returning(outbox.c.platform, outbox.c.chat)
                )
            ).first()
            if row is None:
                return False
            if chat_pause:
                until = now + chat_pause
                await conn.execute(
                    outbox.update()
                    .where(
                        outbox.c.platform == row.platform,
                        outbox.c.chat == row.chat,
                        outbox.c.status == "pending",
                        outbox.c.not_before < until,
                    )
                    .values(not_before=until)
                )
        return True

    async def retry(self, id: int, not_before: datetime, error: str) -> bool:
        """A transient failure (network, 5xx, 429): pending again from ``not_before``."""
        return await self._update(
            id,
            outbox.c.status == "sending",
            status="pending",
            attempts=outbox.c.attempts + 1,
            not_before=not_before,
            claimed_until=None,
            error=error[:_MAX_ERROR],
        )

    async def postpone(self, id: int, not_before: datetime) -> bool:
        """Give a claimed part back untried, due again at ``not_before`` (no attempt counted)."""
        return await self._update(
            id,
            outbox.c.status == "sending",
            status="pending",
            not_before=not_before,
            claimed_until=None,
        )

    async def fail(self, id: int, error: str) -> bool:
        """A permanent failure: the part is ``failed`` and no longer holds back its chat."""
        return await self._update(
            id,
            outbox.c.status == "sending",
            status="failed",
            attempts=outbox.c.attempts + 1,
            claimed_until=None,
            error=error[:_MAX_ERROR],
        )

    async def drop(self, id: int, error: str) -> bool:
        """Drop a claimed part for good without counting it a failure (an edit whose
        message is gone): ``dropped``, and it no longer holds back its chat."""
        return await self._update(
            id,
            outbox.c.status == "sending",
            status="dropped",
            claimed_until=None,
            error=error[:_MAX_ERROR],
        )

    async def drop_destination(self, destination: str, error: str) -> int:
        """Drop every unsent part of ``destination`` (it was deactivated); returns how many."""
        async with self._db.write() as conn:
            result = await conn.execute(
                outbox.update()
                .where(outbox.c.destination == destination, outbox.c.status.in_(_UNSENT))
                .values(status="dropped", claimed_until=None, error=error[:_MAX_ERROR])
            )
        if result.rowcount:
            log.warning(
                "outbox: dropped %d unsent parts of %s: %s", result.rowcount, destination, error
            )
        return int(result.rowcount)

    async def drop_stale(self, older_than: datetime) -> int:
        """Drop parts still waiting that were created before ``older_than``; returns how many.

        Waiting means pending, or sending with a lease expired on the database's clock; a part
        in flight is left to its sender. A digest that could not go out in time is news no
        longer.
        """
        async with self._db.write() as conn:
            waiting = sa.or_(
                outbox.c.status == "pending",
                sa.and_(
                    outbox.c.status == "sending",
                    outbox.c.claimed_until <= await database_now(conn),
                ),
            )
            rows = await conn.execute(
                outbox.update()
                .where(outbox.c.created_at < older_than, waiting)
                .values(
                    status="dropped",
                    claimed_until=None,
                    error=f"stale: created before {older_than.isoformat()}",
                )
                .returning(outbox.c.destination)
            )
            per_destination = Counter(row.destination for row in rows)
        total = sum(per_destination.values())
        if total:
            counts = ", ".join(f"{d}: {n}" for d, n in sorted(per_destination.items()))
            log.warning(
                "outbox: dropped %d stale parts created before %s (%s)",
                total,
                older_than.isoformat(),
                counts,
            )
        return total

    async def rename_chat(
        self, old: str, new: str, now: datetime, *, platform: str = "telegram"
    ) -> int:
        """The chat ``old`` moved to ``new`` (Telegram ChatMigrated): its unsent parts move,
        and parts enqueued for ``old`` from now on go to ``new``. Returns how many moved."""
        if old == new:
            return 0
        async with self._db.write() as conn:
            moved = await move_chat(conn, platform, old, new, now, unsent=_UNSENT)
        log.info("outbox: %s chat %s moved to %s (%d parts)", platform, old, new, moved)
        return moved

    async def depth(self) -> int:
        """How many parts are not yet sent (pending or sending)."""
        query = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status.in_(_UNSENT))
        async with self._db.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def oldest_pending_age(self, now: datetime) -> float:
        """Seconds since the oldest unsent part was enqueued (0.0 when none waits)."""
        query = sa.select(sa.func.min(outbox.c.created_at)).where(outbox.c.status.in_(_UNSENT))
        async with self._db.engine.connect() as conn:
            oldest: datetime | None = (await conn.execute(query)).scalar_one()
        if oldest is None:
            return 0.0
        return max(0.0, (now - oldest).total_seconds())

    async def pending_for(self, chat: str, *, platform: str | None = None) -> list[OutboxMessage]:
        """The unsent parts of ``chat``, in the order they will be sent."""
        query = (
            sa.select(outbox)
            .where(outbox.c.chat == chat, outbox.c.status.in_(_UNSENT))
            .order_by(outbox.c.id)
        )
        if platform is not None:
            query = query.where(outbox.c.platform == platform)
        async with self._db.engine.connect() as conn:
            return [_message(row) for row in (await conn.execute(query)).mappings()]

    async def release_in_flight(self) -> int:
        """Hand back every part left ``sending`` (their sender died); returns how many.

        Only for a database one instance uses (SQLite): there no other sender can be live, so
        a restart need not wait for the dead sender's leases to run out. Shared databases
        leave leases to expire.
        """
        async with self._db.write() as conn:
            result = await conn.execute(
                outbox.update()
                .where(outbox.c.status == "sending")
                .values(status="pending", claimed_until=None)
            )
        released = int(result.rowcount or 0)
        if released:
            log.info("%d message parts left in flight by the last run are due again", released)
        return released

    async def queued(self, digest_key: str) -> bool:
        """Whether a digest with this key was already queued (by this or another instance)."""
        async with self._db.engine.connect() as conn:
            return await _queued(conn, digest_key)

    async def queued_since(self, key_prefix: str, since: datetime) -> bool:
        """Whether a digest whose key starts with ``key_prefix`` was queued since ``since``."""
        query = (
            sa.select(outbox.c.id)
            .where(outbox.c.digest_key.startswith(key_prefix), outbox.c.created_at >= since)
            .limit(1)
        )
        async with self._db.engine.connect() as conn:
            return (await conn.execute(query)).first() is not None

    async def message_id_of(self, digest_key: str, part: int) -> str | None:
        """The platform's message id of a sent part of a digest (None until it is sent)."""
        query = sa.select(outbox.c.platform_message_id).where(
            outbox.c.digest_key == digest_key, outbox.c.part == part
        )
        async with self._db.engine.connect() as conn:
            value = (await conn.execute(query)).scalar()
        return str(value) if value else None

    async def get(self, id: int) -> OutboxMessage | None:
        """One part by id, whatever its status."""
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(sa.select(outbox).where(outbox.c.id == id))).mappings()
            found = row.first()
        return None if found is None else _message(found)

    async def _update(self, id: int, condition: sa.ColumnElement[bool], **values: Any) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                outbox.update().where(outbox.c.id == id, condition).values(**values)
            )
        return bool(result.rowcount)


class _KeyTaken(Exception):
    """Raised inside ``enqueue``'s transaction to roll it back: the key was taken meanwhile."""


async def _queued(conn: AsyncConnection, digest_key: str) -> bool:
    query = sa.select(outbox.c.id).where(outbox.c.digest_key == digest_key).limit(1)
    return (await conn.execute(query)).first() is not None


async def _update_held(
    conn: AsyncConnection, held: Mapping[int, datetime], **values: Any
) -> list[int]:
    """Update the parts still sending under the lease ends ``held`` gives; their ids."""
    by_end: dict[datetime, list[int]] = {}
    for id, until in held.items():
        by_end.setdefault(until, []).append(id)
    updated: list[int] = []
    for until, ids in by_end.items():  # one claim gives all its parts one end
        mine = (outbox.c.id.in_(ids), outbox.c.status == "sending", outbox.c.claimed_until == until)
        rows = await conn.execute(
            outbox.update().where(*mine).values(**values).returning(outbox.c.id)
        )
        updated += rows.scalars()
    return updated


def _message(row: sa.RowMapping) -> OutboxMessage:
    return from_row(OutboxMessage, row)
