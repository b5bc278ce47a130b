"""Every route and every form, walked with hostile input as each role: no 500, no hang, no memory blow-up.

The walk is generated, not listed: GET routes come from the app's URL map (with every query parameter the app
reads set to a huge number, control characters or a very long word), forms from the pages themselves (each
POST form found is submitted with every text field filled with each hostile value). A new route or form is
walked without anyone remembering to add it here.
"""

from __future__ import annotations

import resource
import time
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest

from tests.conftest import Client
from tests.factories import two_cohort_world

HUGE = "99999999999999999999"
HOSTILE = {
    "huge": HUGE,
    "negative": "-" + HUGE,
    "controls": "\u202eevil\u202c gnp.exe\u2066\u200f\r\nBEGIN:VALARM\r\n\x07\x1b[31m",
    "nul": "abc\x00def",
    "long word": "A" * 5000,
    "year one": "0001-01-01",
    "far future": "9999-12-31",
}
#: every query parameter name the app reads (grep request.args), set to each hostile value in turn
QUERY_NAMES = (
    "page", "q", "format", "code", "view", "v", "status", "sort", "scope", "s", "role", "profession", "next",
    "mask", "lang", "jurisdiction", "active", "action", "course", "user", "from", "to", "cohort", "kind",
    "person", "date", "seq",
)  # fmt: skip
SLOW_SECONDS = 3.0
#: endpoints whose forms end the walk's session or its world (they are covered by their own tests)
SKIP_ENDPOINTS = {"accounts.logout", "static"}


class _Forms(HTMLParser):
    """The POST forms of a page: action and fields (text-like inputs, textareas, selects, hidden values)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = {"action": a.get("action") or "", "fields": {}, "text": [], "enctype": a.get("enctype")}
                self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind == "file":
                self._form["file"] = True
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a or name not in self._form["fields"]:
                    self._form["fields"][name] = a.get("value", "on")
                return
            self._form["fields"][name] = a.get("value", "")
            if kind not in ("hidden",):
                self._form["text"].append(name)
        elif tag == "textarea" and name:
            self._form["fields"][name] = ""
            self._form["text"].append(name)
        elif tag == "select" and name:
            self._select = name
            self._form["fields"].setdefault(name, "")
        elif tag == "option" and self._select:
            if not self._form["fields"].get(self._select) or "selected" in a:
                self._form["fields"][self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


@pytest.fixture
def world(app, db, courses, make_user):
    return two_cohort_world(db, make_user)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Walk:
    def __init__(self, app, email):
        self.client = Client(app.test_client())
        self.client.raw.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
        assert self.client.login(email).status_code == 302
        self.failures: list[tuple] = []
        self.requests = 0

    def request(self, method, url, data=None):
        started = time.perf_counter()
        if method == "GET":
            response = self.client.raw.get(url)
        else:
            response = self.client.raw.post(url, data=data)
        took = time.perf_counter() - started
        self.requests += 1
        shown = url if len(url) < 120 else url[:117] + "…"
        if response.status_code >= 500:
            self.failures.append((method, shown, response.status_code, _short(data)))
        elif took > SLOW_SECONDS:
            self.failures.append((method, shown, f"{took:.1f} s", _short(data)))
        return response


def _short(data):
    if not data:
        return None
    return {k: (v[:20] + "…" if isinstance(v, str) and len(v) > 20 else v) for k, v in data.items()}


def _get_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint not in SKIP_ENDPOINTS),
        key=lambda r: r.rule,
    )


@pytest.mark.parametrize("role", ["learner", "trainer", "admin"])
def test_every_route_and_form_survives_hostile_input(app, world, role):
    users, values = world
    walk = _Walk(app, users[role].email)
    rss_before = _rss_mb()
    pages: dict[str, str] = {}
    for rule in _get_rules(app):
        _domain, path = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
        response = walk.request("GET", path)
        if response.status_code == 200 and response.mimetype == "text/html":
            pages[path] = response.get_data(as_text=True)
        for value in HOSTILE.values():
            walk.request("GET", path + "?" + urlencode({name: value for name in QUERY_NAMES}))
    forms_walked = 0
    for path, html in pages.items():
        parser = _Forms()
        parser.feed(html)
        for form in parser.forms:
            if not form["text"] or form.get("file"):
                continue  # confirm-only forms change state without input; uploads have their own tests
            action = urljoin(path, form["action"] or path)
            if urlsplit(action).path in ("/account/logout",):
                continue
            forms_walked += 1
            for value in HOSTILE.values():
                data = dict(form["fields"])
                for name in form["text"]:
                    data[name] = value
                walk.request("POST", action, data)
    growth = _rss_mb() - rss_before
    assert walk.failures == [], "\n".join(map(str, walk.failures))
    assert forms_walked >= {"learner": 3, "trainer": 8, "admin": 10}[role], forms_walked
    assert growth < 100, f"peak memory grew by {growth:.0f} MB"


def test_nul_character_is_refused_before_any_view(client, world):
    """PostgreSQL cannot store NUL: a form or query value carrying one is a 400 on every engine."""
    users, values = world
    client.login(users["trainer"].email)
    assert client.get("/account/users?q=a%00b").status_code in (400, 403)
    response = client.post_form(f"/cohorts/{values['cohort_id']}/edit", {"title": "a\x00b"})
    assert response.status_code == 400
    assert "could not read" in response.get_data(as_text=True)
