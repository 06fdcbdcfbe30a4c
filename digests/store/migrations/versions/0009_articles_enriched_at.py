"""An index on ``articles.enriched_at``: each instance reads what the others enriched.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    """Index the enrichment time (every instance looks up the articles enriched in the last
    half minute, about once a second)."""
    op.create_index("ix_articles_enriched_at", "articles", ["enriched_at"])
