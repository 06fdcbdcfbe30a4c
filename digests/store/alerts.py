"""Keyword alerts: each subscriber's rules (table ``alerts``, migration 0011).

A rule is stored as written and with its identity (``text.keywords.Rule.identity``), which
is unique per subscriber: «إيران» and «ايران» are one alert. What alerts delivered is
recorded like any digest's stories, in ``sent_items``, under the subscriber's alert
destination (``alert_destination``), so an article reaches a person once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import sqlalchemy as sa

from digests.store.database import Database, insert_ignore
from digests.store.schema import alerts, articles, sent_items, subscribers
from digests.store.subscriptions import Subscriber, subscriber_of
from digests.text.keywords import Rule

__all__ = ["Added", "Alerts", "StoredAlert", "alert_destination"]


class Added(Enum):
    """What ``Alerts.add`` did."""

    ADDED = "added"
    EXISTS = "exists"  # the subscriber has this rule already
    FULL = "full"  # the subscriber has as many alerts as allowed


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """An alert: its id, whose it is, the rule as written, and since when it runs."""

    id: int
    subscriber_id: int
    rule: str
    created_at: datetime


def alert_destination(subscriber: Subscriber) -> str:
    """The name alert deliveries are recorded under: ``alert:<platform>:<user>`` (the colon
    keeps it apart from configured destinations, as ``personal:`` does)."""
    return f"alert:{subscriber.platform}:{subscriber.user_id}"


class Alerts:
    """The subscribers' keyword alerts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, subscriber: Subscriber, rule: Rule, now: datetime, *, limit: int) -> Added:
        """Add ``rule`` for ``subscriber`` unless they have it already or have ``limit``
        alerts (checked in the same transaction: two quick commands cannot pass it)."""
        async with self._db.write() as conn:
            count = await conn.execute(
                sa.select(sa.func.count()).where(alerts.c.subscriber_id == subscriber.id)
            )
            have = int(count.scalar_one())
            exists = await conn.execute(
                sa.select(alerts.c.id).where(
                    alerts.c.subscriber_id == subscriber.id, alerts.c.identity == rule.identity
                )
            )
            if exists.first() is not None:
                return Added.EXISTS
            if have >= limit:
                return Added.FULL
            inserted = await conn.execute(
                insert_ignore(conn, alerts).values(
                    subscriber_id=subscriber.id,
                    rule=rule.text,
                    identity=rule.identity,
                    created_at=now,
                )
            )
            return Added.ADDED if inserted.rowcount else Added.EXISTS

    async def of(self, subscriber: Subscriber) -> list[StoredAlert]:
        """The subscriber's alerts, oldest first (``/alert`` numbers them in this order)."""
        query = (
            sa.select(alerts.c.id, alerts.c.subscriber_id, alerts.c.rule, alerts.c.created_at)
            .where(alerts.c.subscriber_id == subscriber.id)
            .order_by(alerts.c.id)
        )
        async with self._db.engine.connect() as conn:
            return [StoredAlert(*row) for row in await conn.execute(query)]

    async def remove(self, subscriber: Subscriber, alert_ids: list[int]) -> int:
        """Remove these alerts of ``subscriber`` (others' ids are ignored); returns how many."""
        if not alert_ids:
            return 0
        async with self._db.write() as conn:
            removed = await conn.execute(
                alerts.delete().where(
                    alerts.c.subscriber_id == subscriber.id, alerts.c.id.in_(alert_ids)
                )
            )
            return int(removed.rowcount or 0)

    async def active(self) -> list[tuple[StoredAlert, Subscriber]]:
        """Every alert of an active subscriber, with the subscriber, by alert id."""
        query = (
            sa.select(
                alerts.c.id.label("alert_id"),
                alerts.c.rule,
                alerts.c.created_at.label("alert_created_at"),
                subscribers,
            )
            .join(subscribers, subscribers.c.id == alerts.c.subscriber_id)
            .where(subscribers.c.active.is_(True))
            .order_by(alerts.c.id)
        )
        async with self._db.engine.connect() as conn:
            return [
                (
                    StoredAlert(row["alert_id"], row["id"], row["rule"], row["alert_created_at"]),
                    subscriber_of(row),
                )
                for row in (await conn.execute(query)).mappings()
            ]

    async def enriched_since(self, since: datetime) -> list[tuple[int, datetime, datetime]]:
        """(id, stored at, enriched at) of the articles enriched at or after ``since``, in
        the order they were enriched."""
        query = (
            sa.select(articles.c.id, articles.c.created_at, articles.c.enriched_at)
            .where(articles.c.enriched_at >= since)
            .order_by(articles.c.enriched_at, articles.c.id)
        )
        async with self._db.engine.connect() as conn:
            return [(row.id, row.created_at, row.enriched_at) for row in await conn.execute(query)]

    async def delivered_since(self, destination: str, since: datetime) -> int:
        """How many articles were delivered to ``destination`` since ``since``."""
        query = sa.select(sa.func.count()).where(
            sent_items.c.destination == destination, sent_items.c.sent_at >= since
        )
        async with self._db.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())
