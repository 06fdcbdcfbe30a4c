"""Which failing feeds the admins were told about, kept in the database.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    """Add ``feeds.health_reported_at``: set when a feed is reported failing, cleared when its
    recovery is reported. Every instance (and a restarted one) sees the same state, so the
    admins hear about a feed once."""
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("health_reported_at", sa.DateTime(timezone=True)))
