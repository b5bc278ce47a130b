"""The attendance pages: scheduling sessions (in Casablanca time), roll call, paper sheets, exports, the sign-in
sheet, the check-in screen and the learner's check-in page (QR scans), in French and Arabic."""

import io
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.attendance import rules, service
from lms.attendance.models import Attendance, WorkshopSession
from lms.audit.models import AuditEvent
from tests.factories import enrolled_learner, open_session


def test_schedule_session_in_casablanca_time(client, trainer, cohort, db):
    client.login("trainer@example.org")
    response = client.post_form(
        f"/attendance/cohorts/{cohort.id}/sessions/new",
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
    ics = client.get(f"/attendance/cohorts/{cohort.id}/calendar.ics")
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
    learner = enrolled_learner(make_user, db, cohort)
    other = enrolled_learner(make_user, db, cohort, email="p2@example.org")
    session = open_session(db, cohort, starts_in=timedelta(hours=-1))
    client.login("trainer@example.org")
    page = client.get(f"/attendance/sessions/{session.id}").get_data(as_text=True)
    assert "status-present" in page
    client.post_form(
        f"/attendance/sessions/{session.id}", {f"status-{learner.id}": "late", f"note-{learner.id}": "train en retard"}
    )
    tap = client.post_form(f"/attendance/sessions/{session.id}/marks/{learner.id}", {"status": "present"})
    assert tap.get_json()["ok"]
    client.post_form(f"/attendance/sessions/{session.id}/all-present")
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
        client.post_form(f"/attendance/sessions/{session.id}/marks/{outsider.id}", {"status": "present"}).status_code
        == 400
    )


def test_paper_back_entry_marked_as_paper(client, trainer, make_user, cohort, db):
    learner = enrolled_learner(make_user, db, cohort)
    session = open_session(db, cohort, starts_in=timedelta(days=-2))
    client.login("trainer@example.org")
    client.post_form(f"/attendance/sessions/{session.id}?paper=1", {"paper": "1", f"status-{learner.id}": "present"})
    mark = db.session.scalar(select(Attendance))
    assert mark.method == "paper"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attendance.mark")).channel == "paper"


def test_attendance_report_and_exports(client, trainer, make_user, cohort, db):
    learner = enrolled_learner(make_user, db, cohort, name_latin='=HYPERLINK("evil")', name_arabic="مريم")
    s1 = open_session(db, cohort, starts_in=timedelta(days=-3))
    s2 = open_session(db, cohort, starts_in=timedelta(days=-2))
    open_session(db, cohort, starts_in=timedelta(days=5))  # future: not counted
    actor = db.session.get(User, trainer.id)
    service.record_attendance(s1, learner.id, "present", actor)
    service.record_attendance(s2, learner.id, "absent", actor)
    db.session.commit()
    _sessions, rows, _info = service.attendance_report(cohort)
    assert rows[0].percent == 50.0 and rows[0].below
    client.login("trainer@example.org")
    csv_bytes = client.get(f"/attendance/cohorts/{cohort.id}/export.csv").data
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    text = csv_bytes.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "مريم" in text and "50.0" in text
    xlsx = client.get(f"/attendance/cohorts/{cohort.id}/export.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [c.value for c in sheet[2]]
    assert values[0].startswith("'=") and "مريم" in values
    detail = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "50%" in detail and "can no longer reach 80%: 1 of 2 sessions attended, 1 left" in detail


def test_sign_in_sheet_pdf_has_arabic_names(client, trainer, make_user, cohort, db):
    enrolled_learner(make_user, db, cohort, name_latin="Karim Idrissi", name_arabic="كريم الإدريسي")
    session = open_session(db, cohort)
    client.login("trainer@example.org")
    response = client.get(f"/attendance/sessions/{session.id}/sheet.pdf")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True
        ).stdout.decode()
        assert "Karim Idrissi" in text
        assert "كريم" in text or "ﻛﺮﻳﻢ" in text  # logical or presentation forms, depending on poppler


def test_checkin_is_rate_limited(client, make_user, cohort, db):
    enrolled_learner(make_user, db, cohort)
    open_session(db, cohort)
    client.login("judge@example.org")
    statuses = [client.post_form("/attendance/checkin", {"code": "AAAAA"}).status_code for _ in range(12)]
    assert statuses[-1] == 429


def test_checkin_screen_shows_code_and_qr(client, trainer, cohort, db):
    session = open_session(db, cohort)
    client.login("trainer@example.org")
    page = client.get(f"/attendance/sessions/{session.id}/checkin-screen").get_data(as_text=True)
    code = rules.current_code(session.checkin_secret, datetime.utcnow())
    assert code in page and "<svg" in page and 'data-reload-after="' in page


def test_projector_view_shows_code_qr_both_languages_and_count_only(client, trainer, make_user, cohort, db):
    learner = enrolled_learner(make_user, db, cohort)
    session = open_session(db, cohort, starts_in=timedelta(minutes=-5))
    service.record_attendance(session, learner.id, "present", None, method="checkin")
    db.session.commit()
    client.login("trainer@example.org")
    normal = client.get(f"/attendance/sessions/{session.id}/checkin-screen").get_data(as_text=True)
    assert "mode=projector" in normal and "1 of 1 checked in" in normal
    page = client.get(f"/attendance/sessions/{session.id}/checkin-screen?mode=projector").get_data(as_text=True)
    code = rules.current_code(session.checkin_secret, datetime.utcnow())
    assert code in page and "<svg" in page
    assert "tapez ce code" in page and "اكتب هذا الرمز" in page  # the instruction in French and Arabic
    assert "1 sur 1" in page and "site-header" not in page and "Close check-in" not in page


def test_qr_link_prefills_but_does_not_write(client, make_user, cohort, db):
    enrolled_learner(make_user, db, cohort)
    session = open_session(db, cohort)
    client.login("judge@example.org")
    page = client.get(f"/attendance/checkin?code=ABCDE&s={session.id}").get_data(as_text=True)
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
    learner = enrolled_learner(make_user, db, cohort)
    session = open_session(db, cohort, starts_in=timedelta(minutes=-5))
    code = rules.current_code(session.checkin_secret, datetime.utcnow())
    response = client.get(f"/attendance/checkin?code={code}&s={session.id}")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert "/account/login?next=" in login_url and "scan" in login_url
    assert db.session.scalar(select(func.count(Attendance.id))) == 0  # scanning alone writes nothing
    from urllib.parse import parse_qs, urlsplit

    next_url = parse_qs(urlsplit(login_url).query)["next"][0]
    signed = client.post_form(login_url, {"email": "judge@example.org", "password": "correct horse battery"})
    assert signed.headers["Location"] == next_url
    # 45 seconds of typing later the screen shows another code: the scan made 45 s ago is what counts.
    scanned = datetime.utcnow() - timedelta(seconds=100)
    old_code = rules.current_code(session.checkin_secret, scanned)
    token = _scan_token(app, session.id, old_code, scanned)
    page = client.get(f"/attendance/checkin?scan={token}").get_data(as_text=True)
    assert f'value="{old_code}"' in page and "kept for you until" in page
    done = client.post_form("/attendance/checkin", {"code": old_code, "session": str(session.id), "scan": token})
    assert done.status_code == 302
    mark = db.session.scalar(select(Attendance).where(Attendance.user_id == learner.id))
    assert mark.status == "present" and mark.method == "checkin"
    again = client.post_form("/attendance/checkin", {"code": old_code, "session": str(session.id), "scan": token})
    assert "already checked in" in again.get_data(as_text=True)


def test_scan_pass_is_bounded_in_time_session_and_code(app, client, make_user, cohort, db):
    enrolled_learner(make_user, db, cohort)
    session = open_session(db, cohort, starts_in=timedelta(minutes=-5))
    other = open_session(db, cohort, starts_in=timedelta(minutes=-3))
    client.login("judge@example.org")
    # Older than the pass lasts: refused, and the learner is told so.
    stale = datetime.utcnow() - timedelta(minutes=6)
    stale_code = rules.current_code(session.checkin_secret, stale)
    token = _scan_token(app, session.id, stale_code, stale)
    refused = client.post_form("/attendance/checkin", {"code": stale_code, "session": str(session.id), "scan": token})
    assert "expired" in refused.get_data(as_text=True)
    # A pass for one session does not check in to another one, nor with another code.
    scanned = datetime.utcnow() - timedelta(seconds=90)
    code = rules.current_code(session.checkin_secret, scanned)
    token = _scan_token(app, session.id, code, scanned)
    wrong = client.post_form("/attendance/checkin", {"code": code, "session": str(other.id), "scan": token})
    assert "valid" in wrong.get_data(as_text=True)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert "expired" in client.post_form(
        "/attendance/checkin", {"code": code, "session": str(session.id), "scan": forged}
    ).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_expired_code_says_so_and_what_to_do(client, make_user, cohort, db):
    enrolled_learner(make_user, db, cohort)
    session = open_session(db, cohort, starts_in=timedelta(minutes=-5))
    old = rules.current_code(session.checkin_secret, datetime.utcnow() - timedelta(minutes=3))
    # Not signed in: a scan of an old QR says it expired, then asks to sign in.
    response = client.get(f"/attendance/checkin?code={old}&s={session.id}")
    assert response.status_code == 302 and "scan" not in response.headers["Location"]
    client.login("judge@example.org")
    typed = client.post_form("/attendance/checkin", {"code": old}).get_data(as_text=True)
    assert "expired" in typed and "changes every minute" in typed
    assert "not valid now" in client.post_form("/attendance/checkin", {"code": "ZZZZZ"}).get_data(as_text=True)


def test_checkin_page_sends_strangers_to_sign_in(client):
    response = client.get("/attendance/checkin")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.post("/attendance/checkin", data={"code": "ABCDE"}).status_code in (302, 400)


def test_attendance_pages_in_arabic(client, trainer, make_user, cohort, db):
    enrolled_learner(make_user, db, cohort, name_arabic="كريم")
    session = open_session(db, cohort)
    client.login("trainer@example.org")
    client.post_form("/language", {"lang": "ar"})
    for url in (
        f"/cohorts/{cohort.id}",
        f"/attendance/sessions/{session.id}",
        f"/attendance/sessions/{session.id}/checkin-screen",
        f"/cohorts/{cohort.id}/import",
        f"/attendance/cohorts/{cohort.id}/sessions/new",
        "/reports",
        "/cohorts/new",
    ):
        response = client.get(url)
        assert response.status_code == 200 and 'dir="rtl"' in response.get_data(as_text=True), url


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
        page = client.get(f"/attendance/cohorts/{cohort.id}/sessions/new").get_data(as_text=True)
        assert f"{module.position}. {escape(titles[lang])}" in page, lang
        assert f"{module.position}. definition<" not in page


def test_all_present_the_database_refuses_writes_no_mark_and_says_so(
    client, trainer, make_user, cohort, db, refuse_commit
):
    enrolled_learner(make_user, db, cohort, email="one@example.org")
    enrolled_learner(make_user, db, cohort, email="two@example.org")
    session = open_session(db, cohort, starts_in=timedelta(hours=-1))
    client.login("trainer@example.org")
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    refuse_commit()
    response = client.post_form(f"/attendance/sessions/{session.id}/all-present", {}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.request.path == f"/attendance/sessions/{session.id}"
    assert "Nothing was saved" in page and "saved." not in page  # not "2 changes saved."
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
