"""The documents of a workshop day: the sign-in sheet (hours and minutes, the trainer's choice of language), the
learner's next workshop and own calendar, the indicators PDF's column headers, the enrolment list templates."""

import io
import unicodedata
from datetime import datetime, timedelta

import pdfplumber
import pytest
from icalendar import Calendar
from sqlalchemy import select

from lms.accounts.models import User
from lms.accounts.service import jurisdictions
from lms.attendance.models import WorkshopSession
from lms.cohorts import service as cohorts
from tests.reports.pdfjob import programme_pdf

#: 08:00 UTC on a winter Tuesday is 09:00 in Casablanca (UTC+1)
NINE_AM = datetime(2027, 1, 12, 8, 0)


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text, Arabic presentation forms folded to letters, spaces removed (extraction spaces vary)."""
    with pdfplumber.open(io.BytesIO(data)) as document:
        return ["".join(unicodedata.normalize("NFKC", page.extract_text() or "").split()) for page in document.pages]


def has(text: str, words: str) -> bool:
    """``words`` in a page's text, in logical or visual (reversed) order of an Arabic line."""
    folded = "".join(words.split())
    return folded in text or folded[::-1] in text


@pytest.fixture
def trainer(make_user):
    return make_user(roles=("trainer",), email="trainer@example.org", name_latin="Youssef Trainer", locale="fr")


@pytest.fixture
def cohort(make_cohort, trainer):
    return make_cohort(
        trainer,
        title="Rabat 2027",
        jurisdiction="rabat",
        city="Rabat",
        venue="Institut supérieur de la magistrature",
        city_ar="الرباط",
        venue_ar="المعهد العالي للقضاء",
        language="ar",
    )


def _session(db, cohort, start, title="Atelier 1", hours=3.5, place=None):
    session = WorkshopSession(
        cohort_id=cohort.id,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        place=place,
        checkin_secret=f"{title}-{cohort.id}-".ljust(64, "s"),
        modules=[],
    )
    db.session.add(session)
    db.session.commit()
    return session


def _learner(make_user, db, cohort, email="judge@example.org", **fields):
    fields.setdefault("locale", "fr")
    user = make_user(email=email, profession="magistrate-judge", **fields)
    cohorts.enrol(cohort, db.session.get(User, user.id), None)
    db.session.commit()
    return user


# --- the sign-in sheet -----------------------------------------------------------------------------------------


def test_sign_in_sheet_prints_hours_and_minutes_without_a_zone_name(client, trainer, make_user, cohort, db):
    _learner(make_user, db, cohort)
    session = _session(db, cohort, NINE_AM)
    client.login("trainer@example.org")
    french = pdf_pages(client.get(f"/attendance/sessions/{session.id}/sheet.pdf?lang=fr").data)[0]
    assert has(french, "mardi 12 janvier 2027, de 09:00 à 12:30"), french
    arabic = pdf_pages(client.get(f"/attendance/sessions/{session.id}/sheet.pdf?lang=ar").data)[0]
    # "…، 12 يناير 2027، من 09:00 إلى 12:30" (extracted in logical or visual order: digits keep theirs)
    assert has(arabic, "يناير") and ("من09:00إلى12:30" in arabic or "12:30ىلإ09:00نم" in arabic), arabic
    for text in (french, arabic):
        assert "09:00:00" not in text and "12:30:00" not in text
        assert not has(text, "heure normale") and not has(text, "Europe") and not has(text, "توقيت")
        assert not has(text, "UTC") and not has(text, "GMT")


def test_trainer_chooses_the_sign_in_sheet_language(client, trainer, make_user, cohort, db):
    _learner(make_user, db, cohort, name_latin="Karim Idrissi", name_arabic="كريم الإدريسي")
    session = _session(db, cohort, NINE_AM)
    client.login("trainer@example.org")
    url = f"/attendance/sessions/{session.id}/sheet.pdf"
    default = pdf_pages(client.get(url).data)[0]  # the cohort's language: Arabic
    assert has(default, "ورقة التوقيع") and "Feuilled’émargement" not in default
    assert has(default, "المعهد العالي للقضاء")  # the place in Arabic script
    french = client.get(url + "?lang=fr")
    assert (
        "sign-in-sheet" in french.headers["Content-Disposition"] and "-fr.pdf" in french.headers["Content-Disposition"]
    )
    text = pdf_pages(french.data)[0]
    assert (
        "Feuilled’émargement" in text and not has(text, "ورقة التوقيع") and "Institutsupérieurdelamagistrature" in text
    )
    assert has(pdf_pages(client.get(url + "?lang=de").data)[0], "ورقة التوقيع")  # anything else: the cohort's
    # The attendance page (in French for this trainer) offers both, the cohort's language marked.
    page = client.get(f"/attendance/sessions/{session.id}").get_data(as_text=True)
    assert f'href="/attendance/sessions/{session.id}/sheet.pdf?lang=fr"' in page
    assert f'href="/attendance/sessions/{session.id}/sheet.pdf?lang=ar"' in page
    assert "Imprimer la feuille d’émargement (PDF)" in page and "(langue de la cohorte)" in page


# --- the learner's next workshop and calendar --------------------------------------------------------------------


def test_home_page_shows_the_next_workshop_in_the_pages_language(client, trainer, make_user, cohort, make_cohort, db):
    learner = _learner(make_user, db, cohort)
    now = datetime.utcnow()
    _session(db, cohort, now - timedelta(days=3), title="Atelier passé")
    nxt = _session(db, cohort, now + timedelta(days=2), title="Atelier 2 : les indicateurs")
    _session(db, cohort, now + timedelta(days=9), title="Atelier 3")
    elsewhere = make_cohort(trainer, title="Autre cohorte", city="Fès")
    _session(db, elsewhere, now + timedelta(days=1), title="Atelier d’une autre cohorte")
    client.login("judge@example.org")
    page = client.get("/courses/home").get_data(as_text=True)
    assert "Prochain atelier" in page and "Atelier 2 : les indicateurs" in page
    assert "Atelier passé" not in page and "Atelier 3" not in page and "autre cohorte" not in page
    from lms.i18n import format_date, format_time

    with client.application.test_request_context():
        day = format_date(nxt.starts_at, "full", locale="fr")
        hours = (
            f"de {format_time(nxt.starts_at, 'HH:mm', locale='fr')} à {format_time(nxt.ends_at, 'HH:mm', locale='fr')}"
        )
    assert day in page and hours in page
    assert "Institut supérieur de la magistrature, Rabat" in page
    assert 'href="/attendance/my-calendar.ics"' in page
    # In Arabic: the place in Arabic script.
    client.post_form("/language", {"lang": "ar", "next": "/courses/home"})
    arabic = client.get("/courses/home").get_data(as_text=True)
    assert (
        "الورشة المقبلة" in arabic and "المعهد العالي للقضاء، الرباط" in arabic and "Institut supérieur" not in arabic
    )
    assert db.session.get(User, learner.id).locale == "ar"


def test_home_page_without_a_workshop_to_come_has_no_block(client, trainer, make_user, cohort, db):
    _learner(make_user, db, cohort)
    _session(db, cohort, datetime.utcnow() - timedelta(days=3))
    client.login("judge@example.org")
    assert "data-next-workshop" not in client.get("/courses/home").get_data(as_text=True)


def test_workshop_under_way_says_so(client, trainer, make_user, cohort, db):
    _learner(make_user, db, cohort)
    # Begun up to 30 minutes ago, but today in Casablanca (begun before local midnight it is yesterday's workshop:
    # CI ran this at 00:20 local time).
    from zoneinfo import ZoneInfo

    local = datetime.now(ZoneInfo(client.application.config["BABEL_DEFAULT_TIMEZONE"]))
    since = min(30, local.hour * 60 + local.minute)
    _session(db, cohort, datetime.utcnow() - timedelta(minutes=since), title="Atelier du jour")
    client.login("judge@example.org")
    page = client.get("/courses/home").get_data(as_text=True)
    assert "Atelier en cours" in page and "Atelier du jour" in page and "Aujourd’hui" in page


def test_next_workshop_costs_one_query_whatever_the_cohorts_and_sessions(
    client, trainer, make_user, make_cohort, cohort, db, count_queries
):
    _learner(make_user, db, cohort)
    _session(db, cohort, datetime.utcnow() + timedelta(days=1))
    client.login("judge@example.org")
    client.get("/courses/home")
    with count_queries() as few:
        assert "data-next-workshop" in client.get("/courses/home").get_data(as_text=True)
    learner = db.session.scalar(select(User).where(User.email == "judge@example.org"))
    for n in range(4):
        other = make_cohort(trainer, title=f"Cohorte {n}")
        cohorts.enrol(other, learner, None)
        db.session.commit()
        for day in range(5):
            _session(db, other, datetime.utcnow() + timedelta(days=day + 2), title=f"S{n}-{day}")
    with count_queries() as many:
        assert "data-next-workshop" in client.get("/courses/home").get_data(as_text=True)
    assert many.count == few.count, (few.statements, many.statements)


def test_learner_calendar_has_only_their_own_sessions(client, trainer, make_user, make_cohort, cohort, db):
    _learner(make_user, db, cohort)
    second = make_cohort(trainer, title="Fès 2027", city="Fès", venue="Cour d'appel de Fès")
    cohorts.enrol(second, db.session.scalar(select(User).where(User.email == "judge@example.org")), None)
    db.session.commit()
    stranger_cohort = make_cohort(trainer, title="Tanger 2027")
    _learner(make_user, db, stranger_cohort, email="other@example.org")
    mine = [
        _session(db, cohort, NINE_AM, title="Atelier 1"),
        _session(db, cohort, NINE_AM + timedelta(days=7), title="Atelier 2", place="Salle 3"),
        _session(db, second, NINE_AM + timedelta(days=1), title="Fès, atelier unique"),
    ]
    _session(db, stranger_cohort, NINE_AM, title="Atelier de Tanger")
    client.login("judge@example.org")
    response = client.get("/attendance/my-calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    assert sorted(str(e["summary"]) for e in events) == sorted(s.title for s in mine)
    by_title = {str(e["summary"]): e for e in events}
    first = by_title["Atelier 1"]
    assert first.decoded("dtstart").replace(tzinfo=None) == NINE_AM
    assert first.decoded("dtend").replace(tzinfo=None) == NINE_AM + timedelta(hours=3.5)
    assert str(first["location"]) == "Institut supérieur de la magistrature, Rabat"
    assert str(by_title["Atelier 2"]["location"]) == "Salle 3"
    assert str(first["description"]) == "Rabat 2027"
    assert str(calendar["x-wr-calname"]) == "Tadrib — mes ateliers"
    # The same session keeps its UID in the trainer's cohort calendar.
    client.logout()
    client.login("trainer@example.org")
    trainer_calendar = Calendar.from_ical(client.get(f"/attendance/cohorts/{cohort.id}/calendar.ics").data)
    assert str(first["uid"]) in {str(e["uid"]) for e in trainer_calendar.walk("VEVENT")}
    # Another learner gets theirs only; nobody signed out gets any.
    client.logout()
    client.login("other@example.org")
    theirs = Calendar.from_ical(client.get("/attendance/my-calendar.ics").data).walk("VEVENT")
    assert [str(e["summary"]) for e in theirs] == ["Atelier de Tanger"]
    client.logout()
    assert client.get("/attendance/my-calendar.ics").status_code in (302, 401)


# --- the indicators PDF ------------------------------------------------------------------------------------------


def test_indicators_pdf_tables_have_column_headers_on_every_page(client, make_user, trainer, cohort, db):
    codes = [j["code"] for j in jurisdictions()]
    for index, code in enumerate(codes):
        _learner(
            make_user,
            db,
            cohort,
            email=f"p{index}@example.org",
            jurisdiction=code,
            gender=("female", "male")[index % 2],
        )
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    pages = pdf_pages(programme_pdf(client, **{"from": "2020-01-01", "to": "2030-12-31"}))
    french = [p for p in pages if "Inscrits" in p or "Courd'appel" in p]
    arabic = [p for p in pages if p not in french]
    assert french and arabic
    joined = "".join(french)
    for header in (
        "IndicateurValeur",
        "ProfessionInscritsFormésCertifiés",
        "JuridictionInscritsFormésCertifiés",
        "GenreInscritsFormésCertifiés",
    ):
        assert header in joined, header
    for word in ("المؤشر", "القيمة", "المهنة", "الدائرة القضائية", "الجنس", "المسجلون"):
        assert any(has(p, word) for p in arabic), word
    # Wherever the jurisdiction table runs onto a page, its header is at the top of it.
    for page in french:
        if "Courd'appel" in page:
            assert "InscritsFormésCertifiés" in page
    for page in arabic:
        if has(page, "محكمة الاستئناف"):
            assert has(page, "الدائرة القضائية") and has(page, "المسجلون")
    assert len(pages) > 2  # 22 jurisdictions: a table runs over a page break
