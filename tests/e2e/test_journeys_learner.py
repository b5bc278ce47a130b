"""Real-browser journeys of a learner, in French (left to right) and Arabic (right to left), as they live them
on an office PC (1280 px) and on a phone (390 px):

- the home and course pages say what is left for the certificate (modules read, quizzes passed, attendance)
  and make the next step the main button: never "finished" while no quiz is passed;
- after a failed quiz: "try again" with the attempts left, and no right answers to copy into the next one;
- Arabic pages greet the learner by their Arabic name;
- on a phone the header is one line: the menu is folded away, and opens without JavaScript.

Each step is photographed at both widths under tests/e2e/screenshots/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from .conftest import LANGS, require_browser, sign_in, switch_language

require_browser()

from playwright.sync_api import expect  # noqa: E402

COURSE = "palermo-magistrates"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
langs = pytest.mark.parametrize("lang", LANGS)

# What the person must read, in each language.
TEXT = {
    "fr": {
        "quizzes": "Quiz réussis : 0 sur {n}",
        "modules": "Modules lus : {n} sur {n}",
        "left": "Ce qu'il reste pour votre attestation :",
        "pass_more": "Réussir encore {n} quiz",
        "attendance": "Présence : aucun atelier tenu pour l'instant (80 % requis)",
        "take_quiz": "Passer le quiz",
        "retry": "Réessayer (2 tentatives restantes)",
        "used": "Tentatives utilisées : 1 sur 3.",
        "withheld": "Les bonnes réponses et les explications seront affichées",
        "hello": "Bonjour, {name}",
        "menu": "Menu",
    },
    "ar": {
        "quizzes": "الاختبارات المجتازة بنجاح: 0 من أصل {n}",
        "modules": "الوحدات المقروءة: {n} من أصل {n}",
        "left": "ما تبقّى للحصول على شهادة التكوين:",
        "pass_more": "اجتياز {n} اختبارات إضافية بنجاح",
        "attendance": "الحضور: لم تُعقد أي ورشة بعد (المطلوب 80%)",
        "take_quiz": "اجتياز الاختبار",
        "retry": "إعادة المحاولة (المحاولات المتبقية: 2)",
        "used": "المحاولات المستعملة: 1 من أصل 3.",
        "withheld": "ستُعرض الإجابات الصحيحة والشروح",
        "hello": "مرحبًا، {name}",
        "menu": "القائمة",
    },
}


def learner_in_cohort(live_server, lang: str, *, read_everything: bool):
    """A magistrate with an Arabic name, enrolled in a running cohort that asks 80 % attendance (no session
    held yet); with ``read_everything``, every module is marked read and no quiz is taken."""
    from lms.accounts.models import User
    from lms.cohorts import service as cohorts
    from lms.content import service as content
    from lms.content.models import Course, Module
    from lms.extensions import db

    trainer = live_server.make_user("trainer")
    learner = live_server.make_user(
        "learner",
        profession="magistrate-judge",
        locale=lang,
        name_latin=f"Karim Idrissi {lang.upper()}",
        name_arabic="كريم الإدريسي",
    )
    counted = 0
    with live_server.app.test_request_context():
        course = db.session.scalar(db.select(Course).where(Course.slug == COURSE))
        trainer_user, learner_user = db.session.get(User, trainer.id), db.session.get(User, learner.id)
        cohort = cohorts.save_cohort(
            None,
            trainer_user,
            course=course,
            trainers=[trainer_user],
            title=f"Rabat — parcours {lang}",
            mode="in_person",
            start_date=date.today() - timedelta(days=2),
            end_date=date.today() + timedelta(days=30),
            language=lang,
            city="Rabat",
            completion={"modules": "all", "quizzes_passed": "all", "attendance_percent": 80},
        )
        cohorts.enrol(cohort, learner_user, trainer_user)
        modules = db.session.scalars(
            db.select(Module).where(Module.course_id == course.id, Module.is_archived.is_(False))
        ).all()
        for module in modules:
            if read_everything:
                content.set_completed(learner_user.id, module.id, True)
            version = content.current_quiz(module.id)
            if version is not None and version.definition["settings"].get("role") != "pretest":
                counted += 1
        db.session.commit()
        db.session.remove()
    return learner, len(modules), counted


def at_both_widths(page, shot, step: str) -> None:
    """Photograph the page as it is at 1280 px and at 390 px (and leave it at 1280 px)."""
    for name, size in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        shot(page, f"{step}-{name}")
    page.set_viewport_size(DESKTOP)


@langs
def test_home_and_course_say_what_is_left_for_the_certificate(lang, page, live_server, shot):
    """Every module read, no quiz passed: not "finished", the quizzes and attendance left, the quiz next."""
    learner, modules, quizzes = learner_in_cohort(live_server, lang, read_everything=True)
    words = TEXT[lang]
    sign_in(page, learner)
    switch_language(page, lang)
    page.goto("/courses/home")
    card = page.locator(".course-card", has=page.locator(f'a[href="/courses/{COURSE}"]'))
    expect(card).to_be_visible()
    expect(page.locator("#h-done")).to_have_count(0)  # never listed as completed
    expect(card.locator(".standing")).to_contain_text(words["modules"].format(n=modules))
    expect(card.locator(".standing")).to_contain_text(words["quizzes"].format(n=quizzes))
    expect(card.locator(".standing")).to_contain_text(words["attendance"])
    expect(card.locator(".left-to-do")).to_contain_text(words["left"])
    expect(card.locator(".left-to-do")).to_contain_text(words["pass_more"].format(n=quizzes))
    progress = int(card.locator("progress").get_attribute("value"))
    assert progress < 100, f"progress {progress} % while no quiz is passed"
    main_button = card.locator("a.button")
    expect(main_button).to_have_count(1)
    expect(main_button).to_contain_text(words["take_quiz"])
    expect(main_button).to_have_attribute("href", re.compile(r"^/quizzes/\d+$"))
    at_both_widths(page, shot, "home")

    page.goto(f"/courses/{COURSE}")
    standing = page.locator(".standing-card")
    expect(standing.locator(".standing")).to_contain_text(words["quizzes"].format(n=quizzes))
    expect(standing.locator(".left-to-do")).to_contain_text(words["left"])
    expect(page.locator(".module-item .tag-warn")).to_have_count(quizzes)  # each quiz still to pass
    at_both_widths(page, shot, "course")

    # The main button leads to the first quiz still to pass.
    with page.expect_navigation():
        standing.locator("a.button").click()
    expect(page).to_have_url(re.compile(r"/quizzes/\d+$"))


@langs
def test_module_read_without_its_quiz_leads_to_the_quiz(lang, page, live_server, shot):
    learner, _modules, _quizzes = learner_in_cohort(live_server, lang, read_everything=False)
    sign_in(page, learner)
    switch_language(page, lang)
    page.goto(f"/courses/{COURSE}/definition")
    actions = page.locator(".module-actions")
    primary = actions.locator("button.button, a.button")
    expect(primary).to_have_count(1)
    with page.expect_navigation():
        primary.click()
    expect(page).to_have_url(re.compile(r"/quizzes/\d+$"))  # "mark as read and take the quiz"
    page.goto(f"/courses/{COURSE}/definition")
    primary = page.locator(".module-actions a.button")
    expect(primary).to_have_text(TEXT[lang]["take_quiz"])
    expect(primary).to_have_attribute("href", re.compile(r"^/quizzes/\d+$"))
    shot(page, "module-read")


@langs
def test_failed_quiz_offers_a_retry_without_the_answers(lang, page, live_server, shot):
    learner, _modules, _quizzes = learner_in_cohort(live_server, lang, read_everything=True)
    quiz_id, _definition = live_server.quiz_definition(COURSE, "definition")  # 3 attempts
    words = TEXT[lang]
    sign_in(page, learner)
    switch_language(page, lang)
    page.goto(f"/quizzes/{quiz_id}")
    with page.expect_navigation():
        page.locator('main form[action$="/start"] button[type=submit]').click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+$"))
    with page.expect_navigation():
        page.locator("button[name=action][value=summary]").click()
    # The review before submitting names each question by its text, not only its number.
    prompts = page.locator(".summary-list .summary-prompt")
    assert prompts.count() > 0 and all(len(t.strip()) > 10 for t in prompts.all_inner_texts())
    with page.expect_navigation():
        page.locator('main form[action$="/submit"] button[type=submit]').click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+/result$"))

    expect(page.locator(".result.failed")).to_be_visible()
    retry = page.locator("button.try-again")
    expect(retry).to_have_text(words["retry"])
    expect(page.locator(".attempts-used")).to_have_text(words["used"])
    expect(page.locator(".review-withheld")).to_contain_text(words["withheld"])
    expect(page.locator("section.review")).to_have_count(0)  # nothing to copy into attempt 2
    expect(page.locator(".explanation")).to_have_count(0)
    at_both_widths(page, shot, "result-failed")

    with page.expect_navigation():
        retry.click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+$"))


@langs
def test_greeted_by_the_name_in_the_page_script(lang, page, live_server, shot):
    person = live_server.people["magistrate"]  # Youssef Bennani, يوسف بناني
    expected = "يوسف بناني" if lang == "ar" else "Youssef Bennani"
    sign_in(page, person)
    switch_language(page, lang)
    page.goto("/courses/home")
    expect(page.locator("main h1")).to_have_text(TEXT[lang]["hello"].format(name=expected))
    expect(page.locator("header .who")).to_have_text(expected)
    if lang == "ar":
        expect(page.locator("main")).not_to_contain_text("Youssef Bennani")
    shot(page, "greeting")


@langs
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_phone_header_folds_the_menu(lang, javascript, browser, live_server, shot):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=javascript, service_workers="block"
    )
    try:
        page = context.new_page()
        person = live_server.make_user("learner", profession="social-worker", name_arabic="سناء")
        sign_in(page, person)
        page.goto("/courses/home")
        # The switcher is folded in the menu: open it, change the language (the page comes back folded).
        page.locator("header details.site-menu > summary").click()
        switch_language(page, lang)
        page.goto("/courses/home")
        summary = page.locator("header details.site-menu > summary")
        nav_link = page.locator('nav.main-nav a[href="/certificates"]')
        expect(summary).to_be_visible()
        expect(summary).to_contain_text(TEXT[lang]["menu"])
        expect(nav_link).to_be_hidden()
        expect(page.locator("header .lang-switch")).to_be_hidden()
        header = page.locator("header.site-header").bounding_box()
        assert header["height"] <= 70, f"the header takes {header['height']:.0f} px of a 844 px screen"
        # Logical placement: the button sits at the end of the line (right in French, left in Arabic).
        box = summary.bounding_box()
        if lang == "ar":
            assert box["x"] < PHONE["width"] / 2, box
        else:
            assert box["x"] + box["width"] > PHONE["width"] / 2, box
        expect(page.locator("header details.site-menu")).to_have_attribute("class", "site-menu")
        shot(page, "phone-header-closed")
        summary.click()
        expect(nav_link).to_be_visible()
        expect(page.locator("header .who")).to_be_visible()
        assert page.locator("header details.site-menu").evaluate("d => d.open")
        shot(page, "phone-header-open")
        with page.expect_navigation():
            nav_link.click()
        expect(page).to_have_url(re.compile(r"/certificates$"))
        expect(page.locator('nav.main-nav a[href="/certificates"]')).to_be_hidden()  # folded again

        # On a wide screen the menu is in the bar, with no button to open.
        page.set_viewport_size(DESKTOP)
        page.reload()
        expect(page.locator('nav.main-nav a[href="/certificates"]')).to_be_visible()
        expect(page.locator("header details.site-menu > summary")).to_be_hidden()
        expect(page.locator("header .lang-switch")).to_be_visible()
        shot(page, "wide-header")
    finally:
        context.close()
