"""sealed answers: the pool of anonymous answers waiting for their group to close

Revision ID: 0011_sealed_answers
Revises: 0010_seen_requests
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0011_sealed_answers'
down_revision: str | None = '0010_seen_requests'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sealedanswer',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('perspective', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['feedbackround.id'], ),
    sa.ForeignKeyConstraint(['subject_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('sealedanswer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealedanswer_round_id'), ['round_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sealedanswer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealedanswer_round_id'))
    op.drop_table('sealedanswer')
