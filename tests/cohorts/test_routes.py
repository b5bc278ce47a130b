"""The cohort pages: import preview and confirm, who sees which cohort, the cohort form, walk-ins and their merge."""

import io
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.attendance import service as attendance_service
from lms.attendance.models import Attendance
from lms.cohorts import service
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course
from tests.conftest import outbox
from tests.factories import enrolled_learner, open_session

DATA = Path(__file__).parent / "data"


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


def test_trainer_sees_only_own_cohorts(client, make_user, cohort, db):
    make_user(roles=("trainer",), email="other@example.org")
    client.login("other@example.org")
    assert "Rabat 2027" not in client.get("/reports").get_data(as_text=True)
    session = open_session(db, cohort)
    for url in (
        f"/cohorts/{cohort.id}",
        f"/cohorts/{cohort.id}/edit",
        f"/cohorts/{cohort.id}/import",
        f"/attendance/cohorts/{cohort.id}/export.csv",
        f"/attendance/cohorts/{cohort.id}/calendar.ics",
        f"/attendance/sessions/{session.id}",
        f"/attendance/sessions/{session.id}/checkin-screen",
        f"/attendance/sessions/{session.id}/sheet.pdf",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post_form(f"/attendance/sessions/{session.id}/all-present").status_code == 403


def test_learner_cannot_reach_trainer_pages(client, make_user, cohort, db):
    enrolled_learner(make_user, db, cohort)
    client.login("judge@example.org")
    assert client.get("/reports").status_code == 403
    assert client.get(f"/cohorts/{cohort.id}").status_code == 403


def test_admin_sees_every_cohort(client, make_user, cohort):
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    assert "Rabat 2027" in client.get("/reports").get_data(as_text=True)
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


def test_walk_in_added_and_merged_keeping_attendance(client, trainer, make_user, cohort, db):
    session = open_session(db, cohort, starts_in=timedelta(hours=-1))
    client.login("trainer@example.org")
    client.post_form(
        f"/cohorts/{cohort.id}/walk-in", {"walkin-name_latin": "Rachid Sans Compte", "walkin-profession": "clerk"}
    )
    walk_in = db.session.scalar(select(User).where(User.name_latin == "Rachid Sans Compte"))
    assert walk_in.email.endswith("@walk-in.invalid")
    client.post_form(f"/attendance/sessions/{session.id}/marks/{walk_in.id}", {"status": "present"})
    real = make_user(email="rachid@example.org")
    service.merge_walk_in(
        db.session.get(User, walk_in.id), db.session.get(User, real.id), db.session.get(User, trainer.id)
    )
    db.session.commit()
    mark = db.session.scalar(select(Attendance))
    assert mark.user_id == real.id and mark.status == "present"
    assert db.session.scalar(select(Enrolment.user_id)) == real.id


def test_admin_merges_a_walk_in_through_the_page(client, trainer, make_user, cohort, db):
    session = open_session(db, cohort, starts_in=timedelta(hours=-1))
    walk_in = service.add_walk_in(cohort, None, name_latin="Sans Compte")
    db.session.commit()
    attendance_service.record_attendance(session, walk_in.id, "present", None)
    db.session.commit()
    real = make_user(email="real@example.org")
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    page = client.get(f"/account/users/{walk_in.id}").get_data(as_text=True)
    assert "/merge" in page
    unknown = client.post_form(
        f"/cohorts/walk-ins/{walk_in.id}/merge", {"email": "nobody@example.org"}, follow_redirects=True
    )
    assert "No other account" in unknown.get_data(as_text=True)
    done = client.post_form(f"/cohorts/walk-ins/{walk_in.id}/merge", {"email": "real@example.org"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/account/users/{real.id}")
    assert db.session.scalar(select(Attendance.user_id)) == real.id


def test_a_merge_the_database_refuses_moves_nothing_and_is_not_said_done(
    client, trainer, make_user, cohort, db, refuse_commit
):
    from lms.audit.models import AuditEvent

    session = open_session(db, cohort, starts_in=timedelta(hours=-1))
    walk_in = service.add_walk_in(cohort, None, name_latin="Sans Compte")
    db.session.commit()
    attendance_service.record_attendance(session, walk_in.id, "present", None)
    db.session.commit()
    make_user(email="real@example.org")
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    refuse_commit()
    response = client.post_form(
        f"/cohorts/walk-ins/{walk_in.id}/merge", {"email": "real@example.org"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.request.path == f"/account/users/{walk_in.id}"
    assert "Nothing was saved" in page and "Merged into" not in page
    db.session.rollback()
    assert db.session.scalar(select(Attendance.user_id)) == walk_in.id
    assert db.session.scalar(select(Enrolment.user_id)) == walk_in.id
    assert db.session.get(User, walk_in.id).is_active
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.merge")) == 0


def test_a_merge_keeps_the_account_s_own_enrolment_and_marks(client, trainer, make_user, make_cohort, cohort, db):
    """Where the account already has a row of its own (enrolled in the same cohort, marked in the same session),
    it is kept and the walk-in's is deleted; the others move."""
    other = make_cohort(trainer, title="Autre cohorte")
    first = open_session(db, cohort, starts_in=timedelta(hours=-1))
    second = open_session(db, cohort, starts_in=timedelta(hours=-2))
    walk_in = service.add_walk_in(cohort, None, name_latin="Sans Compte")
    service.enrol(other, walk_in, None)
    real = enrolled_learner(make_user, db, cohort, email="real@example.org")
    attendance_service.record_attendance(first, walk_in.id, "late", None)
    attendance_service.record_attendance(second, walk_in.id, "present", None)
    attendance_service.record_attendance(first, real.id, "excused", None)
    db.session.commit()
    service.merge_walk_in(db.session.get(User, walk_in.id), db.session.get(User, real.id), None)
    db.session.commit()
    enrolments = db.session.execute(select(Enrolment.cohort_id, Enrolment.user_id)).all()
    assert sorted(enrolments) == sorted([(cohort.id, real.id), (other.id, real.id)])
    marks = db.session.execute(select(Attendance.session_id, Attendance.user_id, Attendance.status)).all()
    assert sorted(marks) == sorted([(first.id, real.id, "excused"), (second.id, real.id, "present")])
