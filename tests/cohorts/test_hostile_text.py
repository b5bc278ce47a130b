"""Hostile text in names and titles: bidirectional controls are cleaned at input, and the calendar file is
written by the icalendar library (a CR in a title cannot add a VALARM)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from lms.accounts.models import User
from lms.attendance.models import WorkshopSession
from lms.cohorts.importing import parse_enrolment_file
from lms.cohorts.models import Cohort
from lms.content.models import Course
from lms.core.forms import BIDI_CONTROLS, clean_line

RLO = "\u202e"
SPOOFED = f"evil{RLO}Name gnp.exe"
HOSTILE_TITLES = [
    "Atelier\rBEGIN:VALARM\rTRIGGER:-PT5M\rACTION:DISPLAY\rEND:VALARM",
    "Atelier\nBEGIN:VALARM",
    "Atelier\r\nBEGIN:VALARM\r\nEND:VALARM",
    "BEGIN:VALARM",
    ("Atelier " + "très long titre, avec; des virgules " * 12)[:200],  # the column holds 200
    "ورشة العمل الأولى: التعرف على ضحايا الاتجار بالبشر",
    f"Atelier {RLO}exe.fdp\u2066x\u2069\u200f",
]


@pytest.fixture
def trainer(make_user):
    return make_user(roles=("trainer",), email="trainer@example.org", name_latin="Youssef Trainer")


@pytest.fixture
def cohort(make_cohort, trainer):
    return make_cohort(trainer, city="Rabat", venue="Institut supérieur de la magistrature", language="fr")


def _no_bidi(text: str) -> bool:
    return not any(ch in text for ch in BIDI_CONTROLS)


# --- bidirectional controls at input --------------------------------------------------------------------------


def test_clean_line_removes_bidi_controls_and_line_breaks():
    assert clean_line(SPOOFED) == "evilName gnp.exe"
    assert clean_line(" a\r\nb\u2028c\td\u200e ") == "a b c d"
    assert clean_line("سلمى العمراني") == "سلمى العمراني"
    assert clean_line(None) is None


def test_profile_form_cleans_a_spoofed_name(client, make_user, db):
    user = make_user(email="learner@example.org")
    client.login("learner@example.org")
    page = client.get("/account/profile").get_data(as_text=True)
    assert "profile" in page.lower()
    response = client.post_form(
        "/account/profile",
        {
            "name_latin": SPOOFED,
            "name_arabic": f"سلمى{RLO} العمراني",
            "locale": "en",
            "profession": "",
            "jurisdiction": "",
        },
    )
    assert response.status_code in (200, 302)
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert saved.name_latin == "evilName gnp.exe"
    assert saved.name_arabic == "سلمى العمراني"


def test_admin_user_form_cleans_a_spoofed_name(client, make_user, db):
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    response = client.post_form(
        "/account/users/new",
        {"email": "new@example.org", "name_latin": SPOOFED, "name_arabic": "", "locale": "fr", "role_learner": "y"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    created = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert created.name_latin == "evilName gnp.exe"


def test_cohort_and_session_forms_clean_bidi_controls(client, trainer, cohort, db):
    client.login("trainer@example.org")
    course = db.session.scalar(select(Course).where(Course.slug == "victim-identification"))
    response = client.post_form(
        "/cohorts/new",
        {
            "course": course.id,
            "title": f"Casablanca {RLO}2027",
            "start_date": "2027-02-01",
            "end_date": "2027-02-05",
            "mode": "in_person",
            "city": "\u202bCasablanca\u202c",
            "venue": "Tribunal\u2067 de première instance\u2069",
            "language": "fr",
        },
    )
    assert response.status_code == 302
    created = db.session.scalar(select(Cohort).where(Cohort.title.like("Casablanca%")))
    assert (created.title, created.city, created.venue) == (
        "Casablanca 2027",
        "Casablanca",
        "Tribunal de première instance",
    )
    response = client.post_form(
        f"/attendance/cohorts/{cohort.id}/sessions/new",
        {
            "title": "Atelier\r\nBEGIN:VALARM" + RLO,
            "day": "2027-01-12",
            "start": "09:00",
            "end": "12:00",
            "place": f"Salle{RLO} 2",
            "late_after_minutes": "15",
        },
    )
    assert response.status_code == 302
    session = db.session.scalar(select(WorkshopSession).where(WorkshopSession.cohort_id == cohort.id))
    assert (session.title, session.place) == ("Atelier BEGIN:VALARM", "Salle 2")


def test_import_rows_are_cleaned_of_bidi_controls():
    data = (
        "email,name_latin,name_arabic\n"
        f"a@example.org,{SPOOFED},سلمى{RLO} العمراني\u200f\n"
        f"b@example.org,\u2066Karim\u2069 Idrissi,\n"
    ).encode()
    rows = parse_enrolment_file("people.csv", data, [])
    assert [(r.name_latin, r.name_arabic) for r in rows] == [
        ("evilName gnp.exe", "سلمى العمراني"),
        ("Karim Idrissi", ""),
    ]
    assert all(not r.errors for r in rows)


def test_attendance_note_is_cleaned(client, trainer, make_user, cohort, db):
    from lms.attendance import service as attendance_service
    from lms.cohorts import service

    learner = make_user(email="judge@example.org")
    service.enrol(cohort, db.session.get(User, learner.id), None)
    session = WorkshopSession(
        cohort_id=cohort.id,
        title="Atelier",
        starts_at=datetime.utcnow() - timedelta(hours=1),
        ends_at=datetime.utcnow() + timedelta(hours=1),
        checkin_secret="s" * 64,
        modules=[],
    )
    db.session.add(session)
    db.session.commit()
    attendance_service.record_attendance(session, learner.id, "excused", None, note=f"malade{RLO}\r\nBEGIN:VALARM")
    db.session.commit()
    from lms.attendance.models import Attendance

    assert db.session.scalar(select(Attendance.note)) == "malade BEGIN:VALARM"


# --- calendar --------------------------------------------------------------------------------------------


def test_calendar_with_hostile_titles_has_one_event_per_session_and_no_alarm(client, trainer, cohort, db):
    start = datetime(2027, 1, 12, 8, 0)
    for index, title in enumerate(HOSTILE_TITLES):
        db.session.add(
            WorkshopSession(
                cohort_id=cohort.id,
                title=title,
                place="Salle\rBEGIN:VALARM" if index == 0 else None,
                starts_at=start + timedelta(days=index),
                ends_at=start + timedelta(days=index, hours=3),
                checkin_secret=f"{index:02d}" * 32,
                modules=[],
            )
        )
    cohort_row = db.session.get(Cohort, cohort.id)
    cohort_row.title = "Rabat\r\nBEGIN:VEVENT"
    db.session.commit()
    client.login("trainer@example.org")
    response = client.get(f"/attendance/cohorts/{cohort.id}/calendar.ics")
    assert response.mimetype == "text/calendar"
    body = response.data
    lines = body.split(b"\r\n")
    assert lines[-1] == b"" and b"\r" not in b"".join(lines) and b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 75  # folded at 75 octets (RFC 5545, 3.1)
    assert b"BEGIN:VALARM" not in [line.strip() for line in lines]
    parsed = Calendar.from_ical(body)
    events = parsed.walk("VEVENT")
    assert len(events) == len(HOSTILE_TITLES)
    assert parsed.walk("VALARM") == []
    assert sum(1 for line in lines if line == b"BEGIN:VEVENT") == len(HOSTILE_TITLES)
    summaries = [str(event["SUMMARY"]) for event in sorted(events, key=lambda e: e["DTSTART"].dt)]
    assert summaries[0] == "Atelier BEGIN:VALARM TRIGGER:-PT5M ACTION:DISPLAY END:VALARM"
    assert summaries[4] == clean_line(HOSTILE_TITLES[4])
    assert summaries[5] == HOSTILE_TITLES[5]
    assert all(_no_bidi(s) and "\r" not in s and "\n" not in s for s in summaries)
    assert str(parsed["X-WR-CALNAME"]) == "Rabat BEGIN:VEVENT"
    assert events[0]["DTSTART"].dt == datetime(2027, 1, 12, 8, 0, tzinfo=events[0]["DTSTART"].dt.tzinfo)
    assert events[0]["DTSTART"].to_ical() == b"20270112T080000Z"


def test_pages_isolate_names_stored_before_the_cleaning(client, make_user, trainer, cohort, db):
    """A name stored with an override (before the inputs cleaned it) is shown in a <bdi>: the override ends
    with the name instead of reversing what follows it."""
    from lms.cohorts import service

    make_user(roles=("admin",), email="admin@example.org")
    learner = make_user(email="judge@example.org")
    row = db.session.get(User, learner.id)
    row.name_latin = SPOOFED
    service.enrol(cohort, row, None)
    db.session.commit()
    client.login("admin@example.org")
    for url in ("/account/users", f"/cohorts/{cohort.id}", f"/reports/cohorts/{cohort.id}"):
        page = client.get(url).get_data(as_text=True)
        assert f"<bdi>{SPOOFED}</bdi>" in page, url
