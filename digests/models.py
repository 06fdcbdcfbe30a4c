"""The core types that flow through the pipeline, one small frozen dataclass per stage.

``Entry`` is what a feed says; ``Article`` is what the store keeps; ``Feed`` is a stored feed
with its polling state; ``TopicRow`` a topic; ``Digest`` what a destination is shown. Pure
data: no behaviour beyond trivial derived properties.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

__all__ = [
    "Article",
    "ChatPlatform",
    "Digest",
    "DigestItem",
    "DigestSection",
    "Entry",
    "ExtractedArticle",
    "Feed",
    "FeedState",
    "FetchResult",
    "Link",
    "ParsedFeed",
    "Platform",
    "PollOutcome",
    "TopicRef",
    "TopicRow",
]

Platform = Literal["console", "telegram", "slack"]
"""Where a destination posts: the terminal, or a chat platform."""
ChatPlatform = Literal["telegram", "slack"]
"""The chat platforms, where subscribers live and commands arrive."""
FeedState = Literal["paused", "failing", "warning", "ok", "new"]
"""A feed's health as the feed list shows it (``Feed.state``)."""


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed as stored, with its polling state (the scheduler reads ``next_check_at``)."""

    id: int
    url: str
    name: str
    etag: str | None = None
    last_modified: str | None = None
    next_check_at: datetime | None = None
    last_checked_at: datetime | None = None
    last_success_at: datetime | None = None
    error_count: int = 0
    last_error: str | None = None
    parse_problem: str | None = None
    paused: bool = False
    title: str | None = None
    allow_private: bool = False  # a configured feed's opt-in to private addresses

    @property
    def state(self) -> FeedState:
        """paused; failing (its last poll failed); warning (its last poll succeeded but the
        document had a problem, ``parse_problem``); ok; or new (never polled)."""
        if self.paused:
            return "paused"
        if self.error_count:
            return "failing"
        if self.parse_problem:
            return "warning"
        return "ok" if self.last_success_at else "new"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one HTTP fetch that produced a response (errors raise ``FetchError``)."""

    url: str
    final_url: str
    status: int
    body: bytes
    headers: dict[str, str]
    elapsed: float
    permanent_redirect: str | None = None

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional GET."""
        return self.status == 304


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a parsed feed, before the store decides whether it is new."""

    guid: str
    link: str
    title: str
    published: datetime | None
    snippet: str
    content: str | None = None  # full text when the feed carries it (plain text paragraphs)
    image: str | None = None  # the entry's image (enclosure, media:content), not yet checked


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What the parser made of a feed document; ``problem`` is set when it was malformed."""

    title: str | None
    entries: tuple[Entry, ...]
    ttl_seconds: int | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """The clean text of an article page: its headline and body paragraphs, boilerplate removed."""

    title: str | None
    paragraphs: tuple[str, ...]
    image: str | None = None  # the page's og:image / twitter:image, absolute, not yet checked

    @property
    def text(self) -> str:
        """The body as one string, paragraphs separated by a blank line."""
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class Article:
    """An article as stored."""

    id: int
    feed_id: int
    source: str
    guid: str
    url: str
    title: str
    published_at: datetime
    snippet: str
    text: str | None
    content_hash: str | None
    created_at: datetime
    story_id: int | None = None  # set once the article is clustered; its own id starts a story
    summary: str | None = None  # a stored summary (from the optional LLM backend), if any
    image_url: str | None = None  # its lead image, checked (public http(s), an image, small)

    @property
    def story(self) -> int:
        """The story this article belongs to (its own id until it is clustered)."""
        return self.story_id if self.story_id is not None else self.id


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """How one feed's poll went, for the ``poll --once`` table and the logs."""

    feed_id: int
    name: str
    url: str
    status: str  # "ok", "not_modified", "error", "paused"
    http_status: int | None
    new_articles: int
    elapsed: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class TopicRow:
    """A topic as stored: taxonomy topics come from config/topics.toml, keyphrases are found."""

    slug: str
    name_ar: str
    name_en: str
    kind: str
    origin: str = "taxonomy"  # or "keyphrase"
    match_key: str | None = None


@dataclass(frozen=True, slots=True)
class TopicRef:
    """A topic as a digest shows it: its slug (for links) and its name in the digest's language."""

    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class Link:
    """A link to an article elsewhere: its headline, URL and source name."""

    title: str
    url: str
    source: str


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One story in a digest: its lead article, summary, other coverage, topics, related stories."""

    article_id: int
    title: str
    url: str
    source: str
    published_at: datetime
    summary: str
    also_reported_by: tuple[Link, ...] = ()
    topics: tuple[TopicRef, ...] = ()
    related: tuple[Link, ...] = ()
    image: str | None = None  # the lead image's URL (checked when the article was stored)


@dataclass(frozen=True, slots=True)
class DigestSection:
    """Items grouped under one topic (``topic`` None: the rest)."""

    topic: TopicRef | None
    items: tuple[DigestItem, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    """A composed digest for one destination, its items grouped into sections."""

    destination: str
    created_at: datetime
    sections: tuple[DigestSection, ...] = field(default_factory=tuple)
    kind: str = "digest"  # or "breaking" (posted as they arrive) or "alert" (keyword alerts)
    note: str = ""  # a line shown after the overview (alerts: what the hourly limit held back)

    @property
    def items(self) -> tuple[DigestItem, ...]:
        """Every item, in section order."""
        return tuple(item for section in self.sections for item in section.items)
