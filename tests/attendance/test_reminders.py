"""Reminders sent by the queue's periodic tasks: the day before a workshop, the quizzes not passed a week before the
end, the weekly low-attendance e-mail. Each once per person and event (the task run twice, two consumers), in the
person's language, at the right time (a frozen clock: ``now`` is given), not when switched off, never to erased or
deactivated people, never for a past or deleted session; and the trainer's page, for their own cohorts only."""

import email
import email.policy
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.attendance import rules, tasks
from lms.attendance.models import WorkshopSession
from lms.audit.models import AuditEvent
from lms.cohorts import rules as schedule
from lms.cohorts import tasks as cohort_tasks
from lms.cohorts.models import Cohort
from lms.core.mail import MailDelivery
from lms.notifications.models import Notification
from tests.conftest import outbox
from tests.factories import PASSED, complete_everything, enrolled_learner, make_attempt, make_session, module_quiz

CASA = ZoneInfo("Africa/Casablanca")
#: Wednesday 13 January 2027, 09:00 in Casablanca (UTC+1): 08:00 UTC
SESSION_START = datetime(2027, 1, 13, 8, 0)
#: the day before, 10:00 in Casablanca
EVE = datetime(2027, 1, 12, 9, 0)


def _messages(app):
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox(app)]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def _notified(db, kind: str) -> list[Notification]:
    return db.session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)).all()


@pytest.fixture
def people(make_user, db, cohort):
    """Nadia (French) and Salma (Arabic), enrolled; the cohort's trainer is Youssef (English)."""
    nadia = enrolled_learner(make_user, db, cohort, email="nadia@example.org", name_latin="Nadia", locale="fr")
    salma = enrolled_learner(
        make_user, db, cohort, email="salma@example.org", name_latin="Salma", name_arabic="سلمى", locale="ar"
    )
    return nadia, salma


@pytest.fixture
def workshop(db, cohort, people):
    session = make_session(db, cohort, SESSION_START, hours=3, title="Atelier <identification>", place="Salle 2")
    db.session.commit()
    return session


# --- the rules (pure) ---------------------------------------------------------------------------------------


def test_rules_workshop_the_day_before_at_ten_local_until_it_starts():
    due, closes = rules.workshop_reminder_times(SESSION_START, CASA)
    assert (due, closes) == (EVE, SESSION_START)
    assert not schedule.is_open(due, closes, EVE - timedelta(minutes=1))
    assert schedule.is_open(due, closes, EVE) and schedule.is_open(due, closes, SESSION_START - timedelta(seconds=1))
    assert not schedule.is_open(due, closes, SESSION_START)
    # During Ramadan Morocco is at UTC+0: 10:00 local is 10:00 UTC (2027: about 8 February to 10 March)
    ramadan_due, _closes = rules.workshop_reminder_times(datetime(2027, 2, 24, 9, 0), CASA)
    assert ramadan_due == datetime(2027, 2, 23, 10, 0)


def test_rules_quiz_a_week_before_the_last_day_until_its_end():
    due, closes = schedule.quiz_reminder_times(date(2027, 3, 1), CASA)
    assert due == datetime(2027, 2, 22, 10, 0)  # Ramadan: UTC+0
    assert closes == datetime(2027, 3, 2, 0, 0)
    due, closes = schedule.quiz_reminder_times(date(2027, 1, 31), CASA)
    assert (due, closes) == (datetime(2027, 1, 24, 9, 0), datetime(2027, 1, 31, 23, 0))


def test_rules_weekly_warnings_on_mondays():
    times = rules.weekly_warning_times(datetime(2027, 1, 4), datetime(2027, 1, 25, 9, 0), CASA)
    # Mondays 4, 11, 18 January (25 January 09:00 UTC is the end, excluded)
    assert [d for d, _c in times] == [datetime(2027, 1, 4, 9), datetime(2027, 1, 11, 9), datetime(2027, 1, 18, 9)]
    assert times[0][1] == datetime(2027, 1, 4, 23, 0)
    assert rules.weekly_warning_times(datetime(2027, 1, 5), datetime(2027, 1, 11), CASA) == []


# --- workshops --------------------------------------------------------------------------------------------


def test_workshop_reminder_once_each_in_their_language(app, db, cohort, people, trainer, workshop):
    nadia, salma = people
    assert tasks.run_workshop_reminders(EVE - timedelta(minutes=5)) == 0  # 09:55: not yet
    assert tasks.run_workshop_reminders(EVE + timedelta(minutes=5)) == 3  # the two learners and the trainer
    assert tasks.run_workshop_reminders(EVE + timedelta(minutes=20)) == 0  # the next run: nothing again
    notes = {n.user_id: n for n in _notified(db, "workshop_reminder")}
    assert set(notes) == {nadia.id, salma.id, trainer.id}
    assert "mercredi 13 janvier 2027" in notes[nadia.id].title and "09:00" in notes[nadia.id].title
    assert _arabic(notes[salma.id].title) and "09:00" in notes[salma.id].title
    assert notes[nadia.id].link == "/courses/home" and notes[trainer.id].link == f"/attendance/sessions/{workshop.id}"
    messages = {m["To"]: m for m in _messages(app)}
    assert set(messages) == {"nadia@example.org", "salma@example.org", "trainer@example.org"}
    french = _text(messages["nadia@example.org"])
    assert "09:00–12:00" in french and "Salle 2" in french and "/attendance/my-calendar.ics" in french
    arabic = _text(messages["salma@example.org"])
    assert _arabic(arabic) and "09:00" in arabic
    html = messages["salma@example.org"].get_body(("html",)).get_content()
    assert 'dir="rtl"' in html and "<bdi>Atelier &lt;identification&gt;</bdi>" in html
    trainer_text = _text(messages["trainer@example.org"])
    assert f"/attendance/cohorts/{cohort.id}/calendar.ics" in trainer_text and "2 learners are enrolled" in trainer_text
    # the session's own calendar file, attached
    attached = [p for p in messages["nadia@example.org"].iter_attachments()]
    assert [a.get_filename() for a in attached] == [f"workshop-{workshop.id}.ics"]
    ics = attached[0].get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "DTSTART:20270113T080000Z" in ics and "Salle 2" in ics


def test_workshop_reminder_two_consumers_send_once(app, db, cohort, people, workshop, monkeypatch):
    now = EVE + timedelta(minutes=5)
    db.session.commit()  # each consumer has a session of its own: the test's must not hold SQLite's write lock
    # A second consumer computed the same reminders before the first one committed: it does not see them sent.
    with app.app_context():
        assert tasks.run_workshop_reminders(now) == 3
    monkeypatch.setattr(cohort_tasks, "already_notified", lambda keys: set())
    with app.app_context():
        assert tasks.run_workshop_reminders(now) == 0
    assert len(_notified(db, "workshop_reminder")) == 3
    assert db.session.scalar(select(func.count(MailDelivery.id))) == 3
    assert len(outbox(app)) == 3


def test_queued_task_runs_on_a_consumer(app, db, cohort, people, workshop, queued, monkeypatch):
    """The periodic task itself, as a consumer runs it, reads the clock (frozen here)."""
    monkeypatch.setattr(tasks, "utcnow", lambda: EVE + timedelta(minutes=1))
    db.session.commit()
    tasks.remind_workshops.call_local()
    tasks.remind_workshops.call_local()
    assert len(_notified(db, "workshop_reminder")) == 3
    assert queued.size() == 3  # three deliveries waiting for the consumer
    queued.run()
    assert len(outbox(app)) == 3


def test_a_session_planned_late_is_recalled_at_once_but_not_once_begun(app, db, cohort, people):
    now = datetime(2027, 1, 13, 7, 0)
    session = make_session(db, cohort, now + timedelta(hours=2), title="Tôt")
    past = make_session(db, cohort, now - timedelta(hours=1), title="Commencée")
    db.session.commit()
    assert tasks.run_workshop_reminders(now) == 3
    assert {n.key.split(":")[1] for n in _notified(db, "workshop_reminder")} == {str(session.id)}
    assert past.id != session.id


def test_no_workshop_reminder_when_switched_off_archived_or_deleted(app, db, cohort, people, workshop):
    row = db.session.get(Cohort, cohort.id)
    row.remind_workshops = False
    db.session.commit()
    assert tasks.run_workshop_reminders(EVE + timedelta(minutes=5)) == 0
    row.remind_workshops, row.is_archived = True, True
    db.session.commit()
    assert tasks.run_workshop_reminders(EVE + timedelta(minutes=5)) == 0
    row.is_archived = False
    db.session.delete(db.session.get(WorkshopSession, workshop.id))  # cancelled
    db.session.commit()
    assert tasks.run_workshop_reminders(EVE + timedelta(minutes=5)) == 0
    assert _notified(db, "workshop_reminder") == [] and outbox(app) == []


def test_no_reminder_to_erased_or_deactivated_people(app, db, cohort, people, trainer, workshop):
    from lms.cohorts import service as cohorts

    nadia, salma = people
    cohorts.add_walk_in(db.session.get(Cohort, cohort.id), db.session.get(User, trainer.id), name_latin="Walk In")
    db.session.get(User, nadia.id).is_active = False
    db.session.get(User, salma.id).erased_at = datetime(2027, 1, 1)
    db.session.commit()
    assert tasks.run_workshop_reminders(EVE + timedelta(minutes=5)) == 1
    assert [n.user_id for n in _notified(db, "workshop_reminder")] == [trainer.id]


def test_a_moved_session_is_recalled_again_before_its_new_date(app, db, cohort, people, workshop):
    assert tasks.run_workshop_reminders(EVE + timedelta(minutes=5)) == 3
    row = db.session.get(WorkshopSession, workshop.id)
    row.starts_at, row.ends_at = SESSION_START + timedelta(days=7), SESSION_START + timedelta(days=7, hours=3)
    db.session.commit()
    assert tasks.run_workshop_reminders(EVE + timedelta(days=1)) == 0  # not the old eve again
    assert tasks.run_workshop_reminders(EVE + timedelta(days=7, minutes=5)) == 3


# --- quizzes ----------------------------------------------------------------------------------------------


@pytest.fixture
def quiz_due(cohort):
    """10:05 in Casablanca, a week before the cohort's last day (1 March 2027; Ramadan, UTC+0)."""
    due, _closes = schedule.quiz_reminder_times(cohort.end_date, CASA)
    return due + timedelta(minutes=5)


def test_quiz_reminder_once_to_those_with_a_quiz_not_passed(app, db, cohort, people, quiz_due, make_user):
    nadia, salma = people
    done = enrolled_learner(make_user, db, cohort, email="done@example.org", name_latin="Done", locale="fr")
    complete_everything(db, done.id, cohort)
    # Nadia passed the post-test in this cohort: it is not among hers
    make_attempt(db, nadia.id, module_quiz(db), cohort_id=cohort.id, **PASSED)
    db.session.commit()
    assert cohort_tasks.run_quiz_reminders(quiz_due - timedelta(minutes=10)) == 0
    assert cohort_tasks.run_quiz_reminders(quiz_due) == 2
    assert cohort_tasks.run_quiz_reminders(quiz_due + timedelta(days=1)) == 0
    notes = {n.user_id: n for n in _notified(db, "quiz_reminder")}
    assert set(notes) == {nadia.id, salma.id}
    assert _arabic(notes[salma.id].title) and _arabic(notes[salma.id].body)
    assert "1 mars 2027" in notes[nadia.id].body
    messages = {m["To"]: m for m in _messages(app)}
    assert set(messages) == {"nadia@example.org", "salma@example.org"}
    nadia_text, salma_text = _text(messages["nadia@example.org"]), _text(messages["salma@example.org"])
    post_test = f"/quizzes/{module_quiz(db).id}"
    assert post_test in salma_text and post_test not in nadia_text and "/quizzes/" in nadia_text
    assert _arabic(salma_text)


def test_quiz_reminder_agrees_with_the_certificate_rule(app, db, cohort, people, make_user):
    from lms.certificates.service import cohort_records

    nadia, salma = people
    make_attempt(db, nadia.id, module_quiz(db), cohort_id=cohort.id, **PASSED)
    make_attempt(db, salma.id, module_quiz(db), cohort_id=cohort.id, percent=10.0, is_passed=False)
    db.session.commit()
    records = cohort_records(db.session.get(Cohort, cohort.id))
    missing = cohort_tasks.unpassed_quizzes(db.session.get(Cohort, cohort.id), [nadia.id, salma.id])
    for person in (nadia, salma):
        record = records[person.id]
        assert record.quizzes_total - record.quizzes_passed == len(missing[person.id])


def test_quiz_reminder_two_consumers_send_once(app, db, cohort, people, quiz_due, monkeypatch):
    db.session.commit()  # each consumer has a session of its own: the test's must not hold SQLite's write lock
    with app.app_context():
        assert cohort_tasks.run_quiz_reminders(quiz_due) == 2
    monkeypatch.setattr(cohort_tasks, "already_notified", lambda keys: set())
    with app.app_context():
        assert cohort_tasks.run_quiz_reminders(quiz_due) == 0
    assert len(_notified(db, "quiz_reminder")) == 2 and len(outbox(app)) == 2


def test_no_quiz_reminder_when_switched_off_or_after_the_end(app, db, cohort, people, quiz_due):
    row = db.session.get(Cohort, cohort.id)
    row.remind_quizzes = False
    db.session.commit()
    assert cohort_tasks.run_quiz_reminders(quiz_due) == 0
    row.remind_quizzes = True
    db.session.commit()
    assert cohort_tasks.run_quiz_reminders(datetime(2027, 3, 2, 0, 5)) == 0  # the cohort has ended
    nadia, salma = people
    db.session.get(User, nadia.id).erased_at = datetime(2027, 1, 1)
    db.session.commit()
    assert cohort_tasks.run_quiz_reminders(quiz_due) == 1
    assert [n.user_id for n in _notified(db, "quiz_reminder")] == [salma.id]


# --- the weekly low-attendance e-mail ---------------------------------------------------------------------


@pytest.fixture
def monday():
    """The next Monday, 10:05 in Casablanca, as naive UTC (near the real clock: the audit log dates warnings)."""
    local = datetime.now(UTC).astimezone(CASA)
    day = local.date() + timedelta(days=7 - local.weekday())
    return schedule.local_moment(day, 10, CASA) + timedelta(minutes=5)


@pytest.fixture
def below(db, make_user, make_cohort, trainer, monday):
    """A running cohort with the weekly e-mail on; Salma (Arabic) missed two of three sessions held."""
    cohort = make_cohort(
        trainer,
        title="Fès",
        start_date=monday.date() - timedelta(days=20),
        end_date=monday.date() + timedelta(days=40),
        warn_low_attendance_weekly=True,
    )
    salma = enrolled_learner(make_user, db, cohort, email="salma@example.org", name_latin="Salma", locale="ar")
    nadia = enrolled_learner(make_user, db, cohort, email="nadia@example.org", name_latin="Nadia", locale="fr")
    for days in (3, 2, 1):
        session = make_session(db, cohort, monday - timedelta(days=days), title=f"J{days}")
        from tests.factories import mark

        mark(db, session, nadia.id, "present")
        if days == 1:
            mark(db, session, salma.id, "present")
    make_session(db, cohort, monday + timedelta(days=10), title="Later")
    db.session.commit()
    return cohort, salma, nadia


def test_weekly_warning_on_mondays_once(app, db, below, monday):
    cohort, salma, _nadia = below
    assert tasks.run_weekly_warnings(monday - timedelta(minutes=10)) == 0  # 09:55
    assert tasks.run_weekly_warnings(monday + timedelta(days=1)) == 0  # Tuesday
    assert tasks.run_weekly_warnings(monday) == 1
    assert tasks.run_weekly_warnings(monday + timedelta(minutes=15)) == 0
    db.session.commit()
    with app.app_context():  # another consumer
        assert tasks.run_weekly_warnings(monday + timedelta(minutes=30)) == 0
    messages = _messages(app)
    assert [m["To"] for m in messages] == ["salma@example.org"] and _arabic(_text(messages[0]))
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cohort.attendance_warning")).all()
    assert [e.object_id for e in events] == [str(salma.id)] and events[0].actor_id is None


def test_weekly_warning_off_by_default_and_when_switched_off(app, db, below, monday, make_cohort, trainer):
    cohort, _salma, _nadia = below
    assert make_cohort(trainer, title="Other").warn_low_attendance_weekly is False
    db.session.get(Cohort, cohort.id).warn_low_attendance_weekly = False
    db.session.commit()
    assert tasks.run_weekly_warnings(monday) == 0 and outbox(app) == []


# --- computed, not sent ------------------------------------------------------------------------------------


def test_reminders_due_in_a_window_sends_nothing(app, db, cohort, people, trainer, workshop):
    found = tasks.reminders_due(datetime(2027, 1, 1), datetime(2027, 3, 2))
    kinds = sorted((r.kind, r.due_at) for r in found)
    assert kinds.count(("workshop", EVE)) == 3
    assert kinds.count(("quiz", datetime(2027, 2, 22, 10, 0))) == 2
    assert len({r.key for r in found}) == len(found)
    assert db.session.scalar(select(func.count(Notification.id))) == 0 and outbox(app) == []
    assert tasks.reminders_due(datetime(2027, 1, 1), EVE) == []  # the window's end is excluded
    off = db.session.get(Cohort, cohort.id)
    off.remind_workshops = False
    db.session.commit()
    assert [r.kind for r in tasks.reminders_due(datetime(2027, 1, 1), datetime(2027, 1, 20))] == []
    assert len(tasks.reminders_due(datetime(2027, 1, 1), datetime(2027, 1, 20), include_off=True)) == 3


# --- the trainer's page -----------------------------------------------------------------------------------


def test_the_page_shows_the_plan_and_switches(app, client, db, cohort, people, workshop, monkeypatch):
    monkeypatch.setattr("lms.attendance.routes.utcnow", lambda: datetime(2027, 1, 10, 12, 0))
    client.login("trainer@example.org")
    assert f"/attendance/cohorts/{cohort.id}/reminders" in client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    page = client.get(f"/attendance/cohorts/{cohort.id}/reminders").get_data(as_text=True)
    assert "Atelier &lt;identification&gt;" in page and "to be sent" in page
    assert page.count(" checked") == 2  # workshops and quizzes on, the weekly e-mail off (the defaults)
    # no CSRF token: refused, nothing changed
    assert client.raw.post(f"/attendance/cohorts/{cohort.id}/reminders", data={}).status_code == 400
    assert db.session.get(Cohort, cohort.id).remind_workshops is True
    response = client.post_form(
        f"/attendance/cohorts/{cohort.id}/reminders", {"remind_quizzes": "y"}, follow_redirects=True
    )
    assert "Reminders saved." in response.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(Cohort, cohort.id)
    assert (row.remind_workshops, row.remind_quizzes, row.warn_low_attendance_weekly) == (False, True, False)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cohort.reminders"))
    assert event.after == {"remind_workshops": False, "remind_quizzes": True, "warn_low_attendance_weekly": False}
    assert "switched off" in client.get(f"/attendance/cohorts/{cohort.id}/reminders").get_data(as_text=True)


def test_only_the_cohorts_trainers_see_and_switch_its_reminders(app, client, db, make_user, courses):
    from tests.factories import two_cohort_world

    users, values = two_cohort_world(db, make_user)
    cohort_a = values["cohort_id"]
    cohort_b = db.session.scalar(select(Cohort.id).where(Cohort.title == "B"))
    client.login("trainer@example.org")
    assert client.get(f"/attendance/cohorts/{cohort_a}/reminders").status_code == 200
    assert client.get(f"/attendance/cohorts/{cohort_b}/reminders").status_code == 403
    assert client.post_form(f"/attendance/cohorts/{cohort_b}/reminders", {}).status_code == 403
    assert db.session.get(Cohort, cohort_b).remind_workshops is True
    assert client.get("/attendance/cohorts/999999/reminders").status_code == 404
    client.logout()
    client.login("learner@example.org")
    assert client.get(f"/attendance/cohorts/{cohort_a}/reminders").status_code == 403
    client.logout()
    client.login("admin@example.org")
    assert client.get(f"/attendance/cohorts/{cohort_b}/reminders").status_code == 200
