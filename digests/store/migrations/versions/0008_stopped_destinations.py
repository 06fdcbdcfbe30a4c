"""Destinations a platform refused (the bot was removed, the channel deleted), shared by every
instance.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    """Create ``stopped_destinations``: every instance stops posting there, and the admins are
    told once; a service start clears it (the configuration may have been fixed)."""
    op.create_table(
        "stopped_destinations",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=False),
    )
