"""Which posted messages tell a story: the messages a live update edits.

A digest's parts are queued in the same transaction as its sent records, under the same time
(``Outbox.enqueue``: the parts' ``created_at`` and the records' ``sent_at`` are both its
``now``), so a story's first sent record leads to the digest that posted it. ``since`` finds
those digests, each of one kind:

- a story's **post** (``StoryPost``) when the digest told that one story in one part: the
  message can be rewritten from the story alone;
- a **digest post** (``DigestPost``) otherwise (several stories, or several parts), with the
  stories it first told: its parts are rewritten from the digest as archived.

Updates are queued under keys holding ``UPDATE_MARK`` and never count as posts themselves.
``shown`` tells what each part of a digest shows now (its latest edit, else what was posted)
and when an edit of it was last queued (the pace of edits).

Reads only; nothing here writes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from digests.store.articles import story_key
from digests.store.database import Database
from digests.store.schema import articles, outbox, sent_items

__all__ = ["UPDATE_MARK", "DigestPost", "Posts", "ShownPart", "StoryPost"]

UPDATE_MARK = "|update|"
"""In the outbox key of every live update (``deliver.updates``)."""
_SHOWING = ("pending", "sending", "sent")  # an edit in one of these is (or will be) shown


@dataclass(frozen=True, slots=True)
class StoryPost:
    """The message that told one story to a destination: its digest's key (part 1) and chat."""

    story_id: int
    digest_key: str
    platform: str
    chat: str
    thread: str | None
    posted_at: datetime


@dataclass(frozen=True, slots=True)
class DigestPost:
    """A posted digest that is not one story's post: its key, chat, how many parts it was
    posted in, and the stories it first told."""

    digest_key: str
    platform: str
    chat: str
    thread: str | None
    posted_at: datetime
    parts: int
    stories: frozenset[int]


@dataclass(frozen=True, slots=True)
class ShownPart:
    """What one part of a posted digest shows: the payload of its latest edit (queued, being
    sent or sent), else its own; and when an edit of it was last queued (None: never)."""

    payload: str
    edited_at: datetime | None


@dataclass(frozen=True, slots=True)
class _Posted:
    """The digests (their part 1) queued at the times stories were first sent."""

    rows: Sequence[sa.RowMapping]
    firsts: dict[datetime, set[int]]  # the stories first sent at each of those times
    alone: dict[datetime, int]  # the times only one story was sent at: that story


class Posts:
    """Stories' posts, found from the sent records and the outbox."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def since(self, destination: str, since: datetime) -> list[StoryPost | DigestPost]:
        """The digests posted to ``destination`` since ``since`` that first told a story
        there, oldest first: a ``StoryPost`` for a story alone in a message of one part, a
        ``DigestPost`` for every other (a story first sent before ``since`` is left out)."""
        posted = await self._posted(destination, since)
        found: list[StoryPost | DigestPost] = []
        for row in posted.rows:
            where = (row["digest_key"], row["platform"], row["chat"], row["thread"])
            when: datetime = row["created_at"]
            if row["parts"] == 1 and when in posted.alone:
                found.append(StoryPost(posted.alone[when], *where, when))
            else:
                stories = frozenset(posted.firsts[when])
                found.append(DigestPost(*where, when, row["parts"], stories))
        return sorted(found, key=lambda p: (p.posted_at, p.digest_key))

    async def shown(self, digest_key: str, edits: str) -> dict[int, ShownPart]:
        """What each part of the digest ``digest_key`` shows now, by part number; ``edits`` is
        the key prefix its edits are queued under. An edit that failed or was dropped shows
        nothing, but counts as an edit for the pace."""
        query = (
            sa.select(
                outbox.c.digest_key,
                outbox.c.part,
                outbox.c.payload,
                outbox.c.status,
                outbox.c.created_at,
            )
            .where(
                sa.or_(
                    outbox.c.digest_key == digest_key,
                    outbox.c.digest_key.startswith(edits, autoescape=True),
                )
            )
            .order_by(outbox.c.id)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        shown: dict[int, ShownPart] = {}
        for row in rows:
            if row.digest_key == digest_key:  # the parts come first: queued before any edit
                shown[row.part] = ShownPart(row.payload, None)
                continue
            target = json.loads(row.payload).get("edit_of") or {}
            part = target.get("part")
            if target.get("digest_key") != digest_key or part not in shown:
                continue
            payload = row.payload if row.status in _SHOWING else shown[part].payload
            shown[part] = ShownPart(payload, row.created_at)
        return shown

    async def _posted(self, destination: str, since: datetime) -> _Posted:
        """The digests that first told a story to ``destination`` since ``since``."""
        story = story_key()
        recent = (
            sa.select(story)
            .join(sent_items, sent_items.c.article_id == articles.c.id)
            .where(sent_items.c.destination == destination, sent_items.c.sent_at >= since)
        )
        sent = (
            sa.select(story, sent_items.c.sent_at)
            .join(articles, articles.c.id == sent_items.c.article_id)
            .where(sent_items.c.destination == destination, story.in_(recent))
        )
        first: dict[int, datetime] = {}
        stories_at: defaultdict[datetime, set[int]] = defaultdict(set)
        async with self._db.engine.connect() as conn:
            for row in (await conn.execute(sent)).all():
                story_id, when = int(row[0]), row[1]
                stories_at[when].add(story_id)
                if story_id not in first or when < first[story_id]:
                    first[story_id] = when
            firsts: defaultdict[datetime, set[int]] = defaultdict(set)
            for story_id, when in first.items():
                if when >= since:
                    firsts[when].add(story_id)
            if not firsts:
                return _Posted((), {}, {})
            query = sa.select(
                outbox.c.digest_key,
                outbox.c.platform,
                outbox.c.chat,
                outbox.c.thread,
                outbox.c.created_at,
                outbox.c.parts,
            ).where(
                outbox.c.destination == destination,
                outbox.c.created_at.in_(sorted(firsts)),
                outbox.c.part == 1,
                outbox.c.digest_key.not_like(f"%{UPDATE_MARK}%"),
            )
            rows = (await conn.execute(query)).mappings().all()
        # A story told alone: the only one sent at its first time (an update's records at
        # that very time would make it share the time: then it is a digest post).
        alone = {t: s for t, told in firsts.items() for s in told if stories_at[t] == {s}}
        return _Posted(rows, dict(firsts), alone)
