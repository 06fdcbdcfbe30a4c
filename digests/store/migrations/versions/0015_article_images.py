"""Lead images: an article's checked image URL (issue 18).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    """Add ``articles.image_url``: the article's lead image (feed enclosure or media:content),
    stored only once checked (a public http(s) address answering with a small image)."""
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("image_url", sa.Text))


def downgrade() -> None:
    """Drop ``articles.image_url``."""
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("image_url")
