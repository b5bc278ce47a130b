"""Languages: every page in all three languages; no French or Arabic message missing or fuzzy."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "lms" / "translations"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "ngettext": (1, 2), "lazy_gettext": None}


def _source_messages() -> set[str]:
    found = set()
    method_map = [("**.py", "python")]
    for message in extract_from_dir(str(ROOT / "lms"), method_map, keywords=KEYWORDS):
        msg = message[2]
        found.add(msg[0] if isinstance(msg, tuple) else msg)
    template_map = [("**.html", "jinja2"), ("**.txt", "jinja2")]
    for message in extract_from_dir(str(ROOT / "templates"), template_map, keywords=KEYWORDS):
        msg = message[2]
        found.add(msg[0] if isinstance(msg, tuple) else msg)
    return {m for m in found if m}


@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_every_message_translated(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    problems = []
    for msgid in sorted(_source_messages()):
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif isinstance(entry.string, tuple):
            if not all(entry.string):
                problems.append(f"untranslated plural: {msgid!r}")
        elif not entry.string:
            problems.append(f"untranslated: {msgid!r}")
    assert problems == [], f"{locale}: {len(problems)} problems\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_placeholders_kept(locale):
    import re

    pattern = re.compile(r"%\(\w+\)[sd]")
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    bad = []
    for entry in catalog:
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        expected = set(pattern.findall(ids[0]))
        for s in strings:
            if s and set(pattern.findall(s)) - set().union(*(set(pattern.findall(i)) for i in ids)):
                bad.append(entry.id)
            if s and not isinstance(entry.id, tuple) and set(pattern.findall(s)) != expected:
                bad.append(entry.id)
    assert bad == []


def test_missing_translation_is_detected(tmp_path):
    """The check above really fails on an untranslated message (it is not a test that cannot fail)."""
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "Sign in"\nmsgstr ""\n',
        encoding="utf-8",
    )
    with open(po, "rb") as handle:
        catalog = read_po(handle)
    assert not catalog.get("Sign in").string


def _pages(admin_id: int) -> list[str]:
    return [
        "/",
        "/privacy",
        "/account/profile",
        "/account/invite",
        "/account/users",
        f"/account/users/{admin_id}",
        "/account/users/new",
        "/audit",
    ]


@pytest.mark.parametrize("locale,direction", [("fr", "ltr"), ("ar", "rtl"), ("en", "ltr")])
def test_every_page_renders_in_each_language(client, make_user, locale, direction, app, courses):
    admin = make_user(roles=("admin", "trainer", "learner"), email="admin@example.org")
    anonymous_pages = ["/", "/account/login", "/account/password/forgot", "/privacy", "/nope-404"]
    client.post_form("/language", {"lang": locale})
    for url in anonymous_pages:
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 404), url
        assert f'<html lang="{locale}" dir="{direction}">' in html, url
    client.login("admin@example.org")
    client.post_form("/language", {"lang": locale})
    pages = _pages(admin.id) + [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.arguments
        and rule.endpoint != "static"
        and not rule.endpoint.startswith("legacy.")  # the addresses of before: a redirect to a page listed here
    ]
    pages += [
        "/courses/palermo-magistrates",
        "/courses/palermo-magistrates/definition",
        "/courses/admin/palermo-magistrates/definition/preview",
    ]
    for url in sorted(set(pages) - {"/account/login", "/", "/account/login/code"}):  # these redirect a signed-in user
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if response.mimetype == "text/html":
            # signed-in pages also carry data-sw (the offline service worker's address) on <html>
            assert f'<html lang="{locale}" dir="{direction}" ' in response.get_data(as_text=True), url


def test_arabic_pages_are_translated(client):
    client.post_form("/language", {"lang": "ar"})
    html = client.get("/account/login").get_data(as_text=True)
    assert "تسجيل الدخول" in html and "Sign in" not in html


def test_language_choice_remembered_per_user(client, make_user, db):
    from lms.accounts.models import User

    user = make_user(email="judge@example.org")
    client.login("judge@example.org")
    client.post_form("/language", {"lang": "ar"})
    assert db.session.get(User, user.id).locale == "ar"
    client.logout()
    client.post_form("/language", {"lang": "fr"})
    client.login("judge@example.org")
    assert 'lang="ar"' in client.get("/account/profile").get_data(as_text=True)


def test_accept_language_used_for_visitors(client):
    html = client.get("/account/login", headers={"Accept-Language": "ar-MA,ar;q=0.9"}).get_data(as_text=True)
    assert 'dir="rtl"' in html


def test_language_switch_does_not_redirect_offsite(client):
    response = client.post_form("/language", {"lang": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_template_messages_have_no_lone_percent():
    """Templates format every message with %: a lone % (not %(name)s or %%) breaks the page at run time."""
    import re

    lone = re.compile(r"%(?![(%])")
    bad = []
    for message in extract_from_dir(
        str(ROOT / "templates"), [("**.html", "jinja2"), ("**.txt", "jinja2")], keywords=KEYWORDS
    ):
        msg = message[2]
        for text in msg if isinstance(msg, tuple) else (msg,):
            if text and lone.search(text.replace("%%", "")):
                bad.append(text)
    assert bad == []
