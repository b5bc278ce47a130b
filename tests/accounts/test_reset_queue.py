"""Password reset: the request does the same work for any address, and the mail leaves through the queue."""

import cProfile
import functools
import pstats
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from lms.accounts.models import UserToken
from lms.core import mail
from lms.core.mail import FAILED, SENT, MailDelivery, deliver_due
from tests.conftest import outbox

KNOWN, UNKNOWN = "judge@example.org", "nobody@example.org"


@pytest.fixture
def no_mail_in_request(monkeypatch):
    """Every way a mail could be rendered or sent records a call; the tests check none happens in the request."""
    calls = []

    def recorder(name, original):
        def record(*args, **kwargs):
            calls.append(name)
            return original(*args, **kwargs)

        return record

    for name in ("build_message", "deliver_message", "queue_message"):
        monkeypatch.setattr(mail, name, recorder(name, getattr(mail, name)))
    from lms.accounts import service

    monkeypatch.setattr(service, "build_message", recorder("build_message", service.build_message))
    monkeypatch.setattr(service, "queue_message", recorder("queue_message", service.queue_message))
    import smtplib

    monkeypatch.setattr(smtplib, "SMTP", recorder("SMTP", smtplib.SMTP))
    return calls


def _statements(app, client, email):
    """The SQL statements (text and parameters) that one reset request sends."""
    seen = []

    def trace(conn, cursor, statement, parameters, context, executemany):
        values = [v for v in (parameters or ()) if not hasattr(v, "year")]  # timestamps differ, by nature
        # the delivery's key is random by nature: its statements are compared by their number of parameters
        seen.append((statement, values if "mail_delivery" not in statement else len(parameters)))

    from lms.extensions import db

    with app.app_context():
        engine = db.engine
    token = client.csrf()
    event.listen(engine, "before_cursor_execute", trace)
    try:
        response = client.raw.post("/account/password/forgot", data={"csrf_token": token, "email": email})
    finally:
        event.remove(engine, "before_cursor_execute", trace)
    assert response.status_code == 302
    return seen


def test_reset_request_sends_the_same_statements_for_a_known_and_an_unknown_address(
    app, client, make_user, no_mail_in_request, queued
):
    make_user(email=KNOWN)
    known = _statements(app, client, KNOWN)
    unknown = _statements(app, client, UNKNOWN)
    assert known == unknown
    # The delivery row only (its key checked, then inserted); the account is not even looked up in the request.
    work = [s for s, _ in known if not s.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
    assert work and all("mail_delivery" in s for s in work)
    assert any(s.startswith("INSERT INTO mail_delivery") for s in work)
    assert not any("user_account" in s or "user_token" in s for s, _ in known)
    assert no_mail_in_request == [] and outbox(app) == []
    assert queued.size() == 2  # one task each, done by the consumer


def test_reset_request_makes_the_same_python_calls_for_a_known_and_an_unknown_address(app, client, make_user, queued):
    """The same work, counted in function calls: the profile of the view is the same for both addresses."""
    make_user(email=KNOWN)
    view = app.view_functions["accounts.forgot_password"]
    profiles = {}

    @functools.wraps(view)  # keeps its access rule (@public)
    def profiled(*args, **kwargs):
        profile = cProfile.Profile()
        try:
            return profile.runcall(view, *args, **kwargs)
        finally:
            stats = pstats.Stats(profile).stats
            # (file, function) -> number of calls of the app's own code: what was done, whatever it cost in time
            # (lock and thread counts of the libraries vary with what other threads do meanwhile)
            profiles[current] = {
                (key[0], key[2]): value[1] for key, value in stats.items() if "/lms/" in key[0].replace("\\", "/")
            }

    app.view_functions["accounts.forgot_password"] = profiled
    for current in ("warm-up", KNOWN, UNKNOWN, KNOWN + " again"):
        address = KNOWN if current.startswith(KNOWN) or current == "warm-up" else UNKNOWN
        token = client.csrf()
        assert (
            client.raw.post("/account/password/forgot", data={"csrf_token": token, "email": address}).status_code == 302
        )
    assert profiles[KNOWN] == profiles[UNKNOWN] == profiles[KNOWN + " again"]
    assert any(name == "forgot_password" for _file, name in profiles[KNOWN])
    assert not any(name in ("build_message", "deliver_message", "issue_token") for _file, name in profiles[KNOWN])


def test_the_consumer_sends_the_mail_for_an_account_and_nothing_for_an_unknown_address(
    app, client, make_user, db, queued
):
    make_user(email=KNOWN)
    client.post_form("/account/password/forgot", {"email": KNOWN})
    client.post_form("/account/password/forgot", {"email": UNKNOWN})
    jobs = db.session.execute(select(MailDelivery.kind, MailDelivery.address, MailDelivery.status)).all()
    assert jobs == [("password_reset", KNOWN, "pending"), ("password_reset", UNKNOWN, "pending")]
    assert db.session.scalar(select(UserToken.id)) is None  # the token too is made after the request
    assert queued.run() == 2
    mails = outbox(app)
    assert len(mails) == 1 and "judge_example_org" in mails[0].name
    rows = db.session.execute(select(MailDelivery.status, MailDelivery.address)).all()
    assert rows == [(SENT, ""), (SENT, "")]  # done, and no address typed into the form is kept
    assert db.session.scalar(select(UserToken.purpose)) == "reset"


def test_a_duplicated_or_retried_task_sends_once(app, client, make_user, db, queued):
    make_user(email=KNOWN)
    client.post_form("/account/password/forgot", {"email": KNOWN})
    delivery_id = db.session.scalar(select(MailDelivery.id))
    db.session.commit()
    with app.app_context():
        assert mail.deliver.call_local(delivery_id) is True
        assert mail.deliver.call_local(delivery_id) is False  # the same task again: already sent
    assert queued.run() == 1  # the queued task finds it sent
    assert len(outbox(app)) == 1


def test_the_same_key_is_one_mail(app, db, make_user):
    user = make_user(email=KNOWN)
    for _ in range(3):
        mail.queue_message(
            user.email,
            "Rappel",
            "accounts/email/invite",
            key="reminder:x:1",
            user=user,
            inviter=None,
            link="http://x",
            days=1,
        )
    db.session.commit()
    assert db.session.scalar(select(MailDelivery.key)) == "reminder:x:1"
    assert len(db.session.scalars(select(MailDelivery)).all()) == 1
    assert len(outbox(app)) == 1


def test_a_rolled_back_transaction_queues_nothing(app, db, make_user, queued):
    user = make_user(email=KNOWN)
    mail.queue_message(user.email, "Rappel", "accounts/email/invite", user=user, inviter=None, link="x", days=1)
    db.session.rollback()
    assert queued.size() == 0 and db.session.scalar(select(MailDelivery.id)) is None


def test_failed_send_is_tried_again_then_left_for_an_admin(app, client, make_user, db, monkeypatch):
    make_user(email=KNOWN)

    def smtp_down(message, name=None):
        raise OSError("connection refused")

    monkeypatch.setattr(mail, "deliver_message", smtp_down)
    client.post_form("/account/password/forgot", {"email": KNOWN})  # immediate: the first try in the request
    job = db.session.scalar(select(MailDelivery))
    assert job.attempts == 1 and job.claimed_until is None and job.next_attempt_at > job.created_at
    assert "connection refused" in job.last_error
    assert deliver_due() == 0 and db.session.scalar(select(MailDelivery.attempts)) == 1  # not due yet
    for attempt in range(2, mail.MAX_ATTEMPTS + 1):
        job = db.session.scalar(select(MailDelivery))
        job.next_attempt_at -= timedelta(hours=1)
        db.session.commit()
        deliver_due()
        job = db.session.scalar(select(MailDelivery))
        db.session.refresh(job)
        assert job.attempts == attempt
        assert job.status == (FAILED if attempt == mail.MAX_ATTEMPTS else "pending")
    assert outbox(app) == []
    # an admin sends it again once the server is back
    monkeypatch.undo()
    assert mail.retry_delivery(job.id)
    db.session.commit()
    assert db.session.scalar(select(MailDelivery.status)) == SENT and len(outbox(app)) == 1


def test_a_claimed_job_is_left_to_the_process_that_claimed_it(app, client, make_user, db, queued):
    from lms.core.timeutil import utcnow

    make_user(email=KNOWN)
    client.post_form("/account/password/forgot", {"email": KNOWN})
    job = db.session.scalar(select(MailDelivery))
    job.claimed_until = utcnow() + timedelta(minutes=5)
    db.session.commit()
    assert deliver_due() == 0 and outbox(app) == []
    job = db.session.scalar(select(MailDelivery))
    job.claimed_until = utcnow() - timedelta(seconds=1)  # that process died: its claim ran out
    db.session.commit()
    assert deliver_due() == 1 and len(outbox(app)) == 1


def test_delivering_again_after_a_crash_rewrites_the_same_file(app, db, make_user, queued):
    """A consumer killed after writing the mail and before recording it sent: the next one writes the same file."""
    from email import message_from_bytes
    from email.policy import default

    user = make_user(email=KNOWN)
    delivery = mail.queue_message(
        user.email, "Rappel", "accounts/email/invite", user=user, inviter=None, link="x", days=1
    )
    db.session.commit()
    # what the killed consumer did: the file is written, the row still says pending
    mail.deliver_message(message_from_bytes(delivery.message, policy=default), mail._file_name(delivery))
    delivery_id = delivery.id
    db.session.commit()  # (the test's next transaction would hold SQLite's write lock: none until the task ran)
    assert mail.deliver.call_local(delivery_id) is True
    assert len(outbox(app)) == 1


def test_the_sweep_queues_again_what_was_left_behind(app, client, make_user, db, queued):
    from lms.core.timeutil import utcnow

    make_user(email=KNOWN)
    client.post_form("/account/password/forgot", {"email": KNOWN})
    from lms.core import queue

    queue.huey.storage.flush_queue()  # the task was lost (a consumer killed, Redis emptied)
    job = db.session.scalar(select(MailDelivery))
    job.created_at = job.next_attempt_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    with app.app_context():
        mail.sweep_mail.call_local()
    assert queued.run() == 1 and len(outbox(app)) == 1


def test_mail_send_command(app, client, make_user, runner, queued):
    make_user(email=KNOWN)
    client.post_form("/account/password/forgot", {"email": KNOWN})
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "1 mail(s) sent" in result.output
    assert len(outbox(app)) == 1
