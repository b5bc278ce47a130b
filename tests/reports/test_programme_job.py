"""The programme report's PDF prepared by a background job (issue #19): no request renders it any more."""

import io
import os
import time
from datetime import date, timedelta

import pdfplumber
import pytest
from sqlalchemy import func, select, update

from lms.core import jobs
from lms.core.jobs import BackgroundJob
from lms.core.timeutil import utcnow
from lms.notifications.models import Notification
from lms.reports import tasks
from tests.attendance.test_documents import has, pdf_pages
from tests.reports.pdfjob import job_id_of, programme_pdf
from tests.reports.test_reports import _bulk_learners

PERIOD = {"from": "2027-01-01", "to": "2027-12-31"}


@pytest.fixture
def setting(app, db, courses, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = make_cohort(trainer, title="Fès 2027", start_date=date(2027, 1, 1))
    return trainer, cohort


def _admin(make_user, email="admin@example.org", **fields):
    return make_user(roles=("admin",), email=email, **fields)


def test_the_button_prepares_the_pdf_in_both_languages_with_the_filters(client, db, setting, make_user):
    _trainer, cohort = setting
    _bulk_learners(db, cohort, 3)
    admin = _admin(make_user, locale="fr")
    client.login("admin@example.org")
    page = client.get("/reports/programme?from=2027-01-01&to=2027-12-31&mask=1&jurisdiction=rabat").get_data(
        as_text=True
    )
    # A POST form with its token and the page's filters; no link renders the PDF in the request any more.
    assert 'action="/reports/programme/pdf"' in page and 'name="csrf_token"' in page
    assert 'name="from" value="2027-01-01"' in page and 'name="mask" value="1"' in page
    assert 'name="jurisdiction" value="rabat"' in page
    assert "format=pdf" not in page

    data = programme_pdf(client, mask="1", jurisdiction="rabat", **PERIOD)
    assert data.startswith(b"%PDF")
    job = db.session.scalar(select(BackgroundJob).where(BackgroundJob.kind == tasks.KIND))
    assert job.state == jobs.FINISHED and job.owner_id == admin.id and job.subject_id is None
    assert job.result == {
        "filters": {
            "start": "2027-01-01",
            "end": "2027-12-31",
            "course_id": None,
            "cohort_id": None,
            "jurisdiction": "rabat",
            "profession": None,
        },
        "masked": True,
    }
    pages = pdf_pages(data)
    joined = "".join(pages)
    assert "1janvier2027—31décembre2027" in joined and "effectifs<5masqués" in joined
    assert any(has(p, "مؤشرات البرنامج") for p in pages)
    with pdfplumber.open(io.BytesIO(data)) as document:
        assert len(document.pages) >= 2
    # The finished page: the download, no more refreshing; the owner is told, with a link to the page.
    finished = client.get(f"/reports/programme/jobs/{job.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in finished and "data-job-active" not in finished
    assert f"/reports/programme/jobs/{job.id}/programme-report.pdf" in finished
    notice = db.session.scalar(select(Notification).where(Notification.user_id == admin.id))
    assert notice.kind == "job_finished" and notice.link == f"/reports/programme/jobs/{job.id}"
    assert notice.title == "Le rapport du programme (PDF) est prêt"
    download = client.get(f"/reports/programme/jobs/{job.id}/programme-report.pdf")
    assert "programme-report-2027-01-01-2027-12-31.pdf" in download.headers["Content-Disposition"]
    assert not list(tasks.folder().glob("*.part"))


def test_the_page_waits_with_and_without_javascript(app, client, db, setting, make_user, queued):
    _admin(make_user)
    client.login("admin@example.org")
    job_id = job_id_of(client.post_form("/reports/programme/pdf", PERIOD))
    page = client.get(f"/reports/programme/jobs/{job_id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert "data-job-active" in page and "data-job-reload" in page and "jobs.js" in page
    assert "programme-report.pdf" not in page
    assert client.get(f"/reports/programme/jobs/{job_id}/programme-report.pdf").status_code == 404
    status = client.get(f"/reports/programme/jobs/{job_id}.json").get_json()
    assert status["state"] == "queued" and status["active"] is True
    # The same button again (same filters) goes to the same job; other filters make another one.
    assert job_id_of(client.post_form("/reports/programme/pdf", PERIOD)) == job_id
    other = job_id_of(client.post_form("/reports/programme/pdf", {**PERIOD, "mask": "1"}))
    assert other != job_id and queued.size() == 2
    assert queued.run() >= 2
    status = client.get(f"/reports/programme/jobs/{job_id}.json").get_json()
    assert status["state"] == "finished" and status["active"] is False
    assert client.get(f"/reports/programme/jobs/{job_id}/programme-report.pdf").data.startswith(b"%PDF")


def test_who_may_follow_a_programme_job(app, client, db, setting, make_user):
    _admin(make_user)
    _admin(make_user, email="admin2@example.org")
    client.login("admin@example.org")
    job_id = job_id_of(client.post_form("/reports/programme/pdf", PERIOD))
    client.logout()
    # Another admin: the report is the admins'.
    client.login("admin2@example.org")
    assert client.get(f"/reports/programme/jobs/{job_id}").status_code == 200
    assert client.get(f"/reports/programme/jobs/{job_id}/programme-report.pdf").status_code == 200
    client.logout()
    # A trainer (even the one who owned the job, were they no longer admin) and a learner: refused.
    client.login("trainer@example.org")
    for url in (
        f"/reports/programme/jobs/{job_id}",
        f"/reports/programme/jobs/{job_id}.json",
        f"/reports/programme/jobs/{job_id}/programme-report.pdf",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post_form("/reports/programme/pdf", PERIOD).status_code == 403
    client.logout()
    assert client.raw.get(f"/reports/programme/jobs/{job_id}").status_code in (302, 401)
    # A job of another kind, or none: 404.
    client.login("admin@example.org")
    other = BackgroundJob(kind="certificates.issue", subject_id=1, owner_id=None, total=1, state="finished")
    db.session.add(other)
    db.session.commit()
    assert client.get(f"/reports/programme/jobs/{other.id}").status_code == 404
    assert client.get("/reports/programme/jobs/999999").status_code == 404
    # Without the token: refused, nothing started.
    before = db.session.scalar(select(func.count()).select_from(BackgroundJob))
    assert client.raw.post("/reports/programme/pdf", data=PERIOD).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == before


def test_a_failed_render_is_shown_and_can_be_started_again(app, client, db, setting, make_user, monkeypatch):
    _admin(make_user)
    client.login("admin@example.org")

    def broken(filters, masked):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(tasks.exports, "programme_pdf", broken)
    job_id = job_id_of(client.post_form("/reports/programme/pdf", PERIOD))
    job = db.session.get(BackgroundJob, job_id)
    assert job.state == jobs.FAILED and "no fonts" in job.error
    page = client.get(f"/reports/programme/jobs/{job_id}").get_data(as_text=True)
    assert "could not be prepared" in page and 'action="/reports/programme/pdf"' in page
    assert client.get(f"/reports/programme/jobs/{job_id}/programme-report.pdf").status_code == 404
    assert not tasks.file_of(job_id).exists() and not list(tasks.folder().glob("*.part"))
    monkeypatch.undo()
    again = job_id_of(client.post_form("/reports/programme/pdf", PERIOD))
    assert again != job_id and db.session.get(BackgroundJob, again).state == jobs.FINISHED


def test_old_pdf_links_lead_to_the_page_with_a_word(client, db, setting, make_user):
    _admin(make_user)
    client.login("admin@example.org")
    response = client.get("/reports/programme?from=2027-01-01&to=2027-12-31&format=pdf")
    assert response.status_code == 302
    assert response.headers["Location"] == "/reports/programme?from=2027-01-01&to=2027-12-31"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Prepare the PDF" in page or "Préparer le PDF" in page
    assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == 0


def test_week_old_files_and_jobs_are_deleted(app, client, db, setting, make_user):
    _admin(make_user)
    client.login("admin@example.org")
    old_id = job_id_of(client.post_form("/reports/programme/pdf", PERIOD))
    new_id = job_id_of(client.post_form("/reports/programme/pdf", {**PERIOD, "mask": "1"}))
    db.session.execute(
        update(BackgroundJob).where(BackgroundJob.id == old_id).values(finished_at=utcnow() - timedelta(days=8))
    )
    db.session.commit()
    stray = tasks.folder() / "job-999999.pdf.1.part"
    stray.write_bytes(b"half")
    week_ago = time.time() - 8 * 86400
    os.utime(stray, (week_ago, week_ago))
    with app.app_context():
        assert tasks.purge_programme_files() == 1
    assert not tasks.file_of(old_id).exists() and tasks.file_of(new_id).exists() and not stray.exists()
    db.session.expire_all()
    assert db.session.get(BackgroundJob, old_id) is None and db.session.get(BackgroundJob, new_id) is not None
    # The page of a job whose file is gone says so rather than offering a dead link.
    job = db.session.get(BackgroundJob, new_id)
    tasks.file_of(new_id).unlink()
    page = client.get(f"/reports/programme/jobs/{job.id}").get_data(as_text=True)
    assert "programme-report.pdf" not in page and 'action="/reports/programme/pdf"' in page


def test_the_consumer_knows_the_task_and_the_sweep(app):
    from lms import TASK_MODULES
    from lms.core.queue import huey

    assert "lms.reports.tasks" in TASK_MODULES and jobs.HANDLERS[tasks.KIND] is tasks.render_programme_pdf
    periodic = {huey._registry.task_to_string(task) for task in huey._registry._periodic_tasks}
    assert "lms.reports.tasks.sweep_programme_files" in periodic


def test_odd_filters_start_a_job_that_works(client, db, setting, make_user):
    _admin(make_user)
    client.login("admin@example.org")
    # A number too large for the database: refused as the report page refuses it, nothing started.
    huge = client.post_form("/reports/programme/pdf", {**PERIOD, "cohort": "99999999999999999999"})
    assert huge.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == 0
    # Dates that are no dates, a course that is no number, a quote: the report's defaults, and a PDF.
    job_id = job_id_of(
        client.post_form(
            "/reports/programme/pdf", {"from": "garbage", "to": "2027-13-45", "course": "abc", "jurisdiction": "'"}
        )
    )
    assert db.session.get(BackgroundJob, job_id).state == jobs.FINISHED
