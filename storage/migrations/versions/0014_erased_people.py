"""erased people (Person.erased_at)

Revision ID: 0014_erased_people
Revises: 0013_plans
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cadence.storage.db

revision: str = "0014_erased_people"
down_revision: str | None = "0013_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erased_at", cadence.storage.db.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
