"""plans: development plans and performance improvement plans

Revision ID: 0013_plans
Revises: 0012_person_country
Create Date: 2026-11-26 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cadence.storage.db

revision: str = "0013_plans"
down_revision: str | None = "0012_person_country"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quality_result", sa.Text(), nullable=False),
        sa.Column("output_result", sa.Text(), nullable=False),
        sa.Column("support", sa.Text(), nullable=False),
        sa.Column("checkins", sa.Text(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("created_at", cadence.storage.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", cadence.storage.db.UTCDateTime(), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["opened_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["ended_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plan_person_status", "plan", ["person_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_plan_person_status", table_name="plan")
    op.drop_table("plan")
