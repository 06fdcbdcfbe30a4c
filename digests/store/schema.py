"""The database schema as SQLAlchemy Core tables (the Alembic migrations create it).

Timestamps are timezone-aware UTC on every backend: ``UTCDateTime`` stores naive UTC on
SQLite and ``timestamptz`` on PostgreSQL, and always hands back aware datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from digests.errors import StoreError

__all__ = [
    "UTCDateTime",
    "alerts",
    "archived_digests",
    "article_topics",
    "articles",
    "chat_aliases",
    "feeds",
    "follows",
    "instances",
    "keyphrase_forms",
    "metadata",
    "outbox",
    "related_articles",
    "sent_items",
    "stopped_destinations",
    "store_meta",
    "subscribers",
    "topics",
]


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps naive UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise StoreError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("config_url", sa.Text, unique=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("next_check_at", UTCDateTime),
    sa.Column("last_checked_at", UTCDateTime),
    sa.Column("last_success_at", UTCDateTime),
    sa.Column("error_count", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("last_error_at", UTCDateTime),
    sa.Column("parse_problem", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("health_reported_at", UTCDateTime),  # reported failing to the admins, not recovered
    # A configured feed may be fetched from private addresses (``allow_private`` in the file).
    sa.Column("allow_private", sa.Boolean, nullable=False, server_default=sa.false()),
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id"), nullable=False),
    sa.Column("guid", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("canonical_url", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("title_key", sa.Text, nullable=False),
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("snippet", sa.Text, nullable=False),
    sa.Column("text", sa.Text),
    sa.Column("text_source", sa.String(16)),
    sa.Column("text_error", sa.Text),
    sa.Column("content_hash", sa.String(64)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("story_id", sa.Integer),
    sa.Column("enriched_at", UTCDateTime),
    sa.Column("summary", sa.Text),
    sa.Column("summary_method", sa.String(16)),
    sa.Column("summary_note", sa.Text),
    sa.Column("image_url", sa.Text),  # the lead image, once checked (0015)
)

topics = sa.Table(
    "topics",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("name_ar", sa.Text, nullable=False),
    sa.Column("name_en", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("match_key", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

article_topics = sa.Table(
    "article_topics",
    metadata,
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True),
    sa.Column("topic_id", sa.Integer, sa.ForeignKey("topics.id"), primary_key=True),
    sa.Column("weight", sa.Float, nullable=False),
)

related_articles = sa.Table(
    "related_articles",
    metadata,
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True),
    sa.Column("related_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
)

sent_items = sa.Table(
    "sent_items",
    metadata,
    sa.Column("destination", sa.Text, primary_key=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True),
    sa.Column("sent_at", UTCDateTime, nullable=False),
)

# The delivery outbox: one row per message part, sent in id order within each chat.
# status: pending → sending (leased until claimed_until) → sent | failed | dropped.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("chat", sa.Text, nullable=False),
    sa.Column("thread", sa.Text),
    sa.Column("digest_key", sa.Text, nullable=False),
    sa.Column("part", sa.Integer, nullable=False),
    sa.Column("parts", sa.Integer, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("not_before", UTCDateTime, nullable=False),
    sa.Column("claimed_until", UTCDateTime),
    sa.Column("platform_message_id", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.UniqueConstraint("digest_key", "part", name="uq_outbox_digest_part"),
    sa.Index("ix_outbox_due", "status", "not_before"),
    sa.Index("ix_outbox_chat", "chat", "id"),
)

# Chats that moved (a Telegram group upgraded to a supergroup): new parts go to new_chat.
chat_aliases = sa.Table(
    "chat_aliases",
    metadata,
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("old_chat", sa.Text, primary_key=True),
    sa.Column("new_chat", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Live service instances sharing the database (PostgreSQL): each records a heartbeat every
# polling tick, so bot-wide rate limits can be divided among the instances alive.
instances = sa.Table(
    "instances",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("seen_at", UTCDateTime, nullable=False),
)

# Destinations a platform refused for good: no instance posts there until the service restarts.
stopped_destinations = sa.Table(
    "stopped_destinations",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("stopped_at", UTCDateTime, nullable=False),
)


# Small named values (migration 0010): the matching version of the search index and how far
# its rebuild has got.
store_meta = sa.Table(
    "store_meta",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# How often each written form of a keyphrase topic was seen; the most frequent names it.
keyphrase_forms = sa.Table(
    "keyphrase_forms",
    metadata,
    sa.Column(
        "topic_id", sa.Integer, sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("form", sa.Text, primary_key=True),
    sa.Column("seen", sa.Integer, nullable=False),
)


# Chat users (``platform`` + ``user_id``) and the topics they follow (migration 0005).
subscribers = sa.Table(
    "subscribers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("chat_id", sa.Text, nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("timezone", sa.Text, nullable=False),
    sa.Column("digest_time", sa.String(5)),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_digest_at", UTCDateTime),
    sa.UniqueConstraint("platform", "user_id", name="uq_subscribers_platform_user"),
    sa.Index("ix_subscribers_chat", "platform", "chat_id"),
)

follows = sa.Table(
    "follows",
    metadata,
    sa.Column(
        "subscriber_id",
        sa.Integer,
        sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "topic_id", sa.Integer, sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_follows_topic", "topic_id", "subscriber_id"),
)


# A subscriber's keyword alerts (migration 0011); what they delivered is in ``sent_items``.
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "subscriber_id",
        sa.Integer,
        sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("identity", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("subscriber_id", "identity", name="uq_alerts_subscriber_identity"),
)


# Digests as they were posted to configured destinations (migration 0013), for the web
# archive: the composed ``Digest`` as JSON under its address (destination, local day, slot).
archived_digests = sa.Table(
    "archived_digests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("slot", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("scheduled_at", UTCDateTime, nullable=False),
    sa.Column("composed_at", UTCDateTime, nullable=False),
    sa.Column("items", sa.Integer, nullable=False),
    sa.Column("headlines", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.UniqueConstraint("destination", "day", "slot", name="uq_archived_digests_address"),
    sa.Index("ix_archived_digests_destination", "destination", "scheduled_at"),
)
