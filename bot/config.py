"""Configuration: the one module that reads the configuration file and the environment.

The file (TOML) holds everything but secrets; secrets come only from environment variables
(or a ``.env`` file beside the working directory, which never overrides the real environment)
and are typed ``SecretStr`` so that ``repr()`` and ``check-config`` never show them.

Settings reach the rest of the program one way: as plain frozen dataclasses, validated once,
here, straight from the file. Each section is declared once, with its defaults, constraints
and help text, beside the code that consumes it: the core's sections in ``digests``
(``PollSettings`` and ``FeedSettings`` in ``ingest.settings``, ``TopicSettings`` in
``text.enrich``, ``HealthSettings`` in ``ingest.health``, ``LLMSettings`` in ``ingest.llm``,
``Destination`` in ``compose.destination``), the application's own in ``bot.sections``. Pydantic
reads their ``Field`` annotations when it validates the file; nothing is validated again
later, and nothing derived from the file is built twice.

Every key is validated at start-up. A refused value raises ``ConfigError`` with one line per
problem naming the file, the key, the value and what is allowed. The secrets the chat
platforms need are checked only where a platform is used (``check_chat``: ``run`` and
``check-config``), so commands that only read the store run without any token.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from apscheduler.triggers.cron import CronTrigger
from dotenv import dotenv_values
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo

from bot.sections import (
    AdminSettings,
    DeliverySettings,
    LogSettings,
    OpsSettings,
    Secrets,
    SlackSettings,
    StorageSettings,
    SummarySettings,
    TelegramSettings,
    WebSettings,
)
from digests.compose.destination import Destination
from digests.deliver.alerts import AlertSettings
from digests.errors import ConfigError
from digests.ingest.health import HealthSettings
from digests.ingest.llm import LLMSettings
from digests.ingest.settings import FeedSettings, PollSettings
from digests.store.database import sqlite_url
from digests.text.enrich import TopicSettings

__all__ = [
    "DEFAULT_CONFIG",
    "ENV_SECRETS",
    "Settings",
    "check_chat",
    "load_settings",
    "redacted",
    "reference_markdown",
    "setting_fields",
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


def _field_info(section: type, name: str) -> FieldInfo:
    """The ``Field`` annotation of one key of a settings dataclass."""
    hints = typing.get_type_hints(section, include_extras=True)
    found = (m for m in typing.get_args(hints[name])[1:] if isinstance(m, FieldInfo))
    return next(found, FieldInfo())


def _default(section: type, name: str) -> Any:
    return next(item.default for item in dataclasses.fields(section) if item.name == name)


def _cron(value: str) -> str:
    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"not a valid 5-field cron expression ({exc})") from None
    return value


@dataclass(frozen=True, slots=True)
class ConfiguredDestination(Destination):
    """A ``[[destinations]]`` table: a ``Destination`` whose schedule the scheduler's own
    parser accepts, and whose chat fits its platform (checks the core cannot make: it does
    not import the scheduler, and builds destinations of its own in code)."""

    schedule: Annotated[str, AfterValidator(_cron), _field_info(Destination, "schedule")] = (
        _default(Destination, "schedule")
    )

    def __post_init__(self) -> None:
        if self.platform != "console" and self.chat is None:
            raise ValueError(f"destination {self.name!r} posts to {self.platform}: set its chat")
        slack_id = self.chat is not None and self.chat[:1] in "CGD"
        if self.platform == "slack" and not slack_id:
            raise ValueError(f"destination {self.name!r}: a Slack chat is a channel id (C…)")
        if self.platform == "telegram" and slack_id:
            raise ValueError(f"destination {self.name!r}: a Telegram chat is an id or @name")


def _as_table(value: Any) -> Any:
    """A ``Destination`` built in code is validated like a table of the file."""
    if isinstance(value, Destination) and not isinstance(value, ConfiguredDestination):
        return {item.name: getattr(value, item.name) for item in dataclasses.fields(value)}
    return value


class Settings(BaseModel):
    """The whole configuration: the sections, the feeds, the destinations and the secrets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    storage: StorageSettings = Field(default_factory=StorageSettings, description="Storage.")
    poll: PollSettings = Field(default_factory=PollSettings, description="Feed polling.")
    log: LogSettings = Field(default_factory=LogSettings, description="Logging.")
    topics: TopicSettings = Field(default_factory=TopicSettings, description="Topics and stories.")
    summary: SummarySettings = Field(default_factory=SummarySettings, description="Summaries.")
    telegram: TelegramSettings = Field(
        default_factory=TelegramSettings, description="The Telegram bot."
    )
    slack: SlackSettings = Field(default_factory=SlackSettings, description="The Slack app.")
    admin: AdminSettings = Field(default_factory=AdminSettings, description="Admin rights.")
    ops: OpsSettings = Field(default_factory=OpsSettings, description="Operations.")
    web: WebSettings = Field(default_factory=WebSettings, description="The web archive.")
    health: HealthSettings = Field(default_factory=HealthSettings, description="Feed health.")
    delivery: DeliverySettings = Field(default_factory=DeliverySettings, description="Delivery.")
    alerts: AlertSettings = Field(default_factory=AlertSettings, description="Keyword alerts.")
    feeds: tuple[FeedSettings, ...] = Field((), description="The feeds to poll.")
    destinations: tuple[Annotated[ConfiguredDestination, BeforeValidator(_as_table)], ...] = Field(
        (), description="Where digests go."
    )
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

    def chat_problems(self) -> list[str]:
        """What talking to the chat platforms needs and lacks, one line each (empty: nothing).

        The destinations' platforms need their bot tokens; a Telegram webhook needs its URL
        and secret; a Slack token needs the app token (Socket Mode) or the signing secret
        (HTTP mode). Only what posts or listens on a platform asks (``check_chat``); commands
        that only read the store run without any token.
        """
        secrets = self.secrets
        problems: list[str] = []
        if self.telegram.mode == "webhook" and (
            self.telegram.webhook_url is None or secrets.telegram_webhook_secret is None
        ):
            problems.append(
                "telegram.mode = webhook needs telegram.webhook_url and TELEGRAM_WEBHOOK_SECRET"
            )
        if secrets.telegram_bot_token is None:
            telegram = [i for i, d in enumerate(self.destinations) if d.platform == "telegram"]
            if telegram:
                problems.append(
                    f"destinations[{telegram[0]}] posts to Telegram but TELEGRAM_BOT_TOKEN is "
                    "not set"
                )
        if secrets.slack_bot_token is None:
            if any(d.platform == "slack" for d in self.destinations):
                problems.append("a destination posts to Slack but SLACK_BOT_TOKEN is not set")
        else:
            field, variable = {
                "socket": ("slack_app_token", "SLACK_APP_TOKEN"),
                "http": ("slack_signing_secret", "SLACK_SIGNING_SECRET"),
            }[self.slack.mode]
            if getattr(secrets, field) is None:
                problems.append(f"slack.mode = {self.slack.mode} needs {variable}")
        return problems

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL to open: the external database, else SQLite under data_dir."""
        if self.secrets.database_url is not None:
            return self.secrets.database_url.get_secret_value()
        return sqlite_url(self.storage.data_dir / "newsdigest.sqlite3")


def check_chat(settings: Settings, source: Path | None = None) -> None:
    """Raise ``ConfigError`` with one line per ``Settings.chat_problems`` (prefixed with the
    file ``source`` when given): what must hold before anything talks to a chat platform."""
    problems = settings.chat_problems()
    if problems:
        prefix = f"{source}: " if source is not None else ""
        raise ConfigError("\n".join(prefix + problem for problem in problems))


def load_settings(
    path: Path = DEFAULT_CONFIG,
    environ: Mapping[str, str] | None = None,
    *,
    dotenv: Path | None = Path(".env"),
    chat: bool = False,
) -> Settings:
    """Read and validate ``path`` plus the secrets in ``environ`` (default: the process's).

    A relative ``topics.taxonomy_file`` is taken relative to the folder of ``path``. Raises
    ``ConfigError`` naming the file, key, value and rule of every refused value; with
    ``chat`` (the commands that talk to a chat platform), also every secret the configured
    platforms need and lack (``check_chat``).
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
    _resolve_taxonomy_file(raw, path.parent)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        problems = (_describe(path, raw, error) for error in exc.errors())
        raise ConfigError("\n".join(problems)) from None
    if chat:
        check_chat(settings, path)
    return settings


def _resolve_taxonomy_file(raw: dict[str, Any], folder: Path) -> None:
    """Write the taxonomy file's path, relative to ``folder`` when relative, into ``raw``."""
    topics = raw.setdefault("topics", {})
    if not isinstance(topics, dict):
        return  # refused by validation, with the key named
    default = next(
        f.default for f in dataclasses.fields(TopicSettings) if f.name == "taxonomy_file"
    )
    value = topics.get("taxonomy_file", default)
    if isinstance(value, str | Path) and not Path(value).is_absolute():
        topics["taxonomy_file"] = str(folder / value)


def _describe(path: Path, raw: Mapping[str, Any], error: Any) -> str:
    location = tuple(error["loc"])
    if location and location[0] == "secrets":
        variable = next((v for v, f in ENV_SECRETS.items() if f in location), "environment")
        return f"{path}: environment variable {variable}: {error['msg']}"
    key = _dotted(location) or "(top level)"
    kind = error["type"]
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        allowed = _allowed_keys(location[:-1])
        return f"{path}: {key}: unknown key; allowed here: {', '.join(allowed)}"
    if kind in ("missing", "missing_argument"):
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
    section: Any = Settings
    for part in location:
        if isinstance(part, int):
            continue
        section = _section_type(_field_types(section)[part])
    return sorted(k for k in _field_types(section) if k != "secrets")


def _field_types(section: Any) -> dict[str, Any]:
    if isinstance(section, type) and issubclass(section, BaseModel):
        return {name: info.annotation for name, info in section.model_fields.items()}
    return typing.get_type_hints(section)


def _section_type(annotation: Any) -> Any:
    """The dataclass a section's annotation names (inside ``tuple[X, ...]`` or ``X | None``)."""
    for arg in (annotation, *typing.get_args(annotation)):
        if dataclasses.is_dataclass(arg):
            return arg
    return annotation


def setting_fields(section: type) -> list[tuple[str, FieldInfo, Any]]:
    """Each key of a settings dataclass: its name, its ``Field`` (constraints, help text) and
    its default (``dataclasses.MISSING`` when required)."""
    out = []
    for item in dataclasses.fields(section):
        info = _field_info(section, item.name)
        default = item.default
        if item.default_factory is not dataclasses.MISSING:
            default = item.default_factory()
        out.append((item.name, info, default))
    return out


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
    sections: list[tuple[str, type, str]] = [
        ("storage", StorageSettings, "[storage]"),
        ("poll", PollSettings, "[poll]"),
        ("log", LogSettings, "[log]"),
        ("topics", TopicSettings, "[topics]"),
        ("telegram", TelegramSettings, "[telegram]"),
        ("slack", SlackSettings, "[slack]"),
        ("admin", AdminSettings, "[admin]"),
        ("ops", OpsSettings, "[ops]"),
        ("web", WebSettings, "[web]"),
        ("health", HealthSettings, "[health]"),
        ("delivery", DeliverySettings, "[delivery]"),
        ("alerts", AlertSettings, "[alerts]"),
        ("summary.llm", LLMSettings, "[summary.llm] (optional: summaries by a language model)"),
        ("feeds", FeedSettings, "[[feeds]] (one table per feed)"),
        ("destinations", Destination, "[[destinations]] (one table per destination)"),
    ]
    lines: list[str] = []
    for name, section, heading in sections:
        lines += [f"### `{heading}`", "", "| key | default | meaning |", "|---|---|---|"]
        for key, info, default in setting_fields(section):
            if key == "api_key":
                continue  # a secret: from the environment, listed below
            shown = "required" if default is dataclasses.MISSING else f"`{_toml_value(default)}`"
            lines.append(f"| `{name}.{key}` | {shown} | {info.description} |")
        lines.append("")
    lines += ["### Environment variables (secrets)", "", "| variable | meaning |", "|---|---|"]
    for variable, field_name in ENV_SECRETS.items():
        description = next(i.description for k, i, _ in setting_fields(Secrets) if k == field_name)
        lines.append(f"| `{variable}` | {(description or '').split(': ', 1)[-1]} |")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    return str(value)


if __name__ == "__main__":
    print(reference_markdown(), end="")
