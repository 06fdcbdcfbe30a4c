"""The application's own configuration sections, each field declared once with its default,
its constraint and its help text: ``[storage]``, ``[log]``, ``[summary]``, ``[telegram]``,
``[slack]``, ``[admin]``, ``[ops]``, ``[web]``, ``[delivery]``, and the secrets that come from the
environment only. ``bot.config`` validates the file into them (the core's sections are
declared in ``digests``, beside their consumers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, SecretStr

from digests.compose.destination import DEFAULT_TIMEZONE, check_timezone
from digests.compose.i18n import Language
from digests.ingest.llm import LLMSettings

__all__ = [
    "AdminSettings",
    "DeliverySettings",
    "LogSettings",
    "OpsSettings",
    "Secrets",
    "SlackSettings",
    "StorageSettings",
    "SummarySettings",
    "TelegramSettings",
    "WebSettings",
]


def _webhook_secret(value: SecretStr | None) -> SecretStr | None:
    if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
        raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return value


@dataclass(frozen=True, slots=True)
class StorageSettings:
    """Where data lives, and how long it is kept."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    data_dir: Annotated[
        Path,
        Field(
            description="Folder for the SQLite database (relative paths are relative to the "
            "working directory). Ignored when NEWSDIGEST_DATABASE_URL is set."
        ),
    ] = Path("data")
    keep_text_days: Annotated[
        int,
        Field(
            ge=1,
            le=36500,
            description="Days an article's full text is kept; then only its title, summary, "
            "snippet, topics and search entry remain (the daily housekeeping removes it).",
        ),
    ] = 90
    keep_articles_days: Annotated[
        int,
        Field(
            ge=0,
            le=36500,
            description="Days articles, their stories, search entries and archived digests are "
            "kept (0: forever). A story goes only when all its articles are past this, and "
            "never while a digest could still pick it (see docs/operations.md, Retention).",
        ),
    ] = 730
    keep_delivery_days: Annotated[
        int,
        Field(
            ge=1,
            le=36500,
            description="Days delivered outbox rows and sent records are kept. A sent record "
            "stays, whatever this says, while its story is recent enough for a digest to pick "
            "(the longest lookback_hours plus topics.story_window_hours).",
        ),
    ] = 30


@dataclass(frozen=True, slots=True)
class SummarySettings:
    """How articles are summarised: extractive always; a language model optionally."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    llm: Annotated[
        LLMSettings | None,
        Field(
            description="An OpenAI-compatible chat API that writes summaries ([summary.llm]; off "
            "when absent). Its key comes from NEWSDIGEST_LLM_API_KEY. On any error, timeout, "
            "over-long or non-Arabic answer the extractive summary is used and the reason kept."
        ),
    ] = None


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """The Telegram bot (on when TELEGRAM_BOT_TOKEN is set)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    base_url: Annotated[
        str,
        Field(
            description="Bot API base URL (the token and method are appended); change it for a "
            "self-hosted Bot API server."
        ),
    ] = "https://api.telegram.org/bot"
    base_file_url: Annotated[str, Field(description="Bot API file base URL.")] = (
        "https://api.telegram.org/file/bot"
    )
    admin_ids: Annotated[
        tuple[int, ...], Field(description="Telegram user ids allowed to run admin commands.")
    ] = ()
    admin_chat_id: Annotated[
        int | None,
        Field(
            description="A chat whose administrators are admins too; admin notices are posted "
            "there."
        ),
    ] = None
    mode: Annotated[
        Literal["polling", "webhook"],
        Field(
            description="How updates arrive: long polling, or a webhook Telegram calls (needs "
            "webhook_url and TELEGRAM_WEBHOOK_SECRET)."
        ),
    ] = "polling"
    webhook_url: Annotated[
        str | None,
        Field(
            description="Webhook mode: the public https URL Telegram posts updates to (your "
            "reverse proxy forwards it to webhook_listen:webhook_port/webhook_path)."
        ),
    ] = None
    webhook_listen: Annotated[str, Field(description="Webhook mode: address to listen on.")] = (
        "127.0.0.1"
    )
    webhook_port: Annotated[int, Field(ge=1, le=65535, description="Webhook mode: port.")] = 8443
    webhook_path: Annotated[str, Field(description="Webhook mode: URL path to serve.")] = "telegram"
    leader_retry_seconds: Annotated[
        float,
        Field(
            gt=0,
            le=300,
            description="Polling mode with several instances (PostgreSQL): how often an instance "
            "that is not the leader tries to become it, and the leader checks it still is. Only "
            "the leader calls getUpdates; another takes over within about this long when it dies.",
        ),
    ] = 5.0
    poll_timeout_seconds: Annotated[
        int, Field(ge=0, le=50, description="Long-polling timeout of getUpdates.")
    ] = 25
    personal_digests: Annotated[
        bool,
        Field(
            description="Send Telegram subscribers their personal digest at the time they chose "
            "(Slack's have slack.personal_digests)."
        ),
    ] = True


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """The Slack app (on when SLACK_BOT_TOKEN is set)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    base_url: Annotated[str, Field(description="Slack Web API base URL.")] = (
        "https://slack.com/api/"
    )
    mode: Annotated[
        Literal["socket", "http"],
        Field(
            description="How events arrive: Socket Mode (SLACK_APP_TOKEN) or HTTP requests signed "
            "with SLACK_SIGNING_SECRET."
        ),
    ] = "socket"
    http_listen: Annotated[str, Field(description="HTTP mode: address to listen on.")] = "127.0.0.1"
    http_port: Annotated[int, Field(ge=1, le=65535, description="HTTP mode: port.")] = 3000
    http_path: Annotated[str, Field(description="HTTP mode: request URL path.")] = "/slack/events"
    admin_ids: Annotated[
        tuple[str, ...], Field(description="Slack user ids allowed to run admin subcommands.")
    ] = ()
    admin_channel: Annotated[
        str | None,
        Field(description="A channel id for admin notices (a destination that stopped)."),
    ] = None
    personal_digests: Annotated[
        bool,
        Field(
            description="Send Slack subscribers their personal digest at the time they chose "
            "(Telegram's have telegram.personal_digests)."
        ),
    ] = True


@dataclass(frozen=True, slots=True)
class OpsSettings:
    """Operations: the health and metrics endpoint, and the log format."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    listen: Annotated[str, Field(description="Address of the /healthz and /metrics server.")] = (
        "127.0.0.1"
    )
    port: Annotated[
        int, Field(ge=0, le=65535, description="Port of the /healthz and /metrics server (0: off).")
    ] = 9108
    json_logs: Annotated[bool, Field(description="Write logs as JSON lines instead of text.")] = (
        False
    )


def _base_url(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError(
            "must be an http(s) URL without query or fragment, e.g. https://news.example"
        )
    return value.rstrip("/")


@dataclass(frozen=True, slots=True)
class WebSettings:
    """The public web archive: digests of public destinations as pages and feeds."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    enabled: Annotated[
        bool,
        Field(
            description="Serve the web archive (pages and feeds of the destinations with "
            "public = true; everything else answers 404)."
        ),
    ] = False
    listen: Annotated[str, Field(description="Address the web archive listens on.")] = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535, description="Port of the web archive.")] = 8080
    base_url: Annotated[
        str | None,
        AfterValidator(_base_url),
        Field(
            description="The archive's public URL (behind your reverse proxy), used in feeds and "
            "in the archive link of public destinations' digests (unset: no link)."
        ),
    ] = None
    language: Annotated[
        Language,
        Field(
            description="Language of the pages that belong to no destination (home, stories, "
            "topics, search); a destination's pages use its own."
        ),
    ] = "ar"
    timezone: Annotated[
        str,
        AfterValidator(check_timezone),
        Field(description="IANA time zone of the times on those pages."),
    ] = DEFAULT_TIMEZONE


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How long news may wait in the outbox, and how long shutdown waits for sends."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    max_age_minutes: Annotated[
        int,
        Field(
            ge=1,
            le=60 * 24 * 7,
            description="A message waiting longer than this is dropped (logged and counted) "
            "instead of being posted late.",
        ),
    ] = 720
    shutdown_grace_seconds: Annotated[
        float,
        Field(
            ge=0,
            le=300,
            description="How long shutdown waits in all for running jobs and sends in flight. "
            "Sends still in progress then are cancelled and their parts kept in the outbox, to "
            "be sent after the restart (or at once by another instance).",
        ),
    ] = 10.0
    lease_seconds: Annotated[
        int,
        Field(
            ge=5,
            le=3600,
            description="How long a message part being sent stays reserved for the instance "
            "sending it, on the database's clock; the sender renews the reservation every "
            "third of this while the send is in progress. With several instances, a killed "
            "instance's parts are sent by another one after this. (One instance on SQLite "
            "hands its parts back at once on restart.)",
        ),
    ] = 15


@dataclass(frozen=True, slots=True)
class AdminSettings:
    """What admins may do from chat."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    allow_private_feed_urls: Annotated[
        bool,
        Field(
            description="Let every feed and article page be fetched from private, loopback or "
            "link-local addresses, and admins add such feeds (off: such fetches are refused on "
            "every redirect hop and recorded as the feed's error; one configured feed can opt "
            "in with allow_private)."
        ),
    ] = False


@dataclass(frozen=True, slots=True)
class LogSettings:
    """What the logs show."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR"], Field(description="Lowest level logged.")
    ] = "INFO"


@dataclass(frozen=True, slots=True)
class Secrets:
    """Credentials, from the environment only; each is optional until its feature is used."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    database_url: Annotated[
        SecretStr | None,
        Field(description="NEWSDIGEST_DATABASE_URL: SQLAlchemy URL of an external database."),
    ] = None
    telegram_bot_token: Annotated[SecretStr | None, Field(description="TELEGRAM_BOT_TOKEN.")] = None
    telegram_webhook_secret: Annotated[
        SecretStr | None,
        AfterValidator(_webhook_secret),
        Field(
            description="TELEGRAM_WEBHOOK_SECRET: the secret_token Telegram sends with every "
            "webhook call (1-256 of A-Z a-z 0-9 _ -); calls without it are refused."
        ),
    ] = None
    slack_bot_token: Annotated[SecretStr | None, Field(description="SLACK_BOT_TOKEN (xoxb-…).")] = (
        None
    )
    slack_app_token: Annotated[SecretStr | None, Field(description="SLACK_APP_TOKEN (xapp-…).")] = (
        None
    )
    slack_signing_secret: Annotated[
        SecretStr | None, Field(description="SLACK_SIGNING_SECRET.")
    ] = None
    llm_api_key: Annotated[SecretStr | None, Field(description="NEWSDIGEST_LLM_API_KEY.")] = None
