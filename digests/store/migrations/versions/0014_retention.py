"""Retention: the indexes the daily housekeeping deletes by (issue 19).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    """Index what housekeeping looks rows up by, so each small batch it removes is found
    without scanning a table: the related links and sent records pointing at an article (the
    foreign keys' cascades look there too), sent records and outbox rows by age, and the
    articles still holding a full text (a partial index: the expired ones drop out of it)."""
    op.create_index("ix_related_articles_related", "related_articles", ["related_id"])
    op.create_index("ix_sent_items_article", "sent_items", ["article_id"])
    op.create_index("ix_sent_items_sent_at", "sent_items", ["sent_at"])
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"])
    op.create_index(
        "ix_articles_text_kept",
        "articles",
        ["created_at"],
        sqlite_where=sa.text("text <> ''"),
        postgresql_where=sa.text("text <> ''"),
    )
