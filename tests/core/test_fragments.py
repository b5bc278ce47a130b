"""The chrome's cached fragment (lms/core/fragments.py): its key holds every input it depends on, the personal
parts are filled in at each render. Pages are rendered for people with different roles, names, languages and
progress, cache on, in an order that would show another person's fragment if the key missed an input, and
compared with the same pages rendered without the cache."""

from __future__ import annotations

import difflib
import re

import pytest

COURSE = "/courses/palermo-magistrates"
PAGES = ["/courses/home", f"{COURSE}/definition", f"{COURSE}/palermo-protocol", COURSE, "/courses", "/library"]
TOKEN = re.compile(r'(name="csrf_token" value=")[^"]+"')


def _page(person, path):
    response = person.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.fixture
def people(app, client, make_user, courses):
    make_user(
        email="amina@example.org",
        name_latin="Amina Alaoui",
        name_arabic="أمينة العلوي",
        profession="magistrate-judge",
        locale="fr",
    )
    make_user(email="badr@example.org", name_latin="Badr <Bennani>", profession="magistrate-judge", locale="ar")
    make_user(roles=("trainer",), email="trainer@example.org", name_latin="Tarik Trainer", locale="fr")
    clients = {}
    for email in ("amina@example.org", "badr@example.org", "trainer@example.org"):
        person = type(client)(app.test_client())
        person.login(email)
        clients[email.split("@")[0]] = person
    # Different progress: Amina has read the definition and completed it, Badr has not started.
    amina = clients["amina"]
    page = _page(amina, f"{COURSE}/definition")
    token = TOKEN.search(page).group(0).split('value="')[1][:-1]
    assert amina.post(f"{COURSE}/definition/complete", data={"csrf_token": token, "completed": "1"}).status_code == 302
    amina.get("/privacy")  # shows (and so drops) the "marked as read" message
    return clients


def _render_all(people):
    return {(who, path): _page(person, path) for path in PAGES for who, person in people.items()}


def test_pages_with_the_fragment_cache_equal_pages_without_it(app, people):
    app.config["FRAGMENT_CACHE"] = False
    _render_all(people)  # a module's first view is recorded ("Continue: ..." at home): the state settles first
    uncached = _render_all(people)
    app.config["FRAGMENT_CACHE"] = True
    app.extensions.pop("tadrib_fragments", None)
    cached = _render_all(people)
    again = _render_all(people)  # now every fragment comes from the cache
    assert app.extensions["tadrib_fragments"], "the fragments were not cached"
    for key, page in uncached.items():
        # The tokens differ (a new one per request); everything else is the same, byte for byte.
        expected = TOKEN.sub(r"\1T", page)
        for got in (cached[key], again[key]):
            got = TOKEN.sub(r"\1T", got)
            assert got == expected, (
                key,
                "".join(difflib.unified_diff(expected.splitlines(True), got.splitlines(True))),
            )


def test_each_person_sees_their_own_name_token_menu_and_language(app, people):
    app.config["FRAGMENT_CACHE"] = True
    pages = _render_all(people)
    for path in PAGES:
        amina, badr, trainer = (pages[(who, path)] for who in ("amina", "badr", "trainer"))
        assert 'class="who">Amina Alaoui</a>' in amina and "Bennani" not in amina and "Tarik" not in amina
        # Badr reads in Arabic; his name is escaped like any other text.
        assert 'class="who">Badr &lt;Bennani&gt;</a>' in badr and '<html lang="ar" dir="rtl"' in badr
        assert "Amina" not in badr and "أمينة" not in badr
        assert 'class="who">Tarik Trainer</a>' in trainer
        # Roles: the trainer's menu has "My cohorts", a learner's has "My certificates", never the other's.
        assert 'href="/reports"' in trainer and 'href="/certificates">' not in trainer
        assert 'href="/certificates">' in amina and 'href="/reports"' not in amina
        tokens = [set(m.group(0) for m in TOKEN.finditer(p)) for p in (amina, badr, trainer)]
        assert all(len(t) == 1 for t in tokens) and len(set.union(*tokens)) == 3
        # The language switch returns to the page itself, whoever asks.
        assert f'name="next" value="{path}"' in amina
    # Progress is the page's own, never the fragment's: Amina read the definition, Badr did not.
    assert 'name="completed" value="0"' in pages[("amina", f"{COURSE}/definition")]
    assert 'name="completed" value="0"' not in pages[("badr", f"{COURSE}/definition")]
    # The menu marks the page itself: cached per page, never one page's mark on another.
    assert '<a href="/courses" aria-current="page">' in pages[("amina", "/courses")]
    assert 'aria-current="page"' not in pages[("amina", "/library")].split('class="main-nav"')[1].split("</nav>")[
        0
    ].replace('<a href="/library" aria-current="page">', "")
    assert '<a href="/library" aria-current="page">' in pages[("amina", "/library")]


def test_a_signed_out_visitor_never_gets_a_signed_in_fragment(app, client, people):
    app.config["FRAGMENT_CACHE"] = True
    people["amina"].get("/privacy")
    page = client.get("/privacy").get_data(as_text=True)
    assert "Amina" not in page and 'class="who"' not in page and 'href="/account/login">' in page
