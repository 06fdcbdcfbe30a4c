"""The recent search index: the last 30 days again, in their own FTS5 table (issue 19).

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"


def upgrade() -> None:
    """On SQLite, create ``article_search_recent`` (as ``article_search``: keys, not display
    text) and fill it with the index entries of the articles that arrived in the 30 days
    before the newest one. Searches rank there first: BM25 reads every posting of a query's
    words to weigh them, and over 30 days that is a few thousand rows, not a million
    (store/search.py, docs/search.md). PostgreSQL ranks the newest matches of its GIN index
    and needs nothing."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE article_search_recent USING fts5("
        "title, body, tokenize = 'unicode61 remove_diacritics 0', detail = 'full')"
    )
    op.execute(
        "INSERT INTO article_search_recent(rowid, title, body) "
        "SELECT rowid, title, body FROM article_search WHERE rowid >= ("
        "  SELECT min(id) FROM articles WHERE created_at >= ("
        "    SELECT datetime(max(created_at), '-30 days') FROM articles))"
    )


def downgrade() -> None:
    """Drop the recent search index."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE article_search_recent")
