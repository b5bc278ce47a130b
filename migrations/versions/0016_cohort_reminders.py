"""per-cohort reminder switches: workshops (the day before), quizzes (a week before the end), weekly attendance

Revision ID: 0016
Revises: 0015

Existing cohorts get the defaults: workshop and quiz reminders on, the weekly low-attendance e-mail off.

The defaults are plain literals ('1', '0': booleans on PostgreSQL and SQLite alike), not sa.true(): with an
expression as default, batch mode on SQLite copies the cohort table and drops the old one, and with foreign keys
on, dropping it deletes the enrolments (ON DELETE CASCADE) and empties the attempts' cohort (SET NULL).
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remind_workshops', sa.Boolean(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('remind_quizzes', sa.Boolean(), server_default='1', nullable=False))
        batch_op.add_column(
            sa.Column('warn_low_attendance_weekly', sa.Boolean(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_column('warn_low_attendance_weekly')
        batch_op.drop_column('remind_quizzes')
        batch_op.drop_column('remind_workshops')
