"""When to poll a feed next: pure arithmetic over the last outcome.

A healthy feed is polled every ``interval_minutes``, or less often when the feed's TTL or the
response's Cache-Control max-age ask for it. Errors back off exponentially (interval × 2^(n-1)),
capped at ``max_backoff_minutes`` (one day at most); a server's Retry-After is honoured within
the same cap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from digests.ingest.settings import PollSettings

__all__ = ["cache_max_age", "next_check_after_error", "next_check_after_success"]

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_ONE_DAY = timedelta(days=1)


def next_check_after_success(
    now: datetime, settings: PollSettings, *, ttl_seconds: int | None, max_age: int | None
) -> datetime:
    """The next poll time after a successful (or 304) poll."""
    wait = timedelta(minutes=settings.interval_minutes)
    for hint in (ttl_seconds, max_age):
        if hint:
            wait = max(wait, timedelta(seconds=hint))
    return now + min(wait, _ONE_DAY)


def next_check_after_error(
    now: datetime, settings: PollSettings, *, error_count: int, retry_after: float | None
) -> datetime:
    """The next poll time after the ``error_count``-th consecutive error (1 for the first)."""
    cap = min(timedelta(minutes=settings.max_backoff_minutes), _ONE_DAY)
    exponent = min(max(error_count, 1) - 1, 20)
    wait = min(timedelta(minutes=settings.interval_minutes) * (1 << exponent), cap)
    if retry_after:
        wait = max(wait, min(timedelta(seconds=retry_after), _ONE_DAY))
    return now + wait


def cache_max_age(headers: Mapping[str, str]) -> int | None:
    """The max-age (seconds) of a Cache-Control header, or None; no-cache/no-store give None."""
    value = headers.get("cache-control", "")
    match = _MAX_AGE.search(value)
    return int(match.group(1)) if match else None
