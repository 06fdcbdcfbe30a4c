"""Live updates: a posted story that more outlets report is edited, never posted again.

When, within the story window (``topics.story_window_hours``), articles of a story posted to
a chat destination arrive that the destination has not been sent (after its ``sources``
filter), ``queue_updates`` rewrites the message that told the story: it queues **edits** in
the outbox, parts whose payload names the part they rewrite (``"edit_of": {"digest_key",
"part"}``); the sender then calls the platform's edit (Telegram ``editMessageText``, Slack
``chat.update``) through the same rate limiter, and drops an edit silently when its message
was deleted meanwhile. ``store.posts`` finds the digest that first told each story, of one of
two kinds:

- **A story's post** (the breaking lane's usual post, or a digest of one story in one
  message): the story is composed again with all its articles (its brief, "also reported
  by" every outlet) and rendered as the original message was. An update that would not fit
  one message is not queued.
- **A digest of several stories, or of several parts**: the digest as archived
  (``store.archive``: every posted digest with stories is) is rebuilt, each grown story's
  item composed again with all its articles (its related links kept) and every other item
  unchanged, and rendered as it was posted (same archive link). When that gives another
  number of parts than were posted, nothing is edited (logged at info; the new articles are
  recorded as sent, so that the digest is not rebuilt at every pass and its other stories
  can still be updated; a later article of the story tries again with all of them).
  Otherwise only the parts whose payload differs from what the message shows now (its latest
  edit, else its first payload) are edited, all in one outbox entry, and the rebuilt digest
  replaces the archived one in that transaction, so the web page shows what the chat shows.
  When no part changes, the new articles are recorded as sent without an edit; a digest
  that was not archived (posted before the archive existed) is left alone.

Rules, for both:

- The new articles are recorded as sent with the edits, in one transaction: the story is
  never posted a second time (``queue_digest`` leaves out a story sent before) and the same
  articles never cause a second edit. When another instance recorded them first, that
  transaction fails (``AlreadySent``) and the update is left to the other instance's edit.
- At most one edit every ``update_min_minutes`` per message (digest key and part): an update
  that would edit a message edited more recently waits whole (its articles stay unsent) and
  goes out on a later call, with whatever else arrived meanwhile.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from digests.compose.archive import archive_link, digest_address
from digests.compose.destination import Destination
from digests.compose.digest import StoryCandidate, compose, story_item
from digests.deliver.queue import payloads, story_topics
from digests.errors import AlreadySent
from digests.models import Article, Digest, DigestItem
from digests.store import Store
from digests.store.archive import ArchiveRecord
from digests.store.outbox import SentStories
from digests.store.posts import UPDATE_MARK, DigestPost, StoryPost

__all__ = ["digest_update_key", "queue_updates", "update_key"]

log = logging.getLogger(__name__)


def update_key(destination: Destination, story_id: int, when: datetime | None = None) -> str:
    """The outbox key of an update of a story's post (its prefix without ``when``)."""
    prefix = f"{destination.name}{UPDATE_MARK}{story_id}|"
    return prefix if when is None else f"{prefix}{when.astimezone(UTC):%Y-%m-%dT%H:%M:%S}"


def digest_update_key(
    destination: Destination, digest_key: str, when: datetime | None = None
) -> str:
    """The outbox key of an update of the messages of the digest ``digest_key`` (its prefix
    without ``when``); ``of:`` keeps it apart from a story's (``update_key``), whatever the
    destination's name."""
    prefix = f"{destination.name}{UPDATE_MARK}of:{digest_key}|"
    return prefix if when is None else f"{prefix}{when.astimezone(UTC):%Y-%m-%dT%H:%M:%S}"


async def queue_updates(
    store: Store,
    destination: Destination,
    now: datetime,
    *,
    window: timedelta,
    bot_username: str | None = None,
    web_base_url: str | None = None,
) -> int:
    """Queue an edit of each message of ``destination`` (posted within ``window``) that tells
    a story with new articles there; returns how many messages will be edited (see the
    module docstring). ``web_base_url`` keeps the archive link the messages carried."""
    if destination.chat is None or destination.platform == "console":
        return 0
    posts = await store.posts.since(destination.name, now - window)
    # The digests' stories and what was sent of them, in two queries however many digests.
    # The sent records are read before any archived digest: an update another instance
    # commits meanwhile is then in neither (its articles look new here, and recording them
    # fails with AlreadySent) or in the archive too.
    stories = sorted({s for post in posts if isinstance(post, DigestPost) for s in post.stories})
    members = await store.articles.of_stories(stories)
    every = [a.id for articles in members.values() for a in articles]
    sent = await store.articles.sent_among(destination.name, every)
    queued = 0
    for post in posts:
        try:
            if isinstance(post, StoryPost):
                queued += await _queue_update(
                    store, destination, post, now, bot_username, web_base_url
                )
                continue
            new = {
                story: tuple(a.id for a in _shown(destination, articles) if a.id not in sent)
                for story, articles in members.items()
                if story in post.stories
            }
            if any(new.values()):
                queued += await _queue_digest_update(
                    store, destination, post, members, new, now, bot_username, web_base_url
                )
        except AlreadySent:  # another instance recorded them first: its edit tells them
            continue
    return queued


async def _queue_update(
    store: Store,
    destination: Destination,
    post: StoryPost,
    now: datetime,
    bot_username: str | None,
    web_base_url: str | None,
) -> int:
    members = (await store.articles.of_stories([post.story_id])).get(post.story_id, [])
    shown = _shown(destination, members)
    sent = await store.articles.sent_among(destination.name, [a.id for a in members])
    new = tuple(a.id for a in shown if a.id not in sent)
    if not new:
        return 0
    pace = timedelta(minutes=destination.update_min_minutes)
    if await store.outbox.queued_since(update_key(destination, post.story_id), now - pace):
        return 0  # edited a moment ago: these articles wait for the next update
    breaking = "|breaking|" in post.digest_key
    topics = await store.topics.of_articles([a.id for a in members])
    story = StoryCandidate(
        post.story_id, tuple(members), story_topics(members, topics, destination.language)
    )
    # The story passed the destination's filters when it was posted; only ``sources`` and the
    # limits still apply to what it shows.
    choices = dataclasses.replace(
        destination.choices(breaking=breaking),
        topics=frozenset(),
        exclude_topics=frozenset(),
        keywords=(),
        exclude_keywords=(),
    )
    composed = compose(destination.name, [story], post.posted_at, choices)
    digest = Digest(
        destination.name,
        post.posted_at,
        composed.sections,
        kind="breaking" if breaking else "digest",
    )
    if not digest.items:
        return 0
    address = digest_address(
        destination, _scheduled(post.digest_key, post.posted_at), breaking=breaking
    )
    link = archive_link(web_base_url, destination, address)
    parts = payloads(digest, destination, bot_username, archive_url=link)
    if len(parts) != 1:
        log.info("update of story %d does not fit one message", post.story_id)
        return 0
    done = await store.outbox.enqueue(
        destination.name,
        post.platform,
        post.chat,
        post.thread,
        update_key(destination, post.story_id, now),
        [_edit(parts[0], post.digest_key, 1)],
        now,
        sent=SentStories(destination.name, new),
    )
    return 1 if done else 0


async def _queue_digest_update(
    store: Store,
    destination: Destination,
    post: DigestPost,
    members: dict[int, list[Article]],
    new: dict[int, tuple[int, ...]],
    now: datetime,
    bot_username: str | None,
    web_base_url: str | None,
) -> int:
    """Edit the parts of a digest of several stories (or parts) that its grown stories
    change (``new``: each of its stories' articles not yet sent); how many parts were
    queued for editing."""
    context = {"destination": destination.name}
    breaking = "|breaking|" in post.digest_key
    scheduled = _scheduled(post.digest_key, post.posted_at)
    address = digest_address(destination, scheduled, breaking=breaking)
    archived = await store.archive.find(address)
    if archived is None:
        log.debug("%s has no archived digest to update", post.digest_key, extra=context)
        return 0
    digest, told = await _rebuilt(store, destination, archived.digest, members, new, breaking)
    article_ids = tuple(a for story in sorted(told) for a in new[story])
    if not article_ids:
        return 0  # its grown stories are not among its items (composed again meanwhile)
    link = archive_link(web_base_url, destination, address)
    parts = payloads(digest, destination, bot_username, archive_url=link)
    if len(parts) != post.parts:
        log.info(
            "%s not edited: its update takes %d messages, not %d",
            post.digest_key,
            len(parts),
            post.parts,
            extra=context,
        )
        await store.articles.mark_sent(destination.name, article_ids, now)
        return 0
    shown = await store.posts.shown(
        post.digest_key, digest_update_key(destination, post.digest_key)
    )
    changed = [
        (number, payload)
        for number, payload in enumerate(parts, start=1)
        if number in shown and _content(payload) != _content(shown[number].payload)
    ]
    if not changed:  # e.g. an outlet the item credits already: nothing to show
        await store.articles.mark_sent(destination.name, article_ids, now)
        return 0
    pace = now - timedelta(minutes=destination.update_min_minutes)
    for number, _ in changed:
        edited = shown[number].edited_at
        if edited is not None and edited >= pace:
            return 0  # that message was edited a moment ago: the whole update waits
    done = await store.outbox.enqueue(
        destination.name,
        post.platform,
        post.chat,
        post.thread,
        digest_update_key(destination, post.digest_key, now),
        [_edit(payload, post.digest_key, number) for number, payload in changed],
        now,
        sent=SentStories(destination.name, article_ids),
        archive=ArchiveRecord(address, archived.entry.scheduled_at, digest, replace=True),
    )
    return len(changed) if done else 0


async def _rebuilt(
    store: Store,
    destination: Destination,
    digest: Digest,
    members: dict[int, list[Article]],
    new: dict[int, tuple[int, ...]],
    breaking: bool,
) -> tuple[Digest, set[int]]:
    """``digest`` with the item of each story that has ``new`` articles composed again with
    all its articles, and those stories; every other item as it was."""
    story_of = {a.id: story for story, articles in members.items() for a in articles}
    grown = {story for story, ids in new.items() if ids}
    topics = await store.topics.of_articles([a.id for s in grown for a in members[s]])
    choices = destination.choices(breaking=breaking)
    told: set[int] = set()

    def item_of(item: DigestItem) -> DigestItem:
        story = story_of.get(item.article_id)
        if story is None or story not in grown:
            return item
        articles = members[story]
        candidate = StoryCandidate(
            story, tuple(articles), story_topics(articles, topics, destination.language)
        )
        told.add(story)
        # Its related links were read when it was posted; they stay as the message shows them.
        rebuilt = story_item(candidate, tuple(_shown(destination, articles)), choices)
        return dataclasses.replace(rebuilt, related=item.related)

    sections = tuple(
        dataclasses.replace(section, items=tuple(item_of(item) for item in section.items))
        for section in digest.sections
    )
    return dataclasses.replace(digest, sections=sections), told


def _shown(destination: Destination, articles: Sequence[Article]) -> list[Article]:
    """The articles the destination shows (its ``sources``; empty: all)."""
    return [a for a in articles if not destination.sources or a.source in destination.sources]


def _edit(payload: str, digest_key: str, part: int) -> str:
    """The outbox payload that rewrites part ``part`` of the digest ``digest_key``."""
    edit_of = {"digest_key": digest_key, "part": part}
    return json.dumps(json.loads(payload) | {"edit_of": edit_of}, ensure_ascii=False)


def _content(payload: str) -> dict[str, Any]:
    """What a payload shows, whether it is a part's own or an edit's."""
    data: dict[str, Any] = json.loads(payload)
    data.pop("edit_of", None)
    return data


def _scheduled(digest_key: str, posted_at: datetime) -> datetime:
    """The time a digest was for (the minute in its key), else when it was queued."""
    stamp = digest_key.rsplit("|", 1)[-1]
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    except ValueError:
        return posted_at
