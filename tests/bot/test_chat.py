"""The chat wiring (``bot.chat.Chat``) against a real store: each platform's personal-digest
switch governs that platform's subscribers only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from bot.chat import Chat
from bot.config import Settings
from bot.sections import Secrets, SlackSettings, TelegramSettings
from digests.ingest.fetch import Fetcher
from digests.store import Store
from tests.bot.test_commands import NOW, POLL, TAXONOMY, _offline, _seed

TELEGRAM_USER, SLACK_USER = "5001", "U0SLACK1"


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(POLL, transport=httpx.MockTransport(_offline)) as fetcher:
        yield fetcher


async def subscribe_both(store: Store) -> None:
    """A Telegram and a Slack subscriber who follow إيران, their digest due at ``NOW``."""
    await _seed(store)
    subs = store.subscriptions
    for platform, user in (("telegram", TELEGRAM_USER), ("slack", SLACK_USER)):
        sub = await subs.get_or_create(platform, user, user, NOW)
        await subs.follow(sub, "iran", NOW)
        await subs.set_schedule(sub, "08:00")  # 12:00 in Riyadh at NOW: due


def chat_with(store: Store, fetcher: Fetcher, *, telegram: bool, slack: bool) -> Chat:
    settings = Settings(
        telegram=TelegramSettings(personal_digests=telegram),
        slack=SlackSettings(personal_digests=slack),
        secrets=Secrets(
            telegram_bot_token=SecretStr("123456:test-token"),
            slack_bot_token=SecretStr("xoxb-test-token"),
        ),
    )
    return Chat(settings, store, fetcher, TAXONOMY)


async def queued_to(store: Store) -> set[str]:
    """The platforms that have a personal digest waiting in the outbox."""
    pending = [
        *await store.outbox.pending_for(TELEGRAM_USER, platform="telegram"),
        *await store.outbox.pending_for(SLACK_USER, platform="slack"),
    ]
    return {m.platform for m in pending if m.destination.startswith("personal:")}


async def test_telegram_switch_off_leaves_slack_digests_on(store: Store, fetcher: Fetcher) -> None:
    await subscribe_both(store)
    chat = chat_with(store, fetcher, telegram=False, slack=True)

    assert await chat.personal_digests(NOW) == 1
    assert await queued_to(store) == {"slack"}
    due = await store.subscriptions.due_personal_digests(NOW)
    assert [s.platform for s in due] == ["telegram"]  # untouched: still due when switched on


async def test_slack_switch_off_leaves_telegram_digests_on(store: Store, fetcher: Fetcher) -> None:
    await subscribe_both(store)
    chat = chat_with(store, fetcher, telegram=True, slack=False)

    assert await chat.personal_digests(NOW) == 1
    assert await queued_to(store) == {"telegram"}
    due = await store.subscriptions.due_personal_digests(NOW)
    assert [s.platform for s in due] == ["slack"]


async def test_both_switches_off_queue_nothing(store: Store, fetcher: Fetcher) -> None:
    await subscribe_both(store)
    chat = chat_with(store, fetcher, telegram=False, slack=False)

    assert await chat.personal_digests(NOW) == 0
    assert await queued_to(store) == set()
