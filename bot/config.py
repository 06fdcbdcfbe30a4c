"""Configuration: the one module that reads the configuration file and the environment.

The file (TOML) holds everything but secrets; secrets come only from environment variables
(or a ``.env`` file beside the working directory, which never overrides the real environment)
and are typed ``SecretStr`` so that ``repr()`` and ``check-config`` never show them.

Every key is validated at start-up. A refused value raises ``ConfigError`` with one line per
problem naming the file, the key, the value and what is allowed.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from digests.digest import DigestChoices
from digests.enrich import EnrichSettings
from digests.errors import ConfigError
from digests.llm import LLMSettings
from digests.policy import FeedSettings, PollSettings
from digests.store import sqlite_url

__all__ = [
    "DEFAULT_CONFIG",
    "ENV_SECRETS",
    "DeliverySettings",
    "DestinationSettings",
    "HealthSettings",
    "OpsSettings",
    "Secrets",
    "Settings",
    "SlackSettings",
    "StorageSettings",
    "TelegramSettings",
    "TopicsSettings",
    "load_settings",
    "redacted",
    "reference_markdown",
]

DEFAULT_CONFIG = Path("config/newsdigest.toml")

# Environment variable → Secrets field. Secrets are never read from the configuration file.
ENV_SECRETS = {
    "NEWSDIGEST_DATABASE_URL": "database_url",
    "TELEGRAM_BOT_TOKEN": "telegram_bot_token",
    "TELEGRAM_WEBHOOK_SECRET": "telegram_webhook_secret",
    "SLACK_BOT_TOKEN": "slack_bot_token",
    "SLACK_APP_TOKEN": "slack_app_token",
    "SLACK_SIGNING_SECRET": "slack_signing_secret",
    "NEWSDIGEST_LLM_API_KEY": "llm_api_key",
}


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StorageSettings(_Section):
    """Where data lives."""

    data_dir: Path = Field(
        Path("data"),
        description="Folder for the SQLite database (relative paths are relative to the "
        "working directory). Ignored when NEWSDIGEST_DATABASE_URL is set.",
    )


class DestinationSettings(_Section):
    """A place digests are posted to, on a schedule."""

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="Unique name (lower-case letters, digits, - and _).",
    )
    platform: Literal["console", "telegram", "slack"] = Field(
        "console",
        description="Where to post: console prints to the terminal; telegram and slack post "
        "to `chat`.",
    )
    chat: str | None = Field(
        None,
        description="Telegram: the chat id (-100… for channels and groups) or @channelname; "
        "Slack: the channel id (C…).",
        pattern=r"^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}|[CGD][A-Z0-9]{6,20})$",
    )
    thread_id: int | None = Field(
        None, ge=1, description="Telegram: the forum topic (message_thread_id) to post in."
    )
    slack_threads: bool = Field(
        False,
        description="Slack: post a heading message with each story as a reply in its thread.",
    )
    schedule: str = Field(
        "0 8,20 * * *",
        description="When to post, as a 5-field cron expression (minute hour day month weekday).",
    )
    timezone: str = Field("Asia/Riyadh", description="IANA time zone of the schedule.")
    max_items: int = Field(20, ge=1, le=200, description="Most stories in one digest.")
    summary_sentences: int = Field(
        2, ge=1, le=6, description="Most sentences in the summary of one story."
    )
    summary_chars: int = Field(
        280, ge=40, le=2000, description="Longest summary of one story, in characters."
    )
    topics: tuple[str, ...] = Field(
        (), description="Only stories with one of these topic slugs (empty: every story)."
    )
    exclude_topics: tuple[str, ...] = Field(
        (), description="Never stories with one of these topic slugs."
    )
    sources: tuple[str, ...] = Field(
        (), description="Only articles from these feed names (empty: every feed)."
    )
    breaking_topics: tuple[str, ...] = Field(
        (),
        description="Breaking lane: stories on these topic slugs are posted as soon as they "
        "arrive instead of waiting for the schedule (empty: no breaking lane).",
    )
    empty_digest: Literal["skip", "notice"] = Field(
        "skip",
        description="What an empty period posts: nothing (skip) or a short no-news line.",
    )
    language: Literal["ar", "en"] = Field("ar", description="Language of the digest's labels.")
    lookback_hours: int = Field(
        24,
        ge=1,
        le=24 * 30,
        description="Oldest article (by arrival) a digest may include; bounds the first digest.",
    )
    digest_on_start: bool = Field(
        False, description="Also post a digest right after the first poll when the bot starts."
    )

    def choices(self, *, breaking: bool = False) -> DigestChoices:
        """What the composer needs of this destination (the breaking lane's when asked)."""
        return DigestChoices(
            max_items=self.max_items,
            summary_sentences=self.summary_sentences,
            summary_chars=self.summary_chars,
            topics=frozenset(self.breaking_topics if breaking else self.topics),
            exclude_topics=frozenset(self.exclude_topics),
            sources=frozenset(self.sources),
        )

    @model_validator(mode="after")
    def _target(self) -> DestinationSettings:
        if self.platform != "console" and self.chat is None:
            raise ValueError(f"destination {self.name!r} posts to {self.platform}: set its chat")
        slack_id = self.chat is not None and self.chat[:1] in "CGD"
        if self.platform == "slack" and not slack_id:
            raise ValueError(f"destination {self.name!r}: a Slack chat is a channel id (C…)")
        if self.platform == "telegram" and slack_id:
            raise ValueError(f"destination {self.name!r}: a Telegram chat is an id or @name")
        return self

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"not a valid 5-field cron expression ({exc})") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone name such as Asia/Riyadh or UTC") from None
        return value


class TopicsSettings(_Section):
    """Topics, stories and related articles."""

    taxonomy_file: Path = Field(
        Path("topics.toml"),
        description="The topic taxonomy (TOML); a relative path is relative to the folder of "
        "the configuration file.",
    )
    story_window_hours: int = Field(
        48, ge=1, le=24 * 14, description="Articles this close in time can be one story."
    )
    related_window_days: int = Field(
        14, ge=1, le=90, description="How far back related earlier articles are looked for."
    )
    related_per_article: int = Field(
        3, ge=0, le=10, description="Related earlier articles stored per article."
    )
    keyphrases_per_article: int = Field(
        6, ge=0, le=20, description="Automatic keyphrase topics kept per article."
    )

    def enrich_settings(self) -> EnrichSettings:
        """What the enricher needs of these settings."""
        return EnrichSettings(
            story_window=timedelta(hours=self.story_window_hours),
            related_window=timedelta(days=self.related_window_days),
            related_per_article=self.related_per_article,
            keyphrases_per_article=self.keyphrases_per_article,
        )


class SummarySettings(_Section):
    """How articles are summarised: extractive always; a language model optionally."""

    llm: LLMSettings | None = Field(
        None,
        description="An OpenAI-compatible chat API that writes summaries ([summary.llm]; off "
        "when absent). Its key comes from NEWSDIGEST_LLM_API_KEY. On any error, timeout, "
        "over-long or non-Arabic answer the extractive summary is used and the reason kept.",
    )


class TelegramSettings(_Section):
    """The Telegram bot (on when TELEGRAM_BOT_TOKEN is set)."""

    base_url: str = Field(
        "https://api.telegram.org/bot",
        description="Bot API base URL (the token and method are appended); change it for a "
        "self-hosted Bot API server.",
    )
    base_file_url: str = Field(
        "https://api.telegram.org/file/bot", description="Bot API file base URL."
    )
    admin_ids: tuple[int, ...] = Field(
        (), description="Telegram user ids allowed to run admin commands."
    )
    admin_chat_id: int | None = Field(
        None,
        description="A chat whose administrators are admins too; admin notices are posted there.",
    )
    mode: Literal["polling", "webhook"] = Field(
        "polling",
        description="How updates arrive: long polling, or a webhook Telegram calls (needs "
        "webhook_url and TELEGRAM_WEBHOOK_SECRET).",
    )
    webhook_url: str | None = Field(
        None,
        description="Webhook mode: the public https URL Telegram posts updates to (your "
        "reverse proxy forwards it to webhook_listen:webhook_port/webhook_path).",
    )
    webhook_listen: str = Field("127.0.0.1", description="Webhook mode: address to listen on.")
    webhook_port: int = Field(8443, ge=1, le=65535, description="Webhook mode: port.")
    webhook_path: str = Field("telegram", description="Webhook mode: URL path to serve.")
    leader_retry_seconds: float = Field(
        5.0,
        gt=0,
        le=300,
        description="Polling mode with several instances (PostgreSQL): how often an instance "
        "that is not the leader tries to become it, and the leader checks it still is. Only "
        "the leader calls getUpdates; another takes over within about this long when it dies.",
    )
    poll_timeout_seconds: int = Field(
        25, ge=0, le=50, description="Long-polling timeout of getUpdates."
    )
    personal_digests: bool = Field(
        True, description="Send subscribers their personal digest at the time they chose."
    )


class SlackSettings(_Section):
    """The Slack app (on when SLACK_BOT_TOKEN is set)."""

    base_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    mode: Literal["socket", "http"] = Field(
        "socket",
        description="How events arrive: Socket Mode (SLACK_APP_TOKEN) or HTTP requests signed "
        "with SLACK_SIGNING_SECRET.",
    )
    http_listen: str = Field("127.0.0.1", description="HTTP mode: address to listen on.")
    http_port: int = Field(3000, ge=1, le=65535, description="HTTP mode: port.")
    http_path: str = Field("/slack/events", description="HTTP mode: request URL path.")
    admin_ids: tuple[str, ...] = Field(
        (), description="Slack user ids allowed to run admin subcommands."
    )
    admin_channel: str | None = Field(
        None, description="A channel id for admin notices (a destination that stopped)."
    )


class OpsSettings(_Section):
    """Operations: the health and metrics endpoint, and the log format."""

    listen: str = Field("127.0.0.1", description="Address of the /healthz and /metrics server.")
    port: int = Field(
        9108, ge=0, le=65535, description="Port of the /healthz and /metrics server (0: off)."
    )
    json_logs: bool = Field(False, description="Write logs as JSON lines instead of text.")


class HealthSettings(_Section):
    """When admins hear about failing feeds."""

    feed_failing_minutes: int = Field(
        360,
        ge=1,
        le=60 * 24 * 30,
        description="Tell the admins when a feed has been failing this long (and again when it "
        "recovers).",
    )
    outage_share: float = Field(
        0.8,
        gt=0,
        le=1,
        description="When at least this share of the feeds polled in one pass fail, it is "
        "treated as our own network outage: no feed is reported broken for it.",
    )


class DeliverySettings(_Section):
    """How long news may wait in the outbox, and how long shutdown waits for sends."""

    max_age_minutes: int = Field(
        720,
        ge=1,
        le=60 * 24 * 7,
        description="A message waiting longer than this is dropped (logged and counted) "
        "instead of being posted late.",
    )
    shutdown_grace_seconds: float = Field(
        10.0, ge=0, le=300, description="How long shutdown waits for sends in flight."
    )
    lease_seconds: int = Field(
        120,
        ge=5,
        le=3600,
        description="How long a message part being sent stays reserved for the instance "
        "sending it. With several instances, a killed instance's parts are sent by another "
        "one after this; keep it longer than a send plus any rate-limit wait. (One instance "
        "on SQLite hands its parts back at once on restart.)",
    )


class AdminSettings(_Section):
    """What admins may do from chat."""

    allow_private_feed_urls: bool = Field(
        False,
        description="Allow /addfeed URLs that resolve to private, loopback or link-local "
        "addresses (off: such feeds are refused).",
    )


class LogSettings(_Section):
    """What the logs show."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Lowest level logged."
    )


class Secrets(_Section):
    """Credentials, from the environment only; each is optional until its feature is used."""

    database_url: SecretStr | None = Field(
        None, description="NEWSDIGEST_DATABASE_URL: SQLAlchemy URL of an external database."
    )
    telegram_bot_token: SecretStr | None = Field(None, description="TELEGRAM_BOT_TOKEN.")
    telegram_webhook_secret: SecretStr | None = Field(
        None,
        description="TELEGRAM_WEBHOOK_SECRET: the secret_token Telegram sends with every "
        "webhook call (1-256 of A-Z a-z 0-9 _ -); calls without it are refused.",
    )

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    slack_bot_token: SecretStr | None = Field(None, description="SLACK_BOT_TOKEN (xoxb-…).")
    slack_app_token: SecretStr | None = Field(None, description="SLACK_APP_TOKEN (xapp-…).")
    slack_signing_secret: SecretStr | None = Field(None, description="SLACK_SIGNING_SECRET.")
    llm_api_key: SecretStr | None = Field(None, description="NEWSDIGEST_LLM_API_KEY.")


class Settings(_Section):
    """The whole configuration."""

    storage: StorageSettings = Field(default_factory=StorageSettings, description="Storage.")
    poll: PollSettings = Field(default_factory=PollSettings, description="Feed polling.")
    log: LogSettings = Field(default_factory=LogSettings, description="Logging.")
    topics: TopicsSettings = Field(
        default_factory=TopicsSettings, description="Topics and stories."
    )
    summary: SummarySettings = Field(default_factory=SummarySettings, description="Summaries.")
    telegram: TelegramSettings = Field(
        default_factory=TelegramSettings, description="The Telegram bot."
    )
    slack: SlackSettings = Field(default_factory=SlackSettings, description="The Slack app.")
    admin: AdminSettings = Field(default_factory=AdminSettings, description="Admin rights.")
    ops: OpsSettings = Field(default_factory=OpsSettings, description="Operations.")
    health: HealthSettings = Field(default_factory=HealthSettings, description="Feed health.")
    delivery: DeliverySettings = Field(default_factory=DeliverySettings, description="Delivery.")
    feeds: tuple[FeedSettings, ...] = Field((), description="The feeds to poll.")
    destinations: tuple[DestinationSettings, ...] = Field((), description="Where digests go.")
    secrets: Secrets = Field(default_factory=Secrets, description="From the environment.")

    @model_validator(mode="after")
    def _unique(self) -> Settings:
        for label, values in (
            ("feeds", [f.url for f in self.feeds]),
            ("destinations", [d.name for d in self.destinations]),
        ):
            seen: set[str] = set()
            for index, value in enumerate(values):
                if value in seen:
                    key = "url" if label == "feeds" else "name"
                    raise ValueError(f"{label}[{index}].{key} {value!r} appears twice")
                seen.add(value)
        return self

    @model_validator(mode="after")
    def _telegram_webhook(self) -> Settings:
        if self.telegram.mode == "webhook" and (
            self.telegram.webhook_url is None or self.secrets.telegram_webhook_secret is None
        ):
            raise ValueError(
                "telegram.mode = webhook needs telegram.webhook_url and TELEGRAM_WEBHOOK_SECRET"
            )
        return self

    @model_validator(mode="after")
    def _slack_tokens(self) -> Settings:
        uses_slack = any(d.platform == "slack" for d in self.destinations)
        if uses_slack and self.secrets.slack_bot_token is None:
            raise ValueError("a destination posts to Slack but SLACK_BOT_TOKEN is not set")
        if self.secrets.slack_bot_token is not None:
            needed = {
                "socket": ("slack_app_token", "SLACK_APP_TOKEN"),
                "http": (
                    "slack_signing_secret",
                    "SLACK_SIGNING_SECRET",
                ),
            }[self.slack.mode]
            if getattr(self.secrets, needed[0]) is None:
                raise ValueError(f"slack.mode = {self.slack.mode} needs {needed[1]}")
        return self

    @model_validator(mode="after")
    def _telegram_token(self) -> Settings:
        for index, destination in enumerate(self.destinations):
            if destination.platform == "telegram" and self.secrets.telegram_bot_token is None:
                raise ValueError(
                    f"destinations[{index}] posts to Telegram but TELEGRAM_BOT_TOKEN is not set"
                )
        return self

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL to open: the external database, else SQLite under data_dir."""
        if self.secrets.database_url is not None:
            return self.secrets.database_url.get_secret_value()
        return sqlite_url(self.storage.data_dir / "newsdigest.sqlite3")


def load_settings(
    path: Path = DEFAULT_CONFIG,
    environ: Mapping[str, str] | None = None,
    *,
    dotenv: Path | None = Path(".env"),
) -> Settings:
    """Read and validate ``path`` plus the secrets in ``environ`` (default: the process's).

    Raises ``ConfigError`` naming the file, key, value and rule of every refused value.
    """
    environment: dict[str, str] = {}
    if dotenv is not None and dotenv.is_file():
        environment.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    environment.update(os.environ if environ is None else environ)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if "secrets" in raw:
        raise ConfigError(
            f"{path}: secrets: secrets are read from the environment only "
            f"({', '.join(ENV_SECRETS)}); remove the [secrets] table"
        )
    raw["secrets"] = {
        field: environment[var] for var, field in ENV_SECRETS.items() if environment.get(var)
    }
    llm = raw.get("summary", {}).get("llm") if isinstance(raw.get("summary"), dict) else None
    if isinstance(llm, dict):
        if "api_key" in llm:
            raise ConfigError(
                f"{path}: summary.llm.api_key: secrets are read from the environment only; "
                "set NEWSDIGEST_LLM_API_KEY instead"
            )
        if environment.get("NEWSDIGEST_LLM_API_KEY"):
            llm["api_key"] = environment["NEWSDIGEST_LLM_API_KEY"]
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        problems = (_describe(path, raw, error) for error in exc.errors())
        raise ConfigError("\n".join(problems)) from None
    taxonomy = settings.topics.taxonomy_file
    if not taxonomy.is_absolute():
        topics = settings.topics.model_copy(update={"taxonomy_file": path.parent / taxonomy})
        settings = settings.model_copy(update={"topics": topics})
    return settings


def _describe(path: Path, raw: Mapping[str, Any], error: Any) -> str:
    location = tuple(error["loc"])
    if location and location[0] == "secrets":
        variable = next((v for v, f in ENV_SECRETS.items() if f in location), "environment")
        return f"{path}: environment variable {variable}: {error['msg']}"
    key = _dotted(location) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(location[:-1])
        return f"{path}: {key}: unknown key; allowed here: {', '.join(allowed)}"
    if kind == "missing":
        return f"{path}: {key}: required key is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error" and not location:
        return f"{path}: {message}"
    value = json.dumps(error.get("input"), ensure_ascii=False, default=str)
    return f"{path}: {key} = {value}: {message}"


def _dotted(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _allowed_keys(location: tuple[Any, ...]) -> list[str]:
    model: Any = Settings
    for part in location:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        args = getattr(annotation, "__args__", ())
        model = args[0] if args else annotation
    return sorted(k for k in model.model_fields if k != "secrets")


def redacted(settings: Settings) -> dict[str, Any]:
    """The effective configuration as plain data, secrets shown only as set or unset."""
    data = settings.model_dump(mode="json")
    data["secrets"] = {
        var: ("set (redacted)" if getattr(settings.secrets, field) is not None else "not set")
        for var, field in ENV_SECRETS.items()
    }
    data["database"] = (
        "external (NEWSDIGEST_DATABASE_URL, redacted)"
        if settings.secrets.database_url is not None
        else settings.database_url
    )
    return data


def reference_markdown() -> str:
    """The configuration reference (every key, its default and help) as Markdown tables.

    ``docs/configuration.md`` embeds this text; a test keeps the two identical.
    """
    sections: list[tuple[str, type[BaseModel], str]] = [
        ("storage", StorageSettings, "[storage]"),
        ("poll", PollSettings, "[poll]"),
        ("log", LogSettings, "[log]"),
        ("topics", TopicsSettings, "[topics]"),
        ("telegram", TelegramSettings, "[telegram]"),
        ("slack", SlackSettings, "[slack]"),
        ("admin", AdminSettings, "[admin]"),
        ("ops", OpsSettings, "[ops]"),
        ("health", HealthSettings, "[health]"),
        ("delivery", DeliverySettings, "[delivery]"),
        ("summary.llm", LLMSettings, "[summary.llm] (optional: summaries by a language model)"),
        ("feeds", FeedSettings, "[[feeds]] (one table per feed)"),
        ("destinations", DestinationSettings, "[[destinations]] (one table per destination)"),
    ]
    lines: list[str] = []
    for name, model, heading in sections:
        lines += [f"### `{heading}`", "", "| key | default | meaning |", "|---|---|---|"]
        for key, field in model.model_fields.items():
            if key == "api_key":
                continue  # a secret: from the environment, listed below
            default = "required" if field.is_required() else f"`{_toml_value(field.default)}`"
            lines.append(f"| `{name}.{key}` | {default} | {field.description} |")
        lines.append("")
    lines += ["### Environment variables (secrets)", "", "| variable | meaning |", "|---|---|"]
    for variable, field_name in ENV_SECRETS.items():
        description = Secrets.model_fields[field_name].description or ""
        lines.append(f"| `{variable}` | {description.split(': ', 1)[-1]} |")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    return str(value)


if __name__ == "__main__":
    print(reference_markdown(), end="")
