"""Real-browser journey of the programme evaluation, in French and Arabic, on a phone (390 px):

a learner sees the card on their home, answers the end-of-workshop survey (the empty form first: the errors
listed at the top, each a link to its question), answers the end-of-course survey and is taken to their action
plan, writes it; months later the follow-up shows the plan above the survey, they say what came of each action.

Each step is photographed under tests/e2e/screenshots/.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from .conftest import LANGS, new_context, require_browser, sign_in

require_browser()

from playwright.sync_api import expect  # noqa: E402

from .test_a11y import AXE_OPTIONS, FAILING_IMPACTS, format_violations  # noqa: E402


def no_serious_axe_violation(page, step: str) -> None:
    """axe-core on the page as it is now: nothing serious or critical (as ``test_a11y.test_axe``)."""
    pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed")
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
    assert not failing, f"{step} {page.url}:\n" + format_violations(failing)


def reflows_at_320(page) -> None:
    """WCAG 1.4.10: nothing scrolls sideways at 320 CSS pixels."""
    page.set_viewport_size({"width": 320, "height": 700})
    wide = page.evaluate(
        "() => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 321"
        " || e.getBoundingClientRect().left < -1).slice(0, 5).map(e => e.outerHTML.slice(0, 120))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, wide
    page.set_viewport_size(PHONE)


COURSE = "palermo-magistrates"
PHONE = {"width": 390, "height": 844}
langs = pytest.mark.parametrize("lang", LANGS)

TEXT = {
    "fr": {
        "anonymous": "vos réponses sont enregistrées sans votre nom",
        "thanks": "Merci, vos réponses sont enregistrées.",
        "plan_saved": "Votre plan d'action est enregistré.",
    },
    "ar": {
        "anonymous": "تُحفظ أجوبتكم دون أسمائكم",
        "thanks": "شكرا، تم حفظ أجوبتكم.",
        "plan_saved": "تم حفظ خطة عملكم.",
    },
}


def _survey(db, role):
    from sqlalchemy import select

    from lms.content.models import Course, Survey

    return db.session.scalar(
        select(Survey).join(Course).where(Course.slug == COURSE, Survey.role == role, Survey.is_archived.is_(False))
    )


def world(live_server, lang):
    """A magistrate in a cohort that ended yesterday, present at its workshop: the workshop's survey and the
    end-of-course survey open for them."""
    from lms.accounts.models import User
    from lms.cohorts import service as cohorts
    from lms.content.models import Course
    from lms.extensions import db
    from tests.evaluation.builders import ask, make_round
    from tests.factories import make_session, mark

    trainer = live_server.make_user("trainer")
    learner = live_server.make_user("learner", profession="magistrate-judge", locale=lang)
    with live_server.app.test_request_context():
        from sqlalchemy import select

        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        today = date.today()
        cohort = cohorts.save_cohort(
            None,
            None,
            course=course,
            trainers=[db.session.get(User, trainer.id)],
            title=f"Rabat {lang}",
            mode="in_person",
            start_date=today - timedelta(days=40),
            end_date=today - timedelta(days=1),
            language=lang,
        )
        cohorts.enrol(cohort, db.session.get(User, learner.id), None)
        session = make_session(db, cohort, datetime.utcnow() - timedelta(days=2), title="Atelier")
        mark(db, session, learner.id)
        workshop = make_round(db, _survey(db, "session"), cohort, session=session)
        course_end = make_round(db, _survey(db, "course_end"), cohort, open_days=None)
        ask(db, workshop, learner)
        ask(db, course_end, learner)
        db.session.commit()
        ids = {"cohort": cohort.id, "workshop": workshop.id, "course_end": course_end.id}
        db.session.remove()
    return learner, ids


def answer_every_choice(page):
    """Tick the fourth answer (or the last one) of every scale and choice on the page, as a thumb would."""
    names = page.eval_on_selector_all(
        ".survey-section input[type=radio], .survey-section input[type=checkbox]",
        "els => [...new Set(els.map(e => e.name))]",
    )
    for name in names:
        options = page.locator(f".survey-section input[name='{name}']")
        options.nth(min(3, options.count() - 1)).check()


@langs
def test_a_learner_answers_surveys_and_reviews_their_plan_on_a_phone(browser, live_server, lang, shot):
    learner, ids = world(live_server, lang)
    context = new_context(browser, live_server, lang)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, learner)
    page.goto("/courses/home")
    card = page.locator(".open-surveys")
    expect(card).to_be_visible()
    shot(page, "home")
    no_serious_axe_violation(page, "home")
    card.locator(f"a[href$='/evaluation/rounds/{ids['workshop']}']").click()
    expect(page.locator(".privacy-note")).to_contain_text(TEXT[lang]["anonymous"])
    # the privacy statement comes before the first question
    assert page.locator(".privacy-note").bounding_box()["y"] < page.locator(".survey-item").first.bounding_box()["y"]
    # sent empty: the errors first, each a link to its question
    page.locator("form.survey-form button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    shot(page, "errors")
    no_serious_axe_violation(page, "survey with errors")
    reflows_at_320(page)
    first = summary.locator("a").first
    target = first.get_attribute("href")
    first.click()
    expect(page.locator(target)).to_be_in_viewport()
    # nothing wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    answer_every_choice(page)
    page.locator("form.survey-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text(TEXT[lang]["thanks"])
    assert page.url.endswith("/evaluation")
    # the end-of-course survey leads to the action plan
    page.locator(f"a[href$='/evaluation/rounds/{ids['course_end']}']").first.click()
    answer_every_choice(page)
    page.locator("form.survey-form button[type=submit]").click()
    assert page.url.endswith(f"/evaluation/cohorts/{ids['cohort']}/action-plan")
    page.fill("#action_1", "J'utiliserai la liste d'indicateurs dès la première audience.")
    page.fill("#action_2", "استدعاء مترجم منذ الاستماع الأول")
    shot(page, "plan")
    no_serious_axe_violation(page, "action plan")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text(TEXT[lang]["plan_saved"])

    # months later: the follow-up opens
    from lms.cohorts.models import Cohort
    from lms.extensions import db
    from tests.evaluation.builders import ask, make_round

    with live_server.app.app_context():
        follow_up = make_round(db, _survey(db, "follow_up"), db.session.get(Cohort, ids["cohort"]), open_days=45)
        ask(db, follow_up, learner)
        db.session.commit()
        follow_up_id = follow_up.id
        db.session.remove()
    page.goto("/evaluation")
    no_serious_axe_violation(page, "my surveys")
    page.locator(f"a[href$='/evaluation/rounds/{follow_up_id}']").first.click()
    plan = page.locator(".plan-review")
    expect(plan).to_contain_text("liste d'indicateurs")
    assert plan.bounding_box()["y"] < page.locator(".survey-section").first.bounding_box()["y"]
    page.locator("input[name='plan-1-outcome'][value='done']").check()
    page.locator("input[name='plan-2-outcome'][value='partly']").check()
    page.fill("#plan-2-obstacles", "Pas d'interprète le vendredi")
    answer_every_choice(page)
    shot(page, "follow-up")
    no_serious_axe_violation(page, "follow-up")
    reflows_at_320(page)
    page.locator("form.survey-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text(TEXT[lang]["thanks"])
    context.close()

    from sqlalchemy import select

    from lms.evaluation.models import ActionPlan, SurveyResponse

    with live_server.app.app_context():
        saved = db.session.scalar(select(SurveyResponse).where(SurveyResponse.round_id == follow_up_id))
        assert saved.answers["_plan"] == {"actions": 2, "done": 1, "partly": 1, "not_yet": 0}
        assert saved.respondent_id is None
        items = db.session.scalar(select(ActionPlan).where(ActionPlan.user_id == learner.id)).items
        assert [(i.outcome, i.obstacles) for i in items] == [("done", None), ("partly", "Pas d'interprète le vendredi")]
        db.session.remove()
