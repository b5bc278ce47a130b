"""Cohort dashboard at 10 and at 2,000 learners, in one process (PERF-BASELINES §4).

    .venv/bin/python bench/dashboard_bench.py [--small 10] [--large 2000] [--runs 7] [--warmup 2]

Builds two SQLite databases in a temporary folder (migrations, the shipped courses, a trainer and one cohort
with N learners, their module progress, quiz attempts, attendance and a few certificates, all in bulk), then
times ``cohort_dashboard(cohort)`` as the page calls it (its first page of PER_PAGE learners), as the results
export calls it (every learner: grows with the cohort by nature, measured for information),
``programme_indicators(...)`` and the dashboard page (page 1) through the Flask test client signed in as the
trainer: median of 7 after 2 warm-ups, the two sizes alternating so that host drift hits both alike. Goals:
the page at 2,000 within 4x the page at 10; the same number of SQL queries at both sizes (aggregates in SQL,
not one query per learner). Results: bench/out/dashboard.json.

The learners' attempts belong to the cohort (``Attempt.cohort_id``), as the application records them, so that
the quiz columns, the score charts and the "failing" flag have data.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import re
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchlib import RESULTS  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from lms import create_app  # noqa: E402
from lms.accounts import service as accounts  # noqa: E402
from lms.accounts.models import User  # noqa: E402
from lms.attendance.models import Attendance, WorkshopSession  # noqa: E402
from lms.certificates.models import Certificate  # noqa: E402
from lms.cohorts import service as cohorts  # noqa: E402
from lms.cohorts.models import Cohort, Enrolment  # noqa: E402
from lms.config import TestConfig  # noqa: E402
from lms.content.models import Course, Module, ModuleProgress, QuizVersion  # noqa: E402
from lms.content.sync import sync_courses  # noqa: E402
from lms.core.timeutil import utcnow  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.quizzes.models import Attempt  # noqa: E402
from lms.reports import service as reports  # noqa: E402
from lms.reports.dashboard import PER_PAGE  # noqa: E402

PAGE_RATIO_GOAL = 4.0
PASSWORD = "bench trainer password 2027"
TRAINER = "trainer@bench.example"
COURSE = "palermo-magistrates"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SKIP = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


class Setup:
    """One database, its app, the cohort and a signed-in test client."""

    def __init__(self, n: int, folder: Path):
        self.n = n
        instance = folder / f"learners-{n}"
        instance.mkdir(parents=True)
        self.app = create_app(TestConfig(f"sqlite:///{instance / 'bench.sqlite3'}", str(instance)))
        started = time.perf_counter()
        with self.app.app_context():
            logging.disable(logging.INFO)  # Alembic's "Running upgrade" lines
            try:
                upgrade()
            finally:
                logging.disable(logging.NOTSET)
            sync_courses(self.app.config["COURSES_PATH"])
            db.session.commit()
            self.cohort_id = _populate(n)
            self.engine = db.engine
        self.build_s = time.perf_counter() - started
        today = utcnow().date()
        self.filters = reports.ProgrammeFilters(today - timedelta(days=365), today + timedelta(days=365))
        self.client = self.app.test_client()
        page = self.client.get("/account/login").get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        response = self.client.post(
            "/account/login", data={"csrf_token": token, "email": TRAINER, "password": PASSWORD}
        )
        if response.status_code != 302:
            raise RuntimeError(f"{n} learners: trainer sign-in answered {response.status_code}")
        self.page_url = f"/reports/cohorts/{self.cohort_id}"
        self.page_bytes = 0

    # Each measure runs in a fresh app context (a fresh database session), as a request would.
    def dashboard(self) -> None:
        with self.app.app_context():
            view = reports.MatrixView(per_page=PER_PAGE)
            board = reports.cohort_dashboard(db.session.get(Cohort, self.cohort_id), view=view)
            assert len(board.rows) == min(self.n, PER_PAGE) and board.size == self.n

    def export(self) -> None:
        with self.app.app_context():
            board = reports.cohort_dashboard(db.session.get(Cohort, self.cohort_id))
            assert len(board.rows) == self.n

    def programme(self) -> None:
        with self.app.app_context():
            result = reports.programme_indicators(self.filters)
            assert result["enrolled"] == self.n

    def page(self) -> None:
        response = self.client.get(self.page_url)
        if response.status_code != 200:
            raise RuntimeError(f"{self.page_url} answered {response.status_code}")
        self.page_bytes = len(response.data)

    def count_queries(self, fn) -> int:
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(SKIP):
                statements.append(statement)

        event.listen(self.engine, "before_cursor_execute", record)
        try:
            fn()
        finally:
            event.remove(self.engine, "before_cursor_execute", record)
        return len(statements)


def _populate(n: int) -> int:
    """Trainer, cohort (started 30 days ago, ends in 30), n learners with progress, attempts, attendance."""
    now = utcnow()
    today = now.date()
    trainer = accounts.create_user(TRAINER, "Bench Trainer", password=PASSWORD, roles=("trainer",), locale="fr")
    course = db.session.scalar(select(Course).where(Course.slug == COURSE))
    cohort = cohorts.save_cohort(
        None,
        trainer,
        course=course,
        trainers=[trainer],
        title=f"Bench cohort, {n} learners",
        start_date=today - timedelta(days=30),
        end_date=today + timedelta(days=30),
        mode="in_person",
        language="fr",
    )
    db.session.commit()
    codes = [j["code"] for j in accounts.jurisdictions()]
    professions = ["magistrate-judge", "magistrate-prosecutor"]
    genders = ["female", "male", None]
    db.session.execute(
        insert(User),
        [
            {
                "email": f"bench{i:05d}@example.org",
                "name_latin": f"Learner {i:05d}",
                "locale": "fr",
                "is_learner": True,
                "is_trainer": False,
                "is_admin": False,
                "is_active": True,
                "session_version": 1,
                "created_at": now,
                "profession": professions[i % 2],
                "jurisdiction": codes[i % len(codes)],
                "gender": genders[i % 3],
            }
            for i in range(n)
        ],
    )
    ids = db.session.scalars(select(User.id).where(User.email.like("bench%@example.org")).order_by(User.id)).all()
    db.session.execute(
        insert(Enrolment),
        [{"cohort_id": cohort.id, "user_id": uid, "enrolled_at": now, "source": "import"} for uid in ids],
    )
    modules = db.session.scalars(select(Module).where(Module.course_id == course.id).order_by(Module.position)).all()
    quizzes = {q.module_id: q for q in db.session.scalars(select(QuizVersion).where(QuizVersion.is_current.is_(True)))}
    start = datetime.combine(cohort.start_date, datetime.min.time())
    sessions = []
    for s in range(3):  # two held, one to come
        when = start + timedelta(days=12 * s + 1, hours=9)
        item = WorkshopSession(
            cohort_id=cohort.id,
            title=f"Séance {s + 1}",
            starts_at=when,
            ends_at=when + timedelta(hours=3),
            modules=[],
            checkin_secret=f"{cohort.id:08d}{s}".ljust(64, "x"),
            trainer_id=trainer.id,
        )
        db.session.add(item)
        sessions.append(item)
    db.session.flush()
    held = [s for s in sessions if s.starts_at <= now]
    progress, attempts, marks, certificates = [], [], [], []
    statuses = ["present", "present", "late", "present", "absent", "excused", "present"]
    for index, uid in enumerate(ids):
        done = index % (len(modules) + 1)
        for position, module in enumerate(modules[: done + 1]):
            at = start + timedelta(days=position * 4 + 1, hours=index % 12)
            completed = position < done
            progress.append(
                {
                    "user_id": uid,
                    "module_id": module.id,
                    "first_viewed_at": at,
                    "last_viewed_at": at,
                    "completed_at": at + timedelta(minutes=45) if completed else None,
                }
            )
            quiz = quizzes.get(module.id)
            if quiz is None:
                continue
            tries = [45.0, 80.0] if (index + position) % 4 == 0 else [float(50 + (index * 7 + position * 11) % 50)]
            for number, percent in enumerate(tries if completed else [], start=1):
                attempts.append(
                    {
                        "user_id": uid,
                        "module_id": module.id,
                        "quiz_version_id": quiz.id,
                        "cohort_id": cohort.id,
                        "number": number,
                        "seed": index,
                        "question_ids": [],
                        "state": "submitted",
                        "started_at": at,
                        "submitted_at": at + timedelta(minutes=20),
                        "finished_by": "learner",
                        "points": percent,
                        "max_points": 100,
                        "percent": percent,
                        "is_passed": percent >= 70,
                        "is_pending": False,
                    }
                )
            if not completed and index % 3 == 0:
                attempts.append(
                    {
                        "user_id": uid,
                        "module_id": module.id,
                        "quiz_version_id": quiz.id,
                        "cohort_id": cohort.id,
                        "number": 1,
                        "seed": index,
                        "question_ids": [],
                        "state": "in_progress",
                        "started_at": at,
                        "is_pending": False,
                    }
                )
        for number, session in enumerate(held):
            marks.append(
                {
                    "session_id": session.id,
                    "user_id": uid,
                    "status": statuses[(index + number) % len(statuses)],
                    "method": "trainer",
                    "marked_by_id": trainer.id,
                    "marked_at": session.starts_at,
                }
            )
        if done == len(modules) and index % 2 == 0:
            certificates.append(
                {
                    "user_id": uid,
                    "cohort_id": cohort.id,
                    "course_id": course.id,
                    "serial": f"BENCH-{uid:06d}",
                    "code": f"B{uid:015d}",
                    "issued_at": now,
                    "issued_by_id": trainer.id,
                    "printed": {},
                }
            )
    bulk = ((ModuleProgress, progress), (Attempt, attempts), (Attendance, marks), (Certificate, certificates))
    for model, rows in bulk:
        if rows:
            db.session.execute(insert(model), rows)
    db.session.commit()
    return cohort.id


def timed_ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "dashboard.json")
    args = parser.parse_args(argv)

    import tempfile

    measures = ("dashboard", "export", "programme", "page")
    labels = {
        "dashboard": f"cohort_dashboard(), page 1 ({PER_PAGE})",
        "export": "cohort_dashboard(), every learner",
        "programme": "programme_indicators()",
        "page": "GET /reports/cohorts/<id> page 1 (test client)",
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tadrib-dashboard-", ignore_cleanup_errors=True) as tmp:
        small, large = Setup(args.small, Path(tmp)), Setup(args.large, Path(tmp))
        print(f"built: {args.small} learners in {small.build_s:.1f} s, {args.large} in {large.build_s:.1f} s")
        queries = {m: {size.n: size.count_queries(getattr(size, m)) for size in (small, large)} for m in measures}
        for _ in range(args.warmup):
            for m in measures:
                for size in (small, large):
                    getattr(size, m)()
        times: dict[str, dict[int, list[float]]] = {m: {small.n: [], large.n: []} for m in measures}
        for _ in range(args.runs):
            for m in measures:
                for size in (small, large):
                    times[m][size.n].append(timed_ms(getattr(size, m)))
        page_bytes = {small.n: small.page_bytes, large.n: large.page_bytes}
        for size in (small, large):
            with size.app.app_context():
                db.session.remove()
                db.engine.dispose()

    rows = {}
    for m in measures:
        a, b = statistics.median(times[m][small.n]), statistics.median(times[m][large.n])
        rows[m] = {
            "ms_small": round(a, 2),
            "ms_large": round(b, 2),
            "ratio": round(b / a, 2),
            "queries_small": queries[m][small.n],
            "queries_large": queries[m][large.n],
            "queries_equal": queries[m][small.n] == queries[m][large.n],
            "runs_small": [round(x, 2) for x in times[m][small.n]],
            "runs_large": [round(x, 2) for x in times[m][large.n]],
        }
    page_pass = rows["page"]["ratio"] <= PAGE_RATIO_GOAL
    queries_pass = all(r["queries_equal"] for r in rows.values())

    print(f"median of {args.runs} after {args.warmup} warm-up(s), sizes alternating")
    header = f"{'measure':<44} {f'ms @{args.small:,}':>10} {f'ms @{args.large:,}':>11} {'ratio':>7} {'queries':>15}"
    print(header)
    print("-" * len(header))
    for m in measures:
        r = rows[m]
        q = f"{r['queries_small']} / {r['queries_large']}" + ("" if r["queries_equal"] else " (!)")
        print(f"{labels[m]:<44} {r['ms_small']:>10.1f} {r['ms_large']:>11.1f} {r['ratio']:>6.1f}x {q:>15}")
    print(f"dashboard page bytes: {page_bytes[small.n]:,} @{args.small:,}, {page_bytes[large.n]:,} @{args.large:,}")
    print(
        f"goal: page @{args.large:,} <= {PAGE_RATIO_GOAL:g}x page @{args.small:,}: "
        f"{rows['page']['ratio']:.1f}x -> {'pass' if page_pass else 'FAIL'}"
    )
    print(f"goal: same number of SQL queries at both sizes -> {'pass' if queries_pass else 'FAIL'}")

    results = {
        "python": platform.python_version(),
        "small": args.small,
        "large": args.large,
        "runs": args.runs,
        "warmup": args.warmup,
        "measures": rows,
        "page_bytes": {str(k): v for k, v in page_bytes.items()},
        "page_ratio_goal": PAGE_RATIO_GOAL,
        "page_pass": page_pass,
        "queries_pass": queries_pass,
        "total_s": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0 if page_pass and queries_pass else 1


if __name__ == "__main__":
    raise SystemExit(main())
