"""The demo programme is what the README says: each trainer has cohorts, attempts carry the answers their grade
comes from, and the running cohort flags only the learners truly behind on attendance."""

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.attendance import service as attendance_service
from lms.attendance.models import Attendance, WorkshopSession
from lms.cohorts import service as cohorts
from lms.content.models import QuizVersion
from lms.demo import load_demo
from lms.quizzes import grading
from lms.quizzes.models import Answer, Attempt
from lms.quizzes.stats import item_statistics
from lms.reports.dashboard import cohort_dashboard

PASSWORD = "demo password 2026"


@pytest.fixture
def demo(app, db, courses, monkeypatch):
    monkeypatch.setenv("LMS_DEMO_PASSWORD", PASSWORD)
    load_demo("small")
    db.session.commit()


def _user(db, email):
    return db.session.scalar(select(User).where(User.email == email))


def test_the_second_trainer_has_a_running_cohort_of_social_workers(db, demo):
    trainer = _user(db, "formatrice2@tadrib.demo")
    mine = cohorts.cohorts_for(trainer)
    assert mine, "formatrice2 has no cohort"
    cohort = next(c for c in mine if c.course.slug == "victim-identification")
    people = cohorts.learners(cohort)
    assert people and all(u.profession == "social-worker" for u in people)
    sessions = attendance_service.sessions_of(cohort)
    assert len(sessions) >= 3 and any(s.is_checkin_open for s in sessions)
    marks = db.session.scalar(
        select(func.count(Attendance.id))
        .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
        .where(WorkshopSession.cohort_id == cohort.id)
    )
    attempts = db.session.scalar(select(func.count(Attempt.id)).where(Attempt.cohort_id == cohort.id))
    assert marks and attempts
    # The first trainer runs the finished cohort and helps in this one.
    first = _user(db, "formateur1@tadrib.demo")
    assert {c.title for c in cohorts.cohorts_for(first)} >= {c.title for c in mine}
    # Only those truly behind are flagged: two absences out of six, or one behind once half are held.
    board = cohort_dashboard(cohort)
    flagged = {r.user.name_latin for r in board.rows if "attendance" in r.flags}
    assert flagged == {"Rachid Bouzidi", "Houda Kettani"}


def test_every_demo_attempt_carries_the_answers_of_its_grade(db, demo):
    attempts = db.session.scalars(select(Attempt)).all()
    assert len(attempts) > 50
    versions = {v.id: v for v in db.session.scalars(select(QuizVersion))}
    answers: dict[int, dict] = {}
    for answer in db.session.scalars(select(Answer)):
        answers.setdefault(answer.attempt_id, {})[answer.question_id] = answer
    for attempt in attempts:
        definition = versions[attempt.quiz_version_id].definition
        by_id = {q["id"]: q for q in definition["questions"]}
        assert attempt.question_ids and set(answers.get(attempt.id, {})) <= set(attempt.question_ids)
        given = answers.get(attempt.id, {})
        result = grading.score(
            [by_id[q] for q in attempt.question_ids],
            {q: a.response for q, a in given.items()},
            {q: a.manual_points for q, a in given.items() if a.manual_points is not None},
        )
        assert (attempt.points, attempt.max_points, attempt.percent) == (
            result.points,
            result.max_points,
            result.percent,
        )
        assert attempt.is_passed == (attempt.percent >= definition["settings"]["pass_mark"])
        assert all(
            a.points == grading.score_question(by_id[q], a.response, a.manual_points).points for q, a in given.items()
        )
    # A high grade shows its right answers, not "no answer".
    best = max(attempts, key=lambda a: a.percent)
    assert best.percent >= 90 and len(answers[best.id]) >= len(best.question_ids) - 1


def test_item_statistics_of_the_demo_count_what_they_say(db, demo):
    trainer = _user(db, "formateur1@tadrib.demo")
    cohort = next(c for c in cohorts.cohorts_for(trainer) if c.course.slug == "palermo-magistrates")
    version_id = db.session.scalar(
        select(Attempt.quiz_version_id).where(Attempt.cohort_id == cohort.id).order_by(Attempt.id).limit(1)
    )
    count, items = item_statistics(db.session.get(QuizVersion, version_id), cohort_id=cohort.id)
    assert count == len(cohorts.learners(cohort))
    assert all(item.shown == count for item in items)  # this quiz shows every question to every attempt
    assert sum(item.answered for item in items) > count * len(items) * 0.7
    assert all(item.facility is not None for item in items)
