"""Settings of ingestion: how feeds and pages are fetched, and the feeds themselves.

Plain frozen dataclasses, each field declared once with its default, its constraint and its
help text. ``bot.config`` validates the configuration file's ``[poll]`` and ``[[feeds]]``
tables straight into them (pydantic reads the ``Field`` annotations); in code they are plain
values. Nothing here reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, ConfigDict, Field

__all__ = ["DEFAULT_USER_AGENT", "FeedSettings", "PollSettings", "check_http_url"]

DEFAULT_USER_AGENT = "newsdigest/0.1 (Arabic news digest bot)"


def check_http_url(value: str) -> str:
    """``value`` when it is an absolute http(s) URL with a host; ``ValueError`` otherwise."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


@dataclass(frozen=True, slots=True)
class PollSettings:
    """How feeds and article pages are fetched and how often."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    interval_minutes: Annotated[
        int, Field(ge=1, le=1440, description="Minutes between two polls of a healthy feed.")
    ] = 15
    max_backoff_minutes: Annotated[
        int,
        Field(
            ge=1,
            le=1440,
            description="Longest wait after repeated errors (exponential backoff is capped here).",
        ),
    ] = 1440
    tick_seconds: Annotated[
        int,
        Field(ge=1, le=3600, description="How often the scheduler looks for feeds that are due."),
    ] = 30
    timeout_seconds: Annotated[
        float,
        Field(
            gt=0,
            le=300,
            description="Deadline for one whole request (connect, headers and body together).",
        ),
    ] = 20.0
    max_response_kb: Annotated[
        int,
        Field(
            ge=16,
            le=1_048_576,
            description="Largest feed or page body read, in KiB; a larger one is refused and "
            "recorded.",
        ),
    ] = 5120
    concurrency: Annotated[
        int, Field(ge=1, le=1000, description="Requests in flight at once, over all hosts.")
    ] = 32
    per_host_concurrency: Annotated[
        int, Field(ge=1, le=100, description="Requests in flight at once to one host.")
    ] = 2
    user_agent: Annotated[
        str, Field(min_length=1, description="User-Agent header sent with every request.")
    ] = DEFAULT_USER_AGENT
    fetch_pages: Annotated[
        bool, Field(description="Fetch the article page when the feed carries only a snippet.")
    ] = True
    full_content_min_chars: Annotated[
        int,
        Field(
            ge=0,
            description="Feed content at least this long counts as the full text (no page fetch).",
        ),
    ] = 600
    max_page_fetches_per_feed: Annotated[
        int,
        Field(
            ge=0,
            le=10_000,
            description="Most article pages fetched for one feed in one poll, newest articles "
            "first; the others keep the feed's own text and their pages are never fetched.",
        ),
    ] = 30
    dedup_window_hours: Annotated[
        int,
        Field(
            ge=1,
            le=24 * 90,
            description="Window in which a repeated canonical URL or headline is not a new "
            "article.",
        ),
    ] = 72


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """One feed from the configuration file."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    url: Annotated[
        str,
        AfterValidator(check_http_url),
        Field(description="The feed's http(s) URL (RSS or Atom)."),
    ]
    name: Annotated[
        str, Field(min_length=1, max_length=100, description="Source name shown in digests.")
    ]
    paused: Annotated[bool, Field(description="Keep the feed but do not poll it.")] = False
    allow_private: Annotated[
        bool,
        Field(
            description="Let this feed, and its article pages and images on the feed's own "
            "host, be fetched from private, loopback or link-local addresses (an intranet "
            "source), whatever admin.allow_private_feed_urls says."
        ),
    ] = False
