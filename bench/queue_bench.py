"""Task-queue benchmark: password-reset requests with a real consumer running, and queuing 2,400 reminders.

    .venv/bin/python bench/queue_bench.py [--runs 6] [--duration 5] [--warmup 3] [--quick] [--skip-http]
                                          [--notify-runs 5] [--users 2400] [--skip-notify] [--queue-url URL]
                                          [--consumer-after]

1. HTTP (needs wrk, like bench/http_bench.py): a temporary instance (migrations, courses, demo data), the app and
   the Flask hello world under gunicorn (sync workers = os.cpu_count()), and a queue consumer (``flask queue run``,
   the instance's SQLite queue unless ``--queue-url``) on the same machine. ``wrk -t1 -c16`` POSTs
   /account/password/forgot with a valid CSRF token for a known account and for an unknown address, the cases
   alternating within each run, and compares each to hello world. The request does the same work for both (one
   INSERT, one queued task); the consumer then issues a token and writes a mail for the known account only. The
   consumer keeps working through the backlog during every case (hello world included), so they share the
   machine alike; after the last run the time it takes to empty the backlog is reported. Goal: known/unknown
   within the 5-point noise of PERF-BASELINES §4.
2. In one process: 2,400 users in a temporary SQLite database; the time to notify each of them of a workshop
   reminder with a mail (``lms.notifications.service.notify`` with ``mail_template``: a notification row, a
   rendered mail row, and after the commit 2,400 tasks queued into the SQLite queue, and Redis when one answers
   on 127.0.0.1:6379) against the same loop without ``notify`` (loading the users, the title in each person's
   language, the commit). Median of ``--notify-runs``, the two alternating. Reported as a ratio and ms per item.

Absolute times drift with the host: only this run's ratios are judged. Results: bench/out/queue.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path
from types import SimpleNamespace

from benchlib import (
    BENCH,
    PYTHON,
    RESULTS,
    ROOT,
    BenchError,
    Server,
    Servers,
    app_env,
    csrf_token,
    fetch,
    free_port,
    loadavg,
    opener,
    prepare_instance,
    temp_dir,
)
from http_bench import HELLO_APP, ensure_wrk, run_wrk

KNOWN = "magistrat1@tadrib.demo"
UNKNOWN = "nobody-here@tadrib.demo"
NOISE = 0.05
FORGOT = "/account/password/forgot"

POST_LUA = """-- Password-reset request: the same form, posted again and again.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = %s
"""


class Consumer:
    """``flask queue run`` in a process group of its own; stopped with the servers."""

    def __init__(self, env: dict, log_dir: Path, workers: int = 2):
        self.name = "consumer"
        self.env = env
        self.log_path = log_dir / "consumer.log"
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> Consumer:
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(  # noqa: S603 - our own flask command
            [PYTHON, "-m", "flask", "queue", "run", "--workers", str(self.workers)],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        time.sleep(1.0)
        if self.proc.poll() is not None:
            raise BenchError(f"the consumer exited ({self.proc.returncode}); see {self.log_path}")
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if self._log:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _deliveries(database: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM mail_delivery GROUP BY status").fetchall())


def reset_form_script(app_url: str, email: str, work: Path) -> tuple[Path, str]:
    """A session with a CSRF token; the wrk script posting the reset form for ``email``; the session cookie."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    op = opener(jar, follow=False)
    status, _url, page = fetch(op, app_url + FORGOT)
    if status != 200:
        raise BenchError(f"GET {FORGOT} answered {status}")
    body = urllib.parse.urlencode({"csrf_token": csrf_token(page), "email": email})
    status, _url, _page = fetch(op, app_url + FORGOT, dict(urllib.parse.parse_qsl(body)))
    if status != 302:
        raise BenchError(f"POST {FORGOT} answered {status} (expected a redirect to the sign-in page)")
    script = work / f"reset-{email.split('@')[0]}.lua"
    script.write_text(POST_LUA % json.dumps(body))
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return script, cookie


def http_part(args) -> dict:
    wrk = ensure_wrk()
    if not wrk:
        raise BenchError("wrk is not installed: sudo apt-get install -y wrk (or --skip-http)")
    wrk_version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    (BENCH / "hello_app.py").write_text(HELLO_APP)
    with temp_dir("tadrib-queue-") as tmp, Servers() as servers:
        work = Path(tmp)
        instance = work / "instance"
        extra = {"LMS_QUEUE_URL": args.queue_url} if args.queue_url else {}
        env = app_env(instance, **extra)
        print(f"preparing {instance} (migrations, courses, demo data)...", flush=True)
        prepare_instance(env)
        app = servers.start(Server("app", "wsgi:app", free_port(), args.workers, env, work))
        hello = servers.start(Server("hello", "hello_app:app", free_port(), args.workers, env, work, chdir=BENCH))
        consumer = Consumer(env, work)
        servers.items.append(consumer)
        if not args.consumer_after:
            consumer.start()
        scripts = {
            "reset: known account": reset_form_script(app.url, KNOWN, work),
            "reset: unknown address": reset_form_script(app.url, UNKNOWN, work),
        }
        cases = [("hello world", hello.url + "/", None, None)] + [
            (name, app.url + FORGOT, cookie, script) for name, (script, cookie) in scripts.items()
        ]
        print(
            f"{wrk_version}; gunicorn sync x{args.workers}; consumer: {args.queue_url or 'SQLite queue'}, 2 threads"
            f"{' (started after the runs)' if args.consumer_after else ''}; "
            f"wrk -t1 -c16 -d{args.duration:g}s, {args.runs} run(s); load average {loadavg()}",
            flush=True,
        )
        runs: dict[str, list[dict]] = {name: [] for name, *_ in cases}
        for number in range(args.runs):
            for name, url, cookie, lua in cases:
                if number == 0 and args.warmup > 0:
                    run_wrk(wrk, url, args.warmup, cookie, lua)
                result = run_wrk(wrk, url, args.duration, cookie, lua)
                runs[name].append(result)
                print(
                    f"  run {number + 1} {name:<24} {result['rps']:>8.1f} req/s  p99 {result['p99_ms']:>7.2f} ms"
                    + (f"  non-2xx/3xx {result['non_2xx_3xx']}" if result["non_2xx_3xx"] else ""),
                    flush=True,
                )
        if args.consumer_after:
            consumer.start()  # the control run: the requests were measured alone, the backlog is done now
        if not consumer.alive():
            raise BenchError(f"the consumer died during the runs:\n{consumer.log_tail()}")
        database = instance / "tadrib.sqlite3"
        at_end = _deliveries(database)
        started = time.perf_counter()
        deadline = started + args.drain_timeout
        while _deliveries(database).get("pending", 0) and time.perf_counter() < deadline:
            time.sleep(0.5)
        drain_s = time.perf_counter() - started
        final = _deliveries(database)
        mails = len(list((instance / "outbox").glob("*.eml"))) if (instance / "outbox").exists() else 0
        logs = {s.name: s.log_tail(20) for s in servers.items}
        servers.stop_all()

    hello_rps = statistics.median(r["rps"] for r in runs["hello world"])
    summary = {}
    for name, *_ in cases:
        rs = runs[name]
        rps = statistics.median(r["rps"] for r in rs)
        summary[name] = {
            "rps_median": round(rps, 1),
            "p50_ms_median": round(statistics.median(r["p50_ms"] for r in rs), 2),
            "p99_ms_median": round(statistics.median(r["p99_ms"] for r in rs), 2),
            "ratio": round(rps / hello_rps, 3),
            "ratio_per_run": [round(r["rps"] / h["rps"], 3) for r, h in zip(rs, runs["hello world"], strict=True)],
            "non_2xx_3xx_or_socket_errors": sum(r["non_2xx_3xx"] + r["socket_errors"] for r in rs),
            "runs": rs,
        }
    known, unknown = summary["reset: known account"], summary["reset: unknown address"]
    per_run = [round(k / u, 3) for k, u in zip(known["ratio_per_run"], unknown["ratio_per_run"], strict=True)]
    known_unknown = known["rps_median"] / unknown["rps_median"]
    requests = sum(r["requests"] for name in scripts for r in runs[name])
    return {
        "wrk": wrk_version,
        "workers": args.workers,
        "queue": args.queue_url or "sqlite (instance/queue.sqlite3)",
        "consumer": "started after the runs (control)" if args.consumer_after else "running during the runs",
        "runs": args.runs,
        "duration_s": args.duration,
        "hello_rps_median": round(hello_rps, 1),
        "cases": summary,
        "known_over_unknown": round(known_unknown, 3),
        "known_over_unknown_per_run": per_run,
        "verdict": "pass (within noise)" if abs(known_unknown - 1) <= NOISE else "outside the 5-point noise",
        "non_ok": sum(row["non_2xx_3xx_or_socket_errors"] for row in summary.values()),
        "deliveries": {
            "reset_requests_measured": requests,
            "rows_at_end_of_runs": at_end,
            "rows_after_drain": final,
            "drain_s": round(drain_s, 1),
            "mails_written": mails,
        },
        "log_tails": logs,
    }


# --- notify 2,400 ------------------------------------------------------------------------------------------


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def notify_part(args) -> dict:
    sys.path.insert(0, str(ROOT))
    from flask_babel import force_locale
    from flask_babel import gettext as _
    from flask_migrate import upgrade
    from sqlalchemy import delete, insert, select

    from lms import create_app
    from lms.accounts.models import User
    from lms.config import TestConfig
    from lms.core import queue
    from lms.core.mail import MailDelivery
    from lms.core.timeutil import utcnow
    from lms.extensions import db
    from lms.notifications.models import Notification
    from lms.notifications.service import notify

    queues = {"sqlite": None}
    if _redis_answers():
        queues["redis"] = "redis://127.0.0.1:6379/15"
    results: dict = {"users": args.users, "runs": args.notify_runs, "queues": {}}
    with temp_dir("tadrib-notify-") as tmp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        app = create_app(TestConfig(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", str(instance)))
        app.config["BASE_URL"] = "http://127.0.0.1"
        with app.app_context():
            logging.disable(logging.INFO)
            upgrade()
            logging.disable(logging.NOTSET)
            now = utcnow()
            locales = ["fr", "ar", "en"]
            db.session.execute(
                insert(User),
                [
                    {
                        "email": f"person{i:05d}@example.org",
                        "name_latin": f"Person {i:05d}",
                        "locale": locales[i % 3],
                        "is_learner": True,
                        "is_trainer": False,
                        "is_admin": False,
                        "is_active": True,
                        "session_version": 1,
                        "created_at": now,
                    }
                    for i in range(args.users)
                ],
            )
            db.session.commit()
        sender = SimpleNamespace(name_latin="Formatrice Bench")
        cohort = SimpleNamespace(title="Cohorte Rabat 2027")

        def one_run(label: str, with_notify: bool) -> tuple[float, float]:
            """(seconds for the whole loop and its commit, of which the commit with its queuing)."""
            with app.app_context():
                started = time.perf_counter()
                users = db.session.scalars(select(User).order_by(User.id)).all()
                for user in users:
                    with force_locale(user.locale or "fr"):
                        title = _("Workshop reminders")
                        body = _("Sessions still to come:")
                    if with_notify:
                        notify(
                            user,
                            "workshop_reminder",
                            f"bench:{label}:{user.id}",
                            title=title,
                            body=body,
                            link="/attendance/sessions/1",
                            mail_template="cohorts/email/message",
                            subject=title,
                            sender=sender,
                            cohort=cohort,
                        )
                committing = time.perf_counter()
                db.session.commit()  # with notify: 2,400 deliver tasks queued after it
                ended = time.perf_counter()
                db.session.remove()
            return ended - started, ended - committing

        for queue_name, url in queues.items():
            app.config["QUEUE_URL"] = url or f"sqlite:///{instance / 'queue.sqlite3'}"
            app.config["QUEUE_NAME"] = f"tadrib-bench-{uuid.uuid4().hex[:8]}"
            queue.init_app(app)
            timings: dict[str, list[float]] = {"without notify": [], "with notify": [], "commit and queue": []}
            queued = []
            try:
                for number in range(args.notify_runs + 1):  # the first pair warms up
                    base, _commit = one_run(f"{queue_name}-base-{number}", False)
                    total, commit = one_run(f"{queue_name}-{number}", True)
                    queued.append(queue.huey.storage.queue_size())
                    if number:
                        timings["without notify"].append(base)
                        timings["with notify"].append(total)
                        timings["commit and queue"].append(commit)
                    print(
                        f"  {queue_name} run {number}{' (warm-up)' if not number else ''}: without notify "
                        f"{base * 1000:.0f} ms, with notify {total * 1000:.0f} ms (commit and queuing "
                        f"{commit * 1000:.0f} ms)",
                        flush=True,
                    )
                    # Each run starts from the same tables and an empty queue.
                    with app.app_context():
                        db.session.execute(delete(Notification))
                        db.session.execute(delete(MailDelivery))
                        db.session.commit()
                        db.session.remove()
                    queue.huey.storage.flush_queue()
            finally:
                with contextlib.suppress(Exception):
                    queue.huey.storage.flush_all()
            base = statistics.median(timings["without notify"])
            total = statistics.median(timings["with notify"])
            commit = statistics.median(timings["commit and queue"])
            results["queues"][queue_name] = {
                "queue_url": url or "sqlite (instance/queue.sqlite3)",
                "without_notify_ms": round(base * 1000, 1),
                "with_notify_ms": round(total * 1000, 1),
                "commit_and_queue_ms": round(commit * 1000, 1),
                "ratio": round(total / base, 2),
                "ms_per_item": round((total - base) * 1000 / args.users, 3),
                "tasks_queued_per_run": queued,
                "runs_ms": {k: [round(v * 1000, 1) for v in vs] for k, vs in timings.items()},
            }
        with app.app_context():
            db.engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6, help="measured runs per case, the cases alternating")
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--queue-url", default=None, help="the consumer's queue (default: the instance's SQLite)")
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--users", type=int, default=2400)
    parser.add_argument("--notify-runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1 run of 3 s per case, 1 s warm-up; 3 notify runs")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-notify", action="store_true")
    parser.add_argument(
        "--consumer-after",
        action="store_true",
        help="control run: start the consumer only after the measured runs (the requests alone)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "queue.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.duration, args.warmup, args.notify_runs = 1, 3, 1, 3
    started = time.perf_counter()
    results: dict = {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "quick": args.quick,
    }
    status = 0
    if not args.skip_http:
        http = http_part(args)
        results["http"] = http
        print()
        print(f"{'case':<24} {'req/s':>8} {'ratio':>6} {'p99 ms':>8}")
        for name, row in http["cases"].items():
            print(f"{name:<24} {row['rps_median']:>8.1f} {row['ratio']:>6.2f} {row['p99_ms_median']:>8.2f}")
        d = http["deliveries"]
        print(
            f"known/unknown {http['known_over_unknown']:.3f} (per run {http['known_over_unknown_per_run']}): "
            f"{http['verdict']}; {d['reset_requests_measured']:,} requests measured, backlog emptied "
            f"{d['drain_s']} s after the last run ({d['rows_after_drain']}), {d['mails_written']:,} mails written"
        )
        if http["non_ok"] or not http["verdict"].startswith("pass") or d["rows_after_drain"].get("pending"):
            status = 1
    if not args.skip_notify:
        print(f"notify: {args.users:,} users, median of {args.notify_runs} runs", flush=True)
        results["notify"] = notify_part(args)
    for name, row in results.get("notify", {}).get("queues", {}).items():
        print(
            f"notify x{args.users:,} ({name} queue): {row['with_notify_ms']:.0f} ms against "
            f"{row['without_notify_ms']:.0f} ms without (x{row['ratio']:.1f}); {row['ms_per_item']:.2f} ms per "
            f"reminder; commit and queuing {row['commit_and_queue_ms']:.0f} ms"
        )
    results["load_average_end"] = loadavg()
    results["total_s"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted: servers stopped", file=sys.stderr)
        sys.exit(130)
