"""Which posted message carries a story: the message a live update edits.

A digest's parts are queued in the same transaction as its sent records, under the same time
(``Outbox.enqueue``: the parts' ``created_at`` and the records' ``sent_at`` are both its
``now``), so a story's first sent record leads to the digest that posted it. A message is a
story's **post** when that digest told that one story in one part: only then can the message
be rewritten to tell the story as it grows without touching other stories. Updates are queued
under keys holding ``UPDATE_MARK`` and never count as posts themselves.

Reads only; nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from digests.store.articles import story_key
from digests.store.database import Database
from digests.store.schema import articles, outbox, sent_items

__all__ = ["UPDATE_MARK", "Posts", "StoryPost"]

UPDATE_MARK = "|update|"
"""In the outbox key of every live update (``deliver.updates``)."""


@dataclass(frozen=True, slots=True)
class StoryPost:
    """The message that told one story to a destination: its digest's key (part 1) and chat."""

    story_id: int
    digest_key: str
    platform: str
    chat: str
    thread: str | None
    posted_at: datetime


class Posts:
    """Stories' posts, found from the sent records and the outbox."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def since(self, destination: str, since: datetime) -> list[StoryPost]:
        """The stories posted to ``destination`` since ``since``, each alone in a message of
        one part, oldest first (a story first sent before ``since`` is left out)."""
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
            times = sorted({t for s, t in first.items() if t >= since and stories_at[t] == {s}})
            if not times:
                return []
            query = sa.select(
                outbox.c.digest_key,
                outbox.c.platform,
                outbox.c.chat,
                outbox.c.thread,
                outbox.c.created_at,
            ).where(
                outbox.c.destination == destination,
                outbox.c.created_at.in_(times),
                outbox.c.parts == 1,
                outbox.c.digest_key.not_like(f"%{UPDATE_MARK}%"),
            )
            rows = (await conn.execute(query)).all()
        story_at = {t: s for s, t in first.items()}
        return sorted(
            (
                StoryPost(
                    story_at[row.created_at],
                    row.digest_key,
                    row.platform,
                    row.chat,
                    row.thread,
                    row.created_at,
                )
                for row in rows
                if row.created_at in story_at
            ),
            key=lambda p: (p.posted_at, p.story_id),
        )
