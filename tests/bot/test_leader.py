"""Telegram polling leadership handed over between two instances on one PostgreSQL database,
against the fake Bot API, which ends an older getUpdates with 409 Conflict whenever a newer
one arrives while it is still open (as Telegram does). The leader stops polling, its last long
poll over, before it lets the lock go: a handover never costs a conflict, and every command
is answered once."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.chat import Chat
from bot.config import Settings, load_settings
from bot.service import load_taxonomy
from digests.ingest.fetch import Fetcher
from digests.store import Store
from tests.support.fake_telegram import FakeTelegram
from tests.support.postgres import PostgresServer, query
from tests.support.waiting import until

TAXONOMY = Path(__file__).parents[2] / "config" / "topics.toml"
USER = 515151
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def settings_for(tmp_path: Path, fake: FakeTelegram, url: str) -> Settings:
    config = tmp_path / "newsdigest.toml"
    config.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n\n'
        f'[topics]\ntaxonomy_file = "{TAXONOMY}"\n\n'
        f'[telegram]\nbase_url = "{fake.base_url}"\nbase_file_url = "{fake.base_file_url}"\n'
        "poll_timeout_seconds = 1\nleader_retry_seconds = 0.2\npersonal_digests = false\n",
        encoding="utf-8",
    )
    environ = {"TELEGRAM_BOT_TOKEN": fake.token, "NEWSDIGEST_DATABASE_URL": url}
    return load_settings(config, environ=environ, dotenv=None)


@contextlib.asynccontextmanager
async def instance(settings: Settings) -> AsyncIterator[Chat]:
    """One instance's chat side (the Telegram adapter, its leadership and the sender)."""
    store = await Store.open(settings.database_url)
    try:
        async with Fetcher(settings.poll) as fetcher:
            chat = Chat(settings, store, fetcher, load_taxonomy(settings))
            await chat.start()
            try:
                yield chat
            finally:
                await chat.stop(settings.delivery.shutdown_grace_seconds)
    finally:
        await store.close()


async def answered(fake: FakeTelegram, count: int) -> None:
    """Send /help and wait for its reply, the ``count``-th the user gets."""
    fake.inject_message(USER, USER, "/help")
    await until(lambda: len(fake.sent(USER)) >= count)


def leaders(chats: list[Chat]) -> list[Chat]:
    return [c for c in chats if c.telegram is not None and c.telegram.polling]


async def test_a_handover_never_has_two_getupdates_open(
    tmp_path: Path, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not postgres_server.local:
        pytest.skip("the test pauses a PostgreSQL backend: it needs the server it started")
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake = FakeTelegram()
    database = postgres_server.migrated_database()
    url = postgres_server.url(database)
    settings = settings_for(tmp_path, fake, url)
    stacks = {}
    try:
        chats: list[Chat] = []
        for _ in range(2):
            stack = contextlib.AsyncExitStack()
            chat = await stack.enter_async_context(instance(settings))
            stacks[id(chat)] = stack
            chats.append(chat)
            await until(lambda: len(leaders(chats)) == 1)  # the first one leads
        await answered(fake, 1)
        assert leaders(chats) == chats[:1]

        # The leader's lock connection stalls (its server process is paused): the leader can
        # no longer tell it leads, so it stops polling and lets the lock go, which is free once
        # the server process is back; then one of them leads again.
        [(backend,)] = query(
            url, "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        )
        os.kill(backend, signal.SIGSTOP)
        try:
            await until(lambda: leaders(chats) == [])
        finally:
            os.kill(backend, signal.SIGCONT)
        await until(lambda: len(leaders(chats)) == 1)
        await answered(fake, 2)

        # The leader stops (a clean shutdown): the other one takes over.
        [leader] = leaders(chats)
        await stacks.pop(id(leader)).aclose()
        [other] = [c for c in chats if c is not leader]
        await until(lambda: leaders([other]) == [other])
        await answered(fake, 3)
    finally:
        for stack in stacks.values():
            await stack.aclose()
        fake.close()
        postgres_server.drop_database(database)

    assert len(fake.sent(USER)) == 3  # each command answered once
    assert [r for r in fake.rejected if r.error_code == 409] == []
