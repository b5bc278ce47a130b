"""Real-browser journey: a trainer issues the certificates of a whole cohort; the work is a background job whose
page shows a progress bar that moves (asked by jobs.js, no reload) up to the end, in French and in Arabic.

The live server's queue is switched to a waiting in-process queue for this journey, and a thread plays the
consumer once the page is open, a batch of two learners at a time: the page sees the job waiting, then running,
then finished.
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta

import pytest

from .conftest import LANGS, require_browser, sign_in, switch_language

require_browser()

from playwright.sync_api import expect  # noqa: E402

COURSE = "palermo-magistrates"
LEARNERS = 12
JOB_TIMEOUT_MS = 60_000


def bulk_cohort(live_server, trainer, title: str) -> int:
    """A cohort of the trainer's with LEARNERS learners who meet its rule (one module completed), none issued."""
    from lms.accounts.models import User
    from lms.certificates import service as certificates
    from lms.cohorts import service as cohorts
    from lms.content import service as content
    from lms.content.models import Course, Module
    from lms.extensions import db

    people = [
        live_server.make_user("learner", profession="magistrate-judge", name_latin=f"Apprenant {title[-2:]} {n:02d}")
        for n in range(LEARNERS)
    ]
    with live_server.app.test_request_context():
        course = db.session.scalar(db.select(Course).where(Course.slug == COURSE))
        trainer_user = db.session.get(User, trainer.id)
        cohort = cohorts.save_cohort(
            None,
            trainer_user,
            course=course,
            trainers=[trainer_user],
            title=title,
            mode="online",
            start_date=date.today() - timedelta(days=20),
            end_date=date.today() + timedelta(days=1),
            language="fr",
            completion={"modules": 1, "quizzes_passed": 0, "attendance_percent": 0},
        )
        module = db.session.scalar(
            db.select(Module)
            .where(Module.course_id == course.id, Module.is_archived.is_(False))
            .order_by(Module.position)
        )
        for person in people:
            learner = db.session.get(User, person.id)
            cohorts.enrol(cohort, learner, trainer_user)
            content.set_completed(learner.id, module.id, True)
        statuses = certificates.cohort_eligibility(cohort)
        assert sum(s.eligible for s in statuses.values()) == LEARNERS, "set-up: the learners are not eligible"
        db.session.commit()
        cohort_id = cohort.id
        db.session.remove()
    return cohort_id


@pytest.fixture
def waiting_queue(live_server):
    """The live server queues tasks in this process instead of doing them inside the request; ``start()`` runs a
    consumer in a thread. Back to the immediate queue afterwards."""
    from lms.core import queue

    app = live_server.app
    before = {key: app.config.get(key) for key in ("QUEUE_URL", "JOB_BATCH_SIZE")}
    app.config.update(QUEUE_URL="memory", JOB_BATCH_SIZE=2)
    queue.init_app(app)
    threads = []

    def start() -> None:
        def consume():
            with app.app_context():
                deadline = datetime.now() + timedelta(seconds=60)
                while datetime.now() < deadline and queue.run_queued():
                    pass

        thread = threading.Thread(target=consume, name="e2e-consumer", daemon=True)
        thread.start()
        threads.append(thread)

    yield start
    for thread in threads:
        thread.join(timeout=60)
    app.config.update(before)
    queue.init_app(app)


@pytest.mark.parametrize("lang", LANGS)
def test_a_cohorts_certificates_issued_in_the_background(lang, page, live_server, waiting_queue, shot):
    trainer = live_server.make_user("trainer", name_latin=f"Nadia Formatrice {lang.upper()}")
    cohort = bulk_cohort(live_server, trainer, f"Tanger — attestations en lot {lang}")
    sign_in(page, trainer)
    switch_language(page, lang)
    page.goto(f"/certificates/cohorts/{cohort}")
    with page.expect_navigation():
        page.locator(f'main .page-head form[action="/certificates/cohorts/{cohort}/issue"] button').click()
    expect(page).to_have_url(re.compile(r"/certificates/jobs/\d+$"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")

    # Nothing done yet: the job waits for a consumer.
    bar = page.locator("progress#job-progress")
    state = page.locator("[data-job-state]")
    expect(bar).to_have_attribute("max", str(LEARNERS))
    expect(bar).to_have_attribute("value", "0")
    expect(state).to_have_attribute("data-state", "queued")
    expect(page.locator("[data-job-message]")).to_have_attribute("aria-live", "polite")
    waiting = {"fr": "En attente de démarrage", "ar": "في انتظار البدء"}[lang]
    expect(state).to_have_text(waiting)
    shot(page, "job-queued")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # A consumer takes it: the bar moves without the page being reloaded, up to the end.
    waiting_queue()
    expect(state).to_have_attribute("data-state", "finished", timeout=JOB_TIMEOUT_MS)
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded instead of following the job"
    assert bar.evaluate("b => b.value") == LEARNERS == bar.evaluate("b => b.max")
    finished = {
        "fr": ("Terminé", f"{LEARNERS} apprenant(e)s sur {LEARNERS}", re.compile(rf"délivrées\s:\s{LEARNERS}\b")),
        "ar": ("منتهٍ", f"{LEARNERS} من أصل {LEARNERS}", re.compile(rf"\b{LEARNERS}\b")),
    }[lang]
    expect(state).to_have_text(finished[0])
    expect(page.locator("[data-job-count]")).to_contain_text(finished[1])
    expect(page.locator("[data-job-message]")).to_contain_text(finished[2])
    expect(page.locator("[data-job-refresh]")).to_be_hidden()
    shot(page, "job-finished")

    # Back on the cohort's certificates: every learner has one.
    with page.expect_navigation():
        page.locator("a[data-job-back]").click()
    links = page.locator('main table tbody a[href^="/certificates/"][href$=".pdf"]')
    expect(links).to_have_count(LEARNERS)
    shot(page, "certificates-issued")
