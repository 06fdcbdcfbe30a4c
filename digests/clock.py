"""The clock: the one place the current time is read.

Everything that needs the time takes a ``Clock`` (default ``utcnow``), so tests move time by
passing their own instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "utcnow"]

Clock = Callable[[], datetime]
"""A function returning the current time, timezone-aware UTC."""


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
