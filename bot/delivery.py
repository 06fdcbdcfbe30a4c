"""Digests for destinations: what is new for one, composed, rendered and handed to its sender.

The console is the embedded default's destination: it prints to standard output. Chat
platforms plug in as further senders.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timedelta
from typing import TextIO

from bot.config import DestinationSettings
from digests.digest import compose, render_text
from digests.models import Digest
from digests.store import Store

__all__ = ["ConsoleSender", "build_digest", "post_digest"]

log = logging.getLogger(__name__)


class ConsoleSender:
    """Prints digests to a text stream (standard output by default)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    async def send(self, destination: DestinationSettings, text: str) -> None:
        """Write ``text`` and flush, so that a digest appears whole and at once."""
        stream = self._stream or sys.stdout
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()


async def build_digest(store: Store, destination: DestinationSettings, now: datetime) -> Digest:
    """Compose the digest of what ``destination`` has not been sent yet (nothing is marked)."""
    articles = await store.unsent_articles(
        destination.name,
        since=now - timedelta(hours=destination.lookback_hours),
        limit=destination.max_items,
    )
    return compose(
        destination.name,
        articles,
        now,
        max_items=destination.max_items,
        summary_chars=destination.summary_chars,
    )


async def post_digest(
    store: Store, destination: DestinationSettings, sender: ConsoleSender, now: datetime
) -> int:
    """Compose, render and send one digest, then mark its stories sent; returns the item count.

    An empty period posts nothing.
    """
    digest = await build_digest(store, destination, now)
    context = {"destination": destination.name}
    if not digest.items:
        log.info("no new stories; nothing posted", extra=context)
        return 0
    text = render_text(digest, language=destination.language, timezone=destination.timezone)
    await sender.send(destination, text)
    await store.mark_sent(destination.name, [item.article_id for item in digest.items], now)
    log.info("digest posted with %d stories", len(digest.items), extra=context)
    return len(digest.items)
