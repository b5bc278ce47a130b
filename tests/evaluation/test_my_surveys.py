"""The learner's surveys page, the menu's link to it, and the card on their home when a survey waits."""

from datetime import date, datetime, timedelta

from tests.evaluation.builders import GOOD_FORM, ask, make_round, make_survey, survey_world


def test_a_learner_with_nothing_sees_an_empty_state(client, make_user):
    person = make_user(email="new@example.org")
    client.login(person.email)
    page = client.get("/evaluation").get_data(as_text=True)
    assert "No survey is waiting for your answers." in page
    assert "You have no action plan yet" in page
    assert 'href="/evaluation"' in page  # the menu's link


def test_the_menu_links_learners_only(client, make_user):
    trainer = make_user(roles=("trainer",), email="t@example.org")
    client.login(trainer.email)
    page = client.get("/reports").get_data(as_text=True)
    assert ">My surveys<" not in page


def test_open_answered_and_plans_are_listed(client, db, cohort, learner, make_cohort, trainer):
    _s, _v, open_round = survey_world(db, cohort, learner)
    end_survey, _v2 = make_survey(db, cohort.course_id, role="course_end")
    answered = make_round(db, end_survey, cohort, open_days=None)
    ask(db, answered, learner)
    now = datetime.utcnow()
    gone_survey, _v3 = make_survey(db, cohort.course_id, role="follow_up")
    closed = make_round(db, gone_survey, cohort, opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=15))
    ask(db, closed, learner)
    db.session.commit()
    client.login(learner.email)
    client.post_form(f"/evaluation/rounds/{answered.id}", GOOD_FORM)
    page = client.get("/evaluation").get_data(as_text=True)
    to_answer, done = page.index("To answer"), page.index("Answered")
    assert page.index(f"/evaluation/rounds/{open_round.id}") < done
    assert "Open until" in page and "Anonymous" in page
    assert page.index("Answered, thank you") > done > to_answer
    assert f"/evaluation/rounds/{closed.id}" not in page  # closed without an answer: nothing to do
    # the cohort has not ended: no plan listed yet; once it has, the plan is
    assert f"/evaluation/cohorts/{cohort.id}/action-plan" not in page.split("My action plans")[1]
    ended = make_cohort(trainer, title="Ended", start_date=date(2024, 1, 1), end_date=date(2024, 2, 1))
    from tests.factories import enrol

    enrol(db, ended, learner)
    db.session.commit()
    page = client.get("/evaluation").get_data(as_text=True)
    assert f"/evaluation/cohorts/{ended.id}/action-plan" in page and "Not written yet" in page


def test_the_home_shows_a_card_while_a_survey_waits(client, db, cohort, learner):
    client.login(learner.email)
    assert "waiting for your answers" not in client.get("/courses/home").get_data(as_text=True)
    _s, _v, round = survey_world(db, cohort, learner)
    page = client.get("/courses/home").get_data(as_text=True)
    assert "A survey is waiting for your answers" in page and f"/evaluation/rounds/{round.id}" in page
    client.post_form(f"/evaluation/rounds/{round.id}", GOOD_FORM)
    assert "waiting for your answers" not in client.get("/courses/home").get_data(as_text=True)


def test_open_for_lists_only_what_can_be_answered_now(app, db, cohort, learner, other_learner):
    from lms.accounts.models import User
    from lms.evaluation.routes import open_for

    _s, _v, round = survey_world(db, cohort, learner)
    now = datetime.utcnow()
    future_survey, _v2 = make_survey(db, cohort.course_id, role="follow_up")
    ask(db, make_round(db, future_survey, cohort, opens_at=now + timedelta(days=1)), learner)
    db.session.commit()
    assert [m.round.id for m in open_for(db.session.get(User, learner.id), now)] == [round.id]
    assert open_for(db.session.get(User, other_learner.id), now) == []


def test_the_home_reads_no_more_for_answered_or_closed_surveys(client, db, cohort, learner, count_queries):
    """The home asks only the rounds still waiting (not answered, not closed): one query when none waits, however
    many surveys the person answered or let close."""
    client.login(learner.email)
    client.get("/courses/home")
    with count_queries() as nothing_yet:
        client.get("/courses/home")
    _s, _v, answered = survey_world(db, cohort, learner)
    now = datetime.utcnow()
    gone_survey, _v2 = make_survey(db, cohort.course_id, role="follow_up")
    ask(
        db,
        make_round(db, gone_survey, cohort, opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=15)),
        learner,
    )
    db.session.commit()
    client.post_form(f"/evaluation/rounds/{answered.id}", GOOD_FORM)
    with count_queries() as after:
        page = client.get("/courses/home").get_data(as_text=True)
    assert "waiting for your answers" not in page
    assert after.count == nothing_yet.count, (nothing_yet.statements, after.statements)
