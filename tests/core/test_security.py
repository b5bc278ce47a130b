import re

from tests.conftest import PASSWORD


def test_security_headers_present(client):
    response = client.get("/account/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_flags(client, make_user):
    make_user(email="judge@example.org")
    response = client.login("judge@example.org", PASSWORD, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("tadrib_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    remember = next(c for c in cookies if c.startswith("tadrib_remember="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember


def test_csrf_rejected_without_token(client, make_user):
    make_user(email="judge@example.org")
    response = client.raw.post("/account/login", data={"email": "judge@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/account/profile").status_code == 302


def test_csrf_expired_token_keeps_input_for_same_origin(client, make_user):
    make_user(email="me@example.org")
    client.login("me@example.org")
    response = client.raw.post(
        "/account/profile",
        data={"csrf_token": "stale", "name_latin": "Texte à garder", "pw-password": "secret value"},
        headers={"Origin": "http://localhost"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Texte à garder" in page and "secret value" not in page
    assert re.search(r'name="csrf_token" value="[^"]+"', page)


def test_csrf_cross_site_post_gets_no_resubmit_form(client, make_user):
    make_user(email="me@example.org")
    client.login("me@example.org")
    response = client.raw.post(
        "/account/profile", data={"name_latin": "Evil"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 400
    assert "Evil" not in response.get_data(as_text=True)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "db": "ok"}


def test_healthz_503_when_database_unreachable(tmp_path):
    from lms import create_app
    from lms.config import TestConfig

    app = create_app(TestConfig(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3", str(tmp_path / "inst")))
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "error"
    page = client.get("/account/login")
    assert page.status_code in (200, 503)


def test_max_content_length(client):
    response = client.raw.post("/account/login", data={"email": "x" * (9 * 1024 * 1024)})
    assert response.status_code == 413


def test_unknown_page_is_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_secret_key_generated_once_into_instance(tmp_path, monkeypatch):
    from lms.config import load_secret_key

    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    first = load_secret_key(tmp_path)
    assert first == load_secret_key(tmp_path) and len(first) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_crlf_in_next_never_reaches_a_header(client, make_user):
    for value in ("/x\r\nSet-Cookie: a=b", "/\nx", "/ok\x7f"):
        response = client.post_form("/language", {"lang": "fr", "next": value})
        assert response.status_code == 302 and response.headers["Location"] == "/"
    make_user(email="judge@example.org")
    token = client.csrf()
    response = client.raw.post(
        "/account/login?next=/x%0D%0ASet-Cookie:%20a=b",
        data={"email": "judge@example.org", "password": "correct horse battery", "csrf_token": token},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
