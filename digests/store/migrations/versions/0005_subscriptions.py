"""Subscribers (chat users with their language and personal digest time) and their follows.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    """Create subscribers and follows (tables of ``store.subscriptions``)."""
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("chat_id", sa.Text, nullable=False),
        sa.Column("language", sa.String(8), nullable=False, server_default="ar"),
        sa.Column("timezone", sa.Text, nullable=False, server_default="Asia/Riyadh"),
        sa.Column("digest_time", sa.String(5)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_digest_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("platform", "user_id", name="uq_subscribers_platform_user"),
    )
    op.create_index("ix_subscribers_chat", "subscribers", ["platform", "chat_id"])
    op.create_table(
        "follows",
        sa.Column(
            "subscriber_id",
            sa.Integer,
            sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "topic_id", sa.Integer, sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_follows_topic", "follows", ["topic_id", "subscriber_id"])
