import re
from datetime import timedelta

from sqlalchemy import select

from lms.accounts import service
from lms.accounts.models import User, UserToken
from lms.audit.models import AuditEvent
from tests.conftest import PASSWORD, outbox

NEW_PASSWORD = "a brand new passphrase"


def deliver(app) -> int:
    """Deliver what is still due (the tests' queue runs each task where it is queued: normally nothing is)."""
    from flask import has_app_context

    from lms.core.mail import deliver_due
    from lms.extensions import db

    if has_app_context():
        db.session.commit()  # the test's own transaction holds SQLite's write lock otherwise
    with app.app_context():
        return deliver_due()


def _link(app, kind):
    deliver(app)
    mails = outbox(app)
    assert mails, "no mail written"
    import email
    from email import policy

    message = email.message_from_bytes(mails[-1].read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"http://[^\s\"<]+/" + kind + r"/([A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


def test_reset_flow_token_is_single_use(app, client, make_user):
    make_user(email="judge@example.org")
    response = client.post_form("/account/password/forgot", {"email": "judge@example.org"})
    assert response.status_code == 302
    token = _link(app, "password/reset")
    assert client.get(f"/account/password/reset/{token}").status_code == 200
    done = client.post_form(f"/account/password/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    client.logout()
    # Reuse of the same token fails.
    again = client.post_form(
        f"/account/password/reset/{token}", {"password": "another long password", "confirm": "another long password"}
    )
    assert again.status_code == 404
    assert client.login("judge@example.org", NEW_PASSWORD).status_code == 302


def test_reset_for_unknown_email_says_the_same(app, client):
    response = client.post_form("/account/password/forgot", {"email": "nobody@example.org"}, follow_redirects=True)
    assert "If an account exists" in response.get_data(as_text=True)
    assert deliver(app) == 0  # the job is done (nothing to send), nothing is left due
    assert outbox(app) == []


def test_expired_reset_token_refused(app, client, make_user, db):
    make_user(email="judge@example.org")
    client.post_form("/account/password/forgot", {"email": "judge@example.org"})
    token = _link(app, "password/reset")
    row = db.session.scalar(select(UserToken))
    row.expires_at = row.expires_at - timedelta(hours=2)
    db.session.commit()
    response = client.post_form(f"/account/password/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 404
    assert client.login("judge@example.org", PASSWORD).status_code == 302


def test_new_reset_request_kills_older_token(app, client, make_user):
    make_user(email="judge@example.org")
    client.post_form("/account/password/forgot", {"email": "judge@example.org"})
    first = _link(app, "password/reset")
    client.post_form("/account/password/forgot", {"email": "judge@example.org"})
    deliver(app)
    assert client.get(f"/account/password/reset/{first}").status_code == 404


def test_forged_token_refused(client):
    assert client.get("/account/password/reset/not-a-real-token").status_code == 404
    assert client.get("/account/invitation/" + "x" * 300).status_code == 404


def test_reset_ends_other_sessions(app, client, make_user):
    make_user(email="judge@example.org")
    other = type(client)(app.test_client())
    other.login("judge@example.org", PASSWORD)
    client.post_form("/account/password/forgot", {"email": "judge@example.org"})
    token = _link(app, "password/reset")
    client.post_form(f"/account/password/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert other.get("/account/profile").status_code == 302


def test_invitation_by_trainer(app, client, make_user, db):
    make_user(roles=("trainer",), email="trainer@example.org")
    client.login("trainer@example.org")
    response = client.post_form(
        "/account/invite",
        {
            "email": "New.Judge@Example.org",
            "name_latin": "Amal Idrissi",
            "name_arabic": "أمل الإدريسي",
            "profession": "magistrate-judge",
            "jurisdiction": "fes",
            "gender": "",
            "locale": "ar",
        },
    )
    assert response.status_code == 302
    invited = service.get_user_by_email("new.judge@example.org")
    assert invited is not None and invited.password_hash is None and invited.roles == ["learner"]
    mail = outbox(app)[-1].read_text(encoding="utf-8", errors="replace")
    assert "Subject:" in mail
    token = _link(app, "invitation")
    client.logout()
    # The invitee sets a password and is signed in.
    page = client.get(f"/account/invitation/{token}")
    assert page.status_code == 200
    done = client.post_form(f"/account/invitation/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get("/account/profile").status_code == 200
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(invited.id))).all()
    assert {"user.create", "user.invite", "user.invite_accepted"} <= set(actions)
    assert client.get(f"/account/invitation/{token}").status_code == 404


def test_invitation_mail_in_invitee_language(app, client, make_user):
    make_user(roles=("trainer",), email="trainer@example.org")
    client.login("trainer@example.org")
    client.post_form(
        "/account/invite",
        {"email": "ar@example.org", "name_latin": "Amal", "profession": "social-worker", "locale": "ar", "gender": ""},
    )
    mail = outbox(app)[-1]
    import email
    from email import policy

    message = email.message_from_bytes(mail.read_bytes(), policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Amal" in text
    # Arabic catalogue present: the body is not the English source text.
    assert "To activate your account" not in text


def test_weak_password_on_invitation_keeps_token(app, client, make_user):
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    client.post_form(
        "/account/users/new",
        {"email": "x@example.org", "name_latin": "X", "role_learner": "y", "locale": "fr", "gender": ""},
    )
    token = _link(app, "invitation")
    client.logout()
    weak = client.post_form(f"/account/invitation/{token}", {"password": "123456789", "confirm": "123456789"})
    assert weak.status_code == 200
    assert client.get(f"/account/invitation/{token}").status_code == 200


def test_invited_user_cannot_login_before_accepting(client, app, db):
    with app.app_context():
        service.create_user("invitee@example.org", "Invitee")
        db.session.commit()
    assert client.login("invitee@example.org", "").status_code in (400, 401)
    assert client.login("invitee@example.org", "anything long enough").status_code == 401
    assert db.session.scalar(select(User).where(User.email == "invitee@example.org")).password_hash is None
