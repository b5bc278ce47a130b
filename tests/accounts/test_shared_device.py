"""Shared computers: sign-out and the sign-in of another person clear what the browser kept (Clear-Site-Data);
the ``tadrib_device`` cookie says who signed in last on this browser without saying who (lms/accounts/device.py)."""

import hashlib
import re
import time

import pyotp

from lms.accounts import device
from tests.conftest import PASSWORD

CLEAR = '"cache", "storage"'


def _set_cookie_header(response, name):
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    assert len(found) == 1, response.headers.getlist("Set-Cookie")
    return found[0]


def test_sign_out_clears_the_site_data(client, make_user):
    make_user(email="judge@example.org")
    client.login("judge@example.org", PASSWORD)
    response = client.logout()
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == CLEAR
    assert client.get("/account/profile").status_code == 302  # really signed out


def test_a_refused_sign_out_clears_nothing(client, make_user):
    make_user(email="judge@example.org")
    client.login("judge@example.org", PASSWORD)
    refused = client.post("/account/logout", data={"csrf_token": "forged"})
    assert "Clear-Site-Data" not in refused.headers
    assert client.get("/account/profile").status_code == 200  # still signed in, nothing lost
    # Signed out already: a sign-out POST is refused before the view (no session), and clears nothing either.
    client.logout()
    again = client.post_form("/account/logout")
    assert again.status_code == 401 and "Clear-Site-Data" not in again.headers


def test_the_device_cookie_is_set_at_sign_in_with_its_flags(app, client, make_user):
    user = make_user(email="judge@example.org")
    response = client.login("judge@example.org", PASSWORD)
    header = _set_cookie_header(response, device.COOKIE)
    value = header.split(";", 1)[0].split("=", 1)[1]
    flags = [part.strip().lower() for part in header.split(";")[1:]]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert f"max-age={365 * 24 * 3600}" in flags
    assert "secure" not in flags  # like the session cookie of this configuration
    # It does not reveal who: 64 hex digits, the HMAC of the id with the app's secret key (not a plain hash).
    assert re.fullmatch(r"[0-9a-f]{64}", value)
    assert value not in {hashlib.sha256(str(user.id).encode()).hexdigest(), str(user.id), user.email}
    with app.app_context():
        assert value == device.mark(user.id)
        assert device.mark(user.id) != device.mark(user.id + 1)
        app.config["SECRET_KEY"] = "another key"
        assert device.mark(user.id) != value  # the key matters: nobody can compute it from the id
    # A failed sign-in sets nothing.
    client.logout()
    failed = client.login("judge@example.org", "wrong password!!")
    assert failed.status_code == 401 and device.COOKIE not in str(failed.headers.getlist("Set-Cookie"))


def test_secure_like_the_session_cookie(app, client, make_user):
    app.config["SESSION_COOKIE_SECURE"] = True
    make_user(email="judge@example.org")
    response = client.login("judge@example.org", PASSWORD)
    assert "secure" in [part.strip().lower() for part in _set_cookie_header(response, device.COOKIE).split(";")]


def test_another_person_signing_in_clears_what_the_previous_one_left(client, make_user):
    make_user(email="first@example.org")
    make_user(email="second@example.org")
    first = client.login("first@example.org", PASSWORD)
    assert "Clear-Site-Data" not in first.headers  # nobody signed in on this browser before
    client.logout()
    again = client.login("first@example.org", PASSWORD)
    assert again.status_code == 302 and "Clear-Site-Data" not in again.headers  # the same person: their copies stay
    # The first person leaves without signing out (the session simply ends): the next person's sign-in clears.
    with client.session_transaction() as session:
        session.clear()
    assert client.get("/account/profile").status_code == 302
    second = client.login("second@example.org", PASSWORD)
    assert second.status_code == 302 and second.headers["Clear-Site-Data"] == CLEAR
    client.logout()
    # And back: the cookie now names the second person.
    assert client.login("first@example.org", PASSWORD).headers["Clear-Site-Data"] == CLEAR


def test_the_two_factor_step_marks_the_device(app, client, make_user):
    make_user(email="first@example.org")
    make_user(email="second@example.org")
    client.login("second@example.org", PASSWORD)
    client.logout()
    client.login("first@example.org", PASSWORD)
    page = client.get("/account/profile/two-factor").get_data(as_text=True)
    secret = re.search(r'class="secret">([A-Z2-7]+)<', page).group(1)
    client.post_form("/account/profile/two-factor", {"code": pyotp.TOTP(secret).now()})
    client.logout()
    client.login("second@example.org", PASSWORD)  # the cookie names the second person again
    client.logout()
    password_step = client.login("first@example.org", PASSWORD)
    assert password_step.headers["Location"].endswith("/account/login/code")
    # The password alone is not a sign-in: no cookie, nothing cleared yet.
    assert "Clear-Site-Data" not in password_step.headers
    assert device.COOKIE not in str(password_step.headers.getlist("Set-Cookie"))
    code_step = client.post_form("/account/login/code", {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert code_step.status_code == 302 and code_step.headers["Clear-Site-Data"] == CLEAR
    _set_cookie_header(code_step, device.COOKIE)
