"""kudos: drop `delivered`, which always read "channel"

Whether kudos went to the channel or, when Slack refused the post, by direct message is known
only when the outbox sends them, and the outbox keeps it: the post row (`kudos:ID:post`) and,
after a refusal, the DMs and the giver's note (`kudos:ID:note`). A second copy on the kudos row
was never written.

Revision ID: 0017_kudos_without_delivered
Revises: 0016_round_subject_minimums
Create Date: 2026-11-26 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_kudos_without_delivered"
down_revision: str | None = "0016_round_subject_minimums"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kudos") as batch:
        batch.drop_column("delivered")


def downgrade() -> None:
    with op.batch_alter_table("kudos") as batch:
        batch.add_column(
            sa.Column("delivered", sa.String(length=16), nullable=False, server_default="channel")
        )
