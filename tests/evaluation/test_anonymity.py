"""Anonymous but trackable: the schema and the data cannot join a response to a person.

What would join them, each checked: a column of ``survey_response`` naming a person (only ``respondent_id``,
kept NULL by a CHECK unless the survey is named), a key or a table shared with ``survey_participation`` other than
the round, an exact time (only the Monday of the week), an order (the keys' order or a table scan's order
following the order of answering), the audit log or a notification saying who answered when."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.cohorts import service as cohorts
from lms.content.models import Course
from lms.evaluation import responses, rules, service
from lms.evaluation.models import SurveyParticipation, SurveyResponse, SurveyRound
from lms.extensions import db as sa_db
from tests.evaluation.support import survey_for
from tests.factories import enrolled_learner

LAST_DAY = date(2027, 1, 29)
OPENS = datetime(2027, 1, 28, 23, 0)


def _columns(table):
    return {c.name: c for c in sa_db.metadata.tables[table].columns}


def test_schema_cannot_join_a_response_to_a_person():
    tables = sa_db.metadata.tables
    response = tables["survey_response"]
    # the only reference to a person: respondent_id (named surveys), under a CHECK
    to_people = [fk for fk in response.foreign_keys if fk.column.table.name == "user_account"]
    assert [fk.parent.name for fk in to_people] == ["respondent_id"]
    checks = [c for c in response.constraints if isinstance(c, sa.CheckConstraint)]
    assert any("respondent_id IS NULL" in str(c.sqltext) for c in checks)
    # no exact time: the week (a date) only
    times = {name for name, c in _columns("survey_response").items() if isinstance(c.type, (sa.DateTime, sa.Date))}
    assert times == {"week"}
    assert all(not isinstance(c.type, sa.DateTime) for c in response.columns)
    # the participation: no time at all, no reference to a response, nothing in common but the round
    participation = tables["survey_participation"]
    assert not any(isinstance(c.type, (sa.DateTime, sa.Date)) for c in participation.columns)
    assert {fk.column.table.name for fk in participation.foreign_keys} == {"survey_round", "user_account"}
    shared = set(_columns("survey_response")) & set(_columns("survey_participation"))
    assert shared == {"round_id"}
    # no table anywhere points at a response (no link table between people and answers)
    for table in tables.values():
        assert all(fk.column.table.name != "survey_response" for fk in table.foreign_keys), table.name
    # keys that follow no order: random text, not a sequence
    assert isinstance(response.c.id.type, sa.String) and response.c.id.autoincrement is not True


@pytest.fixture
def round_and_people(app, db, courses, make_user):
    course = db.session.scalar(select(Course).where(Course.slug == "victim-identification"))
    survey_for(db, course.id, rules.COURSE_END)
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = cohorts.save_cohort(
        None,
        None,
        course=course,
        trainers=[db.session.get(User, trainer.id)],
        title="Fès 2027",
        mode="in_person",
        start_date=date(2027, 1, 4),
        end_date=LAST_DAY,
        language="fr",
    )
    db.session.commit()
    people = [
        enrolled_learner(make_user, db, cohort, email=f"p{i}@example.org", profession="social-worker", gender="female")
        for i in range(12)
    ]
    round_ = service.open_due_rounds(OPENS)[0]
    db.session.commit()
    return round_, people


def test_data_cannot_join_a_response_to_a_person(app, db, round_and_people):
    round_, people = round_and_people
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    moments = []
    for i, person in enumerate(people):  # they answer one after the other, over two weeks
        now = OPENS + timedelta(hours=5 * i + 1, minutes=7 * i)
        mine = service.answerable(round_.id, db.session.get(User, person.id), now)
        responses.submit(mine.round, db.session.get(User, person.id), {"useful": 1 + i % 5}, now)
        db.session.commit()
        moments.append(now)
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == len(people)
    rows = db.session.scalars(select(SurveyResponse)).all()
    # no person, no exact time
    assert all(r.respondent_id is None and not r.named for r in rows)
    assert {r.week for r in rows} <= {rules.week_of(m, rules_zone()) for m in moments}
    assert all(r.week.weekday() == 0 for r in rows)
    person_values = {p.email for p in people}
    assert not any(str(v) in person_values for r in rows for v in r.answers.values())
    # no order: the order of answering is 0..11 by their `useful` pattern; find it back neither by key nor by scan
    answered_order = [1 + i % 5 for i in range(len(people))]
    by_key = [r.answers["useful"] for r in db.session.scalars(select(SurveyResponse).order_by(SurveyResponse.id))]
    assert by_key != answered_order
    from lms.evaluation import tasks

    tasks.reorder_storage()  # PostgreSQL: rewritten in key order (the hourly task); SQLite: stored so already
    scanned = [row[0] for row in db.session.execute(text("SELECT answers FROM survey_response"))]
    decoded = [a if isinstance(a, dict) else __import__("json").loads(a) for a in scanned]
    assert len(decoded) == len(people) and [a["useful"] for a in decoded] != answered_order
    if db.engine.dialect.name == "sqlite":
        scanned = [row[0] for row in db.session.execute(text("SELECT answers FROM survey_response"))]
        assert [__import__("json").loads(a)["useful"] for a in scanned] != answered_order
        with pytest.raises(Exception):  # WITHOUT ROWID: no hidden insertion order to read
            db.session.execute(text("SELECT rowid FROM survey_response")).all()
        db.session.rollback()
    # the participation says who answered, never when, never what
    asked = db.session.execute(select(SurveyParticipation).where(SurveyParticipation.round_id == round_.id)).scalars().all()
    assert all(p.responded for p in asked)
    # nothing else recorded who answered when
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audit_before


def test_an_anonymous_response_refuses_a_respondent(app, db, round_and_people):
    round_, people = round_and_people
    version_id = service.current_surveys([db.session.get(SurveyRound, round_.id).survey.course_id])[
        (db.session.get(SurveyRound, round_.id).survey.course_id, rules.COURSE_END)
    ][1].id
    db.session.add(
        SurveyResponse(
            round_id=round_.id, version_id=version_id, week=date(2027, 1, 25), answers={}, named=False,
            respondent_id=people[0].id,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_second_tab_writes_no_second_response(app, db, round_and_people):
    round_, people = round_and_people
    user = db.session.get(User, people[0].id)
    mine = service.answerable(round_.id, user, OPENS + timedelta(hours=1))
    responses.submit(mine.round, user, {"useful": 5}, OPENS + timedelta(hours=1))
    db.session.commit()
    with pytest.raises(service.AlreadyAnswered):
        responses.submit(mine.round, user, {"useful": 1}, OPENS + timedelta(hours=2))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


def rules_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Africa/Casablanca")
