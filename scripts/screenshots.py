"""Screenshots of the main pages at phone, tablet and desktop widths, in French and Arabic: ``make screenshots``.

Starts Tadrib on a demo instance in a temporary folder (SQLite, the shipped courses, the demo people and
cohorts), signs in as each demo role with the system Chromium driven by Playwright (``executable_path``:
nothing is downloaded), visits the main pages and writes ``screenshots/<width>/<lang>/<role>-<page>.png``
(the folder is in .gitignore). Look at them before closing work that changes a page.

    python scripts/screenshots.py [--out screenshots] [--widths 390,768,1280] [--langs fr,ar] [--only audit]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = Path(os.environ.get("TADRIB_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
#: the demo accounts' password for this run only (the instance is thrown away afterwards)
PASSWORD = secrets.token_urlsafe(16)
BROWSER_LOCALES = {"fr": "fr-FR", "ar": "ar-MA"}
#: a viewport's height per width (a phone, a tablet held upright, an office PC)
HEIGHTS = {390: 844, 768: 1024, 1280: 800}


def start_demo(instance: Path):
    """A migrated SQLite database with the courses and the demo data, served on a free port of 127.0.0.1."""
    os.environ["LMS_DEMO_PASSWORD"] = PASSWORD
    from flask_migrate import upgrade
    from werkzeug.serving import WSGIRequestHandler, make_server

    from lms import create_app
    from lms.config import TestConfig
    from lms.content.sync import sync_courses
    from lms.demo import load_demo
    from lms.extensions import db

    config = TestConfig(f"sqlite:///{instance}/tadrib.sqlite3", str(instance))
    config.RATELIMIT_ENABLED = False
    config.TESTING = False
    config.DEMO = True  # a demo: links from the request's host (no LMS_BASE_URL needed)
    app = create_app(config)
    app.config["RATELIMIT_ENABLED"] = False
    with app.app_context():
        upgrade()
        sync_courses(app.config["COURSES_PATH"])
        db.session.commit()
        load_demo("small")
        db.session.commit()
        db.session.remove()

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code="-", size="-"):
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, name="screenshots-server", daemon=True).start()
    return app, server, f"http://127.0.0.1:{server.server_port}"


def pages_to_visit(app) -> dict[str, list[tuple[str, str]]]:
    """For each demo role, ``(name, path)`` of its main pages, with the ids the demo data gave."""
    from sqlalchemy import select

    from lms.accounts.models import User
    from lms.attendance.models import WorkshopSession
    from lms.cohorts.models import Cohort, Enrolment
    from lms.content.models import Course, Module, QuizVersion
    from lms.extensions import db
    from lms.quizzes.models import Attempt

    with app.app_context():
        trainer = db.session.scalar(select(User).where(User.email == "formateur1@tadrib.demo"))
        cohort = db.session.scalar(
            select(Cohort).where(Cohort.trainers.any(User.id == trainer.id)).order_by(Cohort.start_date)
        )
        session = db.session.scalar(
            select(WorkshopSession).where(WorkshopSession.cohort_id == cohort.id).order_by(WorkshopSession.starts_at)
        )
        # The learner shown: one enrolled in that cohort who has a graded attempt, else the first one enrolled.
        enrolled = select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)
        attempt = db.session.scalar(
            select(Attempt)
            .where(Attempt.user_id.in_(enrolled), Attempt.percent.is_not(None))
            .order_by(Attempt.percent.desc())
        )
        learner_id = attempt.user_id if attempt else db.session.scalar(enrolled)
        learner = db.session.get(User, learner_id)
        course = db.session.get(Course, cohort.course_id)
        modules = db.session.scalars(
            select(Module).where(Module.course_id == course.id).order_by(Module.position)
        ).all()
        module = next((m for m in modules if m.position >= 1), modules[0])
        quiz = db.session.scalar(
            select(QuizVersion).where(QuizVersion.module_id == module.id, QuizVersion.is_current)
        ) or db.session.scalar(
            select(QuizVersion).where(QuizVersion.module_id.in_([m.id for m in modules]), QuizVersion.is_current)
        )
        learner_pages = [
            ("home", "/"),
            ("module", f"/courses/{course.slug}/{module.slug}"),
            ("quiz", f"/quizzes/{quiz.id}"),
        ]
        if attempt:
            learner_pages.append(("result", f"/quizzes/attempts/{attempt.id}/result"))
        learner_pages.append(("certificates", "/certificates"))
        return {
            learner.email: learner_pages,
            trainer.email: [
                ("home", "/"),
                ("cohort", f"/cohorts/{cohort.id}"),
                ("cohort-dashboard", f"/reports/cohorts/{cohort.id}"),
                ("cohort-learner", f"/reports/cohorts/{cohort.id}/learners/{learner.id}"),
                ("cohort-import", f"/cohorts/{cohort.id}/import"),
                ("attendance", f"/attendance/sessions/{session.id}"),
                ("checkin-screen", f"/attendance/sessions/{session.id}/checkin-screen"),
                ("certificates", f"/certificates/cohorts/{cohort.id}"),
            ],
            "admin@tadrib.demo": [
                ("home", "/"),
                ("users", "/account/users"),
                ("audit-log", "/audit"),
                ("programme", "/reports/programme"),
            ],
        }


def role_of(email: str) -> str:
    if email.startswith("admin"):
        return "admin"
    return "trainer" if email.startswith("format") else "learner"


def take(base_url: str, visits, out: Path, widths, langs, only: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        for lang in langs:
            for email, pages in visits.items():
                context = browser.new_context(
                    base_url=base_url,
                    locale=BROWSER_LOCALES.get(lang, "fr-FR"),
                    viewport={"width": 1280, "height": 800},
                    service_workers="block",
                )
                page = context.new_page()
                page.goto("/account/login")
                page.fill("#email", email)
                page.fill("#password", PASSWORD)
                with page.expect_navigation():
                    page.locator("main form button[type=submit]").click()
                if "/account/login" in page.url:
                    raise SystemExit(f"sign-in failed for {email}")
                button = page.locator(f"header button[name=lang][value={lang}]")
                if button.count() and button.first.get_attribute("aria-current") != "true":
                    with page.expect_navigation():
                        button.first.click()
                for name, path in pages:
                    if only and only not in name:
                        continue
                    for width in widths:
                        page.set_viewport_size({"width": width, "height": HEIGHTS.get(width, 900)})
                        response = page.goto(path)
                        status = response.status if response else 0
                        target = out / str(width) / lang / f"{role_of(email)}-{name}.png"
                        target.parent.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=str(target), full_page=True)
                        written.append(target)
                        if status >= 400:
                            print(f"  ! {path} answered {status} ({target})")
                context.close()
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--widths", default="390,768,1280")
    parser.add_argument("--langs", default="fr,ar")
    parser.add_argument("--only", default="", help="only the pages whose name contains this word")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium (sudo apt-get install -y chromium, or make setup)")
        return 2
    started = time.monotonic()
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="tadrib-screenshots-") as folder:
        app, server, url = start_demo(Path(folder))
        try:
            visits = pages_to_visit(app)
            written = take(
                url,
                visits,
                out,
                [int(w) for w in args.widths.split(",")],
                [lang for lang in args.langs.split(",") if lang],
                args.only,
            )
        finally:
            server.shutdown()
    print(f"{len(written)} screenshots in {out} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
