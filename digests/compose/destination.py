"""Destinations: where digests go, when, in which language, and which stories they take.

``Destination`` is the core type: the configuration file's ``[[destinations]]`` tables are
validated straight into it (``bot.config``), and the bot builds the other destinations it
needs in code (a subscriber's personal digest ``personal:<platform>:<user>``, a topic's
latest stories ``latest:<slug>``). Each field is declared once here, with its default, its
constraint and its help text: pydantic reads them when it validates the file; in code a
``Destination`` is a plain frozen dataclass and nothing is re-validated (names with a colon,
which the file refuses, are how built destinations stay apart from configured ones).

Checks that need more than one field, or the scheduler (the cron expression), are made by
``bot.config`` when the file is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, ConfigDict, Field

from digests.compose.digest import DigestChoices
from digests.compose.i18n import Language
from digests.models import Platform
from digests.text.keywords import RuleError, parse_rule

__all__ = [
    "DEFAULT_TIMEZONE",
    "MAX_LOOKBACK_HOURS",
    "Destination",
    "check_rules",
    "check_timezone",
]

DEFAULT_TIMEZONE = "Asia/Riyadh"
MAX_LOOKBACK_HOURS = 24 * 30
"""The furthest back any digest may look (``lookback_hours``); retention keeps what it needs."""


def check_timezone(value: str) -> str:
    """``value`` when it names an IANA time zone; ``ValueError`` otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone name such as Asia/Riyadh or UTC") from None
    return value


def check_rules(value: tuple[str, ...]) -> tuple[str, ...]:
    """``value`` when every entry is a keyword rule (``text.keywords``); ``ValueError``
    naming the first that is not, and why."""
    for index, rule in enumerate(value):
        try:
            parse_rule(rule)
        except RuleError as error:
            raise ValueError(f"entry {index + 1} ({rule!r}): {error}") from None
    return value


@dataclass(frozen=True, slots=True)
class Destination:
    """A place digests are posted to, on a schedule."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    name: Annotated[
        str,
        Field(
            pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
            description="Unique name (lower-case letters, digits, - and _).",
        ),
    ]
    platform: Annotated[
        Platform,
        Field(
            description="Where to post: console prints to the terminal; telegram and slack post "
            "to `chat`."
        ),
    ] = "console"
    chat: Annotated[
        str | None,
        Field(
            description="Telegram: the chat id (-100… for channels and groups) or @channelname; "
            "Slack: the channel id (C…).",
            pattern=r"^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}|[CGD][A-Z0-9]{6,20})$",
        ),
    ] = None
    thread_id: Annotated[
        int | None,
        Field(ge=1, description="Telegram: the forum topic (message_thread_id) to post in."),
    ] = None
    slack_threads: Annotated[
        bool,
        Field(
            description="Slack: post a heading message with each story as a reply in its thread."
        ),
    ] = False
    schedule: Annotated[
        str,
        Field(
            description="When to post, as a 5-field cron expression (minute hour day month "
            "weekday)."
        ),
    ] = "0 8,20 * * *"
    timezone: Annotated[
        str,
        AfterValidator(check_timezone),
        Field(description="IANA time zone of the schedule."),
    ] = DEFAULT_TIMEZONE
    max_items: Annotated[int, Field(ge=1, le=200, description="Most stories in one digest.")] = 20
    summary_sentences: Annotated[
        int, Field(ge=1, le=6, description="Most sentences in the summary of one story.")
    ] = 2
    summary_chars: Annotated[
        int, Field(ge=40, le=2000, description="Longest summary of one story, in characters.")
    ] = 280
    topics: Annotated[
        tuple[str, ...],
        Field(description="Only stories with one of these topic slugs (empty: every story)."),
    ] = ()
    exclude_topics: Annotated[
        tuple[str, ...], Field(description="Never stories with one of these topic slugs.")
    ] = ()
    keywords: Annotated[
        tuple[str, ...],
        AfterValidator(check_rules),
        Field(
            description='Only stories that match one of these keyword rules (words, "a phrase", '
            "-excluded; as /alert takes them; empty: every story)."
        ),
    ] = ()
    exclude_keywords: Annotated[
        tuple[str, ...],
        AfterValidator(check_rules),
        Field(description="Never stories that match one of these keyword rules."),
    ] = ()
    sources: Annotated[
        tuple[str, ...],
        Field(description="Only articles from these feed names (empty: every feed)."),
    ] = ()
    breaking_topics: Annotated[
        tuple[str, ...],
        Field(
            description="Breaking lane: stories on these topic slugs are posted as soon as they "
            "arrive instead of waiting for the schedule (empty: no breaking lane)."
        ),
    ] = ()
    empty_digest: Annotated[
        Literal["skip", "notice"],
        Field(description="What an empty period posts: nothing (skip) or a short no-news line."),
    ] = "skip"
    language: Annotated[Language, Field(description="Language of the digest's labels.")] = "ar"
    lookback_hours: Annotated[
        int,
        Field(
            ge=1,
            le=MAX_LOOKBACK_HOURS,
            description="Oldest article (by arrival) a digest may include; bounds the first "
            "digest.",
        ),
    ] = 24
    digest_on_start: Annotated[
        bool,
        Field(description="Also post a digest right after the first poll when the bot starts."),
    ] = False
    public: Annotated[
        bool,
        Field(
            description="Publish this destination's digests on the web archive ([web]): its "
            "pages and feeds, and an archive link in each digest when web.base_url is set (off: "
            "its pages answer 404)."
        ),
    ] = False
    images: Annotated[
        bool | None,
        Field(
            description="Post a story's lead image when a message tells one story (Telegram: a "
            "photo with the story as its caption, a text message when it does not fit 1024 "
            "characters; Slack: an image block). Unset: only the breaking lane's posts.",
        ),
    ] = None
    update_min_minutes: Annotated[
        int,
        Field(
            ge=1,
            le=24 * 60,
            description="Live updates: a posted message (a story alone, or a part of a digest "
            "of several stories) is edited when more outlets report a story it tells (within "
            "topics.story_window_hours), at most once every this many minutes per message.",
        ),
    ] = 10

    def choices(self, *, breaking: bool = False) -> DigestChoices:
        """What the composer needs of this destination (the breaking lane's when asked)."""
        return DigestChoices(
            max_items=self.max_items,
            summary_sentences=self.summary_sentences,
            summary_chars=self.summary_chars,
            topics=frozenset(self.breaking_topics if breaking else self.topics),
            exclude_topics=frozenset(self.exclude_topics),
            sources=frozenset(self.sources),
            keywords=tuple(parse_rule(rule) for rule in self.keywords),
            exclude_keywords=tuple(parse_rule(rule) for rule in self.exclude_keywords),
        )

    @property
    def thread(self) -> str | None:
        """The thread parts are posted in, as the outbox keeps it (Telegram forum topics)."""
        return str(self.thread_id) if self.thread_id else None
