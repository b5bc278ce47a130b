"""Small factories shared by tests (no fixture is imported from another test module)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from lms.accounts.models import User
from lms.attendance.models import Attendance, WorkshopSession
from lms.certificates import service as certificates
from lms.cohorts import service as cohorts
from lms.content.models import Course, Module, QuizVersion
from lms.quizzes import service as quizzes


def two_cohort_world(db, make_user):
    """A learner and a trainer in cohort A (magistrates' course: a session tomorrow, an open attempt, a
    certificate), another learner and another trainer in cohort B (social workers' course), and an admin.
    Returns (users by role, values for every URL argument of the app)."""
    users = {
        "learner": make_user(email="learner@example.org", profession="magistrate-judge", name_latin="Learner"),
        "other_learner": make_user(email="other@example.org", profession="social-worker"),
        "trainer": make_user(roles=("trainer",), email="trainer@example.org"),
        "other_trainer": make_user(roles=("trainer",), email="trainer2@example.org"),
        "admin": make_user(roles=("admin",), email="admin@example.org"),
    }
    get = lambda role: db.session.get(User, users[role].id)  # noqa: E731
    magistrates = db.session.scalar(select(Course).where(Course.slug == "palermo-magistrates"))
    workers = db.session.scalar(select(Course).where(Course.slug == "victim-identification"))
    cohort_a = cohorts.save_cohort(
        None,
        None,
        course=magistrates,
        trainers=[get("trainer")],
        title="A",
        mode="in_person",
        start_date=date(2027, 1, 1),
        end_date=date(2027, 2, 1),
        language="fr",
    )
    cohort_b = cohorts.save_cohort(
        None,
        None,
        course=workers,
        trainers=[get("other_trainer")],
        title="B",
        mode="in_person",
        start_date=date(2027, 1, 1),
        end_date=date(2027, 2, 1),
        language="fr",
    )
    cohorts.enrol(cohort_a, get("learner"), None)
    cohorts.enrol(cohort_b, get("other_learner"), None)
    session = WorkshopSession(
        cohort_id=cohort_a.id,
        title="S",
        starts_at=datetime.utcnow() + timedelta(days=1),
        ends_at=datetime.utcnow() + timedelta(days=1, hours=2),
        checkin_secret="k" * 64,
        modules=[],
    )
    db.session.add(session)
    module = db.session.scalar(select(Module).where(Module.slug == "definition"))
    quiz = db.session.scalar(select(QuizVersion).where(QuizVersion.module_id == module.id, QuizVersion.is_current))
    attempt = quizzes.start_attempt(users["learner"].id, quiz)
    db.session.flush()
    certificate, _created = certificates.issue(cohort_a, get("learner"), None, check=False)
    db.session.commit()
    values = {
        "cohort_id": cohort_a.id,
        "session_id": session.id,
        "attempt_id": attempt.id,
        "quiz_id": quiz.id,
        "user_id": users["learner"].id,
        "course_slug": "palermo-magistrates",
        "module_slug": "definition",
        "certificate_id": certificate.id,
        "serial": certificate.serial,
        "code": certificate.code,
        "token": "x" * 20,
        "fmt": "csv",
        "language": "fr",
        "filename": "tadrib.css",
    }
    return users, values


def enrolled_learner(make_user, db, cohort, email="judge@example.org", **fields):
    """A learner (a magistrate unless ``profession`` says otherwise) enrolled in ``cohort``, committed."""
    fields.setdefault("profession", "magistrate-judge")
    user = make_user(email=email, **fields)
    cohorts.enrol(cohort, db.session.get(User, user.id), None)
    db.session.commit()
    return user


def make_session(db, cohort, starts_in=timedelta(minutes=5), length=timedelta(hours=3), **fields):
    """A workshop session of ``cohort`` starting ``starts_in`` from now, check-in open, committed."""
    start = datetime.utcnow() + starts_in
    values = {
        "title": "Atelier 1",
        "checkin_secret": "s" * 64,
        "is_checkin_open": True,
        "late_after_minutes": 15,
        "modules": [],
        **fields,
    }
    session = WorkshopSession(cohort_id=cohort.id, starts_at=start, ends_at=start + length, **values)
    db.session.add(session)
    db.session.commit()
    return session


def make_attendance(db, session, user, status="present", **fields):
    """A mark of ``user`` in ``session`` written directly (not audited: for set-ups), committed."""
    mark = Attendance(session_id=session.id, user_id=user.id, status=status, **fields)
    db.session.add(mark)
    db.session.commit()
    return mark
