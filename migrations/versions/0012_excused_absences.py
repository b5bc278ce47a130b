"""how excused absences count for a cohort's attendance

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00

Existing cohorts keep the rule they had: an excused absence is left out of the sessions that count.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('excused_absences', sa.String(length=16), server_default='not_counted', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_column('excused_absences')
