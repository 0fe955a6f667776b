"""stored truth of weeks: what each check-in covered, and the settings' history

`checkin.weeks`: 1 or 2, the weeks a check-in covered when it was written (NULL on older rows:
read from the settings in force then). `settingchange`: each setting's before and after with
its time, so a past week reads by the cadence it had, not today's. Seeded with one change per
value stored now, in force since it was last set (`setting.updated_at`).

Revision ID: 0018_stored_truth_of_weeks
Revises: 0017_kudos_without_delivered
Create Date: 2026-11-27 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cadence.storage.db

revision: str = "0018_stored_truth_of_weeks"
down_revision: str | None = "0017_kudos_without_delivered"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkin") as batch:
        batch.add_column(sa.Column("weeks", sa.Integer(), nullable=True))
    op.create_table(
        "settingchange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.String(length=32), nullable=True),
        sa.Column("new_value", sa.String(length=32), nullable=True),
        sa.Column("at", cadence.storage.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        "INSERT INTO settingchange (scope, key, old_value, new_value, at) "
        "SELECT scope, key, NULL, value, updated_at FROM setting"
    )


def downgrade() -> None:
    op.drop_table("settingchange")
    with op.batch_alter_table("checkin") as batch:
        batch.drop_column("weeks")
