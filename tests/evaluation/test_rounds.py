"""Who is asked which survey, when (a frozen clock: ``now`` is given): rounds made once when they open, the
people asked, the invitation and the one reminder to non-respondents only, the early end-of-course survey of a
certified learner, and what erasing and exporting a person do."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lms.accounts import service as accounts
from lms.accounts.models import User
from lms.certificates import service as certificates
from lms.cohorts import service as cohorts
from lms.content.models import Course
from lms.evaluation import rules, service, tasks
from lms.evaluation.models import ActionPlan, ActionPlanItem, SurveyParticipation, SurveyResponse, SurveyRound
from lms.notifications.models import Notification
from tests.evaluation.support import survey_for
from tests.factories import enrolled_learner, make_session, mark

CASA = ZoneInfo("Africa/Casablanca")
#: the cohort runs from Monday 4 to Friday 29 January 2027; Casablanca is UTC+1 then
LAST_DAY = date(2027, 1, 29)
LAST_DAY_MIDNIGHT = datetime(2027, 1, 28, 23, 0)


@pytest.fixture
def cohort(app, db, courses, make_user):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    course = db.session.scalar(select(Course).where(Course.slug == "palermo-magistrates"))
    for role in rules.ROLES:
        survey_for(db, course.id, role)
    cohort = cohorts.save_cohort(
        None,
        None,
        course=course,
        trainers=[db.session.get(User, trainer.id)],
        title="Rabat 2027",
        mode="in_person",
        start_date=date(2027, 1, 4),
        end_date=LAST_DAY,
        language="fr",
    )
    db.session.commit()
    return cohort


@pytest.fixture
def people(make_user, db, cohort):
    nadia = enrolled_learner(make_user, db, cohort, email="nadia@example.org", name_latin="Nadia", locale="fr")
    salma = enrolled_learner(make_user, db, cohort, email="salma@example.org", name_latin="Salma", locale="ar")
    omar = enrolled_learner(make_user, db, cohort, email="omar@example.org", name_latin="Omar", locale="fr")
    return nadia, salma, omar


def _rounds(db, role=None):
    statement = select(SurveyRound).order_by(SurveyRound.id)
    if role:
        statement = statement.where(SurveyRound.role == role)
    return db.session.scalars(statement).all()


def _asked(db, round_id):
    return set(
        db.session.scalars(select(SurveyParticipation.user_id).where(SurveyParticipation.round_id == round_id))
    )


# --- the rules (pure) ---------------------------------------------------------------------------------------


def test_rules_times():
    assert rules.course_end_times(LAST_DAY, CASA) == (LAST_DAY_MIDNIGHT, None)
    opens, closes = rules.follow_up_times(LAST_DAY, 3, CASA)
    assert opens == datetime(2027, 4, 28, 23, 0)  # 29 April, midnight in Casablanca (UTC+1)
    assert closes == opens + rules.FOLLOW_UP_OPEN
    assert rules.follow_up_times(LAST_DAY, 0, CASA) is None
    assert rules.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert rules.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    # the week kept by a response: the local Monday (Sunday 23:30 UTC is already Monday in Casablanca)
    assert rules.week_of(datetime(2027, 1, 24, 23, 30), CASA) == date(2027, 1, 25)
    assert rules.week_of(datetime(2027, 1, 24, 22, 30), CASA) == date(2027, 1, 18)
    assert not rules.reminder_due("session", datetime(2027, 1, 1), datetime(2027, 1, 3, 23))
    assert rules.reminder_due("session", datetime(2027, 1, 1), datetime(2027, 1, 4))


# --- rounds ------------------------------------------------------------------------------------------------


def test_session_round_asks_those_present_or_late_once(app, db, cohort, people):
    nadia, salma, omar = people
    session = make_session(db, cohort, datetime(2027, 1, 13, 8, 0), hours=3)
    mark(db, session, nadia.id, "present")
    mark(db, session, salma.id, "late")
    mark(db, session, omar.id, "absent")
    db.session.commit()
    assert service.open_due_rounds(datetime(2027, 1, 13, 10, 59)) == []  # not ended yet
    made = service.open_due_rounds(datetime(2027, 1, 13, 11, 0))
    assert [r.role for r in made] == ["session"]
    assert _asked(db, made[0].id) == {nadia.id, salma.id}
    db.session.commit()
    assert service.open_due_rounds(datetime(2027, 1, 13, 12, 0)) == []  # once
    # A session ended long ago (a site deployed late) is not asked about any more
    old = make_session(db, cohort, datetime(2027, 1, 5, 8, 0), hours=3)
    db.session.commit()
    assert [r.role for r in service.open_due_rounds(datetime(2027, 2, 20))] == ["course_end"]
    assert db.session.scalar(select(func.count()).select_from(SurveyRound).where(SurveyRound.session_id == old.id)) == 0


def test_course_end_and_follow_up_rounds(app, db, cohort, people):
    assert [r.role for r in service.open_due_rounds(LAST_DAY_MIDNIGHT - timedelta(minutes=1))] == []
    made = service.open_due_rounds(LAST_DAY_MIDNIGHT)
    assert [r.role for r in made] == ["course_end"]
    assert made[0].closes_at is None
    assert _asked(db, made[0].id) == {p.id for p in people}
    db.session.commit()
    follow_up_opens = datetime(2027, 4, 28, 23, 0)
    assert service.open_due_rounds(follow_up_opens - timedelta(minutes=1)) == []
    made = service.open_due_rounds(follow_up_opens)
    assert [r.role for r in made] == ["follow_up"]
    db.session.commit()
    # a cohort that wants no follow-up
    cohort.follow_up_months = 0
    db.session.execute(SurveyRound.__table__.delete().where(SurveyRound.role == "follow_up"))
    db.session.commit()
    assert service.open_due_rounds(follow_up_opens + timedelta(days=1)) == []


def test_invitation_once_and_one_reminder_to_non_respondents_only(app, db, cohort, people):
    nadia, salma, omar = people
    assert tasks.invite(LAST_DAY_MIDNIGHT) == 3
    assert tasks.invite(LAST_DAY_MIDNIGHT + timedelta(hours=1)) == 0  # once
    round_ = _rounds(db, "course_end")[0]
    assert round_.invited_at == LAST_DAY_MIDNIGHT
    invitations = db.session.scalars(select(Notification).where(Notification.key.like("survey-invite:%"))).all()
    assert sorted(n.user_id for n in invitations) == sorted(p.id for p in people)
    salma_note = next(n for n in invitations if n.user_id == salma.id)
    assert any("\u0600" <= ch <= "\u06ff" for ch in salma_note.title)  # in her language
    assert salma_note.link == f"/evaluation/rounds/{round_.id}"
    # Nadia answers; six days later nobody is reminded yet, seven days later Salma and Omar are, once
    assert service.mark_responded(round_.id, nadia.id)
    assert not service.mark_responded(round_.id, nadia.id)  # a second tab: refused
    db.session.commit()
    assert tasks.invite(LAST_DAY_MIDNIGHT + timedelta(days=6)) == 0
    assert tasks.invite(LAST_DAY_MIDNIGHT + timedelta(days=7)) == 2
    assert tasks.invite(LAST_DAY_MIDNIGHT + timedelta(days=8)) == 0
    reminded = db.session.scalars(
        select(Notification.user_id).where(Notification.key.like("survey-remind:%"))
    ).all()
    assert sorted(reminded) == sorted([salma.id, omar.id])


def test_reminder_not_sent_once_the_round_closed(app, db, cohort, people):
    nadia, _salma, _omar = people
    session = make_session(db, cohort, datetime(2027, 1, 13, 8, 0), hours=3)
    mark(db, session, nadia.id, "present")
    db.session.commit()
    assert tasks.invite(datetime(2027, 1, 13, 11, 0)) == 1
    # the consumer was down for a month: the session's survey closed meanwhile, nobody is reminded of it (the
    # end-of-course survey opened meanwhile: its invitations go)
    tasks.invite(datetime(2027, 2, 13, 11, 0))
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.key.like("survey-remind:%"))) == 0


def test_learner_enrolled_late_is_asked_and_my_rounds(app, db, cohort, people, make_user):
    service.open_due_rounds(LAST_DAY_MIDNIGHT)
    db.session.commit()
    late = enrolled_learner(make_user, db, cohort, email="late@example.org")
    user = db.session.get(User, late.id)
    mine = service.my_rounds(user, LAST_DAY_MIDNIGHT + timedelta(days=1))
    assert [m.round.role for m in mine] == ["course_end"] and not mine[0].responded and mine[0].is_open
    db.session.commit()
    assert service.answerable(mine[0].round.id, user, LAST_DAY_MIDNIGHT + timedelta(days=1)).round.id == mine[0].round.id
    stranger = db.session.get(User, make_user(email="stranger@example.org").id)
    with pytest.raises(service.NotAsked):
        service.answerable(mine[0].round.id, stranger, LAST_DAY_MIDNIGHT + timedelta(days=1))
    service.mark_responded(mine[0].round.id, user.id)
    with pytest.raises(service.AlreadyAnswered):
        service.answerable(mine[0].round.id, user, LAST_DAY_MIDNIGHT + timedelta(days=1))


def test_certified_learner_answers_the_end_of_course_survey_early(app, db, cohort, people):
    nadia, salma, _omar = people
    certificates.issue(cohort, db.session.get(User, nadia.id), None, check=False)
    db.session.commit()
    early = datetime(2027, 1, 20, 10, 0)
    mine = service.my_rounds(db.session.get(User, nadia.id), early)
    assert [(m.round.role, m.is_open) for m in mine] == [("course_end", True)]
    db.session.commit()
    assert service.answerable(mine[0].round.id, db.session.get(User, nadia.id), early)
    # Salma has no certificate: the survey is not open to her before the last day
    assert service.my_rounds(db.session.get(User, salma.id), early) == []
    with pytest.raises(service.Closed):
        service.answerable(mine[0].round.id, db.session.get(User, salma.id), early)


def test_download_waits_for_the_survey_only_when_the_cohort_asks(app, db, cohort, people):
    nadia, _salma, _omar = people
    user = db.session.get(User, nadia.id)
    certificate, _created = certificates.issue(cohort, user, None, check=False)
    db.session.commit()
    assert certificates.download_blockers(user, certificate) == []
    cohort.survey_before_certificate = True
    db.session.commit()
    blockers = certificates.download_blockers(user, certificate)
    assert [code for code, _value in blockers] == ["survey"]
    round_id = blockers[0][1]
    trainer = cohort.trainers[0]
    assert certificates.download_blockers(trainer, certificate) == []  # never the trainer
    service.mark_responded(round_id, user.id)
    db.session.commit()
    assert certificates.download_blockers(user, certificate) == []


# --- personal data -----------------------------------------------------------------------------------------


def test_erasing_a_person_removes_plan_and_participation_but_keeps_anonymous_answers(app, db, cohort, people):
    nadia, _salma, _omar = people
    round_ = service.open_due_rounds(LAST_DAY_MIDNIGHT)[0]
    plan = ActionPlan(user_id=nadia.id, cohort_id=cohort.id)
    plan.items.append(ActionPlanItem(position=1, text="Utiliser la liste d'indicateurs"))
    db.session.add(plan)
    db.session.add(
        SurveyResponse(round_id=round_.id, version_id=survey_for(db, cohort.course_id, "course_end")[1].id, week=date(2027, 1, 25), answers={"useful": 4})
    )
    service.mark_responded(round_.id, nadia.id)
    db.session.commit()
    exported = accounts.export_user_data(db.session.get(User, nadia.id))
    assert exported["action_plans"][0]["actions"][0]["text"] == "Utiliser la liste d'indicateurs"
    assert exported["surveys_asked"][0]["answered"] is True
    assert exported["named_responses"] == []
    accounts.erase_user(db.session.get(User, nadia.id), None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ActionPlan)) == 0
    assert db.session.scalar(select(func.count()).select_from(ActionPlanItem)) == 0
    assert nadia.id not in _asked(db, round_.id)
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


def test_download_route_sends_the_learner_to_the_survey_then_serves_the_pdf(app, db, cohort, people, client):
    nadia, _salma, _omar = people
    user = db.session.get(User, nadia.id)
    certificate, _created = certificates.issue(cohort, user, None, check=False)
    cohort.survey_before_certificate = True
    db.session.commit()
    serial = certificate.serial
    client.login("nadia@example.org")
    page = client.get("/certificates")
    assert page.status_code == 200
    round_id = service.course_end_round(cohort).id  # made for her early answer: her certificate is issued
    assert f"/evaluation/rounds/{round_id}" in page.get_data(as_text=True)
    assert f"/certificates/{serial}.pdf" not in page.get_data(as_text=True)
    response = client.get(f"/certificates/{serial}.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/evaluation/rounds/{round_id}")
    # the trainer downloads it whatever
    client.logout()
    client.login("trainer@example.org")
    assert client.get(f"/certificates/{serial}.pdf").status_code == 200
    client.logout()
    # she answers; the download opens
    client.login("nadia@example.org")
    form = client.get(f"/evaluation/rounds/{round_id}")
    assert form.status_code == 200
    answered = client.post_form(f"/evaluation/rounds/{round_id}", {"q-useful": "4"} | _required_answers(db, cohort))
    assert answered.status_code == 302
    assert service.has_responded(nadia.id, round_id)
    response = client.get(f"/certificates/{serial}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"


def _required_answers(db, cohort) -> dict:
    """A valid answer to every required item of the cohort's current end-of-course survey."""
    version = service.current_surveys([cohort.course_id])[(cohort.course_id, "course_end")][1]
    answers = {}
    for section in version.definition["sections"]:
        for item in section["items"]:
            if not item["required"]:
                continue
            kind = item["kind"]
            if kind == "agree5":
                answers[f"q-{item['id']}"] = "4"
            elif kind == "scale10":
                answers[f"q-{item['id']}"] = "8"
            elif kind in ("single", "multiple"):
                answers[f"q-{item['id']}"] = item["options"][0]["id"]
            else:
                answers[f"q-{item['id']}"] = "Utile."
    return answers


def test_the_cohort_survey_schedule(app, db, cohort, people, client):
    nadia, _salma, _omar = people
    session = make_session(db, cohort, datetime(2027, 1, 13, 8, 0), hours=3, title="Atelier 1")
    db.session.commit()
    lines = service.cohort_schedule(cohort)
    assert [(line.role, line.session.id if line.session else None) for line in lines] == [
        ("session", session.id),
        ("course_end", None),
        ("follow_up", None),
    ]
    assert lines[0].opens_at == session.ends_at and lines[0].remind_at == session.ends_at + timedelta(days=3)
    assert lines[1].opens_at == LAST_DAY_MIDNIGHT and lines[1].closes_at is None
    assert [line.state(datetime(2027, 2, 1)) for line in lines] == ["open", "open", "planned"]
    client.login("trainer@example.org")
    page = client.get(f"/reports/cohorts/{cohort.id}/evaluation").get_data(as_text=True)
    assert 'id="h-schedule"' in page and "Atelier 1" in page
    assert f"/reports/cohorts/{cohort.id}/evaluation" in client.get(f"/attendance/cohorts/{cohort.id}/reminders").get_data(
        as_text=True
    )


def test_invitations_read_the_survey_once_per_round_not_once_per_person(app, db, cohort, people):
    from tests.conftest import QueryCounter

    with QueryCounter(db.engine) as counter:
        assert tasks.invite(LAST_DAY_MIDNIGHT) == len(people)
    reads = [s for s in counter.statements if s.lstrip().upper().startswith("SELECT") and "survey_version" in s]
    # one when the rounds are opened, one for the round's invitations: not one more for each of the three
    assert len(reads) <= 2, reads
