"""The action plan: written after the course, private to its author, locked once the follow-up opens, reviewed
in the follow-up survey (outcomes on the plan's items, only their counts in the anonymous response)."""

from datetime import datetime, timedelta

from sqlalchemy import select

from lms.evaluation.models import ActionPlan, ActionPlanItem, SurveyResponse
from tests.evaluation.builders import GOOD_FORM, survey_world


def plan_of(db, user):
    db.session.expire_all()
    return db.session.scalar(select(ActionPlan).where(ActionPlan.user_id == user.id))


def url(cohort):
    return f"/evaluation/cohorts/{cohort.id}/action-plan"


def test_a_learner_writes_up_to_three_actions(client, db, cohort, learner):
    client.login(learner.email)
    page = client.get(url(cohort)).get_data(as_text=True)
    assert "I will use the indicator list at the first hearing of a case of…" in page
    assert page.count('maxlength="500"') == 3 and "only you see your action plan" in page
    response = client.post_form(
        url(cohort), {"action_1": " Use the indicators ", "action_2": "", "action_3": "Call the NGO"}
    )
    assert response.status_code == 302
    assert "Your action plan is saved." in client.get(url(cohort)).get_data(as_text=True)
    plan = plan_of(db, learner)
    assert [(i.position, i.text) for i in plan.items] == [(1, "Use the indicators"), (2, "Call the NGO")]
    # changed, then emptied
    client.post_form(url(cohort), {"action_1": "Only one"})
    assert [i.text for i in plan_of(db, learner).items] == ["Only one"]
    page = client.get(url(cohort)).get_data(as_text=True)
    assert "Only one</textarea>" in page
    client.post_form(url(cohort), {})
    assert plan_of(db, learner) is None


def test_an_action_is_at_most_500_characters(client, db, cohort, learner):
    client.login(learner.email)
    response = client.post_form(url(cohort), {"action_1": "x" * 501, "action_2": "kept"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Write at most 500 characters (this answer has 501)." in page and "kept</textarea>" in page
    assert plan_of(db, learner) is None
    # a line break counts once, as the browser counts it
    assert client.post_form(url(cohort), {"action_1": "a\r\n" * 166 + "b"}).status_code == 302
    assert len(plan_of(db, learner).items[0].text) == 333


def test_the_plan_page_shows_only_ones_own_plan(client, db, cohort, learner, other_learner, trainer, make_user):
    client.login(learner.email)
    client.post_form(url(cohort), {"action_1": "Secret of the first learner"})
    client.logout()
    client.login(other_learner.email)
    page = client.get(url(cohort)).get_data(as_text=True)
    assert "Secret of the first learner" not in page
    client.post_form(url(cohort), {"action_1": "Mine"})
    assert [i.text for i in plan_of(db, other_learner).items] == ["Mine"]
    assert [i.text for i in plan_of(db, learner).items] == ["Secret of the first learner"]
    client.logout()
    # a trainer of the cohort and an admin: not enrolled, no plan page at all
    admin = make_user(roles=("admin",), email="admin@example.org")
    for person in (trainer, admin):
        client.login(person.email)
        assert client.get(url(cohort)).status_code == 404
        assert client.post_form(url(cohort), {"action_1": "x"}).status_code == 404
        client.logout()


def test_no_plan_page_for_a_cohort_one_is_not_in(client, db, cohort, make_user, make_cohort, trainer):
    stranger = make_user(email="stranger@example.org")
    client.login(stranger.email)
    assert client.get(url(cohort)).status_code == 404
    assert client.get("/evaluation/cohorts/999999/action-plan").status_code == 404


def test_no_route_takes_a_persons_id(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("evaluation.")]
    assert rules and all(not ({"user_id", "plan_id"} & set(rule.arguments)) for rule in rules)


def write_plan(client, cohort, *actions):
    data = {f"action_{n}": text for n, text in enumerate(actions, start=1)}
    assert client.post_form(url(cohort), data).status_code == 302


def test_the_plan_is_locked_once_the_follow_up_opens(client, db, cohort, learner):
    client.login(learner.email)
    write_plan(client, cohort, "Before")
    _s, _v, round = survey_world(db, cohort, learner, role="follow_up", open_days=45)
    page = client.get(url(cohort)).get_data(as_text=True)
    assert "can no longer be changed" in page and "<textarea" not in page and "Before" in page
    assert f"/evaluation/rounds/{round.id}" in page
    client.post_form(url(cohort), {"action_1": "After"})
    assert [i.text for i in plan_of(db, learner).items] == ["Before"]


def test_a_follow_up_not_yet_open_does_not_lock(client, db, cohort, learner):
    survey_world(db, cohort, learner, role="follow_up", opens_at=datetime.utcnow() + timedelta(days=2))
    client.login(learner.email)
    write_plan(client, cohort, "Still writing")


def test_the_follow_up_shows_the_plan_and_stores_the_review(client, db, cohort, learner):
    client.login(learner.email)
    write_plan(client, cohort, "Indicators", "Interpreter", "Shelter")
    _s, _v, round = survey_world(db, cohort, learner, role="follow_up", open_days=45)
    page = client.get(f"/evaluation/rounds/{round.id}").get_data(as_text=True)
    assert page.index("Indicators") < page.index("Relevant to my work")
    assert page.count('name="plan-1-outcome"') == 3 and "What stood in the way?" in page
    # the outcome of each action is required; the texts are kept on error
    response = client.post_form(
        f"/evaluation/rounds/{round.id}",
        {**GOOD_FORM, "plan-1-outcome": "done", "plan-1-helped": "My clerk", "plan-3-outcome": "maybe"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'href="#plan-2-outcome-0"' in page and 'href="#plan-3-outcome-0"' in page
    assert ">My clerk</textarea>" in page
    response = client.post_form(
        f"/evaluation/rounds/{round.id}",
        {
            **GOOD_FORM,
            "plan-1-outcome": "done",
            "plan-1-helped": "My clerk",
            "plan-2-outcome": "partly",
            "plan-2-obstacles": "No interpreter on Fridays",
            "plan-3-outcome": "not_yet",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/evaluation")
    plan = plan_of(db, learner)
    assert [(i.outcome, i.helped, i.obstacles) for i in plan.items] == [
        ("done", "My clerk", None),
        ("partly", None, "No interpreter on Fridays"),
        ("not_yet", None, None),
    ]
    assert plan.reviewed_at is not None
    [saved] = db.session.scalars(select(SurveyResponse)).all()
    assert saved.answers["_plan"] == {"actions": 3, "done": 1, "partly": 1, "not_yet": 1}
    assert saved.respondent_id is None
    # nothing of the plan's text is in the anonymous response
    assert "clerk" not in str(saved.answers) and "Indicators" not in str(saved.answers)
    # the plan page shows the review, still read-only
    page = client.get(url(cohort)).get_data(as_text=True)
    assert "No interpreter on Fridays" in page and "Partly" in page


def test_a_follow_up_without_a_plan_has_no_counts(client, db, cohort, learner):
    _s, _v, round = survey_world(db, cohort, learner, role="follow_up", open_days=45)
    client.login(learner.email)
    assert "did not write an action plan" in client.get(f"/evaluation/rounds/{round.id}").get_data(as_text=True)
    assert client.post_form(f"/evaluation/rounds/{round.id}", GOOD_FORM).status_code == 302
    [saved] = db.session.scalars(select(SurveyResponse)).all()
    assert "_plan" not in saved.answers


def test_one_learners_follow_up_never_touches_anothers_plan(client, db, cohort, learner, other_learner):
    client.login(learner.email)
    write_plan(client, cohort, "First")
    client.logout()
    client.login(other_learner.email)
    write_plan(client, cohort, "Second")
    _s, _v, round = survey_world(db, cohort, learner, other_learner, role="follow_up", open_days=45)
    page = client.get(f"/evaluation/rounds/{round.id}").get_data(as_text=True)
    assert "Second" in page and ">First<" not in page
    client.post_form(f"/evaluation/rounds/{round.id}", {**GOOD_FORM, "plan-1-outcome": "done"})
    db.session.expire_all()
    outcomes = dict(db.session.execute(select(ActionPlanItem.text, ActionPlanItem.outcome)).all())
    assert outcomes == {"First": None, "Second": "done"}
