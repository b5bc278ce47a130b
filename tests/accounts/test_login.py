from datetime import timedelta

from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from tests.conftest import PASSWORD


def test_login_success_redirects_and_rotates_session(client, make_user):
    make_user(email="judge@example.org")
    # Something planted in the session before login (fixation) must not survive.
    with client.session_transaction() as session:
        session["planted"] = "attacker"
    response = client.login("JUDGE@example.org ", PASSWORD)
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(str(1) + ":") or ":" in session["_user_id"]
    assert client.get("/account/profile").status_code == 200


def test_login_failure_is_generic(client, make_user):
    make_user(email="judge@example.org")
    wrong_password = client.login("judge@example.org", "wrong password!!")
    unknown_email = client.login("nobody@example.org", "wrong password!!")
    assert wrong_password.status_code == unknown_email.status_code == 401
    # The same message for both: no user enumeration.
    assert "E-mail address or password incorrect" in wrong_password.get_data(as_text=True)
    assert "E-mail address or password incorrect" in unknown_email.get_data(as_text=True)
    assert client.get("/account/profile").status_code == 302


def test_inactive_user_cannot_login(client, make_user, db):
    user = make_user(email="gone@example.org")
    db.session.get(User, user.id).is_active = False
    db.session.commit()
    assert client.login("gone@example.org", PASSWORD).status_code == 401


def test_lockout_after_repeated_failures_per_account(client, make_user):
    make_user(email="target@example.org")
    for _ in range(5):
        assert client.login("target@example.org", "wrong password!!").status_code == 401
    # Even the right password is refused while the account is rate limited.
    blocked = client.login("target@example.org", PASSWORD)
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_successful_logins_do_not_count_towards_lockout(client, make_user):
    make_user(email="busy@example.org")
    for _ in range(7):
        assert client.login("busy@example.org", PASSWORD).status_code == 302
        client.logout()


def test_logout_invalidates_copied_session_cookie(app, client, make_user):
    make_user(email="judge@example.org")
    client.login("judge@example.org", PASSWORD)
    with client.session_transaction() as session:
        stolen = dict(session)
    client.logout()
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(stolen)
    assert thief.get("/account/profile").status_code == 302


def test_logout_invalidates_remember_cookie(app, client, make_user):
    make_user(email="judge@example.org")
    client.login("judge@example.org", PASSWORD, remember=True)
    cookie = client.get_cookie("tadrib_remember")
    assert cookie is not None and cookie.http_only
    client.logout()
    thief = app.test_client()
    thief.set_cookie("tadrib_remember", cookie.value)
    assert thief.get("/account/profile").status_code == 302


def test_remember_cookie_signs_in_a_new_browser(app, client, make_user):
    make_user(email="judge@example.org")
    client.login("judge@example.org", PASSWORD, remember=True)
    cookie = client.get_cookie("tadrib_remember")
    other = app.test_client()
    other.set_cookie("tadrib_remember", cookie.value)
    assert other.get("/account/profile").status_code == 200


def test_corrupted_hash_fails_cleanly(client, make_user, db):
    user = make_user(email="broken@example.org")
    db.session.get(User, user.id).password_hash = "$argon2id$garbage"
    db.session.commit()
    assert client.login("broken@example.org", PASSWORD).status_code == 401


def test_rehash_on_login_when_parameters_change(app, client, make_user, db):
    user = make_user(email="old@example.org")
    old_hash = db.session.get(User, user.id).password_hash
    app.config["ARGON2_TIME_COST"] = 2
    assert client.login("old@example.org", PASSWORD).status_code == 302
    db.session.expire_all()
    new_hash = db.session.get(User, user.id).password_hash
    assert new_hash != old_hash and "t=2" in new_hash


def test_production_hash_parameters_meet_owasp(app, make_user, db):
    from lms.config import Config

    app.config.update(
        ARGON2_TIME_COST=Config.ARGON2_TIME_COST,
        ARGON2_MEMORY_COST=Config.ARGON2_MEMORY_COST,
        ARGON2_PARALLELISM=Config.ARGON2_PARALLELISM,
    )
    user = make_user(email="strong@example.org")
    stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$")
    params = dict(part.split("=") for part in stored.split("$")[3].split(","))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2


def test_login_next_only_follows_local_paths(client, make_user):
    make_user(email="judge@example.org")
    token = client.csrf()
    response = client.raw.post(
        "/account/login?next=https://evil.example/x",
        data={"email": "judge@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"
    client.logout()
    token = client.csrf()
    response = client.raw.post(
        "/account/login?next=/account/profile",
        data={"email": "judge@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/account/profile"


def test_last_login_recorded(client, make_user, db):
    user = make_user(email="judge@example.org")
    client.login("judge@example.org", PASSWORD)
    assert db.session.get(User, user.id).last_login_at is not None


def test_user_creation_is_audited(make_user, db):
    user = make_user(email="a@example.org")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert event.object_id == str(user.id)
    assert timedelta(0) <= timedelta(seconds=5)
