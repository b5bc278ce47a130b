"""Real-browser journey: a trainer (on a tablet, then on the room's projector) and an admin (on a PC) read the
results of an end-of-course survey answered by six learners, in French and in Arabic: response rate, a chart
with its data table for each question, free text only where five people or more wrote one, the exports; and the
programme-wide page with its transfer indicators.

Each step is photographed under tests/e2e/screenshots/.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from .conftest import LANGS, new_context, require_browser, sign_in

require_browser()

from playwright.sync_api import expect  # noqa: E402

COURSE = "victim-identification"
TABLET = {"width": 1024, "height": 768}
PROJECTOR = {"width": 1280, "height": 720}
PC = {"width": 1440, "height": 900}
RESPONDENTS = 6


def answered_cohort(live_server, lang: str):
    """A cohort of social workers that ended yesterday, its end-of-course survey answered by six of its seven
    learners (through the same function as the page), and its trainer."""
    from lms.accounts.models import User
    from lms.cohorts import service as cohorts
    from lms.content.models import Course
    from lms.demo import _demo_survey_answers
    from lms.evaluation import responses, service
    from lms.extensions import db

    trainer = live_server.make_user("trainer", locale=lang)
    learners = [
        live_server.make_user("learner", profession="social-worker", gender="female" if n % 2 else "male")
        for n in range(RESPONDENTS + 1)
    ]
    rng = random.Random(20)  # noqa: S311 - test data  # nosec B311
    with live_server.app.test_request_context():
        from sqlalchemy import select

        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        today = date.today()
        cohort = cohorts.save_cohort(
            None,
            None,
            course=course,
            trainers=[db.session.get(User, trainer.id)],
            title=f"Meknès {lang}",
            mode="in_person",
            start_date=today - timedelta(days=30),
            end_date=today - timedelta(days=1),
            language=lang,
        )
        for person in learners:
            cohorts.enrol(cohort, db.session.get(User, person.id), None)
        db.session.flush()
        round_ = service.ensure_round(cohort, "course_end")
        version = service.current_surveys([course.id])[(course.id, "course_end")][1]
        now = datetime.utcnow()
        for index, person in enumerate(learners[:RESPONDENTS]):
            answers = _demo_survey_answers(version.definition, rng, lang, index)
            responses.submit(round_, db.session.get(User, person.id), answers, now)
        db.session.commit()
        ids = {"cohort": cohort.id, "round": round_.id}
        db.session.remove()
    return trainer, ids


@pytest.mark.parametrize("lang", LANGS)
def test_trainer_and_admin_read_the_results(browser, live_server, lang, shot):
    trainer, ids = answered_cohort(live_server, lang)
    context = new_context(browser, live_server, lang)
    page = context.new_page()
    page.set_viewport_size(TABLET)
    sign_in(page, trainer)
    page.goto(f"/reports/cohorts/{ids['cohort']}")
    page.locator(f"main a[href$='/reports/cohorts/{ids['cohort']}/evaluation']").first.click()
    rates = page.locator("#h-rates").locator("xpath=..")
    expect(rates).to_contain_text("7")  # asked
    expect(rates).to_contain_text("6")  # answered
    page.locator(f"main a[href*='/reports/cohorts/{ids['cohort']}/evaluation?role=course_end']").first.click()
    results = page.locator(".result-item")
    expect(results.first).to_be_visible()
    # each question answered by everyone: a chart and its data table
    first = results.first
    expect(first.locator("svg")).to_be_visible()
    expect(first.locator("table")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    shot(page, "trainer-tablet")
    # the same page on the room's projector
    page.set_viewport_size(PROJECTOR)
    assert page.evaluate("document.documentElement.scrollWidth") <= PROJECTOR["width"]
    shot(page, "trainer-projector")
    # the export: aggregated figures, no answer row of anybody
    with page.expect_download() as download:
        page.locator("main a[href*='/evaluation.csv']").first.click()
    content = download.value.path().read_text(encoding="utf-8-sig")
    assert str(RESPONDENTS) in content
    context.close()

    admin = live_server.people["admin"]
    context = new_context(browser, live_server, lang)
    page = context.new_page()
    page.set_viewport_size(PC)
    sign_in(page, admin)
    page.goto("/reports/programme")
    page.locator("main a[href$='/reports/evaluation']").first.click()
    expect(page.locator(".result-item").first).to_be_visible()
    expect(page.locator(".result-item svg").first).to_be_visible()
    shot(page, "admin-programme")
    # the programme report shows the follow-up's transfer indicators among its figures
    page.goto("/reports/programme")
    expect(page.locator(".kpi").first).to_be_visible()
    assert page.locator(".kpi").count() >= 16  # the nine of before and the seven of the follow-up
    context.close()
