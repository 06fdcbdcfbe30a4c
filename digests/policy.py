"""Settings the core pipeline consumes, declared once with defaults and help text.

These are plain typed values; ``bot.config`` reads them from the configuration file and passes
them in. Nothing here reads the environment.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["FeedSettings", "PollSettings"]

DEFAULT_USER_AGENT = "newsdigest/0.1 (Arabic news digest bot)"


class PollSettings(BaseModel):
    """How feeds and article pages are fetched and how often."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    interval_minutes: int = Field(
        15, ge=1, le=1440, description="Minutes between two polls of a healthy feed."
    )
    max_backoff_minutes: int = Field(
        1440,
        ge=1,
        le=1440,
        description="Longest wait after repeated errors (exponential backoff is capped here).",
    )
    tick_seconds: int = Field(
        30, ge=1, le=3600, description="How often the scheduler looks for feeds that are due."
    )
    timeout_seconds: float = Field(
        20.0,
        gt=0,
        le=300,
        description="Deadline for one whole request (connect, headers and body together).",
    )
    max_response_kb: int = Field(
        5120,
        ge=16,
        le=1_048_576,
        description="Largest feed or page body read, in KiB; a larger one is refused and recorded.",
    )
    concurrency: int = Field(
        32, ge=1, le=1000, description="Requests in flight at once, over all hosts."
    )
    per_host_concurrency: int = Field(
        2, ge=1, le=100, description="Requests in flight at once to one host."
    )
    user_agent: str = Field(
        DEFAULT_USER_AGENT, min_length=1, description="User-Agent header sent with every request."
    )
    fetch_pages: bool = Field(
        True,
        description="Fetch the article page when the feed carries only a snippet.",
    )
    full_content_min_chars: int = Field(
        600,
        ge=0,
        description="Feed content at least this long counts as the full text (no page fetch).",
    )
    dedup_window_hours: int = Field(
        72,
        ge=1,
        le=24 * 90,
        description="Window in which a repeated canonical URL or headline is not a new article.",
    )


class FeedSettings(BaseModel):
    """One feed from the configuration file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(description="The feed's http(s) URL (RSS or Atom).")
    name: str = Field(min_length=1, max_length=100, description="Source name shown in digests.")
    paused: bool = Field(False, description="Keep the feed but do not poll it.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
            raise ValueError("must be an absolute http:// or https:// URL")
        return value
