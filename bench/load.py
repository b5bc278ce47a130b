"""Bounded load scenario: 100 learners and one trainer for 60 s, then a no-loss check in the database.

    .venv/bin/python bench/load.py [--seconds 60] [--learners 100] [--only postgres|sqlite]

Each simulated learner signs in, reads two module pages, starts the module's quiz, autosaves its answers
one request per answer (some answers changed once more), and submits; one submission in five is sent
twice at the same moment (a double click). One trainer thread marks attendance, one learner at a time, for
the running demo cohort's current session. The load generator uses threads and http.client only.

Two set-ups, one after the other, each on a fresh temporary instance with the demo data:
(a) two gunicorn instances on two ports, requests sent round-robin, sharing one PostgreSQL database
    created for the run and dropped afterwards (skipped with a message when PostgreSQL is unreachable);
(b) SQLite in WAL mode, one gunicorn instance with 2 sync workers.
Rate limits are off (all the load comes from one address). Afterwards, in the database: every answer
acknowledged with 200 is stored with its last acknowledged value; no attempt was graded twice; every
acknowledged attendance mark is stored; and no response was an error (non-2xx/3xx other than 429).
Results: bench/out/load.json, gunicorn logs: bench/out/logs/. Exit status 1 on any loss or error.
"""

from __future__ import annotations

import argparse
import html
import http.client
import itertools
import json
import os
import random
import re
import statistics
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from benchlib import (
    RESULTS,
    ROOT,
    BenchError,
    Server,
    Servers,
    app_env,
    csrf_token,
    loadavg,
    percentile,
    prepare_instance,
    sign_in,
    temp_dir,
)

PASSWORD = "load-learner-password-2027"
COURSE = "palermo-magistrates"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TIMEOUT = 60.0
STATUSES = ("present", "late", "excused", "absent")
LOG_DIR = RESULTS / "logs"
ERROR_MARKERS = ("Traceback", "database is locked", "ERROR", "CRITICAL", "WORKER TIMEOUT")


# --- HTTP ---------------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes
    location: str | None
    cookies: dict


class Stats:
    """Every request: (label, status, ms). Status 0 is a connection error or a time-out."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records: list[tuple[str, int, float]] = []
        self.errors: list[dict] = []

    def add(self, label: str, method: str, path: str, status: int, ms: float, detail: str = "") -> None:
        with self.lock:
            self.records.append((label, status, ms))
            if is_error(status) and len(self.errors) < 50:
                self.errors.append(
                    {"label": label, "method": method, "path": path, "status": status, "detail": detail[:300]}
                )


def is_error(status: int) -> bool:
    return status == 0 or (status >= 400 and status != 429)


class Targets:
    """Round-robin over the servers of a set-up, request by request."""

    def __init__(self, ports: list[int]):
        self.ports = ports
        self._next = itertools.count()

    def port(self) -> int:
        return self.ports[next(self._next) % len(self.ports)]


class Browser:
    """A cookie-keeping client on http.client; every request (redirects included) is recorded."""

    def __init__(self, targets: Targets, stats: Stats, cookies: dict | None = None):
        self.targets, self.stats = targets, stats
        self.cookies: dict[str, str] = dict(cookies or {})

    def copy(self) -> Browser:
        return Browser(self.targets, self.stats, self.cookies)

    def request(self, method: str, path: str, form: dict | None = None, label: str = "", apply: bool = True):
        port = self.targets.port()
        body = urllib.parse.urlencode(form, doseq=True) if form is not None else None
        headers = {"Host": f"127.0.0.1:{port}", "Accept-Language": "fr", "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            data = raw.read()
            response = Response(raw.status, data, raw.getheader("Location"), _cookies(raw.msg.get_all("Set-Cookie")))
            detail = data[:300].decode("utf-8", "replace") if is_error(raw.status) else ""
        except (OSError, http.client.HTTPException) as error:
            response, detail = Response(0, b"", None, {}), repr(error)
        finally:
            conn.close()
        self.stats.add(label or path, method, path, response.status, (time.perf_counter() - started) * 1000, detail)
        if apply:
            self.apply(response)
        return response

    def apply(self, response: Response) -> None:
        for name, value in response.cookies.items():
            if value is None:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def follow(self, response: Response, label: str, limit: int = 5) -> Response:
        while 300 <= response.status < 400 and response.location and limit:
            parts = urllib.parse.urlsplit(response.location)
            response = self.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), label=label)
            limit -= 1
        return response


def _cookies(headers: list[str] | None) -> dict:
    """name -> value, or None for a cookie the server deletes."""
    out: dict = {}
    for header in headers or []:
        first, _, attributes = header.partition(";")
        name, _, value = first.strip().partition("=")
        gone = "max-age=0" in attributes.lower().replace(" ", "") or "expires=thu, 01 jan 1970" in attributes.lower()
        out[name] = None if gone else value
    return out


# --- the attempt page -----------------------------------------------------------------------------------

FIELDSET_RE = re.compile(r'<fieldset class="question" id="question-([^"]+)">(.*?)</fieldset>', re.S)
INPUT_RE = re.compile(r"<input\b([^>]*)>")
SELECT_RE = re.compile(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', re.S)
OPTION_RE = re.compile(r'<option value="([^"]+)"')


def _attr(tag: str, name: str) -> str | None:
    match = re.search(rf'\b{name}="([^"]*)"', tag)
    return html.unescape(match.group(1)) if match else None


def parse_questions(page: str) -> list[dict]:
    """Each question: id, kind, and what can be answered (options, items and choices)."""
    questions = []
    for qid, block in FIELDSET_RE.findall(page):
        qid = html.unescape(qid)
        inputs = [m.group(1) for m in INPUT_RE.finditer(block)]
        kinds = {_attr(tag, "type") for tag in inputs}
        values = [_attr(tag, "value") for tag in inputs if _attr(tag, "type") in ("radio", "checkbox")]
        selects = SELECT_RE.findall(block)
        if "radio" in kinds:
            kind = "truefalse" if set(values) == {"true", "false"} else "single"
            questions.append({"id": qid, "kind": kind, "options": values})
        elif "checkbox" in kinds:
            questions.append({"id": qid, "kind": "multiple", "options": values})
        elif selects:
            items = {name[len(f"q-{qid}-") :]: OPTION_RE.findall(options) for name, options in selects}
            questions.append({"id": qid, "kind": "matching", "items": items})
        elif "<textarea" in block:
            questions.append({"id": qid, "kind": "essay"})
        elif "text" in kinds:
            questions.append({"id": qid, "kind": "short"})
    return questions


def answer(question: dict, rng: random.Random) -> tuple[dict, object]:
    """Form fields for one answer, and the value the server must store for it (as lms.quizzes.service does)."""
    kind, name = question["kind"], f"q-{question['id']}"
    if kind in ("single", "truefalse"):
        value = rng.choice(question["options"])
        return {name: value}, ({"true": True, "false": False}[value] if kind == "truefalse" else value)
    if kind == "multiple":
        chosen = sorted(rng.sample(question["options"], rng.randint(1, len(question["options"]))))
        return {name: chosen}, chosen
    if kind == "matching":
        pairs = {item: rng.choice(choices) for item, choices in question["items"].items() if choices}
        return {f"{name}-{item}": choice for item, choice in pairs.items()}, pairs
    text = f"réponse {rng.randint(0, 10**6)} — إجابة"
    return {name: text}, text


# --- the simulated people -----------------------------------------------------------------------------


@dataclass
class Ledger:
    """What one simulated person saw acknowledged."""

    answers: dict = field(default_factory=dict)  # (attempt, question) -> last value acknowledged with 200
    tried: dict = field(default_factory=dict)  # (attempt, question) -> last value sent (acknowledged or not)
    submits: dict = field(default_factory=dict)  # attempt -> Counter(submitted=, already=, other=)
    attempts: set = field(default_factory=set)
    marks: dict = field(default_factory=dict)  # user id -> last status acknowledged
    iterations: int = 0
    exhausted: int = 0
    notes: list = field(default_factory=list)


def learner(index: int, email: str, plan: dict, targets: Targets, stats: Stats, deadline: float, out: Ledger):
    rng = random.Random(index)
    browser = Browser(targets, stats)
    page = browser.request("GET", "/account/login", label="GET /account/login")
    if page.status != 200:
        out.notes.append(f"{email}: GET /account/login {page.status}")
        return
    token = csrf_token(page.body)
    signed = browser.request(
        "POST",
        "/account/login",
        {"csrf_token": token, "email": email, "password": PASSWORD},
        label="POST /account/login",
    )
    home = browser.follow(signed, "GET / (after sign-in)")
    if home.status != 200:
        out.notes.append(f"{email}: sign-in ended with {home.status}")
        return
    modules = plan["modules"]
    k = index
    while time.monotonic() < deadline:
        slug, quiz_id = modules[k % len(modules)]
        following, _q = modules[(k + 1) % len(modules)]
        k += 1
        module = browser.request("GET", f"/courses/{COURSE}/{slug}", label="GET module page")
        browser.request("GET", f"/courses/{COURSE}/{following}", label="GET module page")
        if module.status != 200 or time.monotonic() >= deadline:
            continue
        token = csrf_token(module.body)
        started = browser.request("POST", f"/quizzes/{quiz_id}/start", {"csrf_token": token}, label="POST quiz start")
        where = urllib.parse.urlsplit(started.location or "").path
        attempt_page = browser.follow(started, "GET attempt page" if "/quizzes/attempts/" in where else "GET quiz page")
        match = re.fullmatch(r"/quizzes/attempts/(\d+)", where)
        if not match:
            out.exhausted += 1  # every attempt used: on to the next module
            continue
        attempt = int(match.group(1))
        out.attempts.add(attempt)
        if attempt_page.status != 200:
            continue
        text = attempt_page.body.decode("utf-8", "replace")
        token = csrf_token(text)
        autosave = f"/quizzes/attempts/{attempt}/autosave"
        questions = parse_questions(text)
        if not questions:
            out.notes.append(f"attempt {attempt}: no question parsed")
        # One request per answer; about one answer in three is changed once more afterwards.
        for question in questions + [q for q in questions if rng.random() < 0.33]:
            if time.monotonic() >= deadline:
                break
            fields, expected = answer(question, rng)
            key = (attempt, question["id"])
            out.tried[key] = expected
            saved = browser.request(
                "POST", autosave, {"csrf_token": token, "shown": question["id"], **fields}, label="POST autosave"
            )
            if saved.status == 200 and json.loads(saved.body).get("ok"):
                out.answers[key] = expected
        submit(browser, attempt, token, double=rng.random() < 0.2, out=out)
        out.iterations += 1


#: the flashed messages of a page (templates/base.html)
FLASHES_RE = re.compile(rb'<div class="flashes" role="status">(.*?)</div>', re.S)


def submit(browser: Browser, attempt: int, token: str, double: bool, out: Ledger) -> None:
    """Submit (twice at once when ``double``); read on each result page whether it was graded or already was."""
    path = f"/quizzes/attempts/{attempt}/submit"
    tally = out.submits.setdefault(attempt, Counter())
    responses: list[tuple[Browser, Response]] = []

    def send(copy: Browser):
        responses.append((copy, copy.request("POST", path, {"csrf_token": token}, label="POST submit")))

    if double:
        copies = [browser.copy(), browser.copy()]
        threads = [threading.Thread(target=send, args=(c,)) for c in copies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        send(browser)
    for copy, response in responses:
        result = copy.follow(response, "GET result page")
        # The submission's own message, in the flashes block: a result page also says "You have passed this quiz"
        # in a success box, which read as a second grading when an "already submitted" answer was about a pass.
        flashes = FLASHES_RE.search(result.body)
        said = flashes.group(1) if flashes else b""
        if result.status == 200 and b'class="flash flash-success"' in said:
            tally["submitted"] += 1
        elif result.status == 200 and b'class="flash flash-info"' in said:
            tally["already"] += 1
        else:
            tally["other"] += 1
    browser.cookies = dict(responses[-1][0].cookies)


def trainer(plan: dict, base_url: str, targets: Targets, stats: Stats, deadline: float, out: Ledger):
    """Sign in (two-factor set up on first sign-in, outside the figures), then mark one learner at a time."""
    _op, jar, _cookie = sign_in(base_url, plan["trainer"])
    browser = Browser(targets, stats, {c.name: c.value for c in jar})
    session_id = plan["session_id"]
    page = browser.request("GET", f"/attendance/sessions/{session_id}", label="GET attendance sheet")
    if page.status != 200:
        out.notes.append(f"attendance sheet answered {page.status}")
        return
    token = csrf_token(page.body)
    for number, user_id in enumerate(itertools.cycle(plan["learner_ids"])):
        if time.monotonic() >= deadline:
            break
        status = STATUSES[(number // len(plan["learner_ids"]) + user_id) % len(STATUSES)]
        marked = browser.request(
            "POST",
            f"/attendance/sessions/{session_id}/marks/{user_id}",
            {"csrf_token": token, "status": status},
            label="POST attendance mark",
        )
        if marked.status == 200 and json.loads(marked.body).get("ok"):
            out.marks[user_id] = status
        out.iterations += 1


# --- set-ups --------------------------------------------------------------------------------------------


def create_learners(env: dict, n: int) -> dict:
    """In-process, on the set-up's database: n magistrates enrolled in the running demo cohort (one password
    hash computed once and reused), and what the scenario needs to know (modules, quizzes, session, trainer)."""
    from sqlalchemy import insert, select

    saved = {k: os.environ.get(k) for k in env if k.startswith("LMS_")}
    os.environ.update({k: v for k, v in env.items() if k.startswith("LMS_")})
    try:
        from lms import create_app
        from lms.accounts.models import User
        from lms.accounts.passwords import hash_password
        from lms.attendance.models import WorkshopSession
        from lms.cohorts.models import Cohort, Enrolment
        from lms.content.models import Course, Module, QuizVersion
        from lms.core.timeutil import utcnow
        from lms.extensions import db

        app = create_app()
        with app.app_context():
            now = utcnow()
            current = db.session.scalar(
                select(WorkshopSession)
                .join(Cohort, Cohort.id == WorkshopSession.cohort_id)
                .where(WorkshopSession.starts_at <= now, WorkshopSession.ends_at >= now)
                .order_by(WorkshopSession.starts_at.desc())
            )
            if current is None:
                raise BenchError("the demo data has no running session")
            cohort = db.session.get(Cohort, current.cohort_id)
            password_hash = hash_password(PASSWORD)
            rows = [
                {
                    "email": f"load{i:04d}@tadrib.load",
                    "name_latin": f"Charge {i:04d}",
                    "password_hash": password_hash,
                    "locale": "fr",
                    "is_learner": True,
                    "is_trainer": False,
                    "is_admin": False,
                    "is_active": True,
                    "session_version": 1,
                    "created_at": now - timedelta(days=1),
                    "profession": "magistrate-judge",
                    "jurisdiction": "casablanca",
                    "gender": ("female", "male", None)[i % 3],
                }
                for i in range(n)
            ]
            db.session.execute(insert(User), rows)
            ids = db.session.scalars(
                select(User.id).where(User.email.like("load%@tadrib.load")).order_by(User.id)
            ).all()
            db.session.execute(
                insert(Enrolment),
                [{"cohort_id": cohort.id, "user_id": uid, "enrolled_at": now, "source": "import"} for uid in ids],
            )
            course = db.session.scalar(select(Course).where(Course.slug == COURSE))
            modules = db.session.scalars(
                select(Module)
                .where(Module.course_id == course.id, Module.is_archived.is_(False))
                .order_by(Module.position)
            ).all()
            quizzes = {
                q.module_id: q.id
                for q in db.session.scalars(select(QuizVersion).where(QuizVersion.is_current.is_(True)))
            }
            plan = {
                "emails": [r["email"] for r in rows],
                "learner_ids": list(ids),
                "modules": [(m.slug, quizzes[m.id]) for m in modules if m.id in quizzes],
                "session_id": current.id,
                "cohort_id": cohort.id,
                "trainer": sorted(t.email for t in cohort.trainers)[0],
            }
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        return plan
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def verify(env: dict, ledgers: list[Ledger], trainer_ledger: Ledger, plan: dict) -> dict:
    """Compare what was acknowledged with what the database holds."""
    from sqlalchemy import select, text

    saved = {k: os.environ.get(k) for k in env if k.startswith("LMS_")}
    os.environ.update({k: v for k, v in env.items() if k.startswith("LMS_")})
    try:
        from lms import create_app
        from lms.attendance.models import Attendance
        from lms.extensions import db
        from lms.quizzes.models import Answer, Attempt

        acked = {k: v for ledger in ledgers for k, v in ledger.answers.items()}
        tried = {k: v for ledger in ledgers for k, v in ledger.tried.items()}
        attempts = set().union(*(ledger.attempts for ledger in ledgers))
        submits: dict[int, Counter] = {}
        for ledger in ledgers:
            for attempt, tally in ledger.submits.items():
                submits.setdefault(attempt, Counter()).update(tally)
        app = create_app()
        with app.app_context():
            journal = (
                db.session.execute(text("PRAGMA journal_mode")).scalar() if db.engine.dialect.name == "sqlite" else None
            )
            stored: dict = {}
            rows: dict = {}
            ids = sorted(attempts)
            for chunk in range(0, len(ids), 500):
                part = ids[chunk : chunk + 500]
                for a in db.session.scalars(select(Answer).where(Answer.attempt_id.in_(part))):
                    stored[(a.attempt_id, a.question_id)] = (a.response, a.points)
                for t in db.session.scalars(select(Attempt).where(Attempt.id.in_(part))):
                    rows[t.id] = t
            lost, overwritten = [], []
            for key, value in acked.items():
                got = stored.get(key, ("<missing>", None))[0]
                if got != value:
                    if got == tried.get(key):
                        overwritten.append({"attempt": key[0], "question": key[1], "acked": value, "stored": got})
                    else:
                        lost.append({"attempt": key[0], "question": key[1], "acked": value, "stored": got})
            graded_twice = [a for a, t in submits.items() if t["submitted"] > 1]
            not_submitted, ungraded, unconfirmed = [], [], []
            for attempt, tally in submits.items():
                row = rows.get(attempt)
                if row is None or row.state != "submitted" or row.submitted_at is None:
                    not_submitted.append(attempt)
                elif row.percent is None and not row.is_pending:
                    ungraded.append(attempt)
                elif tally["submitted"] == 0 and tally["other"] == 0:
                    unconfirmed.append(attempt)  # submitted, yet every response said "already submitted"
            marks = {
                m.user_id: m.status
                for m in db.session.scalars(select(Attendance).where(Attendance.session_id == plan["session_id"]))
            }
            lost_marks = [
                {"user": uid, "acked": status, "stored": marks.get(uid)}
                for uid, status in trainer_ledger.marks.items()
                if marks.get(uid) != status
            ]
            db.session.remove()
            db.engine.dispose()
        totals = Counter()
        for tally in submits.values():
            totals.update(tally)
        return {
            "sqlite_journal_mode": journal,
            "attempts_started": len(attempts),
            "attempts_submitted": len(submits),
            "answers_acknowledged": len(acked),
            "answers_lost": lost[:20],
            "answers_lost_count": len(lost),
            "answers_overwritten_by_unacknowledged_request": overwritten[:20],
            "submit_responses": dict(totals),
            "double_submits": sum(1 for t in submits.values() if sum(t.values()) > 1),
            "graded_twice": graded_twice[:20],
            "not_submitted": not_submitted[:20],
            "ungraded": ungraded[:20],
            "submitted_but_every_response_said_already": unconfirmed[:20],
            "attendance_marks_acknowledged": len(trainer_ledger.marks),
            "attendance_marks_lost": lost_marks[:20],
        }
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_scenario(name: str, env: dict, servers: list[Server], plan: dict, args) -> dict:
    targets = Targets([s.port for s in servers])
    stats = Stats()
    ledgers = [Ledger() for _ in plan["emails"]]
    trainer_ledger = Ledger()
    # The trainer's sign-in (with its two-factor set-up) is not in the figures; it runs on the clock.
    trainer_error: list[str] = []
    deadline_box = {}

    def trainer_thread():
        try:
            trainer(plan, servers[0].url, targets, stats, deadline_box["deadline"], trainer_ledger)
        except Exception as error:  # reported, never silent
            trainer_error.append(repr(error))

    started = time.monotonic()
    deadline_box["deadline"] = started + args.seconds
    threads = [threading.Thread(target=trainer_thread, name="trainer", daemon=True)]
    for index, email in enumerate(plan["emails"]):

        def run(index=index, email=email):
            try:
                learner(index, email, plan, targets, stats, deadline_box["deadline"], ledgers[index])
            except Exception as error:
                ledgers[index].notes.append(f"{email}: {error!r}")

        threads.append(threading.Thread(target=run, name=f"learner-{index}", daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, deadline_box["deadline"] + TIMEOUT + 30 - time.monotonic()))
    elapsed = time.monotonic() - started
    stuck = [t.name for t in threads if t.is_alive()]

    checks = verify(env, ledgers, trainer_ledger, plan)
    records = stats.records
    latencies = [ms for _l, _s, ms in records]
    errors = [r for r in records if is_error(r[1])]
    by_label: dict = {}
    for label in sorted({r[0] for r in records}):
        ms = [r[2] for r in records if r[0] == label]
        by_label[label] = {
            "requests": len(ms),
            "errors": sum(1 for r in records if r[0] == label and is_error(r[1])),
            "p50_ms": round(percentile(ms, 50), 1),
            "p99_ms": round(percentile(ms, 99), 1),
        }
    statuses = Counter(r[1] for r in records)
    log_findings = {s.name: _log_findings(s) for s in servers}
    notes = [n for ledger in ledgers for n in ledger.notes] + trainer_ledger.notes + trainer_error
    no_loss = not (
        checks["answers_lost_count"]
        or checks["graded_twice"]
        or checks["not_submitted"]
        or checks["ungraded"]
        or checks["submitted_but_every_response_said_already"]
        or checks["attendance_marks_lost"]
    )
    return {
        "setup": name,
        "servers": [{"name": s.name, "port": s.port, "workers": s.cmd[s.cmd.index("--workers") + 1]} for s in servers],
        "seconds": args.seconds,
        "elapsed_s": round(elapsed, 1),
        "learners": len(plan["emails"]),
        "requests": len(records),
        "requests_per_s": round(len(records) / elapsed, 1) if elapsed else None,
        "errors": len(errors),
        "error_rate": round(len(errors) / len(records), 5) if records else None,
        "responses_429": statuses.get(429, 0),
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "by_request": by_label,
        "quiz_iterations": sum(ledger.iterations for ledger in ledgers),
        "attempts_refused_all_used": sum(ledger.exhausted for ledger in ledgers),
        "attendance_requests": trainer_ledger.iterations,
        "first_errors": stats.errors[:10],
        "checks": checks,
        "no_loss": no_loss,
        "stuck_threads": stuck,
        "notes": notes[:20],
        "server_logs": log_findings,
        "load_average_end": loadavg(),
    }


def _log_findings(server: Server) -> dict:
    try:
        text = server.log_path.read_text(errors="replace")
    except OSError:
        return {}
    lines = text.splitlines()
    counts = {marker: sum(1 for line in lines if marker in line) for marker in ERROR_MARKERS}
    first = None
    if "Traceback" in text:
        start = text.index("Traceback")
        first = text[max(0, text.rfind("\n", 0, max(0, start - 400)) + 1) : start + 4000]
    return {"log": str(server.log_path.relative_to(ROOT)), "counts": counts, "first_traceback": first}


def setup_sqlite(args, servers: Servers, tmp: Path) -> dict:
    instance = tmp / "sqlite-instance"
    env = app_env(instance)
    print("(b) SQLite (WAL), one gunicorn instance, 2 sync workers: preparing...", flush=True)
    prepare_instance(env)
    plan = create_learners(env, args.learners)
    server = servers.start(Server("load-sqlite", "wsgi:app", _port(), args.sqlite_workers, env, LOG_DIR))
    try:
        return run_scenario("sqlite-wal-1x" + str(args.sqlite_workers), env, [server], plan, args)
    finally:
        servers.stop_all()


def setup_postgres(args, servers: Servers, tmp: Path) -> dict | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as error:
        print(f"(a) PostgreSQL skipped: unreachable at 127.0.0.1:5432 ({str(error).splitlines()[0]})", flush=True)
        admin.dispose()
        return None
    name = f"tadrib_load_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        instance = tmp / "pg-instance"
        env = app_env(instance, url)
        print(
            f"(a) PostgreSQL ({name}), two gunicorn instances x {args.pg_workers} sync workers, "
            "round-robin: preparing...",
            flush=True,
        )
        prepare_instance(env)
        plan = create_learners(env, args.learners)
        first = servers.start(Server("load-pg-1", "wsgi:app", _port(), args.pg_workers, env, LOG_DIR))
        second = servers.start(Server("load-pg-2", "wsgi:app", _port(), args.pg_workers, env, LOG_DIR))
        try:
            return run_scenario(f"postgres-2x{args.pg_workers}", env, [first, second], plan, args)
        finally:
            servers.stop_all()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _port() -> int:
    from benchlib import free_port

    return free_port()


def report(result: dict) -> None:
    c = result["checks"]
    print(
        f"  {result['setup']}: {result['requests']:,} requests in {result['elapsed_s']} s "
        f"({result['requests_per_s']} req/s), errors {result['errors']} "
        f"(rate {result['error_rate']:.3%}), 429s {result['responses_429']}, "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms"
    )
    print(
        f"  quiz: {result['quiz_iterations']} attempts submitted by learners, {c['answers_acknowledged']} answers "
        f"acknowledged, lost {c['answers_lost_count']}; submit responses {c['submit_responses']} "
        f"({c['double_submits']} double submits); graded twice {len(c['graded_twice'])}; "
        f"attendance marks acknowledged {c['attendance_marks_acknowledged']}, lost {len(c['attendance_marks_lost'])}"
    )
    if c["sqlite_journal_mode"]:
        print(f"  SQLite journal mode: {c['sqlite_journal_mode']}")
    print(f"  {'request':<24} {'count':>7} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for label, row in result["by_request"].items():
        print(f"  {label:<24} {row['requests']:>7} {row['errors']:>6} {row['p50_ms']:>8} {row['p99_ms']:>8}")
    for error in result["first_errors"][:5]:
        print(f"  error: {error['method']} {error['path']} -> {error['status']} {error['detail'][:160]!r}")
    for name, findings in result["server_logs"].items():
        hits = {k: v for k, v in findings.get("counts", {}).items() if v}
        if hits:
            print(f"  {name} log {findings['log']}: {hits}")
            if findings.get("first_traceback"):
                print("    " + findings["first_traceback"][:1500].replace("\n", "\n    "))
    for note in result["notes"][:5]:
        print(f"  note: {note}")
    if result["stuck_threads"]:
        print(f"  threads still running at the end: {len(result['stuck_threads'])}")
    print(f"  no-loss verdict: {'PASS' if result['no_loss'] and not result['errors'] else 'FAIL'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--pg-workers", type=int, default=2, help="sync workers per gunicorn instance (PostgreSQL)")
    parser.add_argument("--sqlite-workers", type=int, default=2)
    parser.add_argument("--only", choices=("postgres", "sqlite"))
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args(argv)
    LOG_DIR.mkdir(parents=True, exist_ok=True)

    results = []
    started = time.perf_counter()
    with temp_dir("tadrib-load-") as tmp, Servers() as servers:
        if args.only != "sqlite":
            pg = setup_postgres(args, servers, Path(tmp))
            if pg is not None:
                report(pg)
                results.append(pg)
        if args.only != "postgres":
            lite = setup_sqlite(args, servers, Path(tmp))
            report(lite)
            results.append(lite)
    failed = [r["setup"] for r in results if r["errors"] or not r["no_loss"] or r["stuck_threads"]]
    out = {
        "python": sys.version.split()[0],
        "cpu_count": os.cpu_count(),
        "total_s": round(time.perf_counter() - started, 1),
        "results": results,
        "failed": failed,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False, default=str) + "\n")
    where = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"written {where}; total {out['total_s']} s")
    if failed:
        print(f"FAIL: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted: servers stopped", file=sys.stderr)
        sys.exit(130)
