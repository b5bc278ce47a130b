"""quiz save keys: the result of each save sent with an idempotency key (answers stored offline on a device),
so that a save sent twice is applied once

Revision ID: 0021
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quiz_save_key',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempt.id'], name=op.f('fk_quiz_save_key_attempt_id_quiz_attempt'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('attempt_id', 'key', name=op.f('pk_quiz_save_key'))
    )


def downgrade():
    op.drop_table('quiz_save_key')
