"""Access on every view (lms/core/access.py): each view declares its rule; admin pages refuse other roles;
anonymous visitors are sent to sign in."""


def test_every_view_declares_an_access_rule(app):
    from lms.core.access import access_rule

    with app.test_request_context():
        missing = [rule.endpoint for rule in app.url_map.iter_rules() if access_rule(rule.endpoint) is None]
    assert missing == []


def test_admin_pages_refuse_learners_and_trainers(client, make_user):
    make_user(email="learner@example.org")
    make_user(roles=("trainer",), email="trainer@example.org")
    for email in ("learner@example.org", "trainer@example.org"):
        client.login(email)
        for url in ("/account/users", "/account/users/1", "/audit", "/account/users/new"):
            assert client.get(url).status_code == 403, (email, url)
        client.logout()
    client.login("learner@example.org")
    assert client.get("/account/invite").status_code == 403


def test_anonymous_redirected_to_login(client):
    response = client.get("/account/users")
    assert response.status_code == 302 and "/account/login?next=/account/users" in response.headers["Location"]
    assert client.raw.post("/account/logout").status_code in (400, 401)
