"""seen requests (replay protection)

Revision ID: 0010_seen_requests
Revises: 0009_lens_snapshots
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_seen_requests"
down_revision: str | None = "0009_lens_snapshots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seenrequest",
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("request_ts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("signature"),
    )
    with op.batch_alter_table("seenrequest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seenrequest_request_ts"), ["request_ts"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seenrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seenrequest_request_ts"))
    op.drop_table("seenrequest")
