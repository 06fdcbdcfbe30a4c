"""Shared pieces of the delivery tests: a clock that skips minutes, and a Telegram transport
over the Bot API fake."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from telegram.ext import Application, ApplicationBuilder

from bot.telegram_bot import TelegramTransport
from tests.support.fake_telegram import FakeTelegram

CHANNEL = -1001234567890
"""The channel the delivery tests post to and edit in."""


class SkippingClock:
    """The test's time for the sender and its rate limiter: ``advance`` skips minutes at once;
    ``monotonic`` is real monotonic time plus what was skipped, so the limiter's pauses of a
    fraction of a second pass for real."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.advanced = 0.0

    def advance(self, minutes: float) -> datetime:
        """Move the clock ``minutes`` on; returns the new time."""
        self.now += timedelta(minutes=minutes)
        self.advanced += minutes * 60
        return self.now

    def monotonic(self) -> float:
        """Real monotonic time plus the minutes skipped."""
        return time.monotonic() + self.advanced


@contextlib.asynccontextmanager
async def telegram_transport(fake: FakeTelegram, chat: int) -> AsyncIterator[TelegramTransport]:
    """A ``TelegramTransport`` over ``fake`` with the channel ``chat`` known to it (the caller
    sets ``PTB_TIMEDELTA``)."""
    fake.add_chat(chat, "channel", title="قناة الأخبار")
    app: Application = (  # type: ignore[type-arg]
        ApplicationBuilder().token(fake.token).base_url(fake.base_url).updater(None).build()
    )
    async with app:
        yield TelegramTransport(app)


@pytest.fixture
async def transport(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TelegramTransport]:
    """A ``TelegramTransport`` over the fake with ``CHANNEL`` known to it (import it with
    ``fake_telegram`` into a test module to use it)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with telegram_transport(fake_telegram, CHANNEL) as transport:
        yield transport
