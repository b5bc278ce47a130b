from sqlalchemy import select, text

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from tests.conftest import PASSWORD


def _admin(client, make_user):
    admin = make_user(roles=("admin",), email="admin@example.org", name_latin="Admin")
    client.login("admin@example.org")
    return admin


def test_user_list_search_and_pagination(client, make_user):
    _admin(client, make_user)
    for i in range(30):
        make_user(email=f"learner{i:02d}@example.org", name_latin=f"Learner {i:02d}")
    make_user(email="arabic@example.org", name_latin="Karim", name_arabic="كريم الإدريسي")
    page = client.get("/account/users").get_data(as_text=True)
    assert "32 accounts" in page and 'rel="next"' in page
    assert "Learner 29" not in page
    assert "Learner 29" in client.get("/account/users?page=2").get_data(as_text=True)
    found = client.get("/account/users?q=الإدريسي").get_data(as_text=True)
    assert "arabic@example.org" in found and "learner01" not in found
    # SQL metacharacters are just text.
    assert client.get("/account/users?q=%27%20OR%201%3D1--").status_code == 200
    assert client.get("/account/users?page=-4&role=nonsense").status_code == 200


def test_role_change_is_audited_and_ends_sessions(app, client, make_user, db):
    _admin(client, make_user)
    target = make_user(email="t@example.org")
    target_client = type(client)(app.test_client())
    target_client.login("t@example.org")
    response = client.post_form(f"/account/users/{target.id}/roles", {"role_learner": "y", "role_trainer": "y"})
    assert response.status_code == 302
    user = db.session.get(User, target.id)
    assert user.roles == ["learner", "trainer"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.roles"))
    assert event.before == {"roles": ["learner"]} and event.after == {"roles": ["learner", "trainer"]}
    assert event.actor_id is not None
    # New roles take effect at next sign-in: the old session ends.
    assert target_client.get("/account/profile").status_code == 302


def test_admin_cannot_remove_own_admin_role(client, make_user, db):
    admin = _admin(client, make_user)
    client.post_form(f"/account/users/{admin.id}/roles", {"role_learner": "y"})
    assert db.session.get(User, admin.id).is_admin


def test_deactivate_and_reactivate(client, make_user, db):
    _admin(client, make_user)
    target = make_user(email="t@example.org")
    client.post_form(f"/account/users/{target.id}/active", {"active": "0"})
    assert not db.session.get(User, target.id).is_active
    client.post_form(f"/account/users/{target.id}/active", {"active": "1"})
    db.session.expire_all()
    assert db.session.get(User, target.id).is_active
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(target.id))).all()
    assert "user.deactivate" in actions and "user.activate" in actions


def test_admin_creates_account_with_invitation(app, client, make_user, db):
    _admin(client, make_user)
    response = client.post_form(
        "/account/users/new",
        {
            "email": "new.trainer@example.org",
            "name_latin": "Nouveau",
            "role_trainer": "y",
            "locale": "fr",
            "gender": "",
            "profession": "magistrate-judge",
            "jurisdiction": "rabat",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.trainer@example.org"))
    assert user.roles == ["trainer"]
    duplicate = client.post_form(
        "/account/users/new",
        {"email": "NEW.trainer@example.org", "name_latin": "Again", "role_learner": "y", "locale": "fr", "gender": ""},
    )
    assert duplicate.status_code == 200
    assert "already exists" in duplicate.get_data(as_text=True)


def test_bad_form_input_gets_clear_errors_not_500(client, make_user):
    _admin(client, make_user)
    response = client.post_form(
        "/account/users/new",
        {
            "email": "not-an-email",
            "name_latin": "",
            "profession": "astronaut",
            "jurisdiction": "atlantis",
            "locale": "xx",
        },
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_audit_log_is_append_only(db, make_user):
    make_user()
    event = db.session.scalar(select(AuditEvent))
    import pytest
    from sqlalchemy.exc import DatabaseError

    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE audit_event SET action = 'tampered' WHERE id = :id"), {"id": event.id})
        db.session.flush()
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("DELETE FROM audit_event"))
    db.session.rollback()


def test_audit_page_lists_events(client, make_user):
    _admin(client, make_user)
    page = client.get("/audit").get_data(as_text=True)
    assert "Account created" in page


def test_profile_update_and_export(client, make_user):
    make_user(email="me@example.org")
    client.login("me@example.org")
    response = client.post_form(
        "/account/profile",
        {
            "name_latin": "Meryem C.",
            "name_arabic": "مريم",
            "profession": "social-worker",
            "jurisdiction": "fes",
            "gender": "female",
            "locale": "ar",
        },
    )
    assert response.status_code == 302
    page = client.get("/account/profile").get_data(as_text=True)
    assert 'dir="rtl"' in page
    data = client.get("/account/profile/export.json").get_json()
    assert data["account"]["name_arabic"] == "مريم" and data["account"]["gender"] == "female"


def test_change_password(client, make_user):
    make_user(email="me@example.org")
    client.login("me@example.org")
    bad = client.post_form(
        "/account/profile/password",
        {"pw-current": "wrong one!!", "pw-password": "new password here", "pw-confirm": "new password here"},
    )
    assert bad.status_code == 400
    ok = client.post_form(
        "/account/profile/password",
        {"pw-current": PASSWORD, "pw-password": "new password here", "pw-confirm": "new password here"},
    )
    assert ok.status_code == 302
    # This session survives the change.
    assert client.get("/account/profile").status_code == 200
    client.logout()
    assert client.login("me@example.org", "new password here").status_code == 302


def test_create_admin_cli(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create-admin",
            "--email",
            "Boss@Example.org",
            "--name",
            "Boss",
            "--password",
            "a long admin password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
    assert user.is_admin
    again = runner.invoke(
        args=[
            "users",
            "create-admin",
            "--email",
            "boss@example.org",
            "--name",
            "B",
            "--password",
            "a long admin password",
        ]
    )
    assert again.exit_code != 0 and "existe déjà" in again.output  # CLI speaks French by default
    weak = runner.invoke(
        args=["users", "create-admin", "--email", "w@example.org", "--name", "W", "--password", "short"]
    )
    assert weak.exit_code != 0


def test_demo_load(app, runner, db, monkeypatch):
    monkeypatch.setenv("LMS_DEMO_PASSWORD", "demo password 2026")
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    from pathlib import Path

    lines = (Path(app.instance_path) / "demo-accounts.txt").read_text(encoding="utf-8").splitlines()
    roles = [line.split("\t")[0] for line in lines]
    assert roles.count("admin") == 1 and roles.count("trainer") == 2 and roles.count("learner") >= 12
    users = db.session.scalars(select(User)).all()
    assert any(u.name_arabic for u in users) and len({u.jurisdiction for u in users}) >= 5
    second = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "not empty" in second.output


def _edit(client, user_id, **changes):
    data = {
        "name_latin": "Karim Idrissi",
        "name_arabic": "",
        "email": "karim@example.org",
        "profession": "",
        "jurisdiction": "",
        "gender": "",
        **changes,
    }
    return client.post_form(f"/account/users/{user_id}/edit", data)


def test_admin_edits_name_email_and_profile_audited(app, client, make_user, db):
    """Issue 16, point 20: an administrator corrects a name (both scripts), an e-mail address, a profile."""
    _admin(client, make_user)
    karim = make_user(email="karim@example.org", name_latin="Karim Idrisi")
    page = client.get(f"/account/users/{karim.id}").get_data(as_text=True)
    assert f'action="/account/users/{karim.id}/edit#edit"' in page and 'value="Karim Idrisi"' in page
    response = _edit(
        client,
        karim.id,
        name_latin="Karim Idrissi",
        name_arabic="كريم الإدريسي",
        profession="magistrate-judge",
        jurisdiction="rabat",
        gender="male",
    )
    assert response.status_code == 302
    user = db.session.get(User, karim.id)
    assert (user.name_latin, user.name_arabic, user.profession, user.jurisdiction, user.gender) == (
        "Karim Idrissi",
        "كريم الإدريسي",
        "magistrate-judge",
        "rabat",
        "male",
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.profile"))
    assert event.before["name_latin"] == "Karim Idrisi" and event.after["name_latin"] == "Karim Idrissi"
    assert event.after["name_arabic"] == "كريم الإدريسي" and "email" not in event.after
    assert event.actor_id != karim.id
    history = client.get(f"/account/users/{karim.id}").get_data(as_text=True)
    assert "updated the profile of" in history and "Name (Latin script)" in history


def test_admin_changes_email_ends_sessions_and_refuses_duplicates(app, client, make_user, db):
    _admin(client, make_user)
    karim = make_user(email="karim@example.org", name_latin="Karim Idrissi")
    make_user(email="salma@example.org", name_latin="Salma")
    karim_client = type(client)(app.test_client())
    karim_client.login("karim@example.org")
    assert karim_client.get("/account/profile").status_code == 200
    # A duplicate, whatever its case: a clear error on the field, nothing changed.
    refused = _edit(client, karim.id, email="SALMA@Example.org")
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "Another account already uses this e-mail address: salma@example.org." in text
    assert 'aria-invalid="true"' in text
    assert db.session.get(User, karim.id).email == "karim@example.org"
    assert karim_client.get("/account/profile").status_code == 200
    # A new address: stored lower-case, audited with before and after, and Karim signs in again.
    version = db.session.get(User, karim.id).session_version
    assert _edit(client, karim.id, email="Karim.Idrissi@Justice.ma").status_code == 302
    db.session.expire_all()
    user = db.session.get(User, karim.id)
    assert user.email == "karim.idrissi@justice.ma" and user.session_version == version + 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.profile")).all()[-1]
    assert event.before == {"email": "karim@example.org"} and event.after == {"email": "karim.idrissi@justice.ma"}
    assert karim_client.get("/account/profile").status_code in (302, 401)
    # A change of name alone keeps his sessions.
    karim_client.login("karim.idrissi@justice.ma")
    assert _edit(client, karim.id, email="karim.idrissi@justice.ma", name_latin="Karim I.").status_code == 302
    assert karim_client.get("/account/profile").status_code == 200


def test_admin_edit_in_arabic_and_only_for_admins(client, make_user, db):
    admin = make_user(roles=("admin",), email="admin@example.org", locale="ar")
    karim = make_user(email="karim@example.org")
    make_user(roles=("trainer",), email="trainer@example.org")
    client.login("admin@example.org")
    page = client.get(f"/account/users/{karim.id}").get_data(as_text=True)
    assert "الاسم وعنوان البريد الإلكتروني والملف الشخصي" in page and "حفظ التغييرات" in page
    assert "يستعمل حساب آخر" in _edit(client, karim.id, email="admin@example.org").get_data(as_text=True)
    client.logout()
    client.login("trainer@example.org")
    assert _edit(client, karim.id, name_latin="Hacked").status_code == 403
    assert db.session.get(User, karim.id).name_latin != "Hacked" and admin.id
