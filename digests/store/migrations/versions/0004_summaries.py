"""Summaries written by the optional LLM backend, kept with their article.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    """Add the stored summary, how it was made, and why the preferred method was not used."""
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("summary", sa.Text))
        batch.add_column(sa.Column("summary_method", sa.String(16)))
        batch.add_column(sa.Column("summary_note", sa.Text))
