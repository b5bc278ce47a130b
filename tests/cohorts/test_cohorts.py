"""Cohorts: creation, import of messy spreadsheets, sessions, attendance, check-in, reports, isolation."""

import io
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.cohorts import checkin, service
from lms.cohorts.importing import neutralize_cell, parse_enrolment_file
from lms.cohorts.models import Attendance, Cohort, Enrolment, WorkshopSession
from lms.content.models import Course
from tests.conftest import outbox

DATA = Path(__file__).parent / "data"
JURISDICTIONS = [
    {"code": "fes", "fr": "Cour d'appel de Fès", "ar": "محكمة الاستئناف بفاس"},
    {"code": "rabat", "fr": "Cour d'appel de Rabat", "ar": "محكمة الاستئناف بالرباط"},
    {"code": "casablanca", "fr": "Cour d'appel de Casablanca", "ar": "محكمة الاستئناف بالدار البيضاء"},
]


@pytest.fixture
def trainer(make_user):
    return make_user(roles=("trainer",), email="trainer@example.org", name_latin="Youssef Trainer")


@pytest.fixture
def cohort(make_cohort, trainer):
    return make_cohort(
        trainer, jurisdiction="rabat", city="Rabat", venue="Institut supérieur de la magistrature", language="ar"
    )


def _learner(make_user, db, cohort, email="judge@example.org", **fields):
    user = make_user(email=email, profession="magistrate-judge", **fields)
    service.enrol(cohort, db.session.get(User, user.id), None)
    db.session.commit()
    return user


def _session(db, cohort, starts_in=timedelta(minutes=5), length=timedelta(hours=3)):
    now = datetime.utcnow()
    start = now + starts_in
    session = WorkshopSession(
        cohort_id=cohort.id,
        title="Atelier 1",
        starts_at=start,
        ends_at=start + length,
        checkin_secret="s" * 64,
        is_checkin_open=True,
        late_after_minutes=15,
        modules=[],
    )
    db.session.add(session)
    db.session.commit()
    return session


# --- import -------------------------------------------------------------------------------------


def test_messy_csv_is_understood():
    rows = parse_enrolment_file("messy.csv", (DATA / "messy.csv").read_bytes(), JURISDICTIONS)
    by_line = {r.line: r for r in rows}
    karim = by_line[2]
    assert karim.email == "karim.idrissi@example.org" and karim.name_latin == "Karim Idrissi"
    assert karim.name_arabic == "كريم الإدريسي" and karim.profession == "magistrate-judge"
    assert karim.jurisdiction == "fes" and karim.gender == "male" and not karim.errors
    assert by_line[3].profession == "magistrate-prosecutor" and by_line[3].gender == "female"
    assert by_line[4].errors == ["email"]
    assert by_line[6].errors == ["name_latin"] and by_line[6].profession == "social-worker"
    # Unknown optional values: the row is kept, the fields empty, each flagged with what was written.
    assert not by_line[7].errors and (by_line[7].profession, by_line[7].jurisdiction, by_line[7].gender) == (
        None,
        None,
        None,
    )
    assert by_line[7].warnings == [
        ("profession", "unknown", "astronaute"),
        ("jurisdiction", "unknown", "Atlantis"),
        ("gender", "unknown", "x"),
    ]
    assert 8 not in by_line  # an empty row is skipped
    assert len(rows) == 7 and by_line[9].email == "=cmd|calc@example.org"


def test_utf16_excel_unicode_text():
    data = "E-mail\tNom\tالاسم\nomar@example.org\tOmar\tعمر\n".encode("utf-16")
    rows = parse_enrolment_file("unicode.txt", data, JURISDICTIONS)
    assert rows[0].email == "omar@example.org" and rows[0].name_arabic == "عمر"


def test_comma_csv_and_xlsx(tmp_path):
    rows = parse_enrolment_file("comma.csv", (DATA / "comma.csv").read_bytes(), JURISDICTIONS)
    assert rows[0].name_arabic == "عمر الفاسي" and rows[0].profession == "magistrate-judge"
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Courriel", "Nom", "الاسم", "المهنة"])
    book.active.append(["Nadia@Example.org", "Nadia B", "نادية", "مساعدة اجتماعية"])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = parse_enrolment_file("list.xlsx", buffer.getvalue(), JURISDICTIONS)
    assert rows[0].email == "nadia@example.org" and rows[0].profession == "social-worker"


@pytest.mark.parametrize(
    "content,key",
    [
        (b"", "empty"),
        (b"email,name\nx@example.org,Andr\xe9\n", "encoding"),
        (b"foo;bar\n1;2\n", "header"),
        (b"PK\x03\x04garbage", "xlsx"),
    ],
)
def test_unreadable_files_raise_clear_errors(content, key):
    from lms.cohorts.importing import ImportFileError

    with pytest.raises(ImportFileError) as error:
        parse_enrolment_file("x.csv", content, JURISDICTIONS)
    assert error.value.args[0] == key


def test_import_preview_writes_nothing_then_confirm_then_reimport_is_noop(app, client, trainer, cohort, db):
    client.login("trainer@example.org")
    users_before = db.session.scalar(select(func.count(User.id)))
    preview = client.post_form(
        f"/cohorts/{cohort.id}/import",
        {"file": (io.BytesIO((DATA / "messy.csv").read_bytes()), "messy.csv")},
        content_type="multipart/form-data",
    )
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "invalid e-mail address" in html and "duplicate of line 2" in html
    assert "كريم الإدريسي" in html
    assert db.session.scalar(select(func.count(User.id))) == users_before
    assert db.session.scalar(select(func.count(Enrolment.id))) == 0
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    done = client.post_form(f"/cohorts/{cohort.id}/import/confirm", {"token": token})
    assert done.status_code == 302
    enrolled = db.session.scalars(select(User.email).join(Enrolment, Enrolment.user_id == User.id)).all()
    # "=cmd|calc@example.org" is a valid address: accepted, and neutralised in every export.
    assert sorted(enrolled) == [
        "=cmd|calc@example.org",
        "fatima@example.org",
        "houda@example.org",  # kept: her unknown profession, jurisdiction and gender are left empty
        "karim.idrissi@example.org",
    ]
    assert len(outbox(app)) == 4  # invitations
    # Re-import: nothing changes.
    again = client.post_form(
        f"/cohorts/{cohort.id}/import",
        {"file": (io.BytesIO((DATA / "messy.csv").read_bytes()), "messy.csv")},
        content_type="multipart/form-data",
    )
    assert "Nothing to import" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Enrolment.id))) == 4


def test_bad_upload_gets_a_clear_message(client, trainer, cohort):
    client.login("trainer@example.org")
    response = client.post_form(
        f"/cohorts/{cohort.id}/import",
        {"file": (io.BytesIO(b"\x00\x01binary"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "not a spreadsheet" in response.get_data(as_text=True)


# --- isolation ---------------------------------------------------------------------------------------


def test_trainer_sees_only_own_cohorts(client, make_user, cohort, db):
    make_user(roles=("trainer",), email="other@example.org")
    client.login("other@example.org")
    assert "Rabat 2027" not in client.get("/trainer").get_data(as_text=True)
    session = _session(db, cohort)
    for url in (
        f"/cohorts/{cohort.id}",
        f"/cohorts/{cohort.id}/edit",
        f"/cohorts/{cohort.id}/import",
        f"/cohorts/{cohort.id}/attendance.csv",
        f"/cohorts/{cohort.id}/calendar.ics",
        f"/sessions/{session.id}/attendance",
        f"/sessions/{session.id}/checkin-screen",
        f"/sessions/{session.id}/sheet.pdf",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post_form(f"/sessions/{session.id}/attendance/all-present").status_code == 403


def test_learner_cannot_reach_trainer_pages(client, make_user, cohort, db):
    _learner(make_user, db, cohort)
    client.login("judge@example.org")
    assert client.get("/trainer").status_code == 403
    assert client.get(f"/cohorts/{cohort.id}").status_code == 403


def test_admin_sees_every_cohort(client, make_user, cohort):
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    assert "Rabat 2027" in client.get("/trainer").get_data(as_text=True)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200


def test_create_cohort_through_the_form(client, trainer, courses, db):
    client.login("trainer@example.org")
    course = db.session.scalar(select(Course).where(Course.slug == "victim-identification"))
    response = client.post_form(
        "/cohorts/new",
        {
            "course": course.id,
            "title": "Casablanca — assistantes sociales",
            "start_date": "2027-02-01",
            "end_date": "2027-02-05",
            "mode": "in_person",
            "jurisdiction": "casablanca",
            "city": "Casablanca",
            "venue": "",
            "language": "fr",
            "require_modules": "y",
            "attendance_percent": "75",
        },
    )
    assert response.status_code == 302
    cohort = db.session.scalar(select(Cohort).where(Cohort.title.like("Casablanca%")))
    assert [t.email for t in cohort.trainers] == ["trainer@example.org"]
    assert cohort.completion == {"modules": "all", "quizzes_passed": 0, "attendance_percent": 75, "auto_issue": False}
    bad = client.post_form(
        "/cohorts/new",
        {
            "course": course.id,
            "title": "x",
            "start_date": "2027-02-05",
            "end_date": "2027-02-01",
            "mode": "online",
            "language": "fr",
        },
    )
    assert bad.status_code == 200 and "end date is before" in bad.get_data(as_text=True)


def test_enrolled_learner_opens_the_course_outside_their_profession(client, make_user, cohort, db):
    user = make_user(email="sw@example.org", profession="social-worker")
    client.login("sw@example.org")
    assert client.get("/courses/palermo-magistrates").status_code == 403
    service.enrol(cohort, db.session.get(User, user.id), None)
    db.session.commit()
    assert client.get("/courses/palermo-magistrates").status_code == 200


# --- sessions and attendance ---------------------------------------------------------------------------


def test_schedule_session_in_casablanca_time(client, trainer, cohort, db):
    client.login("trainer@example.org")
    response = client.post_form(
        f"/cohorts/{cohort.id}/sessions/new",
        {
            "title": "Atelier 1",
            "day": "2027-01-12",
            "start": "09:00",
            "end": "12:30",
            "place": "Salle A",
            "modules": ["definition"],
            "late_after_minutes": "10",
        },
    )
    assert response.status_code == 302
    session = db.session.scalar(select(WorkshopSession))
    # 09:00 in Casablanca (UTC+1 in January) is 08:00 UTC.
    assert session.starts_at == datetime(2027, 1, 12, 8, 0) and session.modules == ["definition"]
    ics = client.get(f"/cohorts/{cohort.id}/calendar.ics")
    assert ics.mimetype == "text/calendar" and "DTSTART:20270112T080000Z" in ics.get_data(as_text=True)
    # And it is shown as 09:00 again (pytz put Casablanca at UTC+0 and showed 08:00: lms.core.timeutil.Zone).
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert re.search(r"9:00\sAM – 12:30\sPM", page) and not re.search(r"8:00\sAM", page)


def test_dates_are_shown_in_casablanca_time_outside_and_during_ramadan(app):
    from datetime import datetime

    from flask_babel import format_datetime, to_user_timezone

    with app.test_request_context("/"):
        assert format_datetime(datetime(2026, 11, 29, 8, 30), "HH:mm") == "09:30"  # UTC+1
        assert format_datetime(datetime(2027, 2, 20, 8, 30), "HH:mm") == "08:30"  # Ramadan 2027: UTC+0
        assert to_user_timezone(datetime(2026, 11, 29, 8, 30)).hour == 9


def test_take_attendance_is_audited(client, trainer, make_user, cohort, db):
    learner = _learner(make_user, db, cohort)
    other = _learner(make_user, db, cohort, email="p2@example.org")
    session = _session(db, cohort, starts_in=timedelta(hours=-1))
    client.login("trainer@example.org")
    page = client.get(f"/sessions/{session.id}/attendance").get_data(as_text=True)
    assert "status-present" in page
    client.post_form(
        f"/sessions/{session.id}/attendance", {f"status-{learner.id}": "late", f"note-{learner.id}": "train en retard"}
    )
    tap = client.post_form(f"/sessions/{session.id}/attendance/{learner.id}", {"status": "present"})
    assert tap.get_json()["ok"]
    client.post_form(f"/sessions/{session.id}/attendance/all-present")
    marks = {a.user_id: a for a in db.session.scalars(select(Attendance))}
    assert marks[learner.id].status == "present" and marks[other.id].status == "present"
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "attendance.mark").order_by(AuditEvent.id)
    ).all()
    assert [e.after["status"] for e in events] == ["late", "present", "present"]
    assert events[1].before == {"status": "late", "note": "train en retard"}
    assert all(e.actor_id == trainer.id for e in events)
    # A status for someone not enrolled is refused.
    outsider = make_user(email="outsider@example.org")
    assert (
        client.post_form(f"/sessions/{session.id}/attendance/{outsider.id}", {"status": "present"}).status_code == 400
    )


def test_paper_back_entry_marked_as_paper(client, trainer, make_user, cohort, db):
    learner = _learner(make_user, db, cohort)
    session = _session(db, cohort, starts_in=timedelta(days=-2))
    client.login("trainer@example.org")
    client.post_form(f"/sessions/{session.id}/attendance?paper=1", {"paper": "1", f"status-{learner.id}": "present"})
    mark = db.session.scalar(select(Attendance))
    assert mark.method == "paper"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attendance.mark")).channel == "paper"


def test_attendance_report_and_exports(client, trainer, make_user, cohort, db):
    learner = _learner(make_user, db, cohort, name_latin='=HYPERLINK("evil")', name_arabic="مريم")
    s1 = _session(db, cohort, starts_in=timedelta(days=-3))
    s2 = _session(db, cohort, starts_in=timedelta(days=-2))
    _session(db, cohort, starts_in=timedelta(days=5))  # future: not counted
    actor = db.session.get(User, trainer.id)
    service.record_attendance(s1, learner.id, "present", actor)
    service.record_attendance(s2, learner.id, "absent", actor)
    db.session.commit()
    _sessions, rows, _info = service.attendance_report(cohort)
    assert rows[0].percent == 50.0 and rows[0].below
    client.login("trainer@example.org")
    csv_bytes = client.get(f"/cohorts/{cohort.id}/attendance.csv").data
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    text = csv_bytes.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "مريم" in text and "50.0" in text
    xlsx = client.get(f"/cohorts/{cohort.id}/attendance.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [c.value for c in sheet[2]]
    assert values[0].startswith("'=") and "مريم" in values
    detail = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "50%" in detail and "can no longer reach 80%: 1 of 2 sessions attended, 1 left" in detail


def test_neutralize_cell():
    for value in ["=1+1", "+1", "-1", "@SUM(A1)"]:
        assert neutralize_cell(value).startswith("'")
    assert neutralize_cell("Karim") == "Karim" and neutralize_cell(5) == 5


def test_sign_in_sheet_pdf_has_arabic_names(client, trainer, make_user, cohort, db):
    _learner(make_user, db, cohort, name_latin="Karim Idrissi", name_arabic="كريم الإدريسي")
    session = _session(db, cohort)
    client.login("trainer@example.org")
    response = client.get(f"/sessions/{session.id}/sheet.pdf")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True
        ).stdout.decode()
        assert "Karim Idrissi" in text
        assert "كريم" in text or "ﻛﺮﻳﻢ" in text  # logical or presentation forms, depending on poppler


# --- check-in ------------------------------------------------------------------------------------------------


def test_checkin_code_is_derived_and_rotates():
    moment = datetime(2027, 1, 12, 9, 0, 30)
    code = checkin.current_code("secret", moment)
    assert len(code) == 5 and set(code) <= set(checkin.ALPHABET)
    assert checkin.current_code("secret", moment) == code
    assert checkin.is_valid("secret", code.lower(), moment)
    assert checkin.is_valid("secret", f"{code[:2]} {code[2:]}", moment)
    later = moment + timedelta(seconds=60)
    assert checkin.current_code("secret", later) != code
    assert checkin.is_valid("secret", code, later.replace(second=10))  # previous window, a few seconds after
    assert not checkin.is_valid("secret", code, later.replace(second=50))
    assert not checkin.is_valid("other", code, moment)


def test_self_checkin_in_window_once(client, make_user, cohort, db):
    learner = _learner(make_user, db, cohort)
    session = _session(db, cohort, starts_in=timedelta(minutes=-5))
    client.login("judge@example.org")
    code = checkin.current_code(session.checkin_secret, datetime.utcnow())
    response = client.post_form("/checkin", {"code": code})
    assert response.status_code == 302
    mark = db.session.scalar(select(Attendance).where(Attendance.user_id == learner.id))
    assert mark.status == "present" and mark.method == "checkin"
    twice = client.post_form("/checkin", {"code": checkin.current_code(session.checkin_secret, datetime.utcnow())})
    assert "already checked in" in twice.get_data(as_text=True)


def test_checkin_late_after_grace(client, make_user, cohort, db):
    learner = _learner(make_user, db, cohort)
    session = _session(db, cohort, starts_in=timedelta(minutes=-40))
    client.login("judge@example.org")
    client.post_form("/checkin", {"code": checkin.current_code(session.checkin_secret, datetime.utcnow())})
    assert db.session.scalar(select(Attendance.status).where(Attendance.user_id == learner.id)) == "late"


def test_checkin_refused_outside_window_for_strangers_and_when_closed(client, make_user, cohort, db):
    _learner(make_user, db, cohort)
    early = _session(db, cohort, starts_in=timedelta(hours=2))
    client.login("judge@example.org")
    refused = client.post_form("/checkin", {"code": checkin.current_code(early.checkin_secret, datetime.utcnow())})
    assert "not valid now" in refused.get_data(as_text=True)
    over = _session(db, cohort, starts_in=timedelta(hours=-5), length=timedelta(hours=2))
    assert "not valid now" in client.post_form(
        "/checkin", {"code": checkin.current_code(over.checkin_secret, datetime.utcnow())}
    ).get_data(as_text=True)
    now_session = _session(db, cohort, starts_in=timedelta(minutes=-1))
    now_session.is_checkin_open = False
    db.session.commit()
    assert "not valid now" in client.post_form(
        "/checkin", {"code": checkin.current_code(now_session.checkin_secret, datetime.utcnow())}
    ).get_data(as_text=True)
    client.logout()
    make_user(email="stranger@example.org", profession="magistrate-judge")
    client.login("stranger@example.org")
    now_session.is_checkin_open = True
    db.session.commit()
    stranger = client.post_form(
        "/checkin", {"code": checkin.current_code(now_session.checkin_secret, datetime.utcnow())}
    )
    assert "not valid now" in stranger.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_checkin_is_rate_limited(client, make_user, cohort, db):
    _learner(make_user, db, cohort)
    _session(db, cohort)
    client.login("judge@example.org")
    statuses = [client.post_form("/checkin", {"code": "AAAAA"}).status_code for _ in range(12)]
    assert statuses[-1] == 429


def test_checkin_screen_shows_code_and_qr(client, trainer, cohort, db):
    session = _session(db, cohort)
    client.login("trainer@example.org")
    page = client.get(f"/sessions/{session.id}/checkin-screen").get_data(as_text=True)
    code = checkin.current_code(session.checkin_secret, datetime.utcnow())
    assert code in page and "<svg" in page and 'data-reload-after="' in page


def test_projector_view_shows_code_qr_both_languages_and_count_only(client, trainer, make_user, cohort, db):
    learner = _learner(make_user, db, cohort)
    session = _session(db, cohort, starts_in=timedelta(minutes=-5))
    service.record_attendance(session, learner.id, "present", None, method="checkin")
    db.session.commit()
    client.login("trainer@example.org")
    normal = client.get(f"/sessions/{session.id}/checkin-screen").get_data(as_text=True)
    assert "mode=projector" in normal and "1 of 1 checked in" in normal
    page = client.get(f"/sessions/{session.id}/checkin-screen?mode=projector").get_data(as_text=True)
    code = checkin.current_code(session.checkin_secret, datetime.utcnow())
    assert code in page and "<svg" in page
    assert "tapez ce code" in page and "اكتب هذا الرمز" in page  # the instruction in French and Arabic
    assert "1 sur 1" in page and "site-header" not in page and "Close check-in" not in page


def test_qr_link_prefills_but_does_not_write(client, make_user, cohort, db):
    _learner(make_user, db, cohort)
    session = _session(db, cohort)
    client.login("judge@example.org")
    page = client.get(f"/checkin?code=ABCDE&s={session.id}").get_data(as_text=True)
    assert 'value="ABCDE"' in page
    assert db.session.scalar(select(func.count(Attendance.id))) == 0


def _scan_token(app, session_id, code, scanned_at):
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(app.secret_key, salt="tadrib-checkin-scan").dumps(
        {"s": session_id, "c": code, "t": int(scanned_at.replace(tzinfo=UTC).timestamp())}
    )


def test_qr_scanned_before_sign_in_is_honoured_after_sign_in(app, client, make_user, cohort, db):
    """A learner scans the QR, is sent to sign in, types a password for 45 s (the code changed meanwhile): the
    scanned code still checks them in, for that session, once."""
    learner = _learner(make_user, db, cohort)
    session = _session(db, cohort, starts_in=timedelta(minutes=-5))
    code = checkin.current_code(session.checkin_secret, datetime.utcnow())
    response = client.get(f"/checkin?code={code}&s={session.id}")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert "/login?next=" in login_url and "scan" in login_url
    assert db.session.scalar(select(func.count(Attendance.id))) == 0  # scanning alone writes nothing
    from urllib.parse import parse_qs, urlsplit

    next_url = parse_qs(urlsplit(login_url).query)["next"][0]
    signed = client.post_form(login_url, {"email": "judge@example.org", "password": "correct horse battery"})
    assert signed.headers["Location"] == next_url
    # 45 seconds of typing later the screen shows another code: the scan made 45 s ago is what counts.
    scanned = datetime.utcnow() - timedelta(seconds=100)
    old_code = checkin.current_code(session.checkin_secret, scanned)
    token = _scan_token(app, session.id, old_code, scanned)
    page = client.get(f"/checkin?scan={token}").get_data(as_text=True)
    assert f'value="{old_code}"' in page and "kept for you until" in page
    done = client.post_form("/checkin", {"code": old_code, "session": str(session.id), "scan": token})
    assert done.status_code == 302
    mark = db.session.scalar(select(Attendance).where(Attendance.user_id == learner.id))
    assert mark.status == "present" and mark.method == "checkin"
    again = client.post_form("/checkin", {"code": old_code, "session": str(session.id), "scan": token})
    assert "already checked in" in again.get_data(as_text=True)


def test_scan_pass_is_bounded_in_time_session_and_code(app, client, make_user, cohort, db):
    _learner(make_user, db, cohort)
    session = _session(db, cohort, starts_in=timedelta(minutes=-5))
    other = _session(db, cohort, starts_in=timedelta(minutes=-3))
    client.login("judge@example.org")
    # Older than the pass lasts: refused, and the learner is told so.
    stale = datetime.utcnow() - timedelta(minutes=6)
    stale_code = checkin.current_code(session.checkin_secret, stale)
    token = _scan_token(app, session.id, stale_code, stale)
    refused = client.post_form("/checkin", {"code": stale_code, "session": str(session.id), "scan": token})
    assert "expired" in refused.get_data(as_text=True)
    # A pass for one session does not check in to another one, nor with another code.
    scanned = datetime.utcnow() - timedelta(seconds=90)
    code = checkin.current_code(session.checkin_secret, scanned)
    token = _scan_token(app, session.id, code, scanned)
    wrong = client.post_form("/checkin", {"code": code, "session": str(other.id), "scan": token})
    assert "valid" in wrong.get_data(as_text=True)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert "expired" in client.post_form(
        "/checkin", {"code": code, "session": str(session.id), "scan": forged}
    ).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_expired_code_says_so_and_what_to_do(client, make_user, cohort, db):
    _learner(make_user, db, cohort)
    session = _session(db, cohort, starts_in=timedelta(minutes=-5))
    old = checkin.current_code(session.checkin_secret, datetime.utcnow() - timedelta(minutes=3))
    # Not signed in: a scan of an old QR says it expired, then asks to sign in.
    response = client.get(f"/checkin?code={old}&s={session.id}")
    assert response.status_code == 302 and "scan" not in response.headers["Location"]
    client.login("judge@example.org")
    typed = client.post_form("/checkin", {"code": old}).get_data(as_text=True)
    assert "expired" in typed and "changes every minute" in typed
    assert "not valid now" in client.post_form("/checkin", {"code": "ZZZZZ"}).get_data(as_text=True)


def test_checkin_page_sends_strangers_to_sign_in(client):
    response = client.get("/checkin")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/checkin", data={"code": "ABCDE"}).status_code in (302, 400)


def test_walk_in_added_and_merged_keeping_attendance(client, trainer, make_user, cohort, db):
    session = _session(db, cohort, starts_in=timedelta(hours=-1))
    client.login("trainer@example.org")
    client.post_form(
        f"/cohorts/{cohort.id}/walk-in", {"walkin-name_latin": "Rachid Sans Compte", "walkin-profession": "clerk"}
    )
    walk_in = db.session.scalar(select(User).where(User.name_latin == "Rachid Sans Compte"))
    assert walk_in.email.endswith("@walk-in.invalid")
    client.post_form(f"/sessions/{session.id}/attendance/{walk_in.id}", {"status": "present"})
    real = make_user(email="rachid@example.org")
    service.merge_walk_in(
        db.session.get(User, walk_in.id), db.session.get(User, real.id), db.session.get(User, trainer.id)
    )
    db.session.commit()
    mark = db.session.scalar(select(Attendance))
    assert mark.user_id == real.id and mark.status == "present"
    assert db.session.scalar(select(Enrolment.user_id)) == real.id


def test_attendance_pages_in_arabic(client, trainer, make_user, cohort, db):
    _learner(make_user, db, cohort, name_arabic="كريم")
    session = _session(db, cohort)
    client.login("trainer@example.org")
    client.post_form("/language", {"lang": "ar"})
    for url in (
        f"/cohorts/{cohort.id}",
        f"/sessions/{session.id}/attendance",
        f"/sessions/{session.id}/checkin-screen",
        f"/cohorts/{cohort.id}/import",
        f"/cohorts/{cohort.id}/sessions/new",
        "/trainer",
        "/cohorts/new",
    ):
        response = client.get(url)
        assert response.status_code == 200 and 'dir="rtl"' in response.get_data(as_text=True), url


def test_admin_merges_a_walk_in_through_the_page(client, trainer, make_user, cohort, db):
    session = _session(db, cohort, starts_in=timedelta(hours=-1))
    walk_in = service.add_walk_in(cohort, None, name_latin="Sans Compte")
    db.session.commit()
    service.record_attendance(session, walk_in.id, "present", None)
    db.session.commit()
    real = make_user(email="real@example.org")
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    page = client.get(f"/admin/users/{walk_in.id}").get_data(as_text=True)
    assert "/merge" in page
    unknown = client.post_form(
        f"/admin/users/{walk_in.id}/merge", {"email": "nobody@example.org"}, follow_redirects=True
    )
    assert "No other account" in unknown.get_data(as_text=True)
    done = client.post_form(f"/admin/users/{walk_in.id}/merge", {"email": "real@example.org"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/admin/users/{real.id}")
    assert db.session.scalar(select(Attendance.user_id)) == real.id


def test_session_form_names_modules_by_their_title_in_the_page_language(client, trainer, cohort, db):
    from markupsafe import escape

    from lms.content.models import Module, ModuleText

    module = db.session.scalar(select(Module).where(Module.slug == "definition"))
    titles = {
        t.locale: t.title for t in db.session.scalars(select(ModuleText).where(ModuleText.module_id == module.id))
    }
    client.login("trainer@example.org")
    for lang in ("fr", "ar"):
        client.post_form("/language", {"lang": lang})
        page = client.get(f"/cohorts/{cohort.id}/sessions/new").get_data(as_text=True)
        assert f"{module.position}. {escape(titles[lang])}" in page, lang
        assert f"{module.position}. definition<" not in page
