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
    page = client.get("/login").get_data(as_text=True)
    assert "<form" in page
    assert not [line for line in page.splitlines() if line.startswith((" ", "\t"))]


def test_asset_urls_are_versioned_and_cached_a_year(client):
    page = client.get("/login").get_data(as_text=True)
    url = re.search(r'href="(/static/tadrib\.css\?v=[0-9a-f]{10})"', page).group(1)
    response = client.get(url)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    unversioned = client.get("/static/tadrib.css")
    assert "max-age=31536000" not in unversioned.headers.get("Cache-Control", "")


def test_menu_is_in_the_user_language_and_follows_roles(client, make_user):
    client.login(make_user(roles=("learner",), email="menu@example.org").email)
    page = client.get("/learn").get_data(as_text=True)
    assert 'href="/certificates"' in page and 'href="/admin/users"' not in page
    client.post_form("/language", {"lang": "ar", "next": "/learn"})
    page = client.get("/learn").get_data(as_text=True)
    assert "شهاداتي" in page or "شهادات" in page
