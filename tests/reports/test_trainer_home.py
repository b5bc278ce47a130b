"""Each role lands on its own work after sign-in and on "/": the admin on the programme, the trainer on today's
sessions and their cohorts, the learner on their training; "My training" stays in the menu."""

from datetime import datetime, timedelta

import pytest

from tests.factories import enrol, make_session, mark


@pytest.mark.parametrize(
    "roles, home",
    [
        (("learner",), "/courses/home"),
        (("trainer",), "/reports"),
        (("admin",), "/reports/programme"),
        (("admin", "trainer", "learner"), "/reports/programme"),
        (("trainer", "learner"), "/reports"),
    ],
)
def test_each_role_lands_on_its_own_home(client, make_user, roles, home):
    make_user(roles=roles, email="person@example.org")
    assert client.login("person@example.org").headers["Location"] == "/"
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == home
    page = client.get(home).get_data(as_text=True)
    assert 'href="/courses/home"' in page  # "My training" is one click away from every home


def _session(db, cohort, title, start, hours=3):
    session = make_session(
        db, cohort, start, hours, title=title, place="Salle 2", checkin_secret=title[-1] * 64, is_checkin_open=True
    )
    db.session.commit()
    return session


def test_the_trainer_home_shows_today_s_sessions_first(client, db, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    other = make_user(roles=("trainer",), email="other@example.org")
    mine = make_cohort(trainer, title="Casablanca 2027")
    theirs = make_cohort(other, title="Fès 2027")
    learner = make_user(email="l@example.org")
    enrol(db, mine, learner)
    now = datetime.utcnow()
    # Begun up to 30 minutes ago, after local midnight (before it, the session is yesterday's).
    from zoneinfo import ZoneInfo

    local = datetime.now(ZoneInfo(client.application.config["BABEL_DEFAULT_TIMEZONE"]))
    since = min(30, local.hour * 60 + local.minute)
    under_way = _session(db, mine, "Atelier du jour", now - timedelta(minutes=since))
    _session(db, mine, "Atelier suivant", now + timedelta(days=3))
    _session(db, theirs, "Atelier de Fès", now - timedelta(minutes=min(10, since)))
    mark(db, under_way, learner.id, "present")
    db.session.commit()
    client.login("trainer@example.org")
    page = client.get("/reports").get_data(as_text=True)
    today = page[page.index('id="h-today"') : page.index('id="h-cohorts"')]
    assert "Atelier du jour" in today and "under way" in today and "Marked present: 1 of 1" in today
    assert f'href="/attendance/sessions/{under_way.id}"' in today
    assert f'href="/attendance/sessions/{under_way.id}/checkin-screen"' in today
    assert "Atelier suivant" in today.split("Next sessions")[1]
    assert "Fès" not in page  # another trainer's cohort and session
    assert "Casablanca 2027" in page[page.index('id="h-cohorts"') :]


def test_a_day_without_workshop_says_so(client, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    make_cohort(trainer)
    client.login("trainer@example.org")
    assert "No workshop session today." in client.get("/reports").get_data(as_text=True)


def test_the_cohort_card_counts_attendance_by_the_rule(db, make_user, make_cohort):
    """A session under way counts only the marks taken; an excused absence as the cohort says."""
    from lms.cohorts.models import Cohort
    from lms.reports.service import trainer_overview

    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = db.session.get(Cohort, make_cohort(trainer).id)
    people = [make_user(email=f"p{i}@example.org") for i in range(2)]
    for person in people:
        enrol(db, cohort, person)
    now = datetime.utcnow()
    over = _session(db, cohort, "Atelier 1", now - timedelta(days=7))
    under_way = _session(db, cohort, "Atelier 2", now - timedelta(minutes=20))
    mark(db, over, people[0].id, "present")
    mark(db, over, people[1].id, "excused")
    mark(db, under_way, people[0].id, "present")
    db.session.commit()
    # 2 attended out of 2 that count (the excused one left out, the unmarked one still able to check in)
    assert trainer_overview([cohort])[cohort.id]["attendance"] == 100.0
    cohort.excused_absences = "absent"
    db.session.commit()
    assert trainer_overview([cohort])[cohort.id]["attendance"] == 66.7
