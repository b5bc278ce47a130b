"""quiz attempts belong to the cohort they were made under

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 23:40:00

Existing attempts are given the cohort of their course in which the learner was enrolled when the attempt
started: the one whose dates contain the start, else the latest enrolment made before it, else the only
one. Attempts of learners enrolled in no cohort of the course keep no cohort (admins alone see them).
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cohort_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_quiz_attempt_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_quiz_attempt_cohort_id_cohort', 'cohort', ['cohort_id'], ['id'], ondelete='SET NULL'
        )
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT a.id, a.started_at, c.id, c.start_date, c.end_date, e.enrolled_at "
            "FROM quiz_attempt a "
            "JOIN module m ON m.id = a.module_id "
            "JOIN cohort c ON c.course_id = m.course_id "
            "JOIN enrolment e ON e.cohort_id = c.id AND e.user_id = a.user_id "
            "ORDER BY a.id, c.start_date DESC, c.id DESC"
        )
    ).all()
    chosen: dict[int, tuple[int, int]] = {}
    for attempt_id, started_at, cohort_id, start_date, end_date, enrolled_at in rows:
        started = _as_datetime(started_at)
        day = started.date() if started else None
        rank = 3
        if day is not None and _as_date(start_date) <= day <= _as_date(end_date):
            rank = 0
        elif started is not None and enrolled_at is not None and _as_datetime(enrolled_at) <= started:
            rank = 1
        best = chosen.get(attempt_id)
        if best is None or rank < best[0]:
            chosen[attempt_id] = (rank, cohort_id)
    for attempt_id, (_rank, cohort_id) in chosen.items():
        bind.execute(
            sa.text("UPDATE quiz_attempt SET cohort_id = :cohort WHERE id = :id"), {"cohort": cohort_id, "id": attempt_id}
        )


def _as_datetime(value):
    from datetime import datetime

    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _as_date(value):
    from datetime import date, datetime

    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def downgrade():
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_constraint('fk_quiz_attempt_cohort_id_cohort', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_quiz_attempt_cohort_id'))
        batch_op.drop_column('cohort_id')
