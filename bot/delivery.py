"""Digests for destinations: what is new for one, composed, rendered and handed to its sender.

A story is new for a destination when none of its articles was sent there before; after a
digest is posted every article of its stories is marked sent, so a story is never repeated
there, even when more outlets report it later. The console is the embedded default's
destination: it prints to standard output. Chat platforms plug in as further senders.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import DestinationSettings
from digests.digest import StoryCandidate, StoryTopic, compose
from digests.errors import AlreadySent
from digests.i18n import Language
from digests.models import Article, Digest, TopicRef
from digests.outbox import Outbox
from digests.render_slack import render_slack
from digests.render_telegram import render_telegram
from digests.render_text import render_text
from digests.store import Store, TopicRow, record_sent

__all__ = [
    "ConsoleSender",
    "PreparedDigest",
    "build_digest",
    "payloads",
    "post_digest",
    "telegram_payloads",
]

log = logging.getLogger(__name__)

# Most fresh articles considered for one digest (a week of a busy feed list).
_MAX_FRESH = 5000
# How often a digest is composed again when some of its stories turned out to be sent already.
_COMPOSE_ATTEMPTS = 3


class ConsoleSender:
    """Prints digests to a text stream (standard output by default)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    async def send(self, destination: DestinationSettings, text: str) -> None:
        """Write ``text`` and flush, so that a digest appears whole and at once."""
        stream = self._stream or sys.stdout
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()


@dataclass(frozen=True, slots=True)
class PreparedDigest:
    """A composed digest and every article its stories cover (to mark sent after posting)."""

    digest: Digest
    article_ids: tuple[int, ...]


async def build_digest(
    store: Store, destination: DestinationSettings, now: datetime, *, breaking: bool = False
) -> PreparedDigest:
    """Compose the digest of the stories new for ``destination`` (nothing is marked sent)."""
    fresh = await store.unsent_articles(
        destination.name,
        since=now - timedelta(hours=destination.lookback_hours),
        limit=_MAX_FRESH,
        sources=destination.sources,  # the same filter compose() applies, done by the database
    )
    story_ids = sorted({a.story for a in fresh})
    already = await store.sent_stories(destination.name, story_ids)
    members = await store.story_articles([s for s in story_ids if s not in already])
    topics = await store.topics_of([a.id for articles in members.values() for a in articles])
    related = await store.related_of([articles[0].id for articles in members.values()])
    candidates = [
        StoryCandidate(
            story_id=story_id,
            articles=tuple(articles),
            topics=_story_topics(articles, topics, destination.language),
            related=tuple(related.get(articles[0].id, ())),
        )
        for story_id, articles in members.items()
    ]
    digest = compose(destination.name, candidates, now, destination.choices(breaking=breaking))
    if breaking:
        digest = Digest(digest.destination, digest.created_at, digest.sections, kind="breaking")
    shown = {item.article_id for item in digest.items}
    covered = tuple(
        a.id for articles in members.values() if {x.id for x in articles} & shown for a in articles
    )
    return PreparedDigest(digest, covered)


def _story_topics(
    articles: list[Article],
    topics: dict[int, list[tuple[TopicRow, float]]],
    language: Language,
) -> tuple[StoryTopic, ...]:
    best: dict[str, StoryTopic] = {}
    for article in articles:
        for row, weight in topics.get(article.id, ()):
            name = row.name_ar if language == "ar" else row.name_en
            if row.slug not in best or weight > best[row.slug].weight:
                best[row.slug] = StoryTopic(
                    TopicRef(row.slug, name), weight, taxonomy=row.origin == "taxonomy"
                )
    return tuple(best.values())


def payloads(
    digest: Digest, destination: DestinationSettings, bot_username: str | None
) -> list[str]:
    """The outbox payloads (JSON) of a digest rendered for the destination's platform."""
    if destination.platform == "slack":
        threads = destination.slack_threads
        messages = render_slack(
            digest, language=destination.language, timezone=destination.timezone, threads=threads
        )
        return [
            json.dumps(
                {"text": m.text, "blocks": list(m.blocks)}
                # Replies name the part whose message starts their thread; the sender looks
                # up its ts once that part is sent (parts of a chat go out in order).
                | ({"thread_of_part": 1} if threads and index > 1 else {}),
                ensure_ascii=False,
            )
            for index, m in enumerate(messages, start=1)
        ]
    return telegram_payloads(digest, destination, bot_username)


def telegram_payloads(
    digest: Digest, destination: DestinationSettings, bot_username: str | None
) -> list[str]:
    """The outbox payloads (JSON) of a digest rendered for Telegram."""
    messages = render_telegram(
        digest,
        language=destination.language,
        timezone=destination.timezone,
        bot_username=bot_username,
    )
    return [
        json.dumps(
            {"text": m.text, "disable_preview": m.disable_web_page_preview}, ensure_ascii=False
        )
        for m in messages
    ]


async def post_digest(
    store: Store,
    destination: DestinationSettings,
    sender: ConsoleSender,
    now: datetime,
    *,
    breaking: bool = False,
    outbox: Outbox | None = None,
    bot_username: str | None = None,
    period: datetime | None = None,
) -> int:
    """Compose, render and send one digest, then mark its stories sent; returns the item count.

    The console prints at once. Chat platforms go through the durable ``outbox``: the parts
    are queued and the stories marked sent in one transaction, and the sender delivers them.
    An empty period posts nothing, or the no-news line when the destination asks for it (the
    breaking lane never posts an empty message).

    Idempotent across instances sharing a database: the outbox key is the destination, the
    lane and ``period`` (the scheduled time the digest is for; ``now`` when not given) to the
    minute, so instances running the same schedule queue one digest; and when a story of the
    digest was meanwhile recorded as sent to the destination (``AlreadySent``: another
    instance's digest took it), nothing is queued and the digest is composed again without it
    (up to three times).
    """
    context = {"destination": destination.name}
    kind = "breaking" if breaking else "digest"
    key_time = (period or now).astimezone(UTC)
    digest_key = f"{destination.name}|{kind}|{key_time:%Y-%m-%dT%H:%M}"

    def already_queued() -> int:
        log.info("%s for %s UTC was already queued", kind, f"{key_time:%H:%M}", extra=context)
        return 0

    if outbox is not None and destination.platform != "console" and await outbox.queued(digest_key):
        return already_queued()  # another instance was first: no need to compose it again
    for _ in range(_COMPOSE_ATTEMPTS):
        prepared = await build_digest(store, destination, now, breaking=breaking)
        digest = prepared.digest
        if not digest.items and (breaking or destination.empty_digest == "skip"):
            log.debug("no new stories; nothing posted", extra=context)
            return 0
        if destination.platform == "console":
            text = render_text(digest, language=destination.language, timezone=destination.timezone)
            await sender.send(destination, text)
            await store.mark_sent(destination.name, prepared.article_ids, now)
            break
        if outbox is None or destination.chat is None:
            raise RuntimeError(f"destination {destination.name!r} needs the outbox and a chat")

        async def mark(conn: AsyncConnection, ids: tuple[int, ...] = prepared.article_ids) -> None:
            await record_sent(conn, destination.name, ids, now, strict=True)

        try:
            queued = await outbox.enqueue(
                destination.name,
                destination.platform,
                destination.chat,
                str(destination.thread_id) if destination.thread_id else None,
                digest_key,
                payloads(digest, destination, bot_username),
                now,
                also=mark,
            )
        except AlreadySent as exc:  # e.g. another instance's breaking lane: compose again
            log.info("%s composed again: %s", kind, exc, extra=context)
            continue
        if not queued:  # another instance queued it between our check and our insert
            return already_queued()
        break
    else:
        log.warning("%s not posted: its stories kept being sent elsewhere", kind, extra=context)
        return 0
    lane = "breaking news" if breaking else "digest"
    log.info("%s posted with %d stories", lane, len(digest.items), extra=context)
    return len(digest.items)
