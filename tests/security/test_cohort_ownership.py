"""Work done under a cohort belongs to that cohort (object-level authorisation).

Two trainers, two cohorts of the same course, one learner enrolled in both. Any trainer can enrol an existing
account by e-mail, so "the learner is enrolled in my cohort" must never open the learner's work elsewhere:
attempts record the cohort they were made under, and every route that reads or changes quiz work asks for it.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.certificates import service as certificates
from lms.cohorts import service as cohorts
from lms.cohorts.models import Cohort
from lms.content.models import Module, QuizVersion
from lms.core.timeutil import utcnow
from lms.quizzes import service as quizzes
from lms.quizzes.models import Attempt


def _graded_quiz(db, course_id):
    # the post-test: counted for the certificate and graded at once (the module quizzes ask a case essay that a
    # trainer grades, which leaves an attempt pending)
    return db.session.scalar(
        select(QuizVersion)
        .join(Module, Module.id == QuizVersion.module_id)
        .where(Module.course_id == course_id, QuizVersion.is_current.is_(True), Module.slug == "post-test")
        .order_by(Module.position)
        .limit(1)
    )


def _take(db, version, user_id, correct=True):
    attempt = quizzes.start_attempt(user_id, version)
    responses = {}
    for question in quizzes.attempt_questions(attempt) if correct else ():
        kind, options = question["type"], question.get("options", [])
        if kind == "single":
            responses[question["id"]] = next(o["id"] for o in options if o.get("correct"))
        elif kind == "multiple":
            responses[question["id"]] = [o["id"] for o in options if o.get("correct")]
        elif kind == "truefalse":
            responses[question["id"]] = bool(question["answer"])
        elif kind == "matching":
            responses[question["id"]] = {item["id"]: item["match"] for item in question["items"]}
        elif kind == "short":
            responses[question["id"]] = next(iter(question["answers"].values()))[0]
    quizzes.save_answers(attempt, responses)
    quizzes.finish_attempt(attempt)
    db.session.commit()
    return attempt


@pytest.fixture
def two_cohorts(client, db, make_user, make_cohort):
    """Trainer A runs cohort A, where the learner took a quiz; trainer B, with no cohort, makes one on the same
    course through the web and enrols the learner by e-mail (the reproduction of the reported hole)."""
    today = utcnow().date()
    trainer_a = make_user(roles=("trainer",), email="trainer.a@example.org")
    trainer_b = make_user(roles=("trainer",), email="trainer.b@example.org")
    make_user(roles=("admin",), email="admin@example.org")
    learner = make_user(email="judge@example.org", profession="magistrate-judge", name_latin="Karim Idrissi")
    cohort_a = make_cohort(
        trainer_a, title="A", start_date=today - timedelta(days=30), end_date=today + timedelta(days=30)
    )
    cohorts.enrol(cohort_a, db.session.get(User, learner.id), None)
    db.session.commit()
    version = _graded_quiz(db, cohort_a.course_id)
    attempt = _take(db, version, learner.id)
    assert attempt.cohort_id == cohort_a.id and attempt.percent > 0
    cohort_b = make_cohort(
        trainer_b, title="B", start_date=today - timedelta(days=60), end_date=today - timedelta(days=1)
    )
    client.login("trainer.b@example.org")
    response = client.post_form(
        f"/cohorts/{cohort_b.id}/enrol", {"email": "judge@example.org", "name_latin": "Karim Idrissi", "locale": "fr"}
    )
    assert response.status_code == 302
    assert cohorts.learners(db.session.get(Cohort, cohort_b.id))[0].id == learner.id
    client.logout()
    return {
        "a": cohort_a.id,
        "b": cohort_b.id,
        "learner": learner.id,
        "attempt": attempt.id,
        "percent": attempt.percent,
        "version": version.id,
    }


def test_other_trainer_cannot_read_or_regrade_an_attempt_made_in_another_cohort(client, db, two_cohorts):
    w = two_cohorts
    client.login("trainer.b@example.org")
    assert client.get(f"/cohorts/{w['b']}/attempts/{w['attempt']}").status_code == 404
    version = db.session.get(QuizVersion, w["version"])
    for question in version.definition["questions"]:
        response = client.post_form(
            f"/cohorts/{w['b']}/attempts/{w['attempt']}",
            {"question": question["id"], "points": "0", "reason": "hostile"},
        )
        assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Attempt, w["attempt"]).percent == w["percent"]
    # Nor through pages that list work: results, learner detail, dashboard, item statistics.
    results = client.get(f"/cohorts/{w['b']}/results").get_data(as_text=True)
    assert f"/quizzes/attempts/{w['attempt']}" not in results
    detail = client.get(f"/reports/cohorts/{w['b']}/learners/{w['learner']}")
    assert detail.status_code == 200
    assert f"/quizzes/attempts/{w['attempt']}" not in detail.get_data(as_text=True)
    assert client.get(f"/cohorts/{w['b']}/quizzes/{w['version']}/statistics").status_code == 200
    from lms.quizzes.stats import item_statistics

    assert item_statistics(version, cohort_id=w["b"])[0] == 0
    assert item_statistics(version, cohort_id=w["a"])[0] == 1


def test_attempt_made_elsewhere_counts_for_no_other_cohort_certificate(db, two_cohorts):
    w = two_cohorts
    record_a = certificates.cohort_records(db.session.get(Cohort, w["a"]))[w["learner"]]
    record_b = certificates.cohort_records(db.session.get(Cohort, w["b"]))[w["learner"]]
    assert record_a.quizzes_passed == 1
    assert record_b.quizzes_passed == 0
    from lms.reports.dashboard import cohort_dashboard

    board_b = cohort_dashboard(db.session.get(Cohort, w["b"]))
    assert not any(row.quizzes for row in board_b.rows)
    board_a = cohort_dashboard(db.session.get(Cohort, w["a"]))
    assert any(row.quizzes for row in board_a.rows)


def test_own_trainer_and_admin_keep_access(client, db, two_cohorts):
    w = two_cohorts
    version = db.session.get(QuizVersion, w["version"])
    question = version.definition["questions"][0]["id"]
    client.login("trainer.a@example.org")
    assert client.get(f"/cohorts/{w['a']}/attempts/{w['attempt']}").status_code == 200
    response = client.post_form(
        f"/cohorts/{w['a']}/attempts/{w['attempt']}", {"question": question, "points": "0", "reason": "review"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Attempt, w["attempt"]).percent < w["percent"]
    # Trainer A cannot reach it through trainer B's cohort either (not theirs: 403).
    assert client.get(f"/cohorts/{w['b']}/attempts/{w['attempt']}").status_code == 403
    client.logout()
    client.login("admin@example.org")
    assert client.get(f"/cohorts/{w['a']}/attempts/{w['attempt']}").status_code == 200
    # An admin reads it through its own cohort, not through another one.
    assert client.get(f"/cohorts/{w['b']}/attempts/{w['attempt']}").status_code == 404


def test_new_attempt_belongs_to_the_running_cohort_and_counts_there(client, db, two_cohorts):
    """The learner's next attempt goes to the cohort running today; its trainer sees it, the other does not."""
    w = two_cohorts
    today = utcnow().date()
    cohort_a = db.session.get(Cohort, w["a"])
    cohort_b = db.session.get(Cohort, w["b"])
    # B runs today and A ended: the learner now works under B.
    cohort_b.start_date, cohort_b.end_date = today - timedelta(days=1), today + timedelta(days=10)
    cohort_a.start_date, cohort_a.end_date = date(2025, 1, 1), today - timedelta(days=2)
    db.session.commit()
    version = db.session.get(QuizVersion, w["version"])
    attempt = _take(db, version, w["learner"], correct=False)
    assert attempt.cohort_id == w["b"]
    client.login("trainer.b@example.org")
    assert client.get(f"/cohorts/{w['b']}/attempts/{attempt.id}").status_code == 200
    client.logout()
    client.login("trainer.a@example.org")
    assert client.get(f"/cohorts/{w['a']}/attempts/{attempt.id}").status_code == 404
    # The learner's standing is the cohort's: the attempt passed under A does not count under B.
    standing = quizzes.standing(w["learner"], version)
    assert [a.id for a in standing.attempts] == [attempt.id]


def test_attempt_limit_is_counted_per_cohort(db, two_cohorts):
    """Attempts used in one cohort do not use up another cohort's (a learner re-taking the course is not
    locked out by an old cohort's attempts)."""
    w = two_cohorts
    cohort_b = db.session.get(Cohort, w["b"])
    version = db.session.get(QuizVersion, w["version"])
    module = db.session.get(Module, version.module_id)
    cohorts.set_quiz_settings(cohort_b, module.slug, {"max_attempts": 1}, None)
    cohort_a = db.session.get(Cohort, w["a"])
    cohorts.set_quiz_settings(cohort_a, module.slug, {"max_attempts": 1}, None)
    db.session.commit()
    with pytest.raises(quizzes.QuizError):
        quizzes.start_attempt(w["learner"], version)  # A's one attempt is used
    db.session.rollback()
    today = utcnow().date()
    cohort_b = db.session.get(Cohort, w["b"])
    cohort_b.end_date = today + timedelta(days=5)
    cohort_a = db.session.get(Cohort, w["a"])
    cohort_a.end_date = today - timedelta(days=1)
    db.session.commit()
    attempt = quizzes.start_attempt(w["learner"], version)
    assert attempt.cohort_id == w["b"]
