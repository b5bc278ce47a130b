"""Fixed costs of a page, once per request: the signed-in user looked up through the ``current_user`` proxy a
handful of times (never once per use in a template, a service or a signal receiver), one CSRF token per page
(the same in every form of it, and accepted), and the chrome's URLs built once per process."""

from __future__ import annotations

import re
import sys

import flask_login.utils
import flask_wtf.csrf
import pytest

COURSE = "/courses/palermo-magistrates"
PAGES = ["/courses/home", f"{COURSE}/definition", COURSE, "/courses"]
CSRF_IN_PAGE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Calls:
    """Counts the calls of some functions (by their code) while a request runs."""

    def __init__(self, *functions):
        self.codes = {f.__code__: f.__qualname__ for f in functions}
        self.counts = dict.fromkeys(self.codes.values(), 0)

    def _profile(self, frame, event, _arg):
        if event == "call" and frame.f_code in self.codes:
            self.counts[self.codes[frame.f_code]] += 1

    def __enter__(self):
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.setprofile(None)


@pytest.fixture
def learner(client, make_user, courses):
    make_user(email="judge@example.org", profession="magistrate-judge", locale="fr")
    client.login("judge@example.org")
    client.get("/courses/home")
    return client


@pytest.mark.parametrize("path", PAGES)
def test_user_resolved_a_few_times_and_one_csrf_token_per_page(learner, path):
    learner.get(path)  # a first view writes (the module's view is recorded): the second is the usual one
    with Calls(flask_login.utils._get_user, flask_wtf.csrf.generate_csrf) as calls:
        response = learner.get(path)
    assert response.status_code == 200
    # Access check, language, layout, menu, bell, the view: each once (was 21 on the module page, 39 at home).
    assert calls.counts["_get_user"] <= 6, calls.counts
    assert calls.counts["generate_csrf"] == 1, calls.counts
    tokens = set(CSRF_IN_PAGE.findall(response.get_data(as_text=True)))
    assert len(tokens) == 1, tokens


def test_the_one_token_is_accepted_by_every_form_of_the_page(learner):
    page = learner.get(f"{COURSE}/definition").get_data(as_text=True)
    (token,) = set(CSRF_IN_PAGE.findall(page))
    assert (
        learner.post(f"{COURSE}/definition/complete", data={"csrf_token": token, "completed": "1"}).status_code == 302
    )
    assert learner.post("/language", data={"csrf_token": token, "lang": "ar", "next": "/courses"}).status_code == 302
    assert (
        learner.post(f"{COURSE}/definition/complete", data={"csrf_token": "forged", "completed": "1"}).status_code
        == 400
    )


def test_two_people_get_their_own_token_and_name(client, make_user, courses, app):
    make_user(email="a@example.org", name_latin="Amina Alaoui", profession="magistrate-judge")
    make_user(email="b@example.org", name_latin="Badr Bennani", profession="magistrate-judge")
    other = type(client)(app.test_client())
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.login("a@example.org")
    other.login("b@example.org")
    first = client.get("/courses/home").get_data(as_text=True)
    second = other.get("/courses/home").get_data(as_text=True)
    assert 'class="who">Amina Alaoui<' in first and "Badr Bennani" not in first
    assert 'class="who">Badr Bennani<' in second and "Amina Alaoui" not in second
    assert set(CSRF_IN_PAGE.findall(first)).isdisjoint(CSRF_IN_PAGE.findall(second))


def test_chrome_urls_built_once_per_process(learner, app):
    learner.get("/courses/home")
    with Calls(app.url_for.__func__) as calls:
        page = learner.get("/courses/home").get_data(as_text=True)
    # Every URL of the page (menu, manifest, service worker, outbox, assets, links) comes from a memo.
    assert calls.counts[app.url_for.__func__.__qualname__] == 0, calls.counts
    assert 'data-sw="/offline/sw.js?v=' in page and 'rel="manifest" href="/offline/manifest.webmanifest?locale=' in page
