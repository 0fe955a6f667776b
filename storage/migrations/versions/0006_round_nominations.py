"""round nominations: who was asked to nominate peers, one set per subject, approved once

Revision ID: 0006_round_nominations
Revises: 0005
Create Date: 2026-11-26 03:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cadence.storage.db
from cadence import storage


revision: str = '0006_round_nominations'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('roundnomination',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['feedbackround.id'], ),
    sa.ForeignKeyConstraint(['subject_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id', 'subject_id', name='uq_roundnomination')
    )
    with op.batch_alter_table('roundnomination', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roundnomination_round_id'), ['round_id'], unique=False)
    # Rounds created before this table: the subjects asked to nominate are those who got the
    # nomination DM. A set already sent counts as revision 1; one with no nominee left
    # waiting for approval counts as approved.
    conn = op.get_bind()
    rounds = conn.execute(sa.text("select id, created_at from feedbackround")).all()
    people = dict(conn.execute(sa.text("select slack_id, id from person")).all())
    keys = [
        k for (k,) in conn.execute(
            sa.text("select key from delivery where key like 'round-nominate:%'")
        )
    ]
    created = {rid: at for rid, at in rounds}
    for key in keys:
        _, round_part, slack_id = key.split(":", 2)
        if not round_part.isdigit() or int(round_part) not in created or slack_id not in people:
            continue
        round_id, subject_id = int(round_part), people[slack_id]
        statuses = [
            s for (s,) in conn.execute(
                sa.text(
                    "select status from roundrequest where round_id = :r and subject_id = :s "
                    "and perspective = 'peer'"
                ),
                {"r": round_id, "s": subject_id},
            )
        ]
        approved = bool(statuses) and "nominated" not in statuses
        conn.execute(
            sa.text(
                "insert into roundnomination (round_id, subject_id, revision, approved_at) "
                "values (:r, :s, :rev, :at)"
            ),
            {
                "r": round_id,
                "s": subject_id,
                "rev": 1 if statuses else 0,
                "at": created[round_id] if approved else None,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table('roundnomination', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roundnomination_round_id'))
    op.drop_table('roundnomination')
