"""Live updates: a posted story that more outlets report is edited, never posted again.

When a story was posted to a chat destination alone in a message (``store.posts``: the
breaking lane's usual post, or a digest of one story) and, within the story window
(``topics.story_window_hours``), articles of that story arrive that the destination has not
been sent, ``queue_updates`` composes the story again with all its articles (its brief, "also
reported by" every outlet), renders it as the original message was rendered and queues an
**edit** of that message in the outbox: a part whose payload names the part it rewrites
(``"edit_of"``); the sender then calls the platform's edit (Telegram ``editMessageText``,
Slack ``chat.update``) through the same rate limiter, and drops the edit silently when the
message was deleted meanwhile.

Rules:

- The new articles are recorded as sent with the edit, in one transaction: the story is
  never posted a second time (``queue_digest`` leaves out a story sent before) and the same
  articles never cause a second edit.
- At most one edit every ``update_min_minutes`` per message: an update due sooner waits (its
  articles stay unsent) and goes out on a later call, with whatever else arrived meanwhile.
- An update that would not fit one message (a post never does otherwise) is not queued.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta

from digests.compose.archive import archive_link, digest_address
from digests.compose.destination import Destination
from digests.compose.digest import StoryCandidate, compose
from digests.deliver.queue import payloads, story_topics
from digests.errors import AlreadySent
from digests.models import Digest
from digests.store import Store
from digests.store.outbox import SentStories
from digests.store.posts import UPDATE_MARK, StoryPost

__all__ = ["queue_updates", "update_key"]

log = logging.getLogger(__name__)


def update_key(destination: Destination, story_id: int, when: datetime | None = None) -> str:
    """The outbox key of an update of a story's post (its prefix without ``when``)."""
    prefix = f"{destination.name}{UPDATE_MARK}{story_id}|"
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
    """Queue an edit of each post of ``destination`` (posted within ``window``) whose story
    has new articles there; returns how many edits were queued (see the module docstring).
    ``web_base_url`` keeps the archive link the post carried."""
    if destination.chat is None or destination.platform == "console":
        return 0
    queued = 0
    for post in await store.posts.since(destination.name, now - window):
        try:
            queued += await _queue_update(store, destination, post, now, bot_username, web_base_url)
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
    shown = [a for a in members if not destination.sources or a.source in destination.sources]
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
    address = digest_address(destination, _scheduled(post), breaking=breaking)
    link = archive_link(web_base_url, destination, address)
    parts = payloads(digest, destination, bot_username, archive_url=link)
    if len(parts) != 1:
        log.info("update of story %d does not fit one message", post.story_id)
        return 0
    payload = json.dumps(
        json.loads(parts[0]) | {"edit_of": {"digest_key": post.digest_key, "part": 1}},
        ensure_ascii=False,
    )
    done = await store.outbox.enqueue(
        destination.name,
        post.platform,
        post.chat,
        post.thread,
        update_key(destination, post.story_id, now),
        [payload],
        now,
        sent=SentStories(destination.name, new),
    )
    return 1 if done else 0


def _scheduled(post: StoryPost) -> datetime:
    """The time the post's digest was for (the minute in its key), else when it was queued."""
    stamp = post.digest_key.rsplit("|", 1)[-1]
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    except ValueError:
        return post.posted_at
