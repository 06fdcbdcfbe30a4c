"""Several instances on one database: one article per canonical URL, and the instances alive.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    """Make canonical URLs unique: two instances polling two feeds that carry one story at
    the same moment must not both store it (SQLite's single writer never could); and record
    the instances alive (heartbeats) so they can share the platforms' bot-wide rate limits."""
    op.drop_index("ix_articles_canonical_url", table_name="articles")
    op.create_index("ux_articles_canonical_url", "articles", ["canonical_url"], unique=True)
    op.create_table(
        "instances",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
