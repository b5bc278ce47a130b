"""Small factories shared by tests (no fixture is imported from another test module).

Plain functions: each takes the ``db`` fixture's object (or a test client) and what it builds from, adds the rows
and flushes (so they have ids); the test commits when it needs to.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import select

from lms.accounts.models import User
from lms.attendance.models import Attendance, WorkshopSession
from lms.certificates import service as certificates
from lms.cohorts import service as cohorts
from lms.config import PROJECT_ROOT
from lms.content.loader import load_courses
from lms.content.models import Course, Module, ModuleProgress, QuizVersion
from lms.core.jobs import BackgroundJob
from lms.core.mail import FAILED, MailDelivery
from lms.notifications import service as notifications
from lms.notifications.models import Notification
from lms.quizzes import service as quizzes
from lms.quizzes.models import SUBMITTED, Attempt

_COURSES = PROJECT_ROOT / "courses"


def enrol(db, cohort, user):
    """Enrol ``user`` (a User or its detached copy from ``make_user``) in ``cohort`` as a trainer would (audited)."""
    cohorts.enrol(cohort, db.session.get(User, user.id), None)
    db.session.flush()


def make_session(db, cohort, starts_at: datetime, hours: float = 3, **fields) -> WorkshopSession:
    """A workshop session of ``cohort`` from ``starts_at``, ``hours`` long (``fields``: title, place, …)."""
    values = {"title": "Atelier", "checkin_secret": "s" * 64, "modules": [], **fields}
    session = WorkshopSession(
        cohort_id=cohort.id, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours), **values
    )
    db.session.add(session)
    db.session.flush()
    return session


def mark(db, session, user_id: int, status: str = "present") -> Attendance:
    """``user_id``'s attendance at ``session`` as the roll call records it."""
    row = Attendance(session_id=session.id, user_id=user_id, status=status)
    db.session.add(row)
    db.session.flush()
    return row


def enrolled_learner(make_user, db, cohort, email="judge@example.org", **fields):
    """A learner (a magistrate unless ``profession`` says otherwise) enrolled in ``cohort``, committed."""
    fields.setdefault("profession", "magistrate-judge")
    user = make_user(email=email, **fields)
    cohorts.enrol(cohort, db.session.get(User, user.id), None)
    db.session.commit()
    return user


def open_session(db, cohort, starts_in=timedelta(minutes=5), length=timedelta(hours=3), **fields):
    """A workshop session of ``cohort`` starting ``starts_in`` from now, check-in open, committed."""
    start = datetime.utcnow() + starts_in
    values = {"title": "Atelier 1", "is_checkin_open": True, "late_after_minutes": 15, **fields}
    session = make_session(db, cohort, start, hours=length.total_seconds() / 3600, **values)
    db.session.commit()
    return session


def make_attendance(db, session, user, status="present", **fields):
    """A mark of ``user`` in ``session`` written directly (not audited: for set-ups), committed."""
    row = Attendance(session_id=session.id, user_id=user.id, status=status, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def current_quiz(db, module_id: int) -> QuizVersion | None:
    """The current version of the module's quiz (None for a module without one)."""
    return db.session.scalar(select(QuizVersion).where(QuizVersion.module_id == module_id, QuizVersion.is_current))


def module_quiz(db, slug: str = "post-test", course: str = "palermo-magistrates") -> QuizVersion:
    """The current quiz of a module found by slugs. By default the magistrates' post-test: every question
    auto-graded and shown in every attempt (the module quizzes draw their questions and ask a case essay that a
    trainer grades)."""
    module = db.session.scalar(
        select(Module).join(Course, Module.course_id == Course.id).where(Module.slug == slug, Course.slug == course)
    )
    return current_quiz(db, module.id)


def make_attempt(db, user_id: int, quiz: QuizVersion, **fields) -> Attempt:
    """A submitted attempt at ``quiz``, written as a row (``fields``: cohort_id, percent, is_passed, …)."""
    values = {"number": 1, "seed": 1, "question_ids": [], "state": SUBMITTED, **fields}
    attempt = Attempt(user_id=user_id, module_id=quiz.module_id, quiz_version_id=quiz.id, **values)
    db.session.add(attempt)
    db.session.flush()
    return attempt


#: what ``make_attempt`` is given for a quiz passed with full marks
PASSED = {"points": 10, "max_points": 10, "percent": 100.0, "is_passed": True}


def make_progress(db, user_id: int, module_id: int, completed_at: datetime | None = None) -> ModuleProgress:
    """The learner's progress in a module: opened, and completed at ``completed_at`` (None: not completed)."""
    progress = ModuleProgress(user_id=user_id, module_id=module_id, completed_at=completed_at)
    db.session.add(progress)
    db.session.flush()
    return progress


def complete_everything(db, user_id: int, cohort) -> None:
    """The learner meets the certificate's rule in ``cohort``: every module completed, every quiz passed in the
    cohort, present at its one session (held yesterday). Committed."""
    modules = db.session.scalars(select(Module).where(Module.course_id == cohort.course_id)).all()
    for module in modules:
        make_progress(db, user_id, module.id, completed_at=datetime.utcnow())
        make_attempt(db, user_id, current_quiz(db, module.id), cohort_id=cohort.id, **PASSED)
    session = make_session(
        db, cohort, datetime.utcnow() - timedelta(days=1), hours=4, title="J1", checkin_secret="x" * 64
    )
    mark(db, session, user_id, "present")
    db.session.commit()


def auto_issue(db, cohort) -> None:
    """``cohort`` issues its certificates by itself (``completion.auto_issue``). Committed."""
    from lms.cohorts.models import Cohort

    row = db.session.get(Cohort, cohort.id)
    row.completion = {**row.completion, "auto_issue": True}
    db.session.commit()


def start_quiz(client, quiz) -> int:
    """Start an attempt at ``quiz`` through the client (signed in); the new attempt's id."""
    response = client.post_form(f"/quizzes/{quiz.id}/start")
    assert response.status_code == 302
    return int(re.search(r"/quizzes/attempts/(\d+)", response.headers["Location"]).group(1))


def right_form(questions) -> dict:
    """The attempt form answering ``questions`` (a quiz definition's) right; essays left blank."""
    data = {"shown": [q["id"] for q in questions]}
    for q in questions:
        name = f"q-{q['id']}"
        if q["type"] == "single":
            data[name] = next(o["id"] for o in q["options"] if o["correct"])
        elif q["type"] == "multiple":
            data[name] = [o["id"] for o in q["options"] if o["correct"]]
        elif q["type"] == "truefalse":
            data[name] = "true" if q["answer"] else "false"
        elif q["type"] == "matching":
            for item in q["items"]:
                data[f"{name}-{item['id']}"] = item["match"]
        elif q["type"] == "short":
            data[name] = q["answers"]["fr"][0]
    return data


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
    enrol(db, cohort_a, users["learner"])
    enrol(db, cohort_b, users["other_learner"])
    session = make_session(
        db, cohort_a, datetime.utcnow() + timedelta(days=1), hours=2, title="S", checkin_secret="k" * 64
    )
    module = db.session.scalar(select(Module).where(Module.slug == "definition"))
    quiz = current_quiz(db, module.id)
    attempt = quizzes.start_attempt(users["learner"].id, quiz)
    db.session.flush()
    certificate, _created = certificates.issue(cohort_a, get("learner"), None, check=False)
    notifications.notify(get("learner"), "certificate_issued", "world:certificate", title="T", link="/certificates")
    delivery = MailDelivery(key="world:failed", address="learner@example.org", subject="S", status=FAILED, attempts=5)
    db.session.add(delivery)
    job = BackgroundJob(
        kind="certificates.issue",
        subject_id=cohort_a.id,
        owner_id=users["trainer"].id,
        total=1,
        done=1,
        state="finished",
    )
    db.session.add(job)
    from tests.evaluation.builders import ask, make_round, make_survey

    survey, _version = make_survey(db, magistrates.id)  # an open survey round of cohort A, the learner asked
    survey_round = make_round(db, survey, cohort_a)
    ask(db, survey_round, users["learner"])
    db.session.commit()
    notification_id = db.session.scalar(select(Notification.id).where(Notification.key == "world:certificate"))
    values = {
        "job_id": job.id,
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
        "notification_id": notification_id,
        "delivery_id": delivery.id,
        "round_id": survey_round.id,
        # the library (courses/_library/): signed-in people only; a page the shipped library lacks answers 404
        "instrument_slug": "law-27-14",
        "article_slug": "448-1",
        "case_slug": "domestic-servitude",
    }
    return users, values


# --- quizzes: the shipped ones, and one with every special case a GIFT export must keep -----------------------


@cache
def shipped_quizzes():
    courses, problems = load_courses(_COURSES)
    assert problems == []
    return {str(_COURSES / c.slug / m.folder / "quiz.yaml"): m.quiz for c in courses for m in c.modules if m.quiz}


EDGE_QUIZ = {
    "title": {"fr": "Cas limites", "ar": "حالات"},
    "questions": [
        {
            "id": "Essay_1",
            "type": "essay",
            "points": 2.5,
            "prompt": {
                "fr": "Analysez : {a} = b ~ c # d \\ e -> f\nSeconde ligne & <b>pas du HTML</b> &amp; // ::",
                "ar": "حلل الحالة",
                "en": "Analyse the case",
            },
            "explanation": {"fr": "####x", "ar": "ص"},
            "rubric": {"fr": "Acte\nMoyen", "ar": "الفعل"},
        },
        {
            "id": "weights",
            "type": "multiple",
            "points": 3,
            "prompt": {"fr": "Lesquels ?", "ar": "أيها؟"},
            "explanation": {"fr": "E", "ar": "ه"},
            "options": [
                {
                    "id": "yes",
                    "text": {"fr": "%50% oui", "ar": "نعم"},
                    "correct": True,
                    "feedback": {"fr": "#1", "ar": "ج"},
                },
                {"id": "no", "text": {"fr": "non", "ar": "لا"}, "correct": False},
                {"id": "maybe", "text": {"fr": "T", "ar": "ربما"}, "correct": True},
            ],
        },
        {
            "id": "pairs",
            "type": "matching",
            "points": 1,
            "prompt": {"fr": "Associez", "ar": "اربط"},
            "explanation": {"fr": "E", "ar": "ه"},
            "choices": [
                {"id": "act", "text": {"fr": "Acte", "ar": "الفعل"}},
                {"id": "means", "text": {"fr": "Moyen -> x", "ar": "الوسيلة"}},
                {"id": "unused", "text": {"fr": "Autre", "ar": "آخر"}},
            ],
            "items": [
                {"id": "x1", "text": {"fr": "Promesse", "ar": "وعد"}, "match": "means"},
                {"id": "x2", "text": {"fr": "Recrutement", "ar": "تجنيد"}, "match": "act"},
            ],
        },
        {
            "id": "short",
            "type": "short",
            "points": 1,
            "prompt": {"fr": "Loi ?", "ar": "القانون؟"},
            "explanation": {"fr": "E", "ar": "ه"},
            "answers": {"fr": ["27-14", "a=b #1 %5%"], "ar": ["27.14", "27-14"], "en": ["Law 27-14"]},
        },
    ],
}
