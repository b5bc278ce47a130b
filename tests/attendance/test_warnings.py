"""Trainers e-mail the learners below the attendance threshold: each in their language, once a week at most."""

import email
import email.policy
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.attendance import service, warnings
from lms.audit.models import AuditEvent
from tests.conftest import outbox
from tests.factories import enrolled_learner, open_session


@pytest.fixture
def trainer(make_user):
    return make_user(roles=("trainer",), email="trainer@example.org", name_latin="Youssef Trainer")


@pytest.fixture
def cohort(make_cohort, trainer):
    return make_cohort(trainer, title="Rabat <2027>", venue="Institut supérieur de la magistrature")


def _messages(app):
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox(app)]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture
def marked(db, make_user, cohort, trainer):
    """Two held sessions and one to come: Ahmed (fr) and Salma (ar) attended one of two, Nadia both."""
    ahmed = enrolled_learner(make_user, db, cohort, email="ahmed@example.org", name_latin="Ahmed", locale="fr")
    salma = enrolled_learner(make_user, db, cohort, email="salma@example.org", name_latin="Salma", locale="ar")
    nadia = enrolled_learner(make_user, db, cohort, email="nadia@example.org", name_latin="Nadia")
    s1 = open_session(db, cohort, starts_in=timedelta(days=-3))
    s2 = open_session(db, cohort, starts_in=timedelta(days=-2))
    open_session(db, cohort, starts_in=timedelta(days=30))
    actor = db.session.get(User, trainer.id)
    for person in (ahmed, salma, nadia):
        service.record_attendance(s1, person.id, "present", actor)
    service.record_attendance(s2, nadia.id, "present", actor)
    service.record_attendance(s2, ahmed.id, "absent", actor)
    db.session.commit()
    return ahmed, salma, nadia


def test_learners_below_the_threshold_are_e_mailed_in_their_language(app, client, db, cohort, marked):
    client.login("trainer@example.org")
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "E-mail the 2 learners below the threshold" in page
    response = client.post_form(f"/attendance/cohorts/{cohort.id}/warn", follow_redirects=True)
    assert "2 learners below the threshold were e-mailed." in response.get_data(as_text=True)
    messages = {m["To"]: m for m in _messages(app)}
    assert set(messages) == {"ahmed@example.org", "salma@example.org"}
    french = _text(messages["ahmed@example.org"])
    assert (
        "50\u00a0%" in french
        and "80\u00a0%" in french
        and "50.0" not in french
        and "Rabat <2027>" in french
        and "Atelier 1" in french
    )
    assert "Bonjour" in french or "Hello" not in french
    arabic = _text(messages["salma@example.org"])
    assert "50%" in arabic and "50.0" not in arabic and any("\u0600" <= ch <= "\u06ff" for ch in arabic)
    html = messages["salma@example.org"].get_body(("html",)).get_content()
    assert 'dir="rtl"' in html and "Rabat &lt;2027&gt;" in html and "<2027>" not in html
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == warnings.ACTION)).all()
    assert sorted(e.object_id for e in events) == sorted(str(u.id) for u in marked[:2])
    assert all(e.after["cohort_id"] == cohort.id and e.after["percent"] == 50.0 for e in events)


def test_nobody_is_written_to_twice_in_a_week(app, client, db, cohort, marked):
    client.login("trainer@example.org")
    client.post_form(f"/attendance/cohorts/{cohort.id}/warn")
    again = client.post_form(f"/attendance/cohorts/{cohort.id}/warn", follow_redirects=True)
    assert "2 learners were already e-mailed in the last 7 days" in again.get_data(as_text=True)
    assert len(outbox(app)) == 2
    # A week later they may be reminded again.
    later = warnings.warn_low_attendance(cohort, None, now=warnings.utcnow() + timedelta(days=8))
    assert len(later.sent) == 2


def test_a_mail_that_cannot_be_composed_is_reported_and_not_recorded(app, client, db, cohort, marked, monkeypatch):
    def broken(*_args, **_kwargs):
        raise ValueError("template error")

    monkeypatch.setattr(warnings, "queue_message", broken)
    client.login("trainer@example.org")
    page = client.post_form(f"/attendance/cohorts/{cohort.id}/warn", follow_redirects=True).get_data(as_text=True)
    assert "could not be sent" in page and "Ahmed" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == warnings.ACTION)) is None


def test_an_smtp_failure_keeps_the_mail_queued_for_another_try(app, client, db, cohort, marked, monkeypatch):
    from lms.core import mail

    def smtp_down(*_args, **_kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(mail, "deliver_message", smtp_down)
    client.login("trainer@example.org")
    client.post_form(f"/attendance/cohorts/{cohort.id}/warn", follow_redirects=True)
    rows = db.session.execute(select(mail.MailDelivery.status, mail.MailDelivery.attempts)).all()
    assert rows and all(row == ("pending", 1) for row in rows)  # tried once, due again in a minute
    assert outbox(app) == []
    monkeypatch.undo()
    for row in db.session.scalars(select(mail.MailDelivery)):
        row.next_attempt_at = warnings.utcnow()
    db.session.commit()
    assert mail.deliver_due() == len(rows) and len(outbox(app)) == len(rows)


def test_another_trainer_cannot_warn_this_cohort(app, client, db, cohort, marked, make_user):
    make_user(roles=("trainer",), email="other@example.org")
    client.login("other@example.org")
    assert client.post_form(f"/attendance/cohorts/{cohort.id}/warn").status_code == 403
    assert outbox(app) == []


def test_no_button_and_no_mail_when_everyone_attends(app, client, db, cohort, trainer, make_user):
    person = enrolled_learner(make_user, db, cohort, email="assidu@example.org")
    held = open_session(db, cohort, starts_in=timedelta(days=-1))
    service.record_attendance(held, person.id, "present", db.session.get(User, trainer.id))
    db.session.commit()
    client.login("trainer@example.org")
    assert "below the threshold" not in client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    page = client.post_form(f"/attendance/cohorts/{cohort.id}/warn", follow_redirects=True).get_data(as_text=True)
    assert "No learner is below the attendance threshold." in page and outbox(app) == []


def test_a_warning_counts_for_its_own_cohort_and_week_only(app, db, cohort, make_cohort, trainer):
    from lms.core.timeutil import utcnow

    other = make_cohort(trainer, title="Fès 2027")
    now = utcnow()

    def warned(user_id, cohort_id, days_ago):
        db.session.add(
            AuditEvent(
                action=warnings.ACTION,
                object_type="user_account",
                object_id=str(user_id),
                after={"cohort_id": cohort_id, "percent": 40.0},
                created_at=now - timedelta(days=days_ago),
            )
        )

    warned(101, cohort.id, 1)
    warned(102, other.id, 1)
    warned(103, cohort.id, 8)  # more than a week ago
    db.session.commit()
    assert warnings.recently_warned(db.session.merge(cohort), now) == {101}
    assert warnings.recently_warned(db.session.merge(other), now) == {102}
