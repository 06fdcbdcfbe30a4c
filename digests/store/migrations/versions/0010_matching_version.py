"""What the matching layer changed: a version marker for the search index, and the written
forms of each keyphrase.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    """Create ``store_meta`` (small named values: the matching version the search index was
    built with, and how far a rebuild has got) and ``keyphrase_forms`` (how often each written
    form of a keyphrase topic was seen: the most frequent one names the topic)."""
    op.create_table(
        "store_meta",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "keyphrase_forms",
        sa.Column(
            "topic_id",
            sa.Integer,
            sa.ForeignKey("topics.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("form", sa.Text, primary_key=True),
        sa.Column("seen", sa.Integer, nullable=False),
    )
