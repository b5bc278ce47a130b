"""The learner's progress means what the certificate means: modules read, quizzes passed, attendance and
what is left, from the one eligibility rule; the next step is the page's main button."""

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.certificates import service as certificates
from lms.cohorts import service as cohorts
from lms.content import service as content
from lms.content.models import Course, Module, QuizVersion
from tests.factories import PASSED, enrol, make_attempt, make_session, mark

COURSE = "/courses/palermo-magistrates"


@pytest.fixture
def judge(make_user):
    return make_user(email="judge@example.org", profession="magistrate-judge")


def _modules(db):
    course = db.session.scalar(select(Course).where(Course.slug == "palermo-magistrates"))
    return db.session.scalars(select(Module).where(Module.course_id == course.id).order_by(Module.position)).all()


def _counted_quizzes(db):
    """(module, quiz) for each quiz that counts for the certificate (not the pre-test), in module order."""
    found = []
    for module in _modules(db):
        quiz = db.session.scalar(select(QuizVersion).where(QuizVersion.module_id == module.id, QuizVersion.is_current))
        if quiz is not None and quiz.definition["settings"].get("role") != "pretest":
            found.append((module, quiz))
    return found


def _read_everything(db, user_id):
    for module in _modules(db):
        content.set_completed(user_id, module.id, True)
    db.session.commit()


def _pass(db, user_id, module, quiz, cohort_id=None, number=1):
    make_attempt(db, user_id, quiz, cohort_id=cohort_id, number=number, **PASSED)
    db.session.commit()


def _home_card(page: str) -> str:
    match = re.search(r'<article class="card course-card">.*?</article>', page, re.S)
    assert match, "no course card on the home page"
    return match.group(0)


def test_every_module_read_is_not_finished_while_no_quiz_is_passed(client, judge, courses, db):
    """The bug: "Terminé à 100 %" on the home page while the certificates page said "quiz réussis : 0 sur 6"."""
    _read_everything(db, judge.id)
    quizzes = _counted_quizzes(db)
    client.login("judge@example.org")
    home = client.get("/courses/home").get_data(as_text=True)
    card = _home_card(home)
    assert 'id="h-done"' not in home, "a course with no quiz passed is listed as completed"
    assert 'id="h-progress"' in home
    assert "Modules read: 8 of 8" in card
    assert f"Quizzes passed: 0 of {len(quizzes)}" in card
    assert 'value="100"' not in card and "100%" not in card
    assert "What is left to complete the course:" in card
    assert f"Pass {len(quizzes)} more quizzes" in card
    # The main button is the next step: the first quiz to pass, not a module to read again.
    first_module, first_quiz = quizzes[0]
    button = re.search(r'<a class="button" href="([^"]+)">([^<]+)</a>', card)
    assert button and button.group(1) == f"/quizzes/{first_quiz.id}"
    assert button.group(2).startswith("Take the quiz:")
    # The course page says the same.
    course_page = client.get(COURSE).get_data(as_text=True)
    assert (
        f"Quizzes passed: 0 of {len(quizzes)}" in course_page and f'href="/quizzes/{first_quiz.id}">Take' in course_page
    )
    assert "Quiz to pass" in course_page


def test_finished_when_every_quiz_is_passed(client, judge, courses, db):
    _read_everything(db, judge.id)
    for module, quiz in _counted_quizzes(db):
        _pass(db, judge.id, module, quiz)
    client.login("judge@example.org")
    home = client.get("/courses/home").get_data(as_text=True)
    assert 'id="h-done"' in home and 'id="h-progress"' not in home
    assert "You have completed the course." in _home_card(home)
    assert 'value="100"' in _home_card(home)


def test_cohort_learner_sees_what_is_left_for_the_certificate(client, db, courses, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    learner = make_user(email="judge@example.org", profession="magistrate-judge")
    cohort = make_cohort(
        trainer, start_date=date.today() - timedelta(days=3), end_date=date.today() + timedelta(days=30)
    )
    enrol(db, cohort, learner)
    db.session.commit()
    _read_everything(db, learner.id)
    quizzes = _counted_quizzes(db)
    module, quiz = quizzes[0]
    _pass(db, learner.id, module, quiz, cohort_id=cohort.id)
    # A pass made outside this cohort does not count for it.
    other_module, other_quiz = quizzes[1]
    _pass(db, learner.id, other_module, other_quiz, cohort_id=None)
    session = make_session(db, cohort, datetime.utcnow() - timedelta(days=1), hours=4, title="J1")
    mark(db, session, learner.id, "present")
    db.session.commit()

    client.login("judge@example.org")
    card = _home_card(client.get("/courses/home").get_data(as_text=True))
    assert f"Quizzes passed: 1 of {len(quizzes)}" in card
    assert "Attendance: 100% (80% required)" in card
    assert "What is left for your certificate:" in card
    assert f"Pass {len(quizzes) - 1} more quizzes" in card
    assert f'href="/quizzes/{other_quiz.id}">Take the quiz' in card

    # One rule: the learner's standing says what the trainer's certificates page says.
    user = db.session.get(User, learner.id)
    progress = content.course_progress(user, db.session.get(Course, cohort.course_id), "en")
    status = certificates.cohort_eligibility(cohort)[learner.id]
    assert list(progress.standing.missing) == status.missing and not status.eligible


def test_module_read_with_its_quiz_not_passed_leads_to_the_quiz(client, judge, courses, db):
    module, quiz = _counted_quizzes(db)[0]
    url = f"{COURSE}/{module.slug}"
    client.login("judge@example.org")
    page = client.get(url).get_data(as_text=True)
    actions = page[page.index('class="module-actions"') :]
    assert "Mark as read and take the quiz" in actions
    assert "Mark as read and continue" not in actions and "Mark as complete and continue" not in actions
    response = client.post_form(f"{url}/complete", {"completed": "1", "go": "quiz"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/quizzes/{quiz.id}")
    # Read, quiz not passed: the main button is the quiz.
    actions = client.get(url).get_data(as_text=True)
    actions = actions[actions.index('class="module-actions"') :]
    assert f'<a class="button" href="/quizzes/{quiz.id}">Take the quiz</a>' in actions
    assert "Mark as read and continue" not in actions
    # Passed: the main button goes on to the next module.
    _pass(db, judge.id, module, quiz)
    actions = client.get(url).get_data(as_text=True)
    actions = actions[actions.index('class="module-actions"') :]
    assert "Quiz passed." in actions and re.search(
        r'<a class="button" href="/courses/palermo-magistrates/[\w-]+">Continue', actions
    )


def test_cohort_learner_home_costs_the_same_queries_whatever_the_progress(
    client, db, courses, make_user, make_cohort, count_queries
):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    learner = make_user(email="judge@example.org", profession="magistrate-judge")
    cohort = make_cohort(trainer)
    cohorts.enrol(cohort, db.session.get(User, learner.id), None)
    db.session.commit()
    client.login("judge@example.org")
    client.get("/courses/home")
    with count_queries() as before:
        assert client.get("/courses/home").status_code == 200
    _read_everything(db, learner.id)
    for number, (module, quiz) in enumerate(_counted_quizzes(db), start=1):
        _pass(db, learner.id, module, quiz, cohort_id=cohort.id, number=number)
    with count_queries() as after:
        assert client.get("/courses/home").status_code == 200
    assert before.count == after.count, (before.count, after.count)


def test_standing_for_every_course_costs_two_queries(client, make_user, courses, count_queries):
    """A learner with no profession yet sees every course: their standing in all of them is asked at once."""
    make_user(email="new@example.org")
    client.login("new@example.org")
    client.get("/courses/home")
    with count_queries() as queries:
        page = client.get("/courses/home").get_data(as_text=True)
    assert page.count('class="card course-card"') == 2 and page.count('class="standing"') == 2
    # the user with the bell's unread count; every live course with its modules and progress; the learner's
    # cohorts; their attempts; the next workshop; the surveys waiting for their answers
    assert queries.count == 6, queries.statements


def test_the_pre_test_module_s_main_button_starts_the_test(app, client, judge, courses, db):
    """The pre-test's page only explains the test: its main button takes it (marking the page read), never
    "mark as read and continue" past a test the learner has not taken."""
    from flask import url_for

    pretest = next(m for m in _modules(db) if m.slug.endswith("pre-test"))
    quiz = db.session.scalar(select(QuizVersion).where(QuizVersion.module_id == pretest.id, QuizVersion.is_current))
    assert quiz.definition["settings"]["role"] == "pretest"
    with app.test_request_context():
        url = url_for("content.module", course_slug="palermo-magistrates", module_slug=pretest.slug)
        complete = url_for("content.complete", course_slug="palermo-magistrates", module_slug=pretest.slug)
        quiz_url = url_for("quizzes.quiz", quiz_id=quiz.id)
    client.login("judge@example.org")
    page = client.get(url).get_data(as_text=True)
    actions = page[page.index('class="module-actions"') :]
    assert re.search(r'name="go" value="quiz">\s*<button type="submit" class="button">Take the test</button>', actions)
    assert "Mark as read and continue" not in actions
    response = client.post_form(complete, {"completed": "1", "go": "quiz"})
    assert response.status_code == 302 and response.headers["Location"].endswith(quiz_url)
