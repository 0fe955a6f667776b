"""lens snapshots: HR's system lens computed once per week

Revision ID: 0009_lens_snapshots
Revises: 0008_outbox_senders
Create Date: 2026-11-26 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cadence.storage.db

revision: str = "0009_lens_snapshots"
down_revision: str | None = "0008_outbox_senders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lenssnapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("computed_at", cadence.storage.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "period", name="uq_lens_kind_period"),
    )


def downgrade() -> None:
    op.drop_table("lenssnapshot")
