"""Every survey shipped in courses/ renders on a phone-sized form and accepts a complete set of answers."""

from sqlalchemy import select

from lms.content.models import Course, Survey, SurveyVersion
from lms.evaluation import responses
from lms.evaluation.models import SurveyResponse
from tests.evaluation.builders import ask, make_round
from tests.factories import enrolled_learner


def full_answers(definition: dict) -> dict:
    """A form answering every item (the first option, the scale's middle, a short text)."""
    data: dict = {}
    for item in responses.items(definition):
        name = responses.field_name(item["id"])
        if item["kind"] == "agree5":
            data[name] = "4"
        elif item["kind"] == "scale10":
            data[name] = "8"
        elif item["kind"] == "single":
            data[name] = item["options"][0]["id"]
        elif item["kind"] == "multiple":
            data[name] = [o["id"] for o in item["options"][:2]]
        else:
            data[name] = "Une réponse"
    return data


def test_every_shipped_survey_is_answered(client, db, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    shipped = db.session.execute(
        select(Survey, SurveyVersion, Course.slug)
        .join(SurveyVersion, (SurveyVersion.survey_id == Survey.id) & SurveyVersion.is_current.is_(True))
        .join(Course, Course.id == Survey.course_id)
        .where(Survey.is_archived.is_(False))
        .order_by(Survey.id)
    ).all()
    assert len(shipped) >= 6  # a workshop, end-of-course and follow-up survey for each track
    for n, (survey, version, course_slug) in enumerate(shipped):
        cohort = make_cohort(trainer, course=course_slug, title=f"C{n}")
        learner = enrolled_learner(make_user, db, cohort, email=f"l{n}@example.org")
        round = make_round(db, survey, cohort, open_days=None)
        ask(db, round, learner)
        db.session.commit()
        client.login(learner.email)
        page = client.get(f"/evaluation/rounds/{round.id}")
        assert page.status_code == 200, survey.slug
        text = page.get_data(as_text=True)
        for item in responses.items(version.definition):
            assert f'name="{responses.field_name(item["id"])}"' in text, (survey.slug, item["id"])
        response = client.post_form(f"/evaluation/rounds/{round.id}", full_answers(version.definition))
        assert response.status_code == 302, (survey.slug, response.get_data(as_text=True)[:2000])
        client.logout()
        saved = db.session.scalar(select(SurveyResponse).where(SurveyResponse.round_id == round.id))
        assert set(saved.answers) - {"_plan"} == {item["id"] for item in responses.items(version.definition)}
