"""Real-browser journeys around the documents of a workshop day, in French (left to right) and Arabic (right to left):

- a learner sees their next workshop on their home page (day, hours, place in the page's script) and adds their
  workshops to their calendar (an .ics with their sessions only);
- a stranger types the certificate's serial number into /certificates/verify and is told to type the verification code;
- a trainer prints the sign-in sheet of an Arabic cohort in the language they choose.

Each step is photographed under tests/e2e/screenshots/<test>-<step>-<lang>.png.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime, timedelta

import pytest

from .conftest import LANGS, require_browser, sign_in, switch_language

require_browser()

from playwright.sync_api import expect  # noqa: E402

COURSE = "palermo-magistrates"
langs = pytest.mark.parametrize("lang", LANGS)

HEADINGS = {"fr": "Prochain atelier", "ar": "الورشة المقبلة"}
PLACES = {"fr": "Institut supérieur de la magistrature, Rabat", "ar": "المعهد العالي للقضاء، الرباط"}
HINTS = {
    "fr": "Ceci est le numéro de série de l’attestation. Tapez le code de vérification imprimé à côté",
    "ar": "هذا هو الرقم التسلسلي للشهادة. اكتب رمز التحقق المطبوع بجانبه",
}


def _cohort(live_server, trainer, learners, title: str, *, language="fr", sessions=()) -> tuple[int, list[int]]:
    """A cohort of the trainer's with its place in both scripts, the learners enrolled, and sessions
    (title, start in UTC, hours); returns (cohort id, session ids)."""
    from lms.accounts.models import User
    from lms.attendance.models import WorkshopSession
    from lms.cohorts import service as cohorts
    from lms.content.models import Course
    from lms.extensions import db

    with live_server.app.test_request_context():
        course = db.session.scalar(db.select(Course).where(Course.slug == COURSE))
        owner = db.session.get(User, trainer.id)
        cohort = cohorts.save_cohort(
            None,
            owner,
            course=course,
            trainers=[owner],
            title=title,
            mode="in_person",
            start_date=date.today() - timedelta(days=10),
            end_date=date.today() + timedelta(days=40),
            language=language,
            jurisdiction="rabat",
            city="Rabat",
            city_ar="الرباط",
            venue="Institut supérieur de la magistrature",
            venue_ar="المعهد العالي للقضاء",
        )
        for person in learners:
            cohorts.enrol(cohort, db.session.get(User, person.id), owner)
        ids = []
        for index, (session_title, start, hours) in enumerate(sessions):
            session = WorkshopSession(
                cohort_id=cohort.id,
                title=session_title,
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                checkin_secret=f"e2e-documents-{title}-{index}".ljust(64, "x")[:64],
                modules=[],
            )
            db.session.add(session)
            db.session.flush()
            ids.append(session.id)
        db.session.commit()
        result = cohort.id, ids
        db.session.remove()
    return result


def _folded(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def pdf_text(body: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(body)) as document:
        return _folded("".join(page.extract_text() or "" for page in document.pages))


def has(text: str, words: str) -> bool:
    folded = _folded(words)
    return folded in text or folded[::-1] in text


@langs
def test_learner_sees_the_next_workshop_and_adds_their_workshops_to_their_calendar(lang, page, live_server, shot):
    from icalendar import Calendar

    trainer = live_server.make_user("trainer", name_latin=f"Nadia Formatrice {lang.upper()}")
    learner = live_server.make_user("learner", profession="magistrate-judge", name_latin=f"Omar Learner {lang.upper()}")
    stranger = live_server.make_user("learner", profession="magistrate-judge")
    tomorrow_nine = datetime.combine(date.today() + timedelta(days=1), datetime.min.time()) + timedelta(hours=8)
    _cohort(
        live_server,
        trainer,
        [learner],
        f"Rabat — documents {lang}",
        sessions=[
            ("Atelier passé", tomorrow_nine - timedelta(days=8), 3),
            (f"Atelier 2 : les indicateurs {lang}", tomorrow_nine, 3.5),
            ("Atelier 3 : l’audition", tomorrow_nine + timedelta(days=7), 3),
        ],
    )
    _cohort(
        live_server,
        trainer,
        [stranger],
        f"Tanger — pas la sienne {lang}",
        sessions=[("Atelier d’ailleurs", tomorrow_nine, 2)],
    )

    sign_in(page, learner)
    switch_language(page, lang)
    page.goto("/courses/home")
    block = page.locator("main section[data-next-workshop]")
    expect(block).to_be_visible()
    expect(block.locator("h2")).to_have_text(HEADINGS[lang])
    expect(block).to_contain_text(f"Atelier 2 : les indicateurs {lang}")
    expect(block).not_to_contain_text("Atelier passé")
    expect(block).not_to_contain_text("Atelier d’ailleurs")
    expect(block.locator(".next-workshop-place")).to_have_text(PLACES[lang])
    when = block.locator(".next-workshop-when")
    expect(when).to_contain_text("de 09:00 à 12:30" if lang == "fr" else "من 09:00 إلى 12:30")
    expect(when).not_to_contain_text(":00:00")
    shot(page, "home-next-workshop")

    with page.expect_download() as info:
        block.locator('a[href="/attendance/my-calendar.ics"]').click()
    download = info.value
    assert download.failure() is None and download.suggested_filename.endswith(".ics")
    with open(download.path(), "rb") as handle:
        calendar = Calendar.from_ical(handle.read())
    titles = sorted(str(event["summary"]) for event in calendar.walk("VEVENT"))
    assert titles == sorted(["Atelier passé", f"Atelier 2 : les indicateurs {lang}", "Atelier 3 : l’audition"]), titles
    locations = {str(event["location"]) for event in calendar.walk("VEVENT")}
    assert locations == {PLACES[lang]}, locations


@langs
def test_stranger_types_the_serial_number_into_verify_and_is_told_which_number_to_type(
    lang, page, browser, live_server, shot
):
    from lms.accounts.models import User
    from lms.certificates import service as certificates
    from lms.cohorts.models import Cohort
    from lms.extensions import db

    trainer = live_server.make_user("trainer")
    learner = live_server.make_user(
        "learner", profession="magistrate-judge", name_latin=f"Hind Serial {lang.upper()}", name_arabic="هند"
    )
    cohort_id, _ids = _cohort(live_server, trainer, [learner], f"Rabat — vérification {lang}")
    with live_server.app.test_request_context("/", base_url=live_server.url):
        certificate, _created = certificates.issue(
            db.session.get(Cohort, cohort_id), db.session.get(User, learner.id), None, check=False
        )
        db.session.commit()
        serial, code = certificate.serial, certificate.code
        db.session.remove()

    page.goto("/certificates/verify")
    switch_language(page, lang)
    page.fill("#code", serial)
    shot(page, "serial-typed")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    result = page.locator("section.verify-result")
    expect(result.locator("[data-hint=serial-number]")).to_be_visible()
    expect(result.locator("[data-hint=serial-number]")).to_contain_text(HINTS[lang])
    shot(page, "serial-hint")

    # Then the verification code, printed next to it: the certificate is found.
    page.fill("#code", " ".join(code[i : i + 4] for i in range(0, 16, 4)).lower())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("section.verify-result.verify-valid")).to_be_visible()
    expect(page.locator("[data-hint=serial-number]")).to_have_count(0)
    shot(page, "code-valid")


@langs
def test_trainer_prints_the_sign_in_sheet_in_the_language_they_choose(lang, page, live_server, shot):
    trainer = live_server.make_user("trainer", name_latin=f"Karim Sheet {lang.upper()}")
    learner = live_server.make_user(
        "learner", profession="magistrate-judge", name_latin="Sanae Sheet", name_arabic="سناء"
    )
    start = datetime.combine(date.today() + timedelta(days=2), datetime.min.time()) + timedelta(hours=8)
    _cohort_id, (session_id,) = _cohort(
        live_server, trainer, [learner], f"Rabat — feuille {lang}", language="ar", sessions=[("Atelier 1", start, 4)]
    )
    sign_in(page, trainer)
    switch_language(page, lang)
    page.goto(f"/attendance/sessions/{session_id}")
    links = page.locator("main .sheet-links")
    expect(links.locator("a[data-sheet-lang]")).to_have_count(2)
    shot(page, "attendance-sheet-links")
    texts = {}
    for code in ("fr", "ar"):
        href = links.locator(f"a[data-sheet-lang={code}]").get_attribute("href")
        response = page.request.get(href)
        assert response.ok and response.headers["content-type"] == "application/pdf"
        texts[code] = pdf_text(response.body())
    assert has(texts["fr"], "Feuille d’émargement") and has(texts["fr"], "de 09:00 à 13:00")
    assert has(texts["ar"], "ورقة التوقيع") and not has(texts["ar"], "Feuille d’émargement")
    for text in texts.values():
        assert "09:00:00" not in text and not has(text, "heure normale") and not has(text, "توقيت")
