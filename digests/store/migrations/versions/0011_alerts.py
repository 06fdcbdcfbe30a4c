"""Keyword alerts: a subscriber's rules (``/alert``).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    """Create ``alerts``: one row per rule, as written and with its identity (two rules that
    always match the same articles have the same one; a subscriber has each once). What an
    alert delivered is recorded in ``sent_items`` under ``alert:<platform>:<user>``."""
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "subscriber_id",
            sa.Integer,
            sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("identity", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("subscriber_id", "identity", name="uq_alerts_subscriber_identity"),
    )
