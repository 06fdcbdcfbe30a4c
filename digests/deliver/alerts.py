"""Keyword alerts: new articles matched against every subscriber's rules, queued once each.

``queue_alerts`` runs after each poll (on one instance): the articles enriched since the last
run (with a look-back, so an article another instance enriched a moment earlier is not
missed) are matched with a ``RuleIndex`` over every active subscriber's alerts, against the
keys the search index stores for them: an alert finds what a search for its words would.
An article counts for an alert only when it arrived after the alert was set.

Each subscriber gets one message per run with what their alerts found, grouped by alert,
through the outbox (its rate limits, retries and ordering). The articles are recorded as sent
to the subscriber's alert destination in the same transaction, so an article reaches a person
once, however many alerts match it and however many runs see it. At most ``max_per_hour``
articles an hour are sent to one person; what matched beyond that is counted in the message
("N more matched: search for them"), recorded apart (``alert:<platform>:<user>|held``: not
counted against the next hour) and not sent later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated

from pydantic import ConfigDict, Field

from digests.compose.destination import Destination
from digests.compose.i18n import t
from digests.deliver.queue import alert_items, payloads
from digests.errors import AlreadySent
from digests.models import Digest, DigestSection, TopicRef
from digests.render import slack, telegram
from digests.store import Store
from digests.store.alerts import StoredAlert, alert_destination
from digests.store.outbox import SentStories
from digests.store.subscriptions import Subscriber
from digests.text.keywords import ArticleKeys, Rule, RuleError, RuleIndex, parse_rule

__all__ = ["LOOKBACK", "AlertSettings", "queue_alerts"]

log = logging.getLogger(__name__)

LOOKBACK = timedelta(minutes=5)
"""How far before the last run articles are matched again (deliveries stay once each)."""
_CURSOR = "alerts_checked_at"
_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """Keyword alerts (``[alerts]``)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    max_per_user: Annotated[
        int, Field(ge=1, le=200, description="Most keyword alerts one subscriber may set.")
    ] = 20
    max_per_hour: Annotated[
        int,
        Field(
            ge=1,
            le=500,
            description="Most articles alerts send one subscriber in an hour; the rest are "
            "counted in the message, not sent.",
        ),
    ] = 10


@dataclass
class _Found:
    """What one subscriber's alerts found in this run."""

    subscriber: Subscriber
    by_alert: dict[int, list[int]] = field(default_factory=dict)  # alert id → article ids
    rules: dict[int, str] = field(default_factory=dict)


@lru_cache(maxsize=1 << 14)
def _rule(text: str) -> Rule | None:
    try:
        return parse_rule(text)
    except RuleError:  # no longer valid under today's rules (stop words changed): skip it
        return None


async def queue_alerts(
    store: Store, settings: AlertSettings, now: datetime, *, bot_username: str | None = None
) -> int:
    """Match the articles enriched since the last run and queue what each subscriber's
    alerts found (see the module doc); returns how many articles were queued."""
    last = await store.meta.get(_CURSOR)
    since = (datetime.fromisoformat(last) if last else now) - LOOKBACK
    new = await store.alerts.enriched_since(since)
    found: dict[int, _Found] = {}
    rows = await store.alerts.active() if new else []
    if rows:
        alerts: dict[int, tuple[StoredAlert, Subscriber]] = {}
        index: RuleIndex[int] = RuleIndex()
        for alert, subscriber in rows:
            rule = _rule(alert.rule)
            if rule is not None:
                alerts[alert.id] = (alert, subscriber)
                index.add(alert.id, rule)
        texts = await store.search.index_text([article_id for article_id, _, _ in new])
        for article_id, stored_at, _ in new:
            if article_id not in texts:
                continue
            title, body = texts[article_id]
            for alert_id in index.match(ArticleKeys.of(title.split(), body.split())):
                alert, subscriber = alerts[alert_id]
                if stored_at < alert.created_at:
                    continue  # the article arrived before the alert was set
                mine = found.setdefault(subscriber.id, _Found(subscriber))
                mine.by_alert.setdefault(alert_id, []).append(article_id)
                mine.rules[alert_id] = alert.rule
    queued = 0
    for mine in found.values():
        try:
            queued += await _queue_one(store, settings, mine, now, bot_username)
        except Exception:  # one subscriber's failure never stops the others
            name = alert_destination(mine.subscriber)
            log.exception("alerts not queued", extra={"destination": name})
    newest = max((enriched for _, _, enriched in new), default=now)
    await store.meta.set(_CURSOR, max(newest, since + LOOKBACK).isoformat())
    return queued


async def _queue_one(
    store: Store,
    settings: AlertSettings,
    found: _Found,
    now: datetime,
    bot_username: str | None,
) -> int:
    """Queue one subscriber's alert message; returns how many articles it carries."""
    subscriber = found.subscriber
    name = alert_destination(subscriber)
    held_name = f"{name}|held"  # what the hourly limit held back: never sent, not counted
    every = sorted({a for ids in found.by_alert.values() for a in ids})
    already = await store.articles.sent_among(name, every)
    already |= await store.articles.sent_among(held_name, every)
    fresh = [a for a in every if a not in already]
    if not fresh:
        return 0
    room = max(0, settings.max_per_hour - await store.alerts.delivered_since(name, now - _HOUR))
    sent, held = fresh[:room], fresh[room:]
    if sent:
        key = f"{name}|{sent[0]}-{sent[-1]}|{len(sent)}"
    else:  # the hour's allowance is used up: say so, at most once an hour
        key = f"{name}|held|{now.isoformat()}"
        if await store.outbox.queued_since(f"{name}|held|", now - _HOUR):
            await store.articles.mark_sent(held_name, held, now)
            return 0
    # Slack: the subscriber's direct messages with the app (their chat is the channel they
    # typed the command in, which others read); Telegram: the chat they talk to the bot in.
    chat = subscriber.user_id if subscriber.platform == "slack" else subscriber.chat_id
    destination = Destination(
        name=name,
        platform=subscriber.platform,
        chat=chat,
        language=subscriber.language,
        timezone=subscriber.timezone,
    )
    spell = slack.command if subscriber.platform == "slack" else telegram.command
    lang = subscriber.language
    note = t("alert_held", lang, spell=spell, count=len(held)) if held else ""
    digest = await _digest(store, destination, found, sent, now, note)
    try:
        queued = await store.outbox.enqueue(
            name,
            subscriber.platform,
            chat,
            None,
            key,
            payloads(digest, destination, bot_username),
            now,
            sent=SentStories(name, tuple(sent)),
        )
    except AlreadySent:  # another run took some of them a moment ago: the next run sees
        return 0
    if queued and held:
        await store.articles.mark_sent(held_name, held, now)
    if queued:
        log.info(
            "alerts queued: %d articles, %d held back by the hourly limit",
            len(sent),
            len(held),
            extra={"destination": name},
        )
    return len(sent) if queued else 0


async def _digest(
    store: Store,
    destination: Destination,
    found: _Found,
    sent: list[int],
    now: datetime,
    note: str,
) -> Digest:
    """The alert message as a digest: a section per alert with its articles (each article
    once, under the first alert that found it), and the note about what was held back."""
    items = await alert_items(store, destination, sent)
    sections = []
    placed: set[int] = set()
    for alert_id, ids in found.by_alert.items():
        mine = [items[a] for a in ids if a in items and a not in placed]
        placed.update(ids)
        if mine:
            heading = TopicRef(slug="", name=f"«{found.rules[alert_id]}»")
            sections.append(DigestSection(topic=heading, items=tuple(mine)))
    return Digest(destination.name, now, tuple(sections), kind="alert", note=note)
