"""A real consumer (``flask queue run``, a process of its own, on a SQLite queue and on Redis) killed with SIGKILL
in the middle of issuing a cohort's certificates: started again, it picks the job up where the last committed
batch left it and completes it; every learner has exactly one certificate."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import datetime

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort
from lms.config import PROJECT_ROOT
from lms.content.models import Module
from lms.core import queue
from lms.core.jobs import BackgroundJob
from lms.notifications.models import Notification
from tests.factories import enrol, make_progress

LEARNERS = 100
STALE_SECONDS = 2


class Consumer:
    """``flask queue run`` in a process of its own, on the test's database and a SQLite queue file."""

    def __init__(self, app, queue_url: str, log_path, queue_name: str | None = None):
        self.env = {
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "LMS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "LMS_INSTANCE_PATH": app.config["INSTANCE_PATH"],
            "LMS_QUEUE_URL": queue_url,
            "LMS_QUEUE_NAME": queue_name or "tadrib",
            "LMS_SECRET_KEY": "consumer-test",
            "LMS_BASE_URL": "https://tadrib.test",
            "LMS_JOB_BATCH_SIZE": "5",
            "LMS_JOB_STALE_SECONDS": str(STALE_SECONDS),
            "LMS_REQUEST_LOG": "0",
        }
        self.log_path = log_path
        self.process = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open by the child
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "queue", "run", "--workers", "1"],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def read_job(path, job_id: int) -> tuple:
    """(state, done, total, attempts), read without taking any lock the consumer would wait for."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as connection:
        return connection.execute(
            "SELECT state, done, total, attempts FROM background_job WHERE id = ?", (job_id,)
        ).fetchone()


def wait_for(condition, consumer: Consumer, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        assert consumer.process.poll() is None, f"the consumer stopped ({what}):\n{consumer.log()}"
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}:\n{consumer.log()}")


@pytest.mark.slow
def test_a_consumer_killed_mid_job_resumes_it_and_issues_each_certificate_once(
    app, client, db, courses, make_user, make_cohort, tmp_path, shared_queue
):
    """On a SQLite queue and on Redis (``shared_queue``)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("the consumer fault test reads the job's progress from the SQLite file")
    database_path = url[len("sqlite:///") :]
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort_id = make_cohort(trainer).id
    row = db.session.get(Cohort, cohort_id)
    row.completion = {"modules": 1, "quizzes_passed": 0, "attendance_percent": 0}
    module = db.session.scalar(select(Module).where(Module.course_id == row.course_id).order_by(Module.position))
    for n in range(LEARNERS):
        learner = make_user(email=f"learner-{n}@example.org", profession="magistrate-judge")
        enrol(db, row, learner)
        make_progress(db, learner.id, module.id, completed_at=datetime.utcnow())
    db.session.commit()

    queue_url, queue_name = shared_queue
    consumer = Consumer(app, queue_url, tmp_path / "consumer.log", queue_name)
    try:
        # The trainer's click writes the job and queues its task: nothing is issued inside the request.
        client.login("trainer@example.org")
        response = client.post_form(f"/certificates/cohorts/{cohort_id}/issue")
        job_id = int(response.headers["Location"].rsplit("/", 1)[1])
        db.session.remove()
        assert read_job(database_path, job_id) == ("queued", 0, LEARNERS, 0)
        assert queue.huey.storage.queue_size() == 1

        consumer.start()
        wait_for(lambda: read_job(database_path, job_id)[1] >= 30, consumer, 120, "30 learners handled")
        consumer.kill()
        state, done, total, attempts = read_job(database_path, job_id)
        assert (state, total, attempts) == ("running", LEARNERS, 1) and 30 <= done < LEARNERS, (state, done)
        time.sleep(STALE_SECONDS + 0.5)  # the killed worker's heartbeat goes stale

        # Started again, the consumer sweeps at once: the job is queued again, resumed, finished.
        consumer.start()
        wait_for(lambda: read_job(database_path, job_id)[0] == "finished", consumer, 180, "the job to finish")
        assert read_job(database_path, job_id) == ("finished", LEARNERS, LEARNERS, 2)
    finally:
        consumer.stop()

    db.session.remove()
    job = db.session.get(BackgroundJob, job_id)
    assert job.result["counts"] == {"issued": LEARNERS, "existing": 0, "not_eligible": 0}
    per_learner = db.session.execute(
        select(Certificate.user_id, func.count())
        .where(Certificate.cohort_id == cohort_id)
        .group_by(Certificate.user_id)
    ).all()
    assert len(per_learner) == LEARNERS and {n for _user, n in per_learner} == {1}
    issued = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "certificate.issue")
    )
    assert issued == LEARNERS
    told = db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.kind == "certificate_issued")
    )
    assert told == LEARNERS
    # Every stored PDF is the one its certificate records (none half written by the killed worker).
    folder = PROJECT_ROOT / app.config["INSTANCE_PATH"] / "certificates"
    for certificate in db.session.scalars(select(Certificate)):
        assert (folder / f"{certificate.serial}.pdf").exists()
