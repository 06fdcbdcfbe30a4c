"""Subscribers (chat users) and the topics they follow, with their personal digest schedule.

The repository of two tables, ``subscribers`` and ``follows`` (migration 0005). Platform-free:
a subscriber is a ``(platform, user_id)`` pair and the chat its personal digest goes to; the
chat adapters decide what those strings are.

Contracts:

* ``get_or_create`` is insert-if-absent on ``(platform, user_id)``: concurrent first commands
  make one row. A new subscriber takes the caller's language. An existing subscriber keeps
  its chat, except one that was deactivated (the bot was blocked): any new command from it
  proves it reachable again, so it is reactivated with the chat it wrote from.
* Only existing topics can be followed (``StoreError`` otherwise); a follow is removed with
  its topic (``ON DELETE CASCADE``).
* A personal digest is due (``due_personal_digests``) when the subscriber is active, has a
  ``digest_time``, follows at least one topic, the local time in its time zone has reached
  ``digest_time`` and none was sent on that local day. A day the bot was down is skipped,
  never sent twice. Setting a time already past today makes today's digest due at once.
  Time zones are applied in Python (zoneinfo), so every backend agrees, DST included.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from digests.compose.destination import DEFAULT_TIMEZONE
from digests.compose.i18n import Language
from digests.errors import StoreError
from digests.models import ChatPlatform, TopicRow
from digests.store.database import Database, from_row, insert_ignore
from digests.store.schema import follows, subscribers, topics

__all__ = [
    "Subscriber",
    "Subscriptions",
    "parse_digest_time",
    "subscriber_of",
]

_PLATFORMS: frozenset[str] = frozenset(get_args(ChatPlatform))
_LANGUAGES: frozenset[str] = frozenset(get_args(Language))
_DIGEST_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A chat user: where their personal digest goes, in which language, and when.

    ``digest_time`` is local ``HH:MM`` in ``timezone``, or None for no personal digest.
    """

    id: int
    platform: ChatPlatform
    user_id: str
    chat_id: str
    language: Language
    timezone: str
    digest_time: str | None
    active: bool
    created_at: datetime
    last_digest_at: datetime | None = None


def parse_digest_time(value: str) -> time:
    """``HH:MM`` (24-hour, two digits each) as a ``time``; ``ValueError`` otherwise."""
    match = _DIGEST_TIME.fullmatch(value)
    if match is None:
        raise ValueError(f"not a time of day as HH:MM: {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


class Subscriptions:
    """Subscribers and follows, kept in ``store``'s database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- subscribers ---------------------------------------------------------------------

    async def get(self, platform: str, user_id: str) -> Subscriber | None:
        """The subscriber ``(platform, user_id)``, or None; never creates one."""
        query = sa.select(subscribers).where(
            subscribers.c.platform == platform, subscribers.c.user_id == user_id
        )
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return subscriber_of(row) if row is not None else None

    async def get_or_create(
        self,
        platform: str,
        user_id: str,
        chat_id: str,
        now: datetime,
        *,
        language: Language = "ar",
    ) -> Subscriber:
        """The subscriber ``(platform, user_id)``, created (active, no personal digest) if new;
        a deactivated one is reactivated with ``chat_id`` (see the module doc)."""
        if platform not in _PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; one of {sorted(_PLATFORMS)}")
        if language not in _LANGUAGES:
            raise ValueError(f"unknown language {language!r}; one of {sorted(_LANGUAGES)}")
        where = (subscribers.c.platform == platform, subscribers.c.user_id == user_id)
        async with self._db.write() as conn:
            await conn.execute(
                insert_ignore(conn, subscribers).values(
                    platform=platform,
                    user_id=user_id,
                    chat_id=chat_id,
                    language=language,
                    timezone=DEFAULT_TIMEZONE,
                    digest_time=None,
                    active=True,
                    created_at=now,
                    last_digest_at=None,
                )
            )
            await conn.execute(
                subscribers.update()
                .where(*where, subscribers.c.active == sa.false())
                .values(active=True, chat_id=chat_id)
            )
            row = (await conn.execute(sa.select(subscribers).where(*where))).mappings().one()
        return subscriber_of(row)

    async def set_language(self, subscriber: Subscriber, language: Language) -> Subscriber:
        """Store the language of ``subscriber``'s replies and digests."""
        if language not in _LANGUAGES:
            raise ValueError(f"unknown language {language!r}; one of {sorted(_LANGUAGES)}")
        return await self._update(subscriber, language=language)

    async def set_schedule(
        self, subscriber: Subscriber, digest_time: str | None, timezone: str | None = None
    ) -> Subscriber:
        """Set the daily personal digest to local ``HH:MM`` (None: no personal digest), and the
        time zone when given. Raises ``ValueError`` for a bad time or an unknown zone."""
        values: dict[str, Any] = {"digest_time": digest_time}
        if digest_time is not None:
            parse_digest_time(digest_time)
        if timezone is not None:
            _zone(timezone)
            values["timezone"] = timezone
        return await self._update(subscriber, **values)

    async def deactivate(self, platform: str, chat_id: str) -> int:
        """Stop sending to ``chat_id`` (the bot was blocked or removed); returns how many
        subscribers it deactivated. Their follows and schedule are kept for their return."""
        async with self._db.write() as conn:
            result = await conn.execute(
                subscribers.update()
                .where(
                    subscribers.c.platform == platform,
                    subscribers.c.chat_id == chat_id,
                    subscribers.c.active == sa.true(),
                )
                .values(active=False)
            )
        return int(result.rowcount or 0)

    async def count(self, *, active: bool | None = None) -> int:
        """How many subscribers there are (only active or inactive ones when asked)."""
        query = sa.select(sa.func.count()).select_from(subscribers)
        if active is not None:
            query = query.where(subscribers.c.active == active)
        async with self._db.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    # -- follows -------------------------------------------------------------------------

    async def follow(self, subscriber: Subscriber, slug: str, now: datetime) -> bool:
        """Follow topic ``slug``; False when already followed. ``StoreError`` for no such topic."""
        async with self._db.write() as conn:
            topic_id = await _topic_id(conn, slug)
            result = await conn.execute(
                insert_ignore(conn, follows).values(
                    subscriber_id=subscriber.id, topic_id=topic_id, created_at=now
                )
            )
        return bool(result.rowcount)

    async def unfollow(self, subscriber: Subscriber, slug: str) -> bool:
        """Stop following topic ``slug``; False when it was not followed."""
        topic_ids = sa.select(topics.c.id).where(topics.c.slug == slug).scalar_subquery()
        async with self._db.write() as conn:
            result = await conn.execute(
                follows.delete().where(
                    follows.c.subscriber_id == subscriber.id, follows.c.topic_id == topic_ids
                )
            )
        return bool(result.rowcount)

    async def followed(self, subscriber: Subscriber) -> list[TopicRow]:
        """The topics ``subscriber`` follows, in the order they were followed."""
        query = (
            sa.select(topics)
            .join(follows, follows.c.topic_id == topics.c.id)
            .where(follows.c.subscriber_id == subscriber.id)
            .order_by(follows.c.created_at, topics.c.slug)
        )
        async with self._db.engine.connect() as conn:
            return [from_row(TopicRow, r) for r in (await conn.execute(query)).mappings()]

    # -- personal digests ----------------------------------------------------------------

    async def due_personal_digests(
        self, now: datetime, *, platforms: Collection[ChatPlatform] | None = None
    ) -> list[Subscriber]:
        """Subscribers whose personal digest is due at ``now`` (see the module doc), by id;
        with ``platforms``, only those on one of them."""
        has_follows = sa.exists().where(follows.c.subscriber_id == subscribers.c.id)
        query = (
            sa.select(subscribers)
            .where(
                subscribers.c.active == sa.true(),
                subscribers.c.digest_time.is_not(None),
                has_follows,
            )
            .order_by(subscribers.c.id)
        )
        if platforms is not None:
            query = query.where(subscribers.c.platform.in_(sorted(platforms)))
        async with self._db.engine.connect() as conn:
            rows = [subscriber_of(r) for r in (await conn.execute(query)).mappings()]
        return [s for s in rows if _is_due(s, now)]

    async def mark_personal_sent(self, subscriber: Subscriber, now: datetime) -> None:
        """Remember that today's personal digest went to ``subscriber``."""
        await self._update(subscriber, last_digest_at=now)

    async def _update(self, subscriber: Subscriber, **values: Any) -> Subscriber:
        async with self._db.write() as conn:
            await conn.execute(
                subscribers.update().where(subscribers.c.id == subscriber.id).values(**values)
            )
            row = (
                (
                    await conn.execute(
                        sa.select(subscribers).where(subscribers.c.id == subscriber.id)
                    )
                )
                .mappings()
                .one()
            )
        return subscriber_of(row)


def _is_due(subscriber: Subscriber, now: datetime) -> bool:
    if subscriber.digest_time is None:
        return False
    try:
        zone = _zone(subscriber.timezone)
        at = parse_digest_time(subscriber.digest_time)
    except ValueError:
        return False  # written by hand into the database: never crash the scheduler
    local = now.astimezone(zone)
    if local.time().replace(second=0, microsecond=0) < at:
        return False
    last = subscriber.last_digest_at
    return last is None or last.astimezone(zone).date() < local.date()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not an IANA time zone name: {name!r}") from None


async def _topic_id(conn: AsyncConnection, slug: str) -> int:
    found = (await conn.execute(sa.select(topics.c.id).where(topics.c.slug == slug))).first()
    if found is None:
        raise StoreError(f"no topic with slug {slug!r}")
    return int(found.id)


def subscriber_of(row: sa.RowMapping) -> Subscriber:
    """A ``Subscriber`` from a row of ``subscribers`` (or a join that has its columns)."""
    return Subscriber(
        id=row["id"],
        platform=cast(ChatPlatform, row["platform"]),
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        language=cast(Language, row["language"]),
        timezone=row["timezone"],
        digest_time=row["digest_time"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        last_digest_at=row["last_digest_at"],
    )
