"""Templates lose their indentation when compiled; asset URLs carry a content hash and are cached a year."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def test_no_translated_string_in_a_template_spans_lines():
    # Indentation is dropped at compile time: a msgid spanning lines would no longer match its translation.
    for path in TEMPLATES:
        source = path.read_text(encoding="utf-8")
        for match in re.finditer(r"""\b_\(\s*(["'])(.*?)\1""", source, re.S):
            assert "\n" not in match.group(2), f"{path.name}: translated string spans lines: {match.group(2)[:60]!r}"


def test_no_template_has_literal_text_in_pre_or_textarea_that_indentation_would_change():
    for path in TEMPLATES:
        source = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<(pre|textarea)\b[^>]*>(.*?)</\1>", source, re.S):
            assert "\n" not in match.group(2), f"{path.name}: multi-line <{match.group(1)}> content"


def test_pages_are_sent_without_indentation(client):
    page = client.get("/account/login").get_data(as_text=True)
    assert "<form" in page
    assert not [line for line in page.splitlines() if line.startswith((" ", "\t"))]


def test_asset_urls_are_versioned_and_cached_a_year(client):
    page = client.get("/account/login").get_data(as_text=True)
    url = re.search(r'href="(/static/tadrib\.css\?v=[0-9a-f]{10})"', page).group(1)
    response = client.get(url)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    unversioned = client.get("/static/tadrib.css")
    assert "max-age=31536000" not in unversioned.headers.get("Cache-Control", "")


def test_menu_is_in_the_user_language_and_follows_roles(client, make_user):
    client.login(make_user(roles=("learner",), email="menu@example.org").email)
    page = client.get("/courses/home").get_data(as_text=True)
    assert 'href="/certificates"' in page and 'href="/account/users"' not in page
    client.post_form("/language", {"lang": "ar", "next": "/courses/home"})
    page = client.get("/courses/home").get_data(as_text=True)
    assert "شهاداتي" in page or "شهادات" in page


def test_template_urls_are_built_once_per_mount_point(app):
    """Templates' url_for remembers URLs; the same endpoint under another SCRIPT_NAME, with other arguments or
    with options is built again."""
    assert app.jinja_env.globals["url_for"].__module__ == "lms.core.templating"
    built = []
    original = app.url_for

    def counting(endpoint, **values):
        built.append(endpoint)
        return original(endpoint, **values)

    from lms.core.templating import memoised_url_for

    app.url_for = counting
    try:
        url_for = memoised_url_for(app)
        with app.test_request_context("/"):
            assert url_for("content.course", course_slug="a") == "/courses/a"
            assert url_for("content.course", course_slug="a") == "/courses/a"
            assert url_for("content.course", course_slug="b") == "/courses/b"
            assert url_for("core.privacy", _anchor="x").endswith("#x")
            assert url_for("core.privacy", _anchor="x").endswith("#x")
        with app.test_request_context("/", base_url="http://localhost/tadrib/"):
            assert url_for("content.course", course_slug="a") == "/tadrib/courses/a"
    finally:
        app.url_for = original
    assert built.count("content.course") == 3  # a, b, and a under /tadrib
    assert built.count("core.privacy") == 2  # options: never remembered


def test_security_headers_keep_what_a_view_set(app):
    from flask import Response

    from lms.core.security import set_security_headers

    with app.test_request_context("/"):
        response = set_security_headers(Response("x", headers={"X-Frame-Options": "SAMEORIGIN"}))
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_remembered_translations_render_as_jinja_would(app):
    """``constant_gettext`` gives what Jinja's own new-style gettext gives: marked safe (and its variables
    escaped) where the template autoescapes, plain text where it does not (e-mail bodies), ``%%`` -> ``%``."""
    from jinja2 import Environment
    from jinja2.ext import _make_new_gettext

    from lms.core.templating import constant_gettext

    class Catalogue:
        def gettext(self, text):
            return {"Save": "Enregistrer <b>", "%(n)s%% done": "%(n)s%% fait"}.get(text, text)

    ours, jinjas = constant_gettext(Catalogue()), _make_new_gettext(Catalogue().gettext)
    for autoescape in (True, False):
        env = Environment(autoescape=autoescape, extensions=["jinja2.ext.i18n"])
        for source in ('{{ _("Save") }}', '{{ _("%(n)s%% done", n=v) }}', '{{ _("Save") }}{{ _("Save") }}'):
            expected = env.from_string(source, globals={"gettext": jinjas}).render(v="<i>")
            for _twice in range(2):  # computed, then remembered
                assert env.from_string(source, globals={"gettext": ours}).render(v="<i>") == expected


def test_text_carried_on_after_a_block_tag_keeps_its_space(app):
    """A line that continues the text after ``{% endif %}`` is not glued to it once indentation is dropped."""
    template = app.jinja_env.from_string("<p>{% if on %}On.{% else %}Off.{% endif %}\n    <a>Manage</a></p>")
    assert template.render(on=True) == "<p>On. <a>Manage</a></p>"
    lines = app.jinja_env.from_string("<ul>\n  {% for i in items %}\n  <li>{{ i }}</li>\n  {% endfor %}\n</ul>")
    assert not [line for line in lines.render(items=[1, 2]).splitlines() if line.startswith((" ", "\t"))]
