import pytest

from lms.accounts.passwords import password_problems


@pytest.mark.parametrize(
    "password",
    ["short", "123456789", "azertyuiop", "password123", "aaaaaaaaaaaa", "motdepasse123"],
)
def test_policy_refuses_weak_passwords(app, password):
    with app.test_request_context():
        assert password_problems(password)


@pytest.mark.parametrize(
    "password",
    ["correct horse battery", "كلمة سر طويلة جدا", "  spaces count  ", "Tribunal de Fès 2026!"],
)
def test_policy_accepts_long_passwords_in_any_script(app, password):
    with app.test_request_context():
        assert password_problems(password) == []


def test_password_is_not_trimmed(client, make_user):
    make_user(email="space@example.org", password="  spaces count  ")
    assert client.login("space@example.org", "spaces count").status_code == 401
    assert client.login("space@example.org", "  spaces count  ").status_code == 302


def test_arabic_password_login(client, make_user):
    make_user(email="ar@example.org", password="كلمة سر طويلة جدا")
    assert client.login("ar@example.org", "كلمة سر طويلة جدا").status_code == 302


def test_password_equal_to_email_refused(app):
    with app.test_request_context():
        assert password_problems("judge.name@example.org", "judge.name@example.org")
