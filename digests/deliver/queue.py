"""Digests for destinations: what is new for one, composed, rendered and queued for sending.

A story is new for a destination when none of its articles was sent there before; when a
digest is queued, every article of its stories is recorded as sent there in the same
transaction, so a story is never repeated, even when more outlets report it later.

``queue_digest`` is the one way a digest reaches a chat, for configured channels and for
subscribers' personal digests alike: compose what is new, render it for the platform, and
store the parts in the outbox together with the sent records, under a key that makes it
happen once (several instances running the same schedule queue one digest). The console is
the embedded default's destination: ``post_digest`` prints it at once.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from digests import metrics
from digests.compose.archive import DigestAddress, archive_link, digest_address
from digests.compose.destination import Destination
from digests.compose.digest import StoryCandidate, StoryTopic, compose, story_item
from digests.compose.i18n import Language
from digests.errors import AlreadySent
from digests.models import Article, ChatPlatform, Digest, DigestItem, TopicRef, TopicRow
from digests.render.slack import image_block, render_slack
from digests.render.telegram import fits_caption, render_telegram
from digests.render.text import render_text
from digests.store import Store
from digests.store.archive import ArchiveRecord
from digests.store.outbox import SentStories
from digests.store.subscriptions import Subscriber
from digests.text.keywords import ArticleKeys

__all__ = [
    "ArchiveSlot",
    "ConsoleSender",
    "PreparedDigest",
    "alert_items",
    "build_digest",
    "digest_key",
    "payloads",
    "personal_destination",
    "post_digest",
    "queue_digest",
    "queue_personal_digests",
    "story_topics",
]

log = logging.getLogger(__name__)

# Most fresh articles considered for one digest (a week of a busy feed list).
_MAX_FRESH = 5000
# How often a digest is composed again when some of its stories turned out to be sent already.
_COMPOSE_ATTEMPTS = 3
_NO_KEYS = ArticleKeys.of((), ())  # an article not indexed yet matches no keyword rule


class ConsoleSender:
    """Prints digests to a text stream (standard output by default)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    async def send(self, destination: Destination, text: str) -> None:
        """Write ``text`` and flush, so that a digest appears whole and at once."""
        stream = self._stream or sys.stdout
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()


@dataclass(frozen=True, slots=True)
class ArchiveSlot:
    """Where a configured destination's digest is archived for the web (``compose.archive``),
    the time it is for, and the archive link its message carries (None: no link)."""

    address: DigestAddress
    scheduled_at: datetime
    link: str | None = None


@dataclass(frozen=True, slots=True)
class PreparedDigest:
    """A composed digest and every article its stories cover (to mark sent after posting)."""

    digest: Digest
    article_ids: tuple[int, ...]


async def build_digest(
    store: Store, destination: Destination, now: datetime, *, breaking: bool = False
) -> PreparedDigest:
    """Compose the digest of the stories new for ``destination`` (nothing is marked sent)."""
    fresh = await store.articles.unsent(
        destination.name,
        since=now - timedelta(hours=destination.lookback_hours),
        limit=_MAX_FRESH,
        sources=destination.sources,  # the same filter compose() applies, done by the database
    )
    story_ids = sorted({a.story for a in fresh})
    already = await store.articles.sent_stories(destination.name, story_ids)
    members = await store.articles.of_stories([s for s in story_ids if s not in already])
    topics = await store.topics.of_articles(
        [a.id for articles in members.values() for a in articles]
    )
    related = await store.topics.related_of([articles[0].id for articles in members.values()])
    keys: dict[int, ArticleKeys] = {}
    if destination.keywords or destination.exclude_keywords:
        index = await store.search.index_text([a.id for arts in members.values() for a in arts])
        keys = {i: ArticleKeys.of(t.split(), b.split()) for i, (t, b) in index.items()}
    candidates = [
        StoryCandidate(
            story_id=story_id,
            articles=tuple(articles),
            topics=story_topics(articles, topics, destination.language),
            related=tuple(related.get(articles[0].id, ())),
            keys=tuple(keys.get(a.id, _NO_KEYS) for a in articles) if keys else (),
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


async def alert_items(
    store: Store, destination: Destination, article_ids: Iterable[int]
) -> dict[int, DigestItem]:
    """Each article as a digest item of its own (summary, topics), for alert messages and
    the web archive's story pages."""
    loaded = await store.articles.by_ids(sorted(set(article_ids)))
    topics = await store.topics.of_articles(list(loaded))
    choices = destination.choices()
    return {
        article.id: story_item(
            StoryCandidate(
                story_id=article.story,
                articles=(article,),
                topics=story_topics([article], topics, destination.language),
            ),
            (article,),
            choices,
        )
        for article in loaded.values()
    }


def story_topics(
    articles: list[Article],
    topics: dict[int, list[tuple[TopicRow, float]]],
    language: Language,
) -> tuple[StoryTopic, ...]:
    """A story's topics from its articles' (``Topics.of_articles``), each at its best
    weight, named in ``language``."""
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
    digest: Digest,
    destination: Destination,
    bot_username: str | None,
    *,
    archive_url: str | None = None,
) -> list[str]:
    """The outbox payloads (JSON) of a digest rendered for the destination's platform, with
    a link to its page in the web archive when ``archive_url`` is given. A message telling
    one story with a lead image carries it when the destination shows images (``images``;
    unset: the breaking lane's): Telegram's as ``"photo"`` (the text is then its caption, so
    only when it fits), Slack's as an image block."""
    shows = destination.images if destination.images is not None else digest.kind == "breaking"
    lone = digest.items[0] if shows and len(digest.items) == 1 else None
    photo = lone.image if lone is not None else None
    if destination.platform == "slack":
        threads = destination.slack_threads
        messages = render_slack(
            digest,
            language=destination.language,
            timezone=destination.timezone,
            threads=threads,
            archive_url=archive_url,
        )
        image = [image_block(photo, lone.title)] if photo and lone and len(messages) == 1 else []
        return [
            json.dumps(
                {"text": m.text, "blocks": [*m.blocks, *image]}
                # Replies name the part whose message starts their thread; the sender looks
                # up its ts once that part is sent (parts of a chat go out in order).
                | ({"thread_of_part": 1} if threads and index > 1 else {}),
                ensure_ascii=False,
            )
            for index, m in enumerate(messages, start=1)
        ]
    rendered = render_telegram(
        digest,
        language=destination.language,
        timezone=destination.timezone,
        bot_username=bot_username,
        archive_url=archive_url,
    )
    with_photo = photo is not None and len(rendered) == 1 and fits_caption(rendered[0].text)
    return [
        json.dumps(
            {"text": m.text, "disable_preview": m.disable_web_page_preview}
            | ({"photo": photo} if with_photo else {}),
            ensure_ascii=False,
        )
        for m in rendered
    ]


def context_of(destination: Destination) -> dict[str, str]:
    """The log context of a destination's lines."""
    return {"destination": destination.name}


def digest_key(destination: Destination, when: datetime, *, breaking: bool = False) -> str:
    """The outbox key of a destination's digest for the time ``when`` (to the minute, UTC):
    instances running the same schedule derive the same key, so one of them queues it."""
    kind = "breaking" if breaking else "digest"
    return f"{destination.name}|{kind}|{when.astimezone(UTC):%Y-%m-%dT%H:%M}"


async def queue_digest(
    store: Store,
    destination: Destination,
    now: datetime,
    key: str,
    *,
    breaking: bool = False,
    bot_username: str | None = None,
    archive: ArchiveSlot | None = None,
) -> int:
    """Compose what is new for a chat ``destination``, render it and queue it under ``key``,
    its stories recorded as sent there in the same transaction; returns how many stories.
    With ``archive``, a digest with stories is also archived for the web in that transaction
    and carries the slot's archive link.

    Nothing is queued (0) for an empty period (unless the destination asks for the no-news
    line; the breaking lane never posts an empty message), nor when ``key`` was queued already
    (by this or another instance). When a story of the digest was meanwhile recorded as sent
    to the destination (``AlreadySent``: another instance's digest took it), the digest is
    composed again without it, up to three times.
    """
    context = context_of(destination)
    if destination.chat is None:
        raise ValueError(f"destination {destination.name!r} has no chat to post to")
    if await store.outbox.queued(key):
        log.info("%s was already queued", key, extra=context)
        return 0  # another instance was first: no need to compose it again
    for _ in range(_COMPOSE_ATTEMPTS):
        prepared = await build_digest(store, destination, now, breaking=breaking)
        digest = prepared.digest
        if not digest.items and (breaking or destination.empty_digest == "skip"):
            log.debug("no new stories; nothing queued", extra=context)
            return 0
        archived = archive if archive is not None and digest.items else None
        link = archived.link if archived is not None else None
        try:
            queued = await store.outbox.enqueue(
                destination.name,
                destination.platform,
                destination.chat,
                destination.thread,
                key,
                payloads(digest, destination, bot_username, archive_url=link),
                now,
                sent=SentStories(destination.name, prepared.article_ids),
                archive=ArchiveRecord(archived.address, archived.scheduled_at, digest)
                if archived is not None
                else None,
            )
        except AlreadySent as exc:  # e.g. another instance's breaking lane: compose again
            log.info("%s composed again: %s", key, exc, extra=context)
            continue
        if not queued:  # another instance queued it between our check and our insert
            log.info("%s was already queued", key, extra=context)
            return 0
        log.info("%s queued with %d stories", key, len(digest.items), extra=context)
        return len(digest.items)
    log.warning("%s not queued: its stories kept being sent elsewhere", key, extra=context)
    return 0


async def post_digest(
    store: Store,
    destination: Destination,
    console: ConsoleSender,
    now: datetime,
    *,
    breaking: bool = False,
    bot_username: str | None = None,
    period: datetime | None = None,
    web_base_url: str | None = None,
) -> int:
    """Post one digest of ``destination``; returns the item count.

    The console prints at once and marks the stories sent. A chat destination goes through
    ``queue_digest`` keyed by ``period`` (the scheduled time the digest is for; ``now`` when
    not given). A digest with stories is archived for the web under the address of that
    time (``compose.archive``); a public destination's message links to its page when
    ``web_base_url`` (``[web] base_url``) is given.
    """
    when = period or now
    address = digest_address(destination, when, breaking=breaking)
    slot = ArchiveSlot(address, when, archive_link(web_base_url, destination, address))
    if destination.platform != "console":
        key = digest_key(destination, when, breaking=breaking)
        return await queue_digest(
            store,
            destination,
            now,
            key,
            breaking=breaking,
            bot_username=bot_username,
            archive=slot,
        )
    prepared = await build_digest(store, destination, now, breaking=breaking)
    digest = prepared.digest
    if not digest.items and (breaking or destination.empty_digest == "skip"):
        log.debug("no new stories; nothing posted", extra=context_of(destination))
        return 0
    text = render_text(digest, language=destination.language, timezone=destination.timezone)
    await console.send(destination, text)
    await store.articles.mark_sent(destination.name, prepared.article_ids, now)
    if digest.items:
        await store.archive.record(ArchiveRecord(address, when, digest))
    lane = "breaking news" if breaking else "digest"
    log.info("%s printed with %d stories", lane, len(digest.items), extra=context_of(destination))
    return len(digest.items)


def personal_destination(subscriber: Subscriber, slugs: Iterable[str]) -> Destination:
    """The destination of ``subscriber``'s personal digest: only ``slugs``, in their language
    and time zone, to their own chat, named ``personal:<platform>:<user>`` (the colon keeps it
    apart from every configured destination, whose names cannot hold one)."""
    return Destination(
        name=f"personal:{subscriber.platform}:{subscriber.user_id}",
        platform=subscriber.platform,
        chat=subscriber.chat_id,
        topics=tuple(slugs),
        language=subscriber.language,
        timezone=subscriber.timezone,
    )


async def queue_personal_digests(
    store: Store,
    now: datetime,
    *,
    bot_username: str | None = None,
    platforms: Collection[ChatPlatform] | None = None,
) -> int:
    """Queue the personal digest of every subscriber whose time has come (``queue_digest``,
    keyed by the subscriber's local day, so a day's digest is queued once); returns how many
    were queued. A subscriber with nothing new that day gets nothing, and is done for it.
    With ``platforms``, only subscribers on those platforms (the others wait, untouched).

    One subscriber's failure (a row that cannot be composed or rendered, a database error)
    never holds back the others: it is logged with the subscriber's context, counted in
    ``personal_digest_failures_total``, and that subscriber is tried again on the next call
    (the day's key keeps a retry from queuing the digest twice)."""
    queued = 0
    for subscriber in await store.subscriptions.due_personal_digests(now, platforms=platforms):
        try:
            queued += await _queue_personal_digest(store, subscriber, now, bot_username)
        except Exception:
            context = {
                "destination": personal_destination(subscriber, ()).name,
                "platform": subscriber.platform,
                "user": subscriber.user_id,
            }
            log.exception("personal digest of subscriber %d failed", subscriber.id, extra=context)
            metrics.record_personal_digest_failure(subscriber.platform)
    return queued


async def _queue_personal_digest(
    store: Store, subscriber: Subscriber, now: datetime, bot_username: str | None
) -> int:
    """Queue one subscriber's digest for its local day and mark the day done; 1 if queued."""
    slugs = [topic.slug for topic in await store.subscriptions.followed(subscriber)]
    queued = 0
    if slugs:
        destination = personal_destination(subscriber, slugs)
        local_day = now.astimezone(ZoneInfo(subscriber.timezone))
        key = f"{destination.name}|{local_day:%Y-%m-%d}"
        count = await queue_digest(store, destination, now, key, bot_username=bot_username)
        queued = 1 if count else 0
    await store.subscriptions.mark_personal_sent(subscriber, now)
    return queued
