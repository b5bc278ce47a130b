"""Numbers beyond the database's integers, in the URL, the query string and forms: 404 or 400, never a 500.

Beyond 64 bits SQLite's driver raised OverflowError; beyond 32 bits PostgreSQL's ``integer`` refuses the value.
One rule covers every route: the app's ``int`` URL converter stops at 2**31 - 1 (no such page: 404), and the
query and form numbers go through ``lms.core.numbers`` (the default for a page number, else a 400 that says so)."""

import pytest
from werkzeug.routing import IntegerConverter

from tests.conftest import Client
from tests.factories import two_cohort_world


@pytest.fixture
def world(app, db, courses, make_user):
    return two_cohort_world(db, make_user)


def _url(rule, values):
    _domain, path = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
    return path


HUGE = (99999999999999999999, 2**31)
MAX_INT = 2**31 - 1  # PostgreSQL's integer (SQLAlchemy's Integer): ids and counters
OUT_OF_RANGE = "A number in this request is out of range."


def _client(app, users, role):
    client = Client(app.test_client())
    client.raw.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert client.login(users[role].email).status_code == 302, role
    return client


def _int_arguments(rule):
    return [name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)]


def test_the_url_map_has_int_arguments_to_check(app):
    rules = [rule for rule in app.url_map.iter_rules() if _int_arguments(rule)]
    assert len(rules) > 40
    assert all(rule._converters[name].max == MAX_INT for rule in rules for name in _int_arguments(rule))


@pytest.mark.parametrize("role", ["admin", "trainer", "learner"])
def test_huge_ids_in_every_route_are_not_found(app, world, role):
    users, values = world
    client = _client(app, users, role)
    token = client.csrf()
    failures, checked = [], 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        names = _int_arguments(rule)
        if not names:
            continue
        # Each int argument alone out of range (the others valid), then all of them at once.
        for huge in HUGE:
            for replaced in [[name] for name in names] + ([names] if len(names) > 1 else []):
                url = _url(rule, {**values, **{name: huge for name in replaced}})
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    if method == "GET":
                        response = client.raw.get(url)
                    else:
                        response = client.raw.post(url, data={"csrf_token": token})
                    checked += 1
                    if response.status_code != 404:
                        failures.append((role, method, url, response.status_code))
    assert failures == [], "\n".join(map(str, failures))
    assert checked > 100


def test_a_huge_page_number_is_the_first_page(app, world):
    users, values = world
    admin = _client(app, users, "admin")
    for huge in (*HUGE, -(2**70)):
        for url in (
            f"/account/users?page={huge}",
            f"/audit?page={huge}",
            f"/reports/cohorts/{values['cohort_id']}?page={huge}",
        ):
            response = admin.get(url)
            assert response.status_code == 200, (url, response.status_code)
    learner = _client(app, users, "learner")
    page = learner.get(f"/quizzes/attempts/{values['attempt_id']}?view=one&page={HUGE[0]}")
    assert page.status_code == 200 and "Question 1 of" in page.get_data(as_text=True)


def test_huge_numbers_in_the_query_string_are_refused_with_a_message(app, world):
    users, _values = world
    admin = _client(app, users, "admin")
    for huge in HUGE:
        for query in (f"course={huge}", f"cohort={huge}"):
            response = admin.get(f"/reports/programme?{query}")
            assert response.status_code == 400, (query, response.status_code)
            assert OUT_OF_RANGE in response.get_data(as_text=True)
    assert admin.get("/reports/programme?course=abc").status_code == 200  # not a number: no filter, as before


def test_huge_numbers_in_forms_are_refused_with_a_message(app, world):
    users, values = world
    trainer = _client(app, users, "trainer")
    for huge in HUGE:
        response = trainer.post_form(f"/certificates/cohorts/{values['cohort_id']}/issue", {"user": str(huge)})
        assert response.status_code == 400 and OUT_OF_RANGE in response.get_data(as_text=True)

    learner = _client(app, users, "learner")
    attempt = values["attempt_id"]
    from lms.extensions import db
    from lms.quizzes.models import Attempt

    question = db.session.get(Attempt, attempt).question_ids[0]  # one the attempt drew from the pool
    for huge in HUGE:
        for field in ("seq", f"base-{question}"):
            form = {"shown": question, f"q-{question}": "a", field: str(huge)}
            saved = learner.raw.post(
                f"/quizzes/attempts/{attempt}/autosave",
                data={**form, "csrf_token": learner.csrf()},
                headers={"Accept": "application/json"},
            )
            assert saved.status_code == 400 and saved.get_json()["message"].startswith(OUT_OF_RANGE), field
            page = learner.post_form(f"/quizzes/attempts/{attempt}/save", {**form, "action": "save"})
            assert page.status_code == 400 and OUT_OF_RANGE in page.get_data(as_text=True), field
        # A page number out of range in the form: the first page, as in the address.
        response = learner.post_form(f"/quizzes/attempts/{attempt}/save", {"page": str(huge), "action": "next"})
        assert response.status_code == 302 and response.headers["Location"].endswith("page=2")

    checkin = learner.post_form("/attendance/checkin", {"code": "123456", "session": "999999999999"})
    assert checkin.status_code == 400 and OUT_OF_RANGE in checkin.get_data(as_text=True)
