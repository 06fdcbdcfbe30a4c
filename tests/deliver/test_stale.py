"""Delivery housekeeping: stale news is dropped instead of being posted late."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.chat import Chat
from bot.config import load_settings
from bot.service import load_taxonomy
from digests.clock import utcnow
from digests.ingest.fetch import Fetcher
from digests.store import Store

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"


async def test_messages_older_than_the_limit_are_dropped(store: Store, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n[delivery]\nmax_age_minutes = 60\n',
        encoding="utf-8",
    )
    settings = load_settings(config, environ={}, dotenv=None)
    async with Fetcher(settings.poll, allow_private=True) as fetcher:
        messaging = Chat(settings, store, fetcher, load_taxonomy(settings))
        now = utcnow()
        outbox = messaging.outbox
        await outbox.enqueue("d", "telegram", "-1", None, "old", ["قديم"], now - timedelta(hours=2))
        await outbox.enqueue(
            "d", "telegram", "-2", None, "new", ["جديد"], now - timedelta(minutes=5)
        )

        dropped = await messaging.drop_stale(now)

        assert dropped == 1
        assert [m.payload for m in await outbox.pending_for("-2")] == ["جديد"]
        assert await outbox.pending_for("-1") == []
