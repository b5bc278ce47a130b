"""answer save sequence: each answer keeps the number of the save that stored it

Revision ID: 0011
Revises: 0010

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quiz_answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('quiz_answer', schema=None) as batch_op:
        batch_op.drop_column('seq')
