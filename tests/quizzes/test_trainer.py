"""Trainer views: results, grading an essay, overriding with an audited reason, item statistics."""

import math
from datetime import date

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.cohorts import service as cohorts
from lms.content.models import Course, Module, QuizVersion
from lms.quizzes import service
from lms.quizzes.models import Attempt
from lms.quizzes.stats import item_statistics

QUESTIONS = [
    {
        "id": "q1",
        "type": "single",
        "points": 1,
        "options": [
            {"id": "a", "correct": True, "text": {"fr": "A"}},
            {"id": "b", "correct": False, "text": {"fr": "B"}},
        ],
        "prompt": {"fr": "Q1"},
        "explanation": {"fr": "E"},
    },
    {"id": "q2", "type": "truefalse", "points": 1, "answer": True, "prompt": {"fr": "Q2"}, "explanation": {"fr": "E"}},
    {
        "id": "q3",
        "type": "essay",
        "points": 4,
        "prompt": {"fr": "Analysez"},
        "explanation": {"fr": "E"},
        "rubric": {"fr": "Acte, moyen, but"},
    },
]


@pytest.fixture
def setup(app, db, courses, make_user):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    course = db.session.scalar(select(Course).where(Course.slug == "palermo-magistrates"))
    module = db.session.scalar(select(Module).where(Module.slug == "forms"))
    version = QuizVersion(
        module_id=module.id,
        version=99,
        source_hash="x" * 64,
        is_current=False,
        definition={
            "title": {"fr": "Test"},
            "settings": {
                "pass_mark": 50,
                "max_attempts": 0,
                "grading": "highest",
                "shuffle_questions": False,
                "shuffle_options": False,
                "draw": None,
                "time_limit_minutes": None,
                "grace_minutes": 0,
                "review": "explanations",
            },
            "questions": QUESTIONS,
        },
    )
    db.session.add(version)
    cohort = cohorts.save_cohort(
        None,
        db.session.get(User, trainer.id),
        course=course,
        trainers=[db.session.get(User, trainer.id)],
        title="C",
        start_date=date(2027, 1, 1),
        end_date=date(2027, 2, 1),
        mode="online",
        language="fr",
    )
    learners = []
    for i in range(4):
        user = make_user(email=f"l{i}@example.org", profession="magistrate-judge")
        cohorts.enrol(cohort, db.session.get(User, user.id), None)
        learners.append(user)
    db.session.commit()
    return trainer, version, cohort, learners


def _take(db, version, user_id, responses):
    attempt = service.start_attempt(user_id, version)
    service.save_answers(attempt, responses)
    service.finish_attempt(attempt)
    db.session.commit()
    return attempt


def test_item_statistics_match_hand_computation(db, setup):
    _trainer, version, cohort, learners = setup
    answers = [
        ({"q1": "a", "q2": True}, (1, 1)),
        ({"q1": "a", "q2": False}, (1, 0)),
        ({"q1": "b", "q2": False}, (0, 0)),
        ({"q1": "a", "q2": True}, (1, 1)),
    ]
    for user, (responses, _scores) in zip(learners, answers, strict=True):
        attempt = _take(db, version, user.id, responses)
        service.override_points(attempt, "q3", 2.0, "fair", None)  # grade the empty essay so nothing is pending
        db.session.commit()
    count, items = item_statistics(version, cohort_id=cohort.id)
    assert count == 4
    q1, q2, _q3 = items
    assert q1.facility == 0.75 and q2.facility == 0.5
    assert q1.choices == {"a": 3, "b": 1} and q2.choices == {"true": 2, "false": 2}
    totals = [s1 + s2 + 2 for _r, (s1, s2) in answers]

    def pearson(xs, ys):
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
        return cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))

    assert q1.discrimination == round(pearson([s[0] for _r, s in answers], totals), 3)
    assert q2.discrimination == round(pearson([s[1] for _r, s in answers], totals), 3)


def test_item_statistics_query_count_does_not_grow(db, setup, count_queries):
    _trainer, version, _cohort, learners = setup
    _take(db, version, learners[0].id, {"q1": "a"})
    with count_queries() as few:
        item_statistics(version)
    for user in learners[1:]:
        _take(db, version, user.id, {"q1": "b", "q2": True})
    with count_queries() as more:
        item_statistics(version)
    assert few.count == more.count <= 5  # four aggregates (+ reloading the expired quiz row)


def test_item_statistics_count_the_attempts_that_showed_each_question(client, db, setup):
    """A quiz that draws 2 of its 3 questions: each question's "shown" is the number of attempts that drew it,
    its responses the answers given (one left blank), its facility over the attempts that showed it."""
    _trainer, template, cohort, learners = setup
    definition = {
        **template.definition,
        "settings": {**template.definition["settings"], "draw": 2, "shuffle_questions": True},
        "questions": [
            *QUESTIONS[:2],
            {"id": "q4", "type": "truefalse", "points": 1, "answer": False, "prompt": {"fr": "Q4"}},
        ],
    }
    version = QuizVersion(
        module_id=template.module_id, version=98, source_hash="y" * 64, is_current=False, definition=definition
    )
    db.session.add(version)
    db.session.commit()
    right = {"q1": "a", "q2": True, "q4": False}
    attempts = []
    for index, user in enumerate(learners):
        attempt = service.start_attempt(user.id, version)
        # everyone answers right, except that the first learner leaves their first question blank
        responses = {qid: right[qid] for qid in attempt.question_ids[(1 if index == 0 else 0) :]}
        service.save_answers(attempt, responses)
        service.finish_attempt(attempt)
        db.session.commit()
        attempts.append((attempt.question_ids, responses))
    count, items = item_statistics(version, cohort_id=cohort.id)
    assert count == 4
    for item in items:
        qid = item.question["id"]
        shown = sum(1 for drawn, _r in attempts if qid in drawn)
        answered = sum(1 for _d, responses in attempts if qid in responses)
        assert (item.shown, item.answered) == (shown, answered), qid
        assert item.facility == (round(answered / shown, 3) if shown else None)
    assert sum(item.shown for item in items) == 8 and sum(item.answered for item in items) == 7
    client.login("trainer@example.org")
    page = client.get(f"/cohorts/{cohort.id}/quizzes/{version.id}/statistics").get_data(as_text=True)
    assert "Based on 4 graded attempts." in page
    assert "Each attempt draws 2 of the 3 questions of this quiz" in page


def test_essay_pending_until_trainer_grades_with_audit(client, db, setup):
    trainer, version, cohort, learners = setup
    attempt = _take(db, version, learners[0].id, {"q1": "a", "q2": True, "q3": "Recrutement par tromperie..."})
    assert attempt.is_pending and attempt.is_passed is None
    client.login("trainer@example.org")
    page = client.get(f"/cohorts/{cohort.id}/attempts/{attempt.id}").get_data(as_text=True)
    assert "Recrutement par tromperie" in page and "Acte, moyen, but" in page
    no_reason = client.post_form(
        f"/cohorts/{cohort.id}/attempts/{attempt.id}",
        {"question": "q3", "points": "3", "reason": ""},
        follow_redirects=True,
    )
    assert "Give a reason" in no_reason.get_data(as_text=True)
    client.post_form(
        f"/cohorts/{cohort.id}/attempts/{attempt.id}", {"question": "q3", "points": "3", "reason": "Bonne analyse"}
    )
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert not attempt.is_pending and attempt.points == 5 and attempt.is_passed
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quiz.override"))
    assert (
        event.actor_id == trainer.id
        and event.after["reason"] == "Bonne analyse"
        and event.before["percent"] is not None
    )
    # An override of an automatic question.
    client.post_form(
        f"/cohorts/{cohort.id}/attempts/{attempt.id}", {"question": "q1", "points": "0", "reason": "Erreur de saisie"}
    )
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).points == 4
    out_of_range = client.post_form(
        f"/cohorts/{cohort.id}/attempts/{attempt.id}",
        {"question": "q1", "points": "7", "reason": "x"},
        follow_redirects=True,
    )
    assert "between 0 and" in out_of_range.get_data(as_text=True)


def test_results_matrix_and_stats_pages(client, db, setup):
    _trainer, version, cohort, learners = setup
    client.login("trainer@example.org")
    assert client.get(f"/cohorts/{cohort.id}/results").status_code == 200
    current = db.session.scalar(
        select(QuizVersion).join(Module).where(Module.slug == "definition", QuizVersion.is_current)
    )
    assert client.get(f"/cohorts/{cohort.id}/quizzes/{current.id}/statistics").status_code == 200


def test_other_trainer_cannot_review(client, db, setup, make_user):
    _trainer, version, cohort, learners = setup
    attempt = _take(db, version, learners[0].id, {"q1": "a"})
    make_user(roles=("trainer",), email="other@example.org")
    client.login("other@example.org")
    assert client.get(f"/cohorts/{cohort.id}/attempts/{attempt.id}").status_code == 403
    assert client.get(f"/cohorts/{cohort.id}/results").status_code == 403


def test_trainer_overrides_quiz_settings_for_the_cohort(client, db, setup):
    trainer, _version, cohort, learners = setup
    quiz = db.session.scalar(
        select(QuizVersion).join(Module).where(Module.slug == "definition", QuizVersion.is_current)
    )
    client.login("trainer@example.org")
    response = client.post_form(
        f"/cohorts/{cohort.id}/quiz-settings/definition",
        {"pass_mark": "95", "max_attempts": "1", "time_limit_minutes": ""},
    )
    assert response.status_code == 302
    bad = client.post_form(
        f"/cohorts/{cohort.id}/quiz-settings/definition", {"pass_mark": "150"}, follow_redirects=True
    )
    assert "percent from 0 to 100" in bad.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cohort.quiz_settings")) is not None
    learner = learners[0]
    settings = service.settings(quiz, learner.id)
    assert settings["pass_mark"] == 95 and settings["max_attempts"] == 1
    # An enrolled learner scoring 100 % on 11 of 12 questions (91.7 %) does not pass at 95.
    questions = quiz.definition["questions"]
    attempt = service.start_attempt(learner.id, quiz)
    from lms.quizzes.display import right_response

    service.save_answers(attempt, {q["id"]: right_response(q) for q in questions[1:]})
    service.finish_attempt(attempt)
    db.session.commit()
    assert attempt.percent < 95 and attempt.is_passed is False
    import pytest as _pytest

    with _pytest.raises(service.QuizError):
        service.start_attempt(learner.id, quiz)  # one attempt only in this cohort
    # Someone outside the cohort keeps the quiz file's settings.
    assert service.settings(quiz, trainer.id)["pass_mark"] == quiz.definition["settings"]["pass_mark"]
    page = client.get(f"/cohorts/{cohort.id}/results").get_data(as_text=True)
    assert 'value="95"' in page
