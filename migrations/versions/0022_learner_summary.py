"""learner summaries: one row per enrolment (learner_summary) and per quiz attempted (learner_quiz_summary), kept
up to date by lms.reports.summaries; the cohort dashboard reads them. Filled here from the existing data.

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('learner_summary',
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('modules_completed', sa.Integer(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('quizzes_passed', sa.Integer(), nullable=False),
    sa.Column('failing', sa.Integer(), nullable=False),
    sa.Column('pre_grade', sa.Double(), nullable=True),
    sa.Column('post_grade', sa.Double(), nullable=True),
    sa.Column('attended', sa.Integer(), nullable=False),
    sa.Column('excused', sa.Integer(), nullable=False),
    sa.Column('last_activity', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_learner_summary_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_learner_summary_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cohort_id', 'user_id', name=op.f('pk_learner_summary'))
    )
    op.create_index('ix_learner_summary_user_id', 'learner_summary', ['user_id'], unique=False)
    op.create_table('learner_quiz_summary',
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Double(), nullable=True),
    sa.Column('bucket', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_learner_quiz_summary_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_learner_quiz_summary_module_id_module'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_learner_quiz_summary_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cohort_id', 'user_id', 'module_id', name=op.f('pk_learner_quiz_summary'))
    )
    op.create_index('ix_learner_quiz_summary_user_id', 'learner_quiz_summary', ['user_id'], unique=False)
    _fill()


def _fill():
    """The summaries of the data already there, computed by the application's own code (the same as
    ``flask reports rebuild-summaries``) on the migration's connection, in its transaction."""
    bind = op.get_bind()
    if not bind.execute(sa.text("SELECT 1 FROM enrolment LIMIT 1")).first():
        return  # a new database: nothing to summarise
    from flask import has_app_context
    from sqlalchemy.orm import Session

    if not has_app_context():  # alembic run by hand: the command fills them
        print("learner summaries: run `flask reports rebuild-summaries`")
        return
    from lms.extensions import db
    from lms.reports import summaries

    session = Session(bind=bind, join_transaction_mode="create_savepoint")
    previous = db.session.registry() if db.session.registry.has() else None
    db.session.registry.set(session)
    try:
        summaries.rebuild_all()
        session.commit()  # the savepoint: the migration's transaction commits it
    finally:
        session.close()
        if previous is not None:
            db.session.registry.set(previous)
        else:
            db.session.registry.clear()


def downgrade():
    op.drop_index('ix_learner_quiz_summary_user_id', table_name='learner_quiz_summary')
    op.drop_table('learner_quiz_summary')
    op.drop_index('ix_learner_summary_user_id', table_name='learner_summary')
    op.drop_table('learner_summary')
