"""A configured feed's opt-in to private addresses, kept with the feed.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    """Add ``feeds.allow_private`` (false for every existing feed): set from the configuration
    file's ``allow_private`` when feeds are synced, so a poll on any instance knows whether
    this feed may be fetched from a private address."""
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(
            sa.Column("allow_private", sa.Boolean, nullable=False, server_default=sa.false())
        )
