"""programme evaluation: surveys (content), their rounds, participation apart from the anonymous responses,
action plans, and the cohort's follow-up delay and certificate rule

Revision ID: 0018
Revises: 0017

survey_participation and survey_response are WITHOUT ROWID on SQLite (stored in the order of their keys, not of
insertion: see lms/evaluation/models.py). The cohort's new columns have plain literal defaults, as in 0016.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_survey_course_id_course')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey')),
    sa.UniqueConstraint('course_id', 'slug', name=op.f('uq_survey_course_id_slug'))
    )
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_course_id'), ['course_id'], unique=False)

    op.create_table('action_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_action_plan_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_action_plan_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_plan')),
    sa.UniqueConstraint('user_id', 'cohort_id', name=op.f('uq_action_plan_user_id_cohort_id'))
    )
    with op.batch_alter_table('action_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_plan_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_plan_user_id'), ['user_id'], unique=False)

    op.create_table('survey_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_version_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_version')),
    sa.UniqueConstraint('survey_id', 'version', name=op.f('uq_survey_version_survey_id_version'))
    )
    with op.batch_alter_table('survey_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_version_survey_id'), ['survey_id'], unique=False)

    op.create_table('action_plan_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('helped', sa.Text(), nullable=True),
    sa.Column('obstacles', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plan.id'], name=op.f('fk_action_plan_item_plan_id_action_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_plan_item')),
    sa.UniqueConstraint('plan_id', 'position', name=op.f('uq_action_plan_item_plan_id_position'))
    )
    with op.batch_alter_table('action_plan_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_plan_item_plan_id'), ['plan_id'], unique=False)

    op.create_table('survey_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('opens_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=True),
    sa.Column('invited_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_survey_round_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_survey_round_session_id_workshop_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_round_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_round')),
    sa.UniqueConstraint('survey_id', 'subject', name=op.f('uq_survey_round_survey_id_subject'))
    )
    with op.batch_alter_table('survey_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_round_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_round_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_participation',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('responded', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_survey_participation_round_id_survey_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_survey_participation_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'user_id', name=op.f('pk_survey_participation')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('survey_participation', schema=None) as batch_op:
        batch_op.create_index('ix_survey_participation_user', ['user_id'], unique=False)

    op.create_table('survey_response',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('profession', sa.String(length=32), nullable=True),
    sa.Column('jurisdiction', sa.String(length=40), nullable=True),
    sa.Column('gender', sa.String(length=10), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('named', sa.Boolean(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('named OR respondent_id IS NULL', name=op.f('ck_survey_response_anonymous_has_no_respondent')),
    sa.ForeignKeyConstraint(['respondent_id'], ['user_account.id'], name=op.f('fk_survey_response_respondent_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_survey_response_round_id_survey_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['survey_version.id'], name=op.f('fk_survey_response_version_id_survey_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_response_round_id'), ['round_id'], unique=False)

    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up_months', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('survey_before_certificate', sa.Boolean(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_column('survey_before_certificate')
        batch_op.drop_column('follow_up_months')

    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_response_round_id'))

    op.drop_table('survey_response')
    with op.batch_alter_table('survey_participation', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_participation_user')

    op.drop_table('survey_participation')
    with op.batch_alter_table('survey_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_round_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_round_cohort_id'))

    op.drop_table('survey_round')
    with op.batch_alter_table('action_plan_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_plan_item_plan_id'))

    op.drop_table('action_plan_item')
    with op.batch_alter_table('survey_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_version_survey_id'))

    op.drop_table('survey_version')
    with op.batch_alter_table('action_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_plan_user_id'))
        batch_op.drop_index(batch_op.f('ix_action_plan_cohort_id'))

    op.drop_table('action_plan')
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_course_id'))

    op.drop_table('survey')
