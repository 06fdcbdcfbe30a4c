"""Keyword alerts on a real database: once per person, only what arrived after the alert,
the hourly limit (and what it says about what it held back), inactive subscribers."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from digests.clock import utcnow
from digests.deliver.alerts import AlertSettings, queue_alerts
from digests.ingest.settings import FeedSettings
from digests.models import Entry
from digests.store import Store
from digests.store.alerts import Added
from digests.store.schema import outbox, subscribers
from digests.store.subscriptions import Subscriber
from digests.text.enrich import Enrichment
from digests.text.keywords import parse_rule
from digests.text.query import index_terms

NOW = utcnow()
# Written for these tests.
SUDAN = [
    ("محادثات سودانية جديدة في جدة", "استؤنفت في جدة المحادثات بين طرفي النزاع في السودان."),
    ("السودان: هدنة لثلاثة أيام", "أعلن الجيش السوداني هدنة إنسانية لثلاثة أيام في الخرطوم."),
    ("وفد سوداني في القاهرة", "وصل وفد من السودان إلى القاهرة لبحث المساعدات الإنسانية."),
    ("السودانيون يعودون إلى أم درمان", "عاد آلاف السودانيين إلى منازلهم في أم درمان."),
]
OTHER = ("أسعار القهوة ترتفع", "ارتفعت أسعار القهوة في الأسواق العالمية هذا الأسبوع.")


async def _feed(store: Store) -> None:
    await store.feeds.sync_config([FeedSettings(url="https://a.example/rss", name="أ")], NOW)


async def _arrive(store: Store, stories: list[tuple[str, str]], at: object) -> list[int]:
    """Store and enrich ``stories`` (stored at ``at``), as a poll would."""
    [feed] = await store.feeds.all()
    base = len(await store.alerts.enriched_since(NOW - timedelta(days=1)))
    entries = [
        Entry(f"g{base + n}", f"https://a.example/{base + n}", title, NOW, text)
        for n, (title, text) in enumerate(stories)
    ]
    created = await store.articles.insert_entries(
        feed,
        entries,
        at,
        dedup_window=timedelta(seconds=1),  # type: ignore[arg-type]
    )
    ids = [c.article.id for c in created]
    await store.topics.save_enrichments(
        [
            Enrichment(i, i, search_title=index_terms(title), search_body=index_terms(text))
            for i, (title, text) in zip(ids, stories, strict=True)
        ],
        at,  # type: ignore[arg-type]
    )
    return ids


async def _subscriber(store: Store, user: str, rule: str) -> Subscriber:
    sub = await store.subscriptions.get_or_create("telegram", user, user, NOW - timedelta(hours=2))
    assert await store.alerts.add(sub, parse_rule(rule), NOW - timedelta(hours=1), limit=5) is (
        Added.ADDED
    )
    return sub


async def _messages(store: Store, chat: str) -> list[str]:
    """The text of every alert message queued to ``chat``."""
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(outbox.c.payload).where(outbox.c.chat == chat).order_by(outbox.c.id)
        )
        # Without the invisible isolates around digits (what a reader sees).
        texts = [json.loads(row.payload)["text"] for row in rows]
        return [text.replace("\u2068", "").replace("\u2069", "") for text in texts]


async def test_a_match_is_queued_once_and_only_for_articles_after_the_alert(store: Store) -> None:
    await _feed(store)
    await _arrive(store, [SUDAN[0]], NOW - timedelta(hours=2))  # before the alert
    await _subscriber(store, "1", "السودان")
    await _arrive(store, [SUDAN[1], OTHER], NOW - timedelta(minutes=1))

    settings = AlertSettings()
    assert await queue_alerts(store, settings, NOW) == 1
    assert await queue_alerts(store, settings, NOW + timedelta(seconds=30)) == 0  # once
    [message] = await _messages(store, "1")
    assert SUDAN[1][0] in message and "«السودان»" in message
    assert SUDAN[0][0] not in message and OTHER[0] not in message


async def test_each_person_gets_their_own_matches(store: Store) -> None:
    await _feed(store)
    await _subscriber(store, "1", "السودان -القاهرة")
    await _subscriber(store, "2", "القاهرة")
    await _arrive(store, SUDAN[:3], NOW - timedelta(minutes=1))

    assert await queue_alerts(store, AlertSettings(), NOW) == 3
    [first] = await _messages(store, "1")
    [second] = await _messages(store, "2")
    assert SUDAN[0][0] in first and SUDAN[1][0] in first and SUDAN[2][0] not in first
    assert SUDAN[2][0] in second and SUDAN[0][0] not in second


async def test_the_hourly_limit_holds_back_and_says_so(store: Store) -> None:
    await _feed(store)
    await _subscriber(store, "1", "السودان")
    await _arrive(store, SUDAN[:3], NOW - timedelta(minutes=1))
    settings = AlertSettings(max_per_hour=2)

    assert await queue_alerts(store, settings, NOW) == 2
    [message] = await _messages(store, "1")
    assert "حدها لهذه الساعة" in message and ": 1 (" in message  # one held back
    # More news within the hour: nothing may be sent, one notice says so (once an hour).
    await _arrive(store, [SUDAN[3]], NOW + timedelta(minutes=2))
    assert await queue_alerts(store, settings, NOW + timedelta(minutes=3)) == 0
    await _arrive(store, [("السودان يستقبل مساعدات", "وصلت مساعدات إلى السودان.")], NOW)
    assert await queue_alerts(store, settings, NOW + timedelta(minutes=4)) == 0
    messages = await _messages(store, "1")
    assert len(messages) == 2 and SUDAN[3][0] not in messages[1]
    assert "حدها لهذه الساعة" in messages[1]
    # An hour later the allowance is back.
    later = NOW + timedelta(hours=1, minutes=5)
    await _arrive(store, [("وزير سوداني يزور أديس أبابا", "زار وزير سوداني إثيوبيا.")], later)
    assert await queue_alerts(store, settings, later + timedelta(seconds=5)) == 1


async def test_an_inactive_subscriber_gets_nothing(store: Store) -> None:
    await _feed(store)
    sub = await _subscriber(store, "1", "السودان")
    async with store.db.write() as conn:
        await conn.execute(
            subscribers.update().where(subscribers.c.id == sub.id).values(active=False)
        )
    await _arrive(store, [SUDAN[1]], NOW - timedelta(minutes=1))
    assert await queue_alerts(store, AlertSettings(), NOW) == 0
    assert await _messages(store, "1") == []


async def test_the_store_keeps_a_rule_once_and_within_the_limit(store: Store) -> None:
    sub = await store.subscriptions.get_or_create("slack", "U1", "C1", NOW)
    alerts = store.alerts
    assert await alerts.add(sub, parse_rule("إيران -كرة"), NOW, limit=2) is Added.ADDED
    assert await alerts.add(sub, parse_rule("-كرة ايران"), NOW, limit=2) is Added.EXISTS
    assert await alerts.add(sub, parse_rule("العراق"), NOW, limit=2) is Added.ADDED
    assert await alerts.add(sub, parse_rule("سوريا"), NOW, limit=2) is Added.FULL
    mine = await alerts.of(sub)
    assert [a.rule for a in mine] == ["إيران -كرة", "العراق"]
    other = await store.subscriptions.get_or_create("slack", "U2", "C1", NOW)
    assert await alerts.remove(other, [mine[0].id]) == 0  # not theirs
    assert await alerts.remove(sub, [mine[0].id]) == 1
    assert [a.rule for a in await alerts.of(sub)] == ["العراق"]
