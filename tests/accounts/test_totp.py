"""Two-factor sign-in: required for trainers and admins, offered to learners, codes single use."""

import re
import time

import pyotp
from sqlalchemy import select

from lms.accounts.models import User


def _setup(client):
    page = client.get("/account/profile/two-factor").get_data(as_text=True)
    secret = re.search(r'class="secret">([A-Z2-7]+)<', page).group(1)
    done = client.post_form("/account/profile/two-factor", {"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([0-9A-F]{4}-[0-9A-F]{4})</code>", done.get_data(as_text=True))
    return secret, codes


def test_trainer_must_set_up_two_factor(app, client, make_user, db):
    app.config["REQUIRE_TOTP_ROLES"] = ("trainer", "admin")
    make_user(roles=("trainer",), email="trainer@example.org")
    client.login("trainer@example.org")
    blocked = client.get("/reports")
    assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/account/profile/two-factor")
    assert client.post_form("/cohorts/new", {}).status_code == 403
    secret, codes = _setup(client)
    assert len(codes) == 10
    assert client.get("/reports").status_code == 200
    # Next sign-in: password, then the code.
    client.logout()
    response = client.login("trainer@example.org")
    assert response.headers["Location"].endswith("/account/login/code")
    assert client.get("/reports").status_code == 302  # not signed in yet
    wrong = client.post_form("/account/login/code", {"code": "000000"})
    assert wrong.status_code == 401
    # The next step's code (the current one was spent turning two-factor on, and a code works once).
    ok = client.post_form("/account/login/code", {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert ok.status_code == 302
    assert client.get("/reports").status_code == 200


def test_code_cannot_be_replayed_and_recovery_codes_work_once(app, client, make_user, db):
    user = make_user(email="learner@example.org")
    client.login("learner@example.org")
    secret, codes = _setup(client)
    client.logout()
    client.login("learner@example.org")
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert client.post_form("/account/login/code", {"code": code}).status_code == 302
    client.logout()
    client.login("learner@example.org")
    assert client.post_form("/account/login/code", {"code": code}).status_code == 401  # replay
    assert client.post_form("/account/login/code", {"code": codes[0].lower()}).status_code == 302
    client.logout()
    client.login("learner@example.org")
    assert client.post_form("/account/login/code", {"code": codes[0]}).status_code == 401
    remaining = db.session.scalar(select(User.recovery_codes).where(User.id == user.id))
    assert len(remaining) == 9


def test_learner_may_turn_it_off_but_required_roles_may_not(app, client, make_user, db):
    def enabled_at(email):
        db.session.expire_all()
        return db.session.scalar(select(User.totp_enabled_at).where(User.email == email))

    make_user(email="learner@example.org")
    client.login("learner@example.org")
    _setup(client)
    assert enabled_at("learner@example.org") is not None  # on, so that turning it off changes something
    client.post_form("/account/profile/two-factor/disable")
    assert enabled_at("learner@example.org") is None
    client.logout()
    # A trainer, whose role requires it, is refused: two-factor sign-in stays on.
    app.config["REQUIRE_TOTP_ROLES"] = ("trainer", "admin")
    make_user(roles=("trainer",), email="trainer@example.org")
    client.login("trainer@example.org")
    _setup(client)
    refused = client.post_form("/account/profile/two-factor/disable", follow_redirects=True)
    assert "Two-factor sign-in is required for your role." in refused.get_data(as_text=True)
    assert enabled_at("trainer@example.org") is not None


def test_admin_resets_a_lost_phone(app, client, make_user, db):
    target = make_user(email="t@example.org")
    client.login("t@example.org")
    _setup(client)
    client.logout()
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    client.post_form(f"/account/users/{target.id}/two-factor-reset")
    assert db.session.get(User, target.id).totp_secret is None
    client.logout()
    assert client.login("t@example.org").headers["Location"] == "/"


def test_pending_code_step_expires(client, make_user, db):
    make_user(email="learner@example.org")
    client.login("learner@example.org")
    secret, _codes = _setup(client)
    client.logout()
    client.login("learner@example.org")
    with client.session_transaction() as session:
        session["totp_started"] = 0
    # Even the right code no longer signs in once the step has expired: back to the password.
    response = client.post_form("/account/login/code", {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/login")
    assert client.get("/account/profile").status_code == 302  # not signed in
