"""A cohort's certificates issued by a background job: progress, one job per cohort, never twice, resumed after a
crash, and who may follow it."""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.certificates import service, tasks
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort
from lms.content.models import Module
from lms.core import jobs
from lms.core.jobs import BackgroundJob
from lms.core.timeutil import utcnow
from lms.notifications.models import Notification
from tests.conftest import outbox
from tests.factories import enrol, make_progress


def bulk_cohort(db, make_user, make_cohort, trainer, learners: int, not_eligible: int = 0, title="Rabat 2027"):
    """A cohort of ``trainer`` whose rule asks for one module completed (no quiz, no attendance): ``learners``
    learners, the last ``not_eligible`` of whom have not completed it. Committed; returns (cohort id, learner ids)."""
    cohort = make_cohort(trainer, title=title)
    row = db.session.get(Cohort, cohort.id)
    row.completion = {"modules": 1, "quizzes_passed": 0, "attendance_percent": 0}
    module = db.session.scalar(select(Module).where(Module.course_id == row.course_id).order_by(Module.position))
    ids = []
    for n in range(learners):
        learner = make_user(email=f"bulk-{cohort.id}-{n}@example.org", profession="magistrate-judge")
        enrol(db, row, learner)
        if n < learners - not_eligible:
            make_progress(db, learner.id, module.id, completed_at=datetime.utcnow())
        ids.append(learner.id)
    db.session.commit()
    return cohort.id, ids


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def job_id_of(response) -> int:
    assert response.status_code == 302, response.status_code
    return int(re.fullmatch(r".*/certificates/jobs/(\d+)", response.headers["Location"]).group(1))


def test_the_issue_button_starts_a_job_whose_page_shows_it_finished(app, client, db, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort_id, learner_ids = bulk_cohort(db, make_user, make_cohort, trainer, 7, not_eligible=2)
    app.config["JOB_BATCH_SIZE"] = 3
    client.login("trainer@example.org")
    page = client.get(f"/certificates/cohorts/{cohort_id}").get_data(as_text=True)
    assert f'action="/certificates/cohorts/{cohort_id}/issue"' in page
    job_id = job_id_of(client.post_form(f"/certificates/cohorts/{cohort_id}/issue"))

    db.session.expire_all()
    job = db.session.get(BackgroundJob, job_id)
    assert (job.kind, job.subject_id, job.owner_id, job.state) == (
        "certificates.issue",
        cohort_id,
        trainer.id,
        "finished",
    )
    assert (job.done, job.total, job.attempts) == (7, 7, 1)
    assert tasks.counts_of(job) == {"issued": 5, "existing": 0, "not_eligible": 2}
    assert job.started_at and job.finished_at and job.error is None
    assert count(db, Certificate, Certificate.cohort_id == cohort_id) == 5
    assert count(db, AuditEvent, AuditEvent.action == "certificate.issue") == 5
    # Each learner is told once, in their language; the trainer once, with a link to the job's page.
    assert count(db, Notification, Notification.kind == "certificate_issued") == 5
    learner = db.session.get(User, learner_ids[0])
    course = db.session.get(Cohort, cohort_id).course.title
    mine = db.session.scalar(select(Notification).where(Notification.user_id == learner.id))
    assert mine.title == f"Your certificate is ready: {course[learner.locale or 'fr']}"
    assert mine.link == "/certificates" and mine.key.startswith("certificate:")
    # Learners take this kind by e-mail unless they said otherwise; the trainer's "finished" stays in the app.
    mails = outbox(app)
    assert len(mails) == 5
    body = mails[0].read_text(encoding="utf-8")
    assert "Your certificate is ready" in body and "/certificates" in body
    told = db.session.scalar(select(Notification).where(Notification.kind == "job_finished"))
    assert told.user_id == trainer.id and told.link == f"/certificates/jobs/{job_id}"
    assert told.key == f"job:{job_id}" and "Rabat 2027" in told.title

    page = client.get(f"/certificates/jobs/{job_id}").get_data(as_text=True)
    assert '<progress id="job-progress" max="7" value="7">' in page
    assert "7 of 7 learners" in page and "Finished" in page
    assert "5 certificates issued, 0 already issued, 2 learners not yet eligible." in page
    assert 'http-equiv="refresh"' not in page  # finished: nothing more to wait for
    assert f'href="/certificates/cohorts/{cohort_id}"' in page and "jobs.js" in page
    status = client.get(f"/certificates/jobs/{job_id}.json").get_json()
    assert status["state"] == "finished" and status["done"] == status["total"] == 7 and status["percent"] == 100
    assert status["active"] is False and status["count"] == "7 of 7 learners"

    # Issuing again: a new job, which finds every certificate already issued.
    again = job_id_of(client.post_form(f"/certificates/cohorts/{cohort_id}/issue"))
    assert again != job_id
    db.session.expire_all()
    assert tasks.counts_of(db.session.get(BackgroundJob, again)) == {"issued": 0, "existing": 5, "not_eligible": 2}
    assert count(db, Certificate) == 5 and count(db, Notification, Notification.kind == "certificate_issued") == 5


def test_the_page_waits_for_a_queued_job_with_and_without_javascript(app, client, db, make_user, make_cohort, queued):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort_id, _ids = bulk_cohort(db, make_user, make_cohort, trainer, 3)
    row = db.session.get(User, trainer.id)
    row.locale = "fr"
    db.session.commit()
    client.login("trainer@example.org")
    job_id = job_id_of(client.post_form(f"/certificates/cohorts/{cohort_id}/issue"))
    # A second click, even from another trainer of the cohort, goes to the same job: nothing queued twice.
    assert job_id_of(client.post_form(f"/certificates/cohorts/{cohort_id}/issue")) == job_id
    assert queued.size() == 1 and count(db, BackgroundJob) == 1
    page = client.get(f"/certificates/jobs/{job_id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert '<progress id="job-progress" max="3" value="0">' in page and "0 apprenant(e)s sur 3" in page
    assert "En attente de démarrage" in page and "data-job-active" in page and "Actualiser" in page
    assert client.get(f"/certificates/jobs/{job_id}.json").get_json()["active"] is True

    assert queued.run() >= 1
    status = client.get(f"/certificates/jobs/{job_id}.json").get_json()
    assert status["state"] == "finished" and status["state_label"] == "Terminé"
    assert count(db, Certificate) == 3


def test_a_duplicated_task_issues_nothing_twice(app, db, make_user, make_cohort, queued, monkeypatch):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort_id, learner_ids = bulk_cohort(db, make_user, make_cohort, trainer, 6)
    # One certificate issued beforehand by a click on its row.
    service.issue(db.session.get(Cohort, cohort_id), db.session.get(User, learner_ids[0]), None, check=False)
    job, created = tasks.start_issue(db.session.get(Cohort, cohort_id), db.session.get(User, trainer.id))
    job_id = job.id  # before the commit: reading it after would open a (write) transaction on SQLite
    db.session.commit()
    assert created and queued.size() == 2  # the job, and the mail telling the first learner

    # A worker holds the job (a fresh heartbeat): the same task queued again does nothing.
    claimed = jobs.claim(job_id)
    assert claimed == 1
    tasks.issue_cohort.call_local(job_id)
    assert count(db, Certificate) == 1
    # That worker is thought dead and its job taken over: its next batch is refused, and it stops.
    db.session.execute(update(BackgroundJob).where(BackgroundJob.id == job_id).values(attempts=2, state="running"))
    db.session.commit()
    assert jobs.progress(job_id, claimed, done=1) is False
    db.session.rollback()

    # Two workers pass the "already issued?" check at the same moment: the unique index refuses the second
    # certificate, counted as already issued.
    db.session.execute(update(BackgroundJob).where(BackgroundJob.id == job_id).values(attempts=0, state="queued"))
    db.session.commit()
    monkeypatch.setattr(service, "live_certificate", lambda user_id, cohort_id: None)
    tasks.issue_cohort.call_local(job_id)
    tasks.issue_cohort.call_local(job_id)  # a duplicate arriving after the end: nothing
    assert queued.run() >= 1  # the copy queued at the start: nothing either
    db.session.expire_all()
    job = db.session.get(BackgroundJob, job_id)
    assert job.state == "finished"
    assert tasks.counts_of(job) == {"issued": 5, "existing": 1, "not_eligible": 0}
    assert count(db, Certificate) == 6
    per_learner = db.session.execute(select(Certificate.user_id, func.count()).group_by(Certificate.user_id)).all()
    assert sorted(n for _user, n in per_learner) == [1] * 6


class Killed(BaseException):
    """The consumer killed (kill -9): no ``except Exception`` runs, the open transaction is lost."""


def test_a_job_left_by_a_killed_consumer_is_queued_again_and_completes(
    app, db, make_user, make_cohort, queued, monkeypatch
):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort_id, learner_ids = bulk_cohort(db, make_user, make_cohort, trainer, 9, not_eligible=1)
    app.config["JOB_BATCH_SIZE"] = 2
    job, _created = tasks.start_issue(db.session.get(Cohort, cohort_id), db.session.get(User, trainer.id))
    job_id = job.id  # before the commit: reading it after would open a (write) transaction on SQLite
    db.session.commit()
    told = service.tell_learner
    calls = []

    def dies_at_the_fifth(certificate, learner):
        calls.append(learner.id)
        if len(calls) == 5:
            raise Killed
        told(certificate, learner)

    monkeypatch.setattr(service, "tell_learner", dies_at_the_fifth)
    with pytest.raises(Killed):
        tasks.issue_cohort.call_local(job_id)
    monkeypatch.setattr(service, "tell_learner", told)
    db.session.expire_all()
    job = db.session.get(BackgroundJob, job_id)
    # Two batches committed with their cursor; the third one, open when the worker died, left nothing.
    assert (job.state, job.done, job.total) == ("running", 4, 9)
    assert job.result == {"counts": {"issued": 4, "existing": 0, "not_eligible": 0}, "after": learner_ids[3]}
    assert count(db, Certificate) == 4
    db.session.commit()

    # While its heartbeat is fresh the sweep leaves it; once stale, it is queued again (and said queued).
    assert jobs.requeue_stale() == []
    later = utcnow() + timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 1)
    assert jobs.requeue_stale(now=later) == [job_id]
    assert db.session.get(BackgroundJob, job_id).state == "queued"
    queued.run()
    db.session.expire_all()
    job = db.session.get(BackgroundJob, job_id)
    assert (job.state, job.done, job.total, job.attempts) == ("finished", 9, 9, 2)
    assert tasks.counts_of(job) == {"issued": 8, "existing": 0, "not_eligible": 1}
    assert count(db, Certificate) == 8
    assert sorted(db.session.scalars(select(Certificate.user_id))) == sorted(learner_ids[:8])
    assert count(db, AuditEvent, AuditEvent.action == "certificate.issue") == 8
    assert count(db, Notification, Notification.kind == "certificate_issued") == 8
    assert count(db, Notification, Notification.kind == "job_finished") == 1


def test_a_job_interrupted_too_often_is_marked_failed_and_can_be_started_again(
    app, client, db, make_user, make_cohort, queued, monkeypatch
):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort_id, _ids = bulk_cohort(db, make_user, make_cohort, trainer, 2)
    client.login("trainer@example.org")
    job_id = job_id_of(client.post_form(f"/certificates/cohorts/{cohort_id}/issue"))
    db.session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job_id)
        .values(state="running", attempts=jobs.MAX_ATTEMPTS, heartbeat_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    assert jobs.requeue_stale() == []
    assert db.session.get(BackgroundJob, job_id).state == "failed"
    queued.run()  # the task queued at the start finds the job over
    assert count(db, Certificate) == 0

    # An error inside the work: the job says so, the page offers to start again, a new job completes.
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "issue", broken)
    failing = job_id_of(client.post_form(f"/certificates/cohorts/{cohort_id}/issue"))
    queued.run()
    db.session.expire_all()
    job = db.session.get(BackgroundJob, failing)
    assert job.state == "failed" and "disk full" in job.error
    page = client.get(f"/certificates/jobs/{failing}").get_data(as_text=True)
    assert "Stopped by an error" in page and "Start the issuing again" in page and "disk full" not in page
    monkeypatch.undo()
    fixed = job_id_of(client.post_form(f"/certificates/cohorts/{cohort_id}/issue"))
    assert fixed != failing
    queued.run()
    assert client.get(f"/certificates/jobs/{fixed}.json").get_json()["state"] == "finished"
    assert count(db, Certificate) == 2


def test_who_may_follow_a_job(app, client, db, make_user, make_cohort):
    """Two trainers, two cohorts: each follows the jobs of the cohorts they manage (or started), admins all."""
    rachid = make_user(roles=("trainer",), email="rachid@example.org")
    nadia = make_user(roles=("trainer",), email="nadia@example.org")
    make_user(roles=("admin",), email="admin@example.org")
    cohort_a, _a = bulk_cohort(db, make_user, make_cohort, rachid, 2, title="Rabat A")
    cohort_b, _b = bulk_cohort(db, make_user, make_cohort, nadia, 2, title="Fès B")

    client.login("rachid@example.org")
    job_a = job_id_of(client.post_form(f"/certificates/cohorts/{cohort_a}/issue"))
    # Rachid cannot start the issuing of Nadia's cohort, nor follow its job.
    assert client.post_form(f"/certificates/cohorts/{cohort_b}/issue").status_code == 403
    client.logout()
    client.login("nadia@example.org")
    job_b = job_id_of(client.post_form(f"/certificates/cohorts/{cohort_b}/issue"))
    assert count(db, BackgroundJob) == 2
    for url in (f"/certificates/jobs/{job_a}", f"/certificates/jobs/{job_a}.json"):
        assert client.get(url).status_code == 403
    assert client.get(f"/certificates/jobs/{job_b}").status_code == 200
    assert client.get("/certificates/jobs/999999").status_code == 404
    assert client.get("/certificates/jobs/999999.json").status_code == 404
    client.logout()
    client.login("rachid@example.org")
    assert client.get(f"/certificates/jobs/{job_b}.json").status_code == 403
    assert client.get(f"/certificates/jobs/{job_a}.json").status_code == 200
    client.logout()

    # Nadia made a trainer of cohort A too: she follows its job (started by Rachid).
    row = db.session.get(Cohort, cohort_a)
    row.trainers.append(db.session.get(User, nadia.id))
    db.session.commit()
    client.login("nadia@example.org")
    assert client.get(f"/certificates/jobs/{job_a}").status_code == 200
    client.logout()
    client.login("admin@example.org")
    assert client.get(f"/certificates/jobs/{job_a}.json").status_code == 200
    assert client.get(f"/certificates/jobs/{job_b}").status_code == 200
    client.logout()
    # A learner of the cohort: no.
    client.login(f"bulk-{cohort_a}-0@example.org")
    assert client.get(f"/certificates/jobs/{job_a}").status_code == 403


def test_the_cohort_page_points_to_the_running_job(app, client, db, make_user, make_cohort, queued):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort_id, _ids = bulk_cohort(db, make_user, make_cohort, trainer, 2)
    client.login("trainer@example.org")
    job_id = job_id_of(client.post_form(f"/certificates/cohorts/{cohort_id}/issue"))
    page = client.get(f"/certificates/cohorts/{cohort_id}").get_data(as_text=True)
    assert "being issued in the background: 0 of 2 learners handled" in page
    assert f'href="/certificates/jobs/{job_id}">Follow the progress</a>' in page
    queued.run()
    assert "data-running-job" not in client.get(f"/certificates/cohorts/{cohort_id}").get_data(as_text=True)


def test_a_cohort_without_learners_finishes_at_once(app, client, db, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort_id, _ids = bulk_cohort(db, make_user, make_cohort, trainer, 0)
    client.login("trainer@example.org")
    job_id = job_id_of(client.post_form(f"/certificates/cohorts/{cohort_id}/issue"))
    status = client.get(f"/certificates/jobs/{job_id}.json").get_json()
    assert (status["state"], status["done"], status["total"], status["percent"]) == ("finished", 0, 0, 100)
    page = client.get(f"/certificates/jobs/{job_id}").get_data(as_text=True)
    assert '<progress id="job-progress" max="1" value="1">' in page and "0 of 0 learners" in page
