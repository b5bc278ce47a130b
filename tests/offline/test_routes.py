"""The offline field kit's server side (issue #22): the pack manifest of a course per person, the ``?locale=``
rule, the service worker's headers, every entry of a pack answering in its language, and the budgets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.certificates import service as certificates
from lms.cohorts.models import Cohort
from lms.content.models import Course
from tests.factories import two_cohort_world

MAGISTRATES = "palermo-magistrates"
WORKERS = "victim-identification"
STATIC = Path(__file__).resolve().parents[2] / "lms" / "static"


def _pack(client, slug):
    response = client.get(f"/offline/courses/{slug}.json")
    return response.status_code, (response.get_json() if response.status_code == 200 else None)


def test_a_pack_holds_the_course_of_the_person_and_only_their_own_certificates(client, app, db, courses, make_user):
    users, values = two_cohort_world(db, make_user)  # the learner (a magistrate) has a certificate in cohort A
    serial = values["serial"]
    # a second magistrate, in no cohort: the same course, without the first one's certificate
    make_user(email="judge2@example.org", profession="magistrate-judge", locale="ar")

    client.login("learner@example.org")
    status, pack = _pack(client, MAGISTRATES)
    assert status == 200
    urls = {e["url"] for e in pack["entries"]}
    assert f"/certificates/{serial}.pdf" in urls
    assert f"/courses/{MAGISTRATES}?locale=fr" in urls and f"/courses/{MAGISTRATES}/definition?locale=ar" in urls
    assert "/library/law-27-14/448-1?locale=fr" in urls  # cited by the course's modules
    assert "/library/glossary?locale=ar" in urls and "/offline/missing?kind=action&locale=fr" in urls
    assert pack["course"] == MAGISTRATES and pack["strings"]["ar"]["copy"] and "{date}" in pack["strings"]["fr"]["copy"]
    assert all(e["key"] == re.sub(r"[?&]locale=[a-z]+$", "", e["url"]) for e in pack["entries"])
    # the other profession's course is no course for them: 404, whatever it holds
    assert _pack(client, WORKERS)[0] == 404
    assert _pack(client, "no-such-course")[0] == 404
    client.logout()

    client.login("other@example.org")  # a social worker in cohort B
    assert _pack(client, MAGISTRATES)[0] == 404
    status, pack = _pack(client, WORKERS)
    assert status == 200 and not any("/certificates/" in e["url"] for e in pack["entries"])
    assert not any(MAGISTRATES in e["url"] for e in pack["entries"])
    client.logout()

    client.login("judge2@example.org")
    status, pack = _pack(client, MAGISTRATES)
    assert status == 200 and not any(serial in e["url"] for e in pack["entries"])
    assert pack["languages"] == ["ar", "fr"] and pack["title"] != MAGISTRATES
    client.logout()
    assert client.get(f"/offline/courses/{MAGISTRATES}.json").status_code == 302  # signed out: sign in first


def test_a_revoked_certificate_leaves_the_pack(client, db, courses, make_user):
    users, values = two_cohort_world(db, make_user)
    client.login("learner@example.org")
    before = _pack(client, MAGISTRATES)[1]
    from lms.certificates.models import Certificate

    certificate = db.session.get(Certificate, values["certificate_id"])
    certificates.revoke(certificate, "error", db.session.get(User, users["admin"].id))
    db.session.commit()
    after = _pack(client, MAGISTRATES)[1]
    assert any(values["serial"] in e["url"] for e in before["entries"])
    assert not any(values["serial"] in e["url"] for e in after["entries"]) and after["version"] != before["version"]


def test_an_archived_course_has_no_pack(client, db, courses, make_user):
    make_user(email="judge@example.org", profession="magistrate-judge")
    client.login("judge@example.org")
    assert _pack(client, MAGISTRATES)[0] == 200
    db.session.scalar(select(Course).where(Course.slug == MAGISTRATES)).is_archived = True
    db.session.commit()
    assert _pack(client, MAGISTRATES)[0] == 404


def test_the_locale_parameter_renders_one_response_and_changes_no_preference(client, db, courses, make_user):
    user = make_user(email="judge@example.org", profession="magistrate-judge", locale="ar")
    client.login("judge@example.org")
    page = client.get(f"/courses/{MAGISTRATES}?locale=fr").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr"' in page
    page = client.get(f"/courses/{MAGISTRATES}").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in page
    assert db.session.get(User, user.id).locale == "ar"
    assert '<html lang="ar"' in client.get(f"/courses/{MAGISTRATES}?locale=xx").get_data(as_text=True)
    client.logout()
    # signed out, the session's choice stays too
    client.post_form("/language", {"lang": "ar"})
    assert '<html lang="fr"' in client.get("/privacy?locale=fr").get_data(as_text=True)
    assert '<html lang="ar"' in client.get("/privacy").get_data(as_text=True)


def test_the_service_worker_is_served_for_the_whole_site(client, make_user):
    response = client.get("/offline/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.data == (STATIC / "sw.js").read_bytes()
    # registered from signed-in pages only: signed-out pages are unchanged
    signed_out = client.get("/privacy").get_data(as_text=True)
    assert "data-sw" not in signed_out and 'href="/offline"' not in signed_out
    make_user(email="judge@example.org")
    client.login("judge@example.org")
    page = client.get("/privacy").get_data(as_text=True)
    assert re.search(r'<html [^>]*data-sw="/offline/sw\.js\?v=[0-9a-f]{10}"', page)
    # the footer leads to what this device stores (signed in only: nothing is stored for a signed-out visitor)
    assert 'href="/offline"' in page


def test_the_offline_pages(client, make_user, courses):
    assert client.get("/offline").status_code == 302  # signed in only
    missing = client.get("/offline/missing").get_data(as_text=True)
    action = client.get("/offline/missing?kind=action").get_data(as_text=True)
    assert "not stored on this device" in missing and "nothing was sent" in action
    make_user(email="judge@example.org", profession="magistrate-judge")
    client.login("judge@example.org")
    page = client.get("/offline").get_data(as_text=True)
    assert "needs JavaScript" in page and "data-offline-list" in page and "offline.js" in page
    strings = json.loads(re.search(r"data-strings='([^']*)'", page).group(1))
    assert "{size}" in strings["available"] and "{n}" in strings["storing"]
    course = client.get(f"/courses/{MAGISTRATES}").get_data(as_text=True)
    block = re.search(r'<div class="offline-pack" data-offline-pack="([^"]+)"[^>]*hidden>', course)
    assert block and block.group(1) == f"/offline/courses/{MAGISTRATES}.json"
    assert "Make available offline" in course


def _fetch_pack(client, pack) -> dict:
    """Every entry and asset of ``pack`` fetched as the device does: {url: bytes}; each must answer 200."""
    sizes = {}
    for entry in pack["entries"]:
        response = client.get(entry["url"])
        assert response.status_code == 200, entry["url"]
        if entry["lang"]:
            html = response.get_data(as_text=True)
            assert f'<html lang="{entry["lang"]}"' in html, entry["url"]
        sizes[entry["url"]] = len(response.data)
    for asset in pack["assets"]:
        response = client.get(asset)
        assert response.status_code == 200, asset
        sizes[asset] = len(response.data)
        response.close()
    return sizes


@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_every_entry_of_a_pack_answers_in_its_language(client, db, courses, make_user, locale):
    users, values = two_cohort_world(db, make_user)
    db.session.get(User, users["learner"].id).locale = locale
    db.session.commit()
    client.login("learner@example.org")
    pack = _pack(client, MAGISTRATES)[1]
    assert pack["languages"][0] == locale and set(pack["languages"]) == {"fr", "ar"}
    sizes = _fetch_pack(client, pack)
    assert f"/certificates/{values['serial']}.pdf" in sizes


#: the budget of one course (a track) stored offline (issue #22)
PACK_BUDGET = 15 * 1024 * 1024


def test_each_shipped_course_fits_the_offline_budget(client, db, courses, make_user):
    users, values = two_cohort_world(db, make_user)
    # a certificate in the social workers' course too, so that each pack holds one
    cohort_b = db.session.scalar(select(Cohort).where(Cohort.title == "B"))
    certificates.issue(cohort_b, db.session.get(User, users["other_learner"].id), None, check=False)
    for role in ("learner", "other_learner"):
        db.session.get(User, users[role].id).locale = "fr"
    db.session.commit()
    slugs = sorted(db.session.scalars(select(Course.slug).where(Course.is_archived.is_(False))))
    assert slugs == [MAGISTRATES, WORKERS]
    measured = {}
    for slug, email in ((MAGISTRATES, "learner@example.org"), (WORKERS, "other@example.org")):
        client.login(email)
        pack = _pack(client, slug)[1]
        sizes = _fetch_pack(client, pack)
        client.logout()
        assert any(url.endswith(".pdf") for url in sizes), "each pack measured with a certificate in it"
        measured[slug] = (sum(sizes.values()), len(pack["entries"]), len(sizes))
    for slug, (total, entries, files) in measured.items():
        print(
            f"offline pack {slug}: {total} bytes ({total / 1e6:.2f} MB), {entries} entries, {files} files with assets"
        )
        assert total <= PACK_BUDGET, slug


SW_BUDGET = 10 * 1024


def test_the_service_worker_and_its_registration_fit_in_10_kb():
    script = (STATIC / "tadrib.js").read_text(encoding="utf-8")
    block = re.search(r"/\* sw:begin \*/.*?/\* sw:end \*/", script, re.S)
    assert block, "the registration lines sit between /* sw:begin */ and /* sw:end */ in tadrib.js"
    sw = (STATIC / "sw.js").read_bytes()
    total = len(sw) + len(block.group(0).encode())
    print(f"sw.js {len(sw)} bytes + registration {len(block.group(0).encode())} bytes = {total} bytes")
    assert total <= SW_BUDGET
