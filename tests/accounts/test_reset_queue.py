"""Password reset: the request does the same work for any address, and the mail leaves after the response."""

import cProfile
import functools
import pstats
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from lms.accounts.models import UserToken
from lms.core import mail
from lms.core.mail import OutgoingMail, deliver_queued
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

    for name in ("build_message", "deliver_message", "send_mail"):
        monkeypatch.setattr(mail, name, recorder(name, getattr(mail, name)))
    from lms.accounts import service

    monkeypatch.setattr(service, "build_message", recorder("build_message", service.build_message))
    monkeypatch.setattr(service, "send_mail", recorder("send_mail", service.send_mail))
    import smtplib

    monkeypatch.setattr(smtplib, "SMTP", recorder("SMTP", smtplib.SMTP))
    return calls


def _statements(app, client, email):
    """The SQL statements (text and parameters) that one reset request sends."""
    seen = []

    def trace(conn, cursor, statement, parameters, context, executemany):
        values = [v for v in (parameters or ()) if not hasattr(v, "year")]  # timestamps differ, by nature
        seen.append((statement, values if "outgoing_mail" not in statement else len(parameters)))

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
    app, client, make_user, no_mail_in_request
):
    make_user(email=KNOWN)
    known = _statements(app, client, KNOWN)
    unknown = _statements(app, client, UNKNOWN)
    assert known == unknown
    # One INSERT of the job; the account is not even looked up in the request.
    assert [s for s, _ in known if not s.startswith(("BEGIN", "COMMIT"))] == [
        s for s, _ in known if s.startswith("INSERT INTO outgoing_mail")
    ]
    assert not any("user_account" in s or "user_token" in s for s, _ in known)
    assert no_mail_in_request == [] and outbox(app) == []


def test_reset_request_makes_the_same_python_calls_for_a_known_and_an_unknown_address(app, client, make_user):
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


def test_queued_job_sends_the_mail_for_an_account_and_nothing_for_an_unknown_address(app, client, make_user, db):
    make_user(email=KNOWN)
    client.post_form("/account/password/forgot", {"email": KNOWN})
    client.post_form("/account/password/forgot", {"email": UNKNOWN})
    jobs = db.session.execute(select(OutgoingMail.kind, OutgoingMail.address)).all()
    assert jobs == [("password_reset", KNOWN), ("password_reset", UNKNOWN)]
    assert db.session.scalar(select(UserToken.id)) is None  # the token too is made after the request
    db.session.commit()
    assert deliver_queued() == 2
    mails = outbox(app)
    assert len(mails) == 1 and "judge_example_org" in mails[0].name
    assert db.session.scalars(select(OutgoingMail)).all() == []  # no address is kept once the job is done
    assert db.session.scalar(select(UserToken.purpose)) == "reset"


def test_mail_leaves_after_the_response_from_the_sender_thread(app, client, make_user):
    app.config["MAIL_THREAD"] = True
    make_user(email=KNOWN)
    token = client.csrf()
    response = client.raw.post("/account/password/forgot", data={"csrf_token": token, "email": KNOWN})
    try:
        assert response.status_code == 302
        assert outbox(app) == []  # the response is complete and nothing was sent in the request
        response.close()  # the server has sent it: the thread is woken
        deadline = time.monotonic() + 15
        while not outbox(app) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(outbox(app)) == 1
    finally:
        sender = app.extensions.get("tadrib_mail_sender")
        if sender is not None:
            sender.stop()


def test_failed_send_is_tried_again_then_dropped(app, client, make_user, db, monkeypatch):
    make_user(email=KNOWN)
    client.post_form("/account/password/forgot", {"email": KNOWN})
    db.session.commit()

    def smtp_down(message):
        raise OSError("connection refused")

    monkeypatch.setattr(mail, "deliver_message", smtp_down)
    assert deliver_queued() == 0
    job = db.session.scalar(select(OutgoingMail))
    assert job.attempts == 1 and job.claimed_until is None and job.next_attempt_at > job.created_at
    assert deliver_queued() == 0 and db.session.scalar(select(OutgoingMail.attempts)) == 1  # not due yet
    for attempt in range(2, mail.MAX_ATTEMPTS + 1):
        job = db.session.scalar(select(OutgoingMail))
        job.next_attempt_at -= timedelta(hours=1)
        db.session.commit()
        deliver_queued()
        remaining = db.session.scalar(select(OutgoingMail))
        assert (remaining.attempts if remaining else None) == (attempt if attempt < mail.MAX_ATTEMPTS else None)
    assert outbox(app) == []


def test_a_claimed_job_is_left_to_the_process_that_claimed_it(app, client, make_user, db):
    from lms.core.timeutil import utcnow

    make_user(email=KNOWN)
    client.post_form("/account/password/forgot", {"email": KNOWN})
    job = db.session.scalar(select(OutgoingMail))
    job.claimed_until = utcnow() + timedelta(minutes=5)
    db.session.commit()
    assert deliver_queued() == 0 and outbox(app) == []
    job = db.session.scalar(select(OutgoingMail))
    job.claimed_until = utcnow() - timedelta(seconds=1)  # that process died: its claim ran out
    db.session.commit()
    assert deliver_queued() == 1 and len(outbox(app)) == 1


def test_mail_send_command(app, client, make_user, runner):
    make_user(email=KNOWN)
    client.post_form("/account/password/forgot", {"email": KNOWN})
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "1 mail job(s) done" in result.output
    assert len(outbox(app)) == 1
