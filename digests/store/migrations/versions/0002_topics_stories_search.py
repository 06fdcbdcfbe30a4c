"""Topics, stories, related articles and the full-text search index.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    """Add topics, article topics, story ids, related articles and the search index."""
    op.create_table(
        "topics",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("name_ar", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("match_key", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "article_topics",
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "topic_id", sa.Integer, sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("weight", sa.Float, nullable=False),
    )
    op.create_index("ix_article_topics_topic", "article_topics", ["topic_id", "article_id"])
    op.create_table(
        "related_articles",
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "related_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("score", sa.Float, nullable=False),
    )
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("story_id", sa.Integer))
        batch.add_column(sa.Column("enriched_at", sa.DateTime(timezone=True)))
    op.create_index("ix_articles_story", "articles", ["story_id"])
    op.create_index("ix_articles_published_at", "articles", ["published_at"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Stems, not display text: the same text.arabic.terms() builds rows and queries.
        op.execute(
            "CREATE VIRTUAL TABLE article_search USING fts5("
            "title, body, tokenize = 'unicode61 remove_diacritics 0', detail = 'full')"
        )
    else:
        op.add_column("articles", sa.Column("search_title", sa.Text))
        op.add_column("articles", sa.Column("search_body", sa.Text))
        op.execute(
            "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple', coalesce(search_title, '')), 'A') || "
            "setweight(to_tsvector('simple', coalesce(search_body, '')), 'B')) STORED"
        )
        op.create_index("ix_articles_search", "articles", ["search_vector"], postgresql_using="gin")
