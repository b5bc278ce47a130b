"""A real queue consumer (``python -m flask --app wsgi queue run``) delivering the app's mails, on a SQLite queue and
on Redis: a batch, a consumer killed with -9 in the middle of one, Redis down, the SQLite queue locked.

The consumer is a child process with this test's database (``LMS_DATABASE_URL``), instance folder and queue; the
test process queues work into the same queue (``queue.init_app`` on that URL). Redis tests are skipped only when no
Redis answers on 127.0.0.1:6379 (CI and the development machine have one); each uses a queue name of its own
(``LMS_QUEUE_NAME``) in Redis database 15 and flushes it afterwards. Every wait is bounded; consumers are stopped
(their whole process group) in ``finally`` blocks.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from lms.core import queue
from lms.core.mail import PENDING, SENT, MailDelivery, _file_name, queue_message, sweep_mail
from lms.core.timeutil import utcnow
from tests.ops.conftest import use_queue

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60  # seconds: the longest any step may take before the test fails with the consumer's log

pytestmark = pytest.mark.slow


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


class Consumer:
    """``flask queue run`` in a process group of its own, on the test app's database, instance and queue."""

    def __init__(self, app, queue_url: str, queue_name: str, log: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "FLASK_"))}
        env.update(
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
            LMS_INSTANCE_PATH=app.config["INSTANCE_PATH"],
            LMS_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            LMS_QUEUE_URL=queue_url,
            LMS_QUEUE_NAME=queue_name,
            LMS_BASE_URL="http://127.0.0.1",
            LMS_REQUEST_LOG="0",
        )
        self.env, self.log = env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> Consumer:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "queue", "run", "--workers", "2"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self, signum: int = signal.SIGKILL) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signum)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def stop(self) -> None:
        self.kill(signal.SIGINT)  # graceful: the consumer finishes the tasks in hand

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:]) if self.log.exists() else ""


def wait_for(condition, what: str, consumer: Consumer | None = None, timeout: float = WAIT, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if consumer is not None and consumer.proc is not None and not consumer.alive():
            pytest.fail(f"the consumer died while waiting for {what}:\n{consumer.log_tail()}")
        time.sleep(step)
    pytest.fail(f"{what}: not after {timeout} s" + (f"\nconsumer log:\n{consumer.log_tail()}" if consumer else ""))


def outbox_files(app) -> list[Path]:
    folder = Path(app.config["INSTANCE_PATH"]) / "outbox"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def queue_batch(app, count: int) -> None:
    """``count`` rendered mails, each a ``mail_delivery`` row and a queued ``deliver`` task (one commit)."""
    from lms.extensions import db

    with app.app_context():
        for n in range(count):
            queue_message(
                f"person{n}@example.org",
                f"Message {n}",
                "cohorts/email/message",
                locale="fr",
                key=f"test-batch:{n}",
                user=SimpleNamespace(name_latin=f"Person {n}"),
                sender=SimpleNamespace(name_latin="Trainer"),
                cohort=SimpleNamespace(title="Cohort"),
                body=f"Body {n}",
            )
        db.session.commit()


def count_sent(app) -> int:
    from lms.extensions import db

    with app.app_context():
        try:
            return db.session.scalar(select(func.count(MailDelivery.id)).where(MailDelivery.status == SENT))
        finally:
            db.session.remove()


def expected_files(app) -> set[str]:
    from lms.extensions import db

    with app.app_context():
        names = {_file_name(d) + ".eml" for d in db.session.scalars(select(MailDelivery))}
        db.session.remove()
    return names


def as_if_time_passed(app) -> None:
    """What the clock does for a killed consumer: its claims run out (5 min) and the pending rows become the
    sweep's (due for 30 s)."""
    from lms.extensions import db

    with app.app_context():
        past = utcnow() - timedelta(minutes=2)
        db.session.execute(
            update(MailDelivery).where(MailDelivery.status == PENDING).values(claimed_until=None, next_attempt_at=past)
        )
        db.session.commit()
        db.session.remove()


def run_sweep(app) -> None:
    """The periodic sweep (every minute in a consumer), run now in the test process: it queues the pending
    rows again into the shared queue."""
    with app.app_context():
        sweep_mail.call_local()


# --- (a) a batch -------------------------------------------------------------------------------------------


def test_consumer_delivers_a_batch(app, shared_queue, tmp_path):
    url, name = shared_queue
    queue_batch(app, 40)
    assert queue.huey.storage.queue_size() == 40
    consumer = Consumer(app, url, name, tmp_path / "consumer.log").start()
    try:
        wait_for(lambda: count_sent(app) == 40, "40 mails sent", consumer)
        wait_for(lambda: queue.huey.storage.queue_size() == 0, "queue empty", consumer)
    finally:
        consumer.stop()
    files = outbox_files(app)
    assert {f.name for f in files} == expected_files(app) and len(files) == 40
    assert "Body 7" in next(f for f in files if "person7_" in f.name).read_text()


# --- (b) killed in the middle of a batch ---------------------------------------------------------------------


def test_consumer_killed_mid_batch_then_restarted_delivers_each_mail_once(app, shared_queue, tmp_path):
    url, name = shared_queue
    total = 300
    queue_batch(app, total)
    consumer = Consumer(app, url, name, tmp_path / "consumer.log").start()
    try:
        wait_for(lambda: len(outbox_files(app)) >= 5, "the first mails", consumer, step=0.002)
        consumer.kill()  # -9: tasks in hand are lost, rows may stay claimed, a file may be written and not recorded
        sent_at_kill = count_sent(app)
        assert sent_at_kill < total, "the batch ended before the kill: make it bigger"
        as_if_time_passed(app)
        consumer = Consumer(app, url, name, tmp_path / "consumer.log").start()
        run_sweep(app)  # queues again what the killed consumer held (some tasks are now queued twice)
        wait_for(lambda: count_sent(app) == total, f"all {total} mails sent", consumer)
        wait_for(lambda: queue.huey.storage.queue_size() == 0, "queue empty", consumer)
    finally:
        consumer.stop()
    folder = Path(app.config["INSTANCE_PATH"]) / "outbox"
    assert not list(folder.glob("*.part"))
    files = outbox_files(app)
    assert len(files) == total and {f.name for f in files} == expected_files(app)  # one file per row: none twice


# --- (c) Redis down --------------------------------------------------------------------------------------


def test_redis_down_keeps_the_mail_and_the_sweep_delivers_it_later(app, client, make_user, tmp_path):
    from lms.extensions import db

    make_user(email="judge@example.org")
    use_queue(app, f"redis://127.0.0.1:{_closed_port()}/0", "tadrib-down")
    consumer = None
    try:
        page = client.post_form(
            "/account/password/forgot", {"email": "judge@example.org"}, follow_redirects=True
        ).get_data(as_text=True)
        assert "If an account exists for this address" in page
        assert "Background work is delayed" in page  # said, not hidden
        health = client.get("/healthz")
        assert health.status_code == 200  # the site serves; the queue is reported
        assert health.get_json()["status"] == "ok" and health.get_json()["queue"] == "unreachable"
        with app.app_context():
            rows = db.session.scalars(select(MailDelivery)).all()
            assert [(r.status, r.attempts, r.address) for r in rows] == [(PENDING, 0, "judge@example.org")]
            db.session.remove()
        assert outbox_files(app) == []

        # The queue is back (here a SQLite queue; any reachable one): the sweep finds the row, a consumer sends it.
        url, name = f"sqlite:///{tmp_path / 'queue.sqlite3'}", "tadrib-back"
        use_queue(app, url, name)
        assert client.get("/healthz").get_json()["queue"] == "ok"
        as_if_time_passed(app)
        run_sweep(app)
        consumer = Consumer(app, url, name, tmp_path / "consumer.log").start()
        wait_for(lambda: count_sent(app) == 1, "the reset mail sent", consumer)
    finally:
        if consumer is not None:
            consumer.stop()
        use_queue(app, "immediate", None)
    [mail] = outbox_files(app)
    assert "judge_example_org" in mail.name and "/account/password/reset/" in mail.read_text()


# --- (d) SQLite queue locked ---------------------------------------------------------------------------------


def _lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


def test_sqlite_queue_locked_briefly_the_enqueue_waits_for_it(app, client, make_user, tmp_path):
    make_user(email="judge@example.org")
    url, name = f"sqlite:///{tmp_path / 'queue.sqlite3'}", "tadrib-locked"
    use_queue(app, url, name)  # creates the queue's tables
    consumer = None
    lock = _lock(tmp_path / "queue.sqlite3")
    release = threading.Timer(1.0, lambda: (lock.rollback(), lock.close()))
    try:
        release.start()
        started = time.monotonic()
        page = client.post_form(
            "/account/password/forgot", {"email": "judge@example.org"}, follow_redirects=True
        ).get_data(as_text=True)
        assert time.monotonic() - started >= 0.9  # it waited for the lock...
        assert "Background work is delayed" not in page  # ...and queued the task once it was free
        assert queue.huey.storage.queue_size() == 1
        consumer = Consumer(app, url, name, tmp_path / "consumer.log").start()
        wait_for(lambda: count_sent(app) == 1, "the reset mail sent", consumer)
    finally:
        release.cancel()
        release.join(timeout=5)
        if consumer is not None:
            consumer.stop()
        use_queue(app, "immediate", None)
    assert len(outbox_files(app)) == 1


def test_sqlite_queue_locked_past_its_timeout_keeps_the_mail_for_the_sweep(app, client, make_user, tmp_path):
    from lms.extensions import db

    make_user(email="judge@example.org")
    url, name = f"sqlite:///{tmp_path / 'queue.sqlite3'}", "tadrib-locked"
    use_queue(app, url, name)
    queue.huey.storage_kwargs["timeout"] = 0.5  # the production wait is 10 s; the outcome is the same
    queue.huey.storage = queue.huey.create_storage()
    consumer = None
    lock = _lock(tmp_path / "queue.sqlite3")
    try:
        page = client.post_form(
            "/account/password/forgot", {"email": "judge@example.org"}, follow_redirects=True
        ).get_data(as_text=True)
        assert "If an account exists for this address" in page and "Background work is delayed" in page
        with app.app_context():
            assert db.session.scalars(select(MailDelivery.status)).all() == [PENDING]
            db.session.remove()
        lock.rollback()
        lock.close()
        lock = None
        assert queue.huey.storage.queue_size() == 0  # never queued: only the row remembers it
        as_if_time_passed(app)
        run_sweep(app)
        assert queue.huey.storage.queue_size() == 1
        consumer = Consumer(app, url, name, tmp_path / "consumer.log").start()
        wait_for(lambda: count_sent(app) == 1, "the reset mail sent", consumer)
    finally:
        if lock is not None:
            lock.close()
        if consumer is not None:
            consumer.stop()
        use_queue(app, "immediate", None)
    assert len(outbox_files(app)) == 1


# --- /healthz ---------------------------------------------------------------------------------------------


def test_healthz_reports_the_queue(app, client, shared_queue):
    queue_batch(app, 3)
    body = client.get("/healthz").get_json()
    assert body == {"status": "ok", "db": "ok", "queue": "ok", "queue_waiting": 3}


# --- make run: scripts/run.py ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie (exited, not yet reaped by its parent) is gone too
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].startswith("Z")
    return False


@pytest.mark.parametrize("how", ["ctrl-c", "consumer dies"])
def test_make_run_serves_with_a_consumer_and_stops_both(app, tmp_path, how):
    """``make run``'s launcher: the web server and a consumer on the same instance, database and queue; Ctrl-C
    (SIGINT to the launcher) stops both, and a consumer that dies takes the web server down with it."""
    import json
    import re
    import urllib.request

    url, name = f"sqlite:///{tmp_path / 'queue.sqlite3'}", "tadrib-run"
    port = _free_port()
    env = Consumer(app, url, name, tmp_path / "unused.log").env
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        launcher = subprocess.Popen(
            [sys.executable, "scripts/run.py", "--port", str(port)],
            cwd=ROOT,
            env=dict(env, FLASK_APP="wsgi.py"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pids: list[int] = []
    try:
        found = wait_for(lambda: re.search(r"\(pid (\d+)\), queue consumer \(pid (\d+)\)", log.read_text()), "pids")
        pids = [int(found.group(1)), int(found.group(2))]

        def health():
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    return json.load(response)
            return None

        assert wait_for(health, "the web server answering")["queue"] == "ok"
        use_queue(app, url, name)
        queue_batch(app, 3)
        wait_for(lambda: count_sent(app) == 3, "3 mails sent by the launcher's consumer")
        if how == "ctrl-c":
            launcher.send_signal(signal.SIGINT)
        else:
            os.kill(pids[1], signal.SIGKILL)
        assert launcher.wait(timeout=20) == (130 if how == "ctrl-c" else 128 + signal.SIGKILL)
        wait_for(lambda: all(_pid_gone(pid) for pid in pids), "both children gone", timeout=10)
    finally:
        use_queue(app, "immediate", None)
        for pid in [launcher.pid, *pids]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            launcher.wait(timeout=5)
