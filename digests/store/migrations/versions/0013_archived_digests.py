"""The web archive: every digest posted to a configured destination, as it was composed.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    """Create ``archived_digests``: one row per digest queued for a configured destination
    (not personal digests or alerts), keyed by its address (destination, local day, slot),
    with the composed digest as JSON (``body``), its first headlines for the archive lists
    and when it was scheduled and composed. Written in the transaction that queues the
    digest's parts, so a digest is archived exactly when it is posted."""
    op.create_table(
        "archived_digests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("destination", sa.Text, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("slot", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("composed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("headlines", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.UniqueConstraint("destination", "day", "slot", name="uq_archived_digests_address"),
    )
    op.create_index(
        "ix_archived_digests_destination", "archived_digests", ["destination", "scheduled_at"]
    )
