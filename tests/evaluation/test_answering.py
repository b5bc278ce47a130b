"""Answering a survey: the page, the checks, one response per person, the anonymous response, the redirect."""

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.evaluation import responses
from lms.evaluation.models import SurveyParticipation, SurveyResponse
from tests.evaluation.builders import GOOD_FORM, ask, make_round, make_survey, survey_world
from tests.factories import make_session

CHECKED = re.compile(r'<input type="(?:radio|checkbox)" id="([^"]+)" name="([^"]+)" value="([^"]*)" checked>')


def response_rows(db):
    db.session.expire_all()
    return db.session.scalars(select(SurveyResponse)).all()


def test_the_form_says_anonymous_before_the_questions_and_shows_every_kind(client, db, cohort, learner):
    _survey, _version, round = survey_world(db, cohort, learner)
    client.login(learner.email)
    page = client.get(f"/evaluation/rounds/{round.id}").get_data(as_text=True)
    statement = page.index("your answers are stored without your name")
    assert "groups of 5 or more" in page
    assert statement < page.index("Relevant to my work")
    assert "Named:" not in page
    assert "Workshop evaluation" in page and "Thank you for answering." in page
    # agree5: five radios with their labels; scale10: eleven with the ends; single radios; multiple checkboxes
    assert len(re.findall(r'name="q-relevance" value="[1-5]"', page)) == 5
    assert "Strongly disagree" in page and "Strongly agree" in page
    assert len(re.findall(r'name="q-recommend" value="(?:10|[0-9])"', page)) == 11
    assert "0 = never" in page and "10 = surely" in page
    assert page.count('type="radio" id="q-format-') == 2
    assert page.count('type="checkbox" id="q-topics-') == 3
    assert 'maxlength="300"' in page and 'maxlength="3000"' in page
    assert "At most 300 characters." in page
    # required said in words, not only by colour; sections are fieldsets with legends
    assert page.count("(required)") == 3 and page.count("(optional)") == 3
    assert page.count('<fieldset class="survey-section"') == 2


def test_a_named_survey_says_so(client, db, cohort, learner):
    _survey, _version, round = survey_world(db, cohort, learner, named=True)
    client.login(learner.email)
    page = client.get(f"/evaluation/rounds/{round.id}").get_data(as_text=True)
    assert "your trainers will see your name with your answers" in page
    assert "without your name" not in page


def test_answers_are_saved_anonymously(client, db, cohort, learner, monkeypatch):
    survey, version, round = survey_world(db, cohort, learner)
    client.login(learner.email)
    response = client.post_form(
        f"/evaluation/rounds/{round.id}", {**GOOD_FORM, "q-topics": ["cases", "law"], "q-best": " Cases "}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/evaluation")
    assert "Thank you, your answers are saved." in client.get("/evaluation").get_data(as_text=True)
    [saved] = response_rows(db)
    assert saved.answers == {
        "relevance": 4,
        "recommend": 9,
        "format": "online",
        "topics": ["law", "cases"],
        "best": "Cases",
    }
    assert saved.respondent_id is None and saved.named is False
    assert saved.version_id == version.id and saved.round_id == round.id
    assert (saved.profession, saved.jurisdiction, saved.gender) == ("magistrate-judge", "rabat", "female")
    assert saved.week.weekday() == 0 and saved.week <= date.today() + timedelta(days=1)
    assert db.session.get(SurveyParticipation, (round.id, learner.id)).responded is True


def test_a_named_survey_keeps_the_respondent(client, db, cohort, learner):
    _survey, _version, round = survey_world(db, cohort, learner, named=True)
    client.login(learner.email)
    assert client.post_form(f"/evaluation/rounds/{round.id}", GOOD_FORM).status_code == 302
    [saved] = response_rows(db)
    assert saved.named is True and saved.respondent_id == learner.id


def test_two_tabs_give_one_response(client, db, cohort, learner):
    _survey, _version, round = survey_world(db, cohort, learner)
    client.login(learner.email)
    url = f"/evaluation/rounds/{round.id}"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # the second tab
    token = client.csrf()
    first = client.post(url, data={**GOOD_FORM, "csrf_token": token})
    second = client.post(url, data={**GOOD_FORM, "q-relevance": "1", "csrf_token": token})
    assert first.status_code == 302
    # the second tab's form now finds the round answered: the page says so, nothing is written
    assert second.status_code == 200
    assert "already answered" in second.get_data(as_text=True)
    [saved] = response_rows(db)
    assert saved.answers["relevance"] == 4


def test_submit_refuses_a_second_answer_and_writes_nothing(app, db, cohort, learner):
    from lms.accounts.models import User

    _survey, _version, round = survey_world(db, cohort, learner)
    user = db.session.get(User, learner.id)
    now = datetime.utcnow()
    responses.submit(round, user, {"relevance": 3}, now)
    db.session.commit()
    with pytest.raises(responses.AlreadyAnswered):
        responses.submit(round, user, {"relevance": 1}, now)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


def test_submit_refuses_someone_not_asked(app, db, cohort, learner, other_learner):
    from lms.accounts.models import User

    _survey, _version, round = survey_world(db, cohort, learner)
    with pytest.raises(responses.AlreadyAnswered):
        responses.submit(round, db.session.get(User, other_learner.id), {"relevance": 3}, datetime.utcnow())
    db.session.rollback()
    assert response_rows(db) == []


def test_submit_drops_reserved_keys(app, db, cohort, learner):
    from lms.accounts.models import User

    _survey, _version, round = survey_world(db, cohort, learner)
    saved = responses.submit(round, db.session.get(User, learner.id), {"relevance": 3, "_plan": 9}, datetime.utcnow())
    assert saved.answers == {"relevance": 3}


def test_the_week_is_the_local_monday(app):
    with app.app_context():
        # Sunday 6 December 2026, 23:30 UTC is Monday 00:30 in Casablanca (UTC+1)
        assert responses.week_of(datetime(2026, 12, 6, 23, 30)) == date(2026, 12, 7)
        assert responses.week_of(datetime(2026, 12, 6, 22, 30)) == date(2026, 11, 30)
        assert responses.week_of(datetime(2026, 12, 9, 12, 0)) == date(2026, 12, 7)


def test_errors_are_listed_at_the_top_and_the_answers_kept(client, db, cohort, learner):
    _survey, _version, round = survey_world(db, cohort, learner)
    client.login(learner.email)
    response = client.post_form(
        f"/evaluation/rounds/{round.id}",
        {"q-relevance": "2", "q-recommend": "eleven", "q-topics": ["law", "victims"], "q-best": "kept text"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = page.index('class="error-summary"')
    assert summary < page.index("Relevant to my work")
    assert 'href="#q-recommend-0"' in page and 'href="#q-format-0"' in page
    assert 'id="q-recommend-0"' in page and 'id="q-format-0"' in page
    assert "Choose a value from 0 to 10." in page
    checked = {(name, value) for _id, name, value in CHECKED.findall(page)}
    assert checked == {("q-relevance", "2"), ("q-topics", "law"), ("q-topics", "victims")}
    assert 'value="kept text"' in page
    assert response_rows(db) == []


def test_a_course_end_survey_leads_to_the_action_plan(client, db, cohort, learner):
    _survey, _version, round = survey_world(db, cohort, learner, role="course_end", open_days=None)
    client.login(learner.email)
    response = client.post_form(f"/evaluation/rounds/{round.id}", GOOD_FORM)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/evaluation/cohorts/{cohort.id}/action-plan")


def test_someone_elses_round_is_not_found(client, db, cohort, learner, other_learner, trainer, make_user):
    _survey, _version, round = survey_world(db, cohort, learner)
    admin = make_user(roles=("admin",), email="admin@example.org")
    for person in (other_learner, trainer, admin):
        client.login(person.email)
        assert client.get(f"/evaluation/rounds/{round.id}").status_code == 404, person.email
        assert client.post_form(f"/evaluation/rounds/{round.id}", GOOD_FORM).status_code == 404
        client.logout()
    client.login(learner.email)
    assert client.get(f"/evaluation/rounds/{round.id + 1000}").status_code == 404
    assert response_rows(db) == []


def test_closed_answered_and_future_rounds_say_why(client, db, cohort, learner):
    survey, _version = make_survey(db, cohort.course_id)
    now = datetime.utcnow()
    closed = make_round(db, survey, cohort, opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=10))
    session = make_session(db, cohort, now + timedelta(days=2))
    future = make_round(db, survey, cohort, opens_at=now + timedelta(days=3), session=session)
    ask(db, closed, learner)
    ask(db, future, learner)
    db.session.commit()
    client.login(learner.email)
    page = client.get(f"/evaluation/rounds/{closed.id}").get_data(as_text=True)
    assert "This survey is closed" in page and "q-relevance" not in page
    assert client.post_form(f"/evaluation/rounds/{closed.id}", GOOD_FORM).status_code == 200
    assert "not open yet" in client.get(f"/evaluation/rounds/{future.id}").get_data(as_text=True)
    assert response_rows(db) == []
    _s, _v, answered = survey_world(db, cohort, learner, role="course_end")
    assert client.post_form(f"/evaluation/rounds/{answered.id}", GOOD_FORM).status_code == 302
    assert "already answered" in client.get(f"/evaluation/rounds/{answered.id}").get_data(as_text=True)


def test_a_bad_csrf_token_writes_nothing(client, db, cohort, learner):
    _survey, _version, round = survey_world(db, cohort, learner)
    client.login(learner.email)
    response = client.raw.post(f"/evaluation/rounds/{round.id}", data={**GOOD_FORM, "csrf_token": "forged"})
    assert response.status_code in (200, 400)
    assert response_rows(db) == []


def test_hostile_values_never_500(client, db, cohort, learner):
    _survey, _version, round = survey_world(db, cohort, learner)
    client.login(learner.email)
    token = client.csrf()
    for junk in (
        {"q-relevance": "\x00"},
        {"q-format": "x" * 100000},
        {"q-topics": ["a"] * 500},
        {"q-best": "\u202e" * 400},
    ):
        response = client.raw.post(f"/evaluation/rounds/{round.id}", data={**junk, "csrf_token": token})
        assert response.status_code == 400, junk
    assert response_rows(db) == []


def test_a_round_of_a_withdrawn_survey_is_closed(client, db, cohort, learner):
    survey, _version, round = survey_world(db, cohort, learner)
    survey.is_archived = True  # removed from courses/: archived with its rounds
    db.session.commit()
    client.login(learner.email)
    page = client.get(f"/evaluation/rounds/{round.id}").get_data(as_text=True)
    assert "This survey is closed" in page and "q-relevance" not in page
    assert client.post_form(f"/evaluation/rounds/{round.id}", GOOD_FORM).status_code == 200
    assert response_rows(db) == []
