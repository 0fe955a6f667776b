"""round subject minimums: each subject's anonymity minimum, fixed when the round is created

Revision ID: 0016_round_subject_minimums
Revises: 0015_settings
Create Date: 2026-11-27 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_round_subject_minimums"
down_revision: str | None = "0015_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No backfill: a round without rows gives every subject the round's own minimum, which
    # is what it promised its reviewers.
    op.create_table(
        "roundsubject",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("min_responses", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["feedbackround.id"]),
        sa.ForeignKeyConstraint(["subject_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("round_id", "subject_id"),
    )


def downgrade() -> None:
    op.drop_table("roundsubject")
