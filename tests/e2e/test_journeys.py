"""Real-browser journeys, each in French (left to right) and Arabic (right to left).

Every journey switches the language with the header switcher and checks <html dir>; each step is
photographed under tests/e2e/screenshots/<test>-<step>-<lang>.png.
"""

from __future__ import annotations

import re
import time

import pytest

from .conftest import LANGS, new_context, require_browser, sign_in, switch_language

require_browser()

from playwright.sync_api import expect  # noqa: E402

COURSE, MODULE = "palermo-magistrates", "definition"
#: what a learner writes in a module's case essay (a trainer grades it: there is no automatic right answer)
ESSAY_ANSWER = "Recrutement et hébergement ; tromperie, contrainte ; exploitation. Art. 448-1 du Code pénal."

langs = pytest.mark.parametrize("lang", LANGS)


# --- helpers ----------------------------------------------------------------------------------------


def right_answer(question: dict, lang: str):
    """The response that earns every point, as the form expects it."""
    kind = question["type"]
    if kind == "single":
        return next(o["id"] for o in question["options"] if o.get("correct"))
    if kind == "multiple":
        return {o["id"] for o in question["options"] if o.get("correct")}
    if kind == "truefalse":
        return "true" if question["answer"] else "false"
    if kind == "matching":
        return {item["id"]: item["match"] for item in question["items"]}
    if kind == "short":
        answers = question["answers"]
        return (answers.get(lang) or answers["fr"])[0]
    raise AssertionError(f"no automatic right answer for a {kind} question")


class AutosaveWatch:
    """Counts the page's autosave requests, to wait until none is in flight."""

    def __init__(self, page):
        self.pending = 0
        self.sent = 0
        self.last_event = time.monotonic()
        page.on("request", self._start)
        page.on("requestfinished", self._end)
        page.on("requestfailed", self._end)

    def _start(self, request):
        if request.url.endswith("/autosave"):
            self.pending += 1
            self.sent += 1
            self.last_event = time.monotonic()

    def _end(self, request):
        if request.url.endswith("/autosave"):
            self.pending -= 1
            self.last_event = time.monotonic()

    def wait_idle(self, page, quiet: float = 0.3, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.pending or time.monotonic() - self.last_event < quiet:
            assert time.monotonic() < deadline, "autosave requests still in flight"
            page.wait_for_timeout(50)


def answer_with_mouse(page, question: dict, lang: str) -> None:
    qid, kind = question["id"], question["type"]
    name = f"q-{qid}"
    box = page.locator(f"#question-{qid}")
    if kind == "essay":  # the learner writes; a trainer grades it
        box.locator(f"textarea#{name}").fill(ESSAY_ANSWER)
        return
    right = right_answer(question, lang)
    if kind in ("single", "truefalse"):
        box.locator(f'input[name="{name}"][value="{right}"]').check()
    elif kind == "multiple":
        for option in question["options"]:
            checkbox = box.locator(f'input[name="{name}"][value="{option["id"]}"]')
            checkbox.set_checked(option["id"] in right)
    elif kind == "matching":
        for item_id, choice in right.items():
            box.locator(f"#{name}-{item_id}").select_option(choice)
    elif kind == "short":
        box.locator(f"#{name}").fill(right)
    else:
        raise AssertionError(kind)


def learner_in_cohort(live_server, lang: str, trainer) -> tuple:
    """A magistrate enrolled in a running cohort of ``trainer``'s on the course: their quiz attempts are the
    cohort's, which the trainer grades. (learner, cohort id)"""
    from datetime import date, timedelta

    from lms.accounts.models import User
    from lms.cohorts import service as cohorts
    from lms.content.models import Course
    from lms.extensions import db

    learner = live_server.make_user("learner", profession="magistrate-judge")
    with live_server.app.test_request_context():
        trainer_user, learner_user = db.session.get(User, trainer.id), db.session.get(User, learner.id)
        cohort = cohorts.save_cohort(
            None,
            trainer_user,
            course=db.session.scalar(db.select(Course).where(Course.slug == COURSE)),
            trainers=[trainer_user],
            title=f"Quiz {lang} {learner.id}",
            mode="in_person",
            start_date=date.today() - timedelta(days=2),
            end_date=date.today() + timedelta(days=30),
            language=lang,
            city="Rabat",
        )
        cohorts.enrol(cohort, learner_user, trainer_user)
        db.session.commit()
        cohort_id = cohort.id
        db.session.remove()
    return learner, cohort_id


def drawn_questions(live_server, attempt_id: int) -> list[str]:
    """The question ids drawn for an attempt, in the order it shows them (read from the database)."""
    from lms.extensions import db
    from lms.quizzes.models import Attempt

    with live_server.app.app_context():
        ids = list(db.session.get(Attempt, attempt_id).question_ids)
        db.session.remove()
    return ids


def stored_answers(live_server, attempt_id: int) -> set[str]:
    """The question ids the server holds a response for, in an attempt (read from the database)."""
    from sqlalchemy import select

    from lms.extensions import db
    from lms.quizzes.models import Answer

    with live_server.app.app_context():
        ids = set(db.session.scalars(select(Answer.question_id).where(Answer.attempt_id == attempt_id)))
        db.session.remove()
    return ids


def grade_essays_in_service(live_server, attempt_id: int, trainer) -> None:
    """Set-up: the trainer grades the attempt's essays full marks (through the service, as the review page does)."""
    from lms.accounts.models import User
    from lms.extensions import db
    from lms.quizzes import service as quizzes
    from lms.quizzes.models import Attempt

    with live_server.app.test_request_context():
        attempt = db.session.get(Attempt, attempt_id)
        for question in quizzes.attempt_questions(attempt):
            if question["type"] == "essay":
                points = float(question.get("points", 1))
                quizzes.override_points(
                    attempt, question["id"], points, "Corrigé en séance", db.session.get(User, trainer.id)
                )
        db.session.commit()
        db.session.remove()


def focused(page) -> dict:
    """What has the keyboard focus (read only: the test never clicks)."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el) return {tag: ""};
          return {
            tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "", value: el.value || "",
            checked: !!el.checked, id: el.id || "", cls: el.className || "",
            inQuiz: !!el.closest("form.quiz-form"),
            selected: el.tagName === "SELECT" ? el.selectedIndex : -1,
            options: el.tagName === "SELECT" ? Array.from(el.options).map(o => o.value) : [],
            ring: (() => {
              const style = getComputedStyle(el);
              return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
                || style.boxShadow !== "none";
            })(),
          };
        }"""
    )


def tab_until(page, predicate, limit: int = 80, key: str = "Tab") -> dict:
    for _ in range(limit):
        page.keyboard.press(key)
        info = focused(page)
        if predicate(info):
            return info
    raise AssertionError(f"{key} never reached the expected element (last focus: {focused(page)})")


def answer_focused_with_keyboard(page, info: dict, questions: dict, lang: str) -> None:
    """Answer the control that has the focus, with keys only, if it belongs to a question."""
    name = info["name"]
    if not name.startswith("q-"):
        return
    if info["tag"] == "select":
        qid, item_id = next(
            (q, name[len(f"q-{q}-") :]) for q in questions if name.startswith(f"q-{q}-") and q != name[2:]
        )
        target = right_answer(questions[qid], lang)[item_id]
        steps = info["options"].index(target) - info["selected"]
        for _ in range(abs(steps)):
            page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")
        assert focused(page)["value"] == target, f"{name}: arrow keys did not choose {target}"
        return
    question = questions[name[2:]]
    if info["tag"] == "textarea":  # a case essay: the learner writes; a trainer grades it
        assert question["type"] == "essay", name
        page.keyboard.type(ESSAY_ANSWER)
        return
    right = right_answer(question, lang)
    if info["type"] == "radio":
        if not info["checked"]:
            page.keyboard.press("Space")
        for _ in range(len(question.get("options", [])) + 2):
            now = focused(page)
            if now["value"] == right:
                break
            page.keyboard.press("ArrowDown")  # moves to the next radio of the group and checks it
        now = focused(page)
        assert now["value"] == right and now["checked"], f"{name}: arrow keys did not check {right}"
    elif info["type"] == "checkbox":
        if (info["value"] in right) != info["checked"]:
            page.keyboard.press("Space")
        assert focused(page)["checked"] == (info["value"] in right)
    elif info["type"] == "text":
        page.keyboard.type(right)


# --- journeys -----------------------------------------------------------------------------------------


@langs
def test_learner_accepts_invitation(lang, page, browser, live_server, shot):
    """An admin creates a learner in the UI; the learner opens the mailed link, sets a password, is signed in."""
    invitee = f"invitee-{lang}@e2e.example.org"
    sign_in(page, live_server.people["admin"])
    switch_language(page, lang)
    page.goto("/account/users/new")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    page.fill("#email", invitee)
    page.fill("#name_latin", f"Salma Tazi {lang.upper()}")
    page.fill("#name_arabic", "سلمى التازي")
    page.select_option("#profession", "magistrate-judge")
    page.select_option("#jurisdiction", "casablanca")
    page.check('input[name="gender"][value="female"]')
    page.select_option("#locale", lang)
    expect(page.locator("#role_learner")).to_be_checked()
    shot(page, "new-user-form")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/account/users/\d+$"))
    expect(page.locator(".flash-success")).to_contain_text(invitee)
    shot(page, "user-created")

    link = live_server.invitation_link(invitee)
    assert link.startswith(live_server.url + "/account/invitation/"), link

    guest_context = new_context(browser, live_server, "fr")
    try:
        guest = guest_context.new_page()
        guest.goto(link)
        switch_language(guest, lang)
        expect(guest).to_have_url(link)
        shot(guest, "invitation")
        guest.fill("#password", "une phrase longue et secrète")
        guest.fill("#confirm", "une phrase longue et secrète")
        with guest.expect_navigation():
            guest.locator("main form button[type=submit]").click()
        expect(guest).to_have_url(re.compile(r"/courses/home$"))
        # The header names the learner in the page's script: the Arabic name on an Arabic page.
        expect(guest.locator("header .who")).to_have_text(
            "سلمى التازي" if lang == "ar" else f"Salma Tazi {lang.upper()}"
        )
        expect(guest.locator(".flash-success")).to_be_visible()
        expect(guest.locator("html")).to_have_attribute("lang", lang)
        expect(guest.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        # A magistrate sees the magistrates' track.
        expect(guest.locator(f'.course-card a[href="/courses/{COURSE}"]')).to_be_visible()
        shot(guest, "signed-in")
        # The link works once.
        response = guest.goto(link)
        assert response.status == 404
    finally:
        guest_context.close()


@langs
def test_learner_reads_and_completes_module(lang, page, live_server, shot):
    modules = live_server.module_slugs(COURSE)
    learner = live_server.make_user("learner", profession="magistrate-judge")
    sign_in(page, learner)
    switch_language(page, lang)
    page.goto("/courses/home")
    card = page.locator(".course-card", has=page.locator(f'a[href="/courses/{COURSE}"]'))
    expect(card.locator("progress")).to_have_attribute("value", "0")
    shot(page, "dashboard-before")

    page.goto(f"/courses/{COURSE}/{MODULE}")
    article = page.locator("article.module-text")
    expect(article).to_have_attribute("lang", lang)
    expect(article).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(article.locator("h1")).to_be_visible()
    expect(page.locator(".module-actions")).to_be_visible()
    shot(page, "module")

    with page.expect_navigation():
        page.locator(".module-actions form button[type=submit]").click()
    # The module ends with a quiz that counts for the certificate: "Mark as read and take the quiz" leads to
    # the quiz, with a confirmation (never "complete and continue" past an unpassed quiz).
    quiz_id, _definition = live_server.quiz_definition(COURSE, MODULE)
    expect(page).to_have_url(re.compile(rf"/quizzes/{quiz_id}$"))
    expect(page.locator(".flash-success")).to_be_visible()
    shot(page, "completed")

    page.goto(f"/courses/{COURSE}")
    item = page.locator(".module-item", has=page.locator(f'a[href="/courses/{COURSE}/{MODULE}"]'))
    expect(item).to_have_class(re.compile(r"\bstatus-done\b"))
    expect(item.locator(f'a.tag-warn[href="/quizzes/{quiz_id}"]')).to_be_visible()  # its quiz, still to pass
    shot(page, "course")

    page.goto("/courses/home")
    in_progress = page.locator("section[aria-labelledby=h-progress]")
    value = int(in_progress.locator("progress").get_attribute("value"))
    assert 0 < value < round(100 / len(modules)), "one module read of many, no quiz passed: a small step"
    expect(in_progress.locator(".standing li").first).to_have_class("met" if len(modules) == 1 else "unmet")
    shot(page, "dashboard-after")


@langs
def test_learner_passes_module_quiz(lang, page, browser, live_server, shot):
    """The learner answers the questions drawn for the attempt, including the module's case essay; the result
    waits for the trainer, who grades the essay on the attempt's review page; then the learner has passed."""
    quiz_id, definition = live_server.quiz_definition(COURSE, MODULE)
    questions = {q["id"]: q for q in definition["questions"]}
    essays = [q["id"] for q in definition["questions"] if q["type"] == "essay"]
    assert essays and all(questions[e].get("always") for e in essays), "the module quiz has no case essay"
    trainer = live_server.people["trainer"]
    learner, cohort_id = learner_in_cohort(live_server, lang, trainer)
    sign_in(page, learner)
    switch_language(page, lang)

    page.goto(f"/courses/{COURSE}/{MODULE}")
    with page.expect_navigation():
        page.locator('.module-actions a[href*="/quizzes/"]').click()
    expect(page).to_have_url(re.compile(rf"/quizzes/{quiz_id}$"))
    shot(page, "quiz")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+$"))
    attempt_id = int(page.url.rsplit("/", 1)[1])
    watch = AutosaveWatch(page)
    status = page.locator("[data-save-status]")
    before = status.inner_text().strip()
    shot(page, "attempt")

    # The attempt shows the questions drawn for it from the pool: as many as the quiz draws, the essay among them.
    drawn = drawn_questions(live_server, attempt_id)
    assert len(drawn) == definition["settings"]["draw"] < len(questions), drawn
    assert set(essays) <= set(drawn), "the case essay is not in the draw"
    shown = page.locator("fieldset.question").evaluate_all("els => els.map(e => e.id.slice('question-'.length))")
    assert shown == drawn, "the attempt does not show the questions drawn for it"
    for number, qid in enumerate(shown):
        answer_with_mouse(page, questions[qid], lang)
        if number == 0:
            expect(status).not_to_have_text(before)
            expect(status).not_to_have_class(re.compile("save-error"))
            assert status.inner_text().strip(), "the save status went blank"
            shot(page, "first-answer-saved")
    watch.wait_idle(page)
    # Changes made while a save is under way go together in the next one, so requests may be fewer than answers;
    # what counts is that every answer is stored before the learner leaves the page.
    assert watch.sent >= 1, "no autosave was sent"
    deadline = time.monotonic() + 10  # a typed answer is sent after a short pause
    while stored_answers(live_server, attempt_id) != set(shown):
        assert time.monotonic() < deadline, "autosave did not store every answer"
        page.wait_for_timeout(100)
    expect(status).not_to_have_class(re.compile("save-error"))
    shot(page, "answered")

    with page.expect_navigation():
        page.locator("button[name=action][value=summary]").click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+/summary$"))
    expect(page.locator("main .flash-success")).to_be_visible()
    expect(page.locator(".summary-list li.unanswered")).to_have_count(0)
    expect(page.locator(".summary-list li.answered")).to_have_count(len(drawn))
    shot(page, "summary")

    with page.expect_navigation():
        page.locator('main form[action$="/submit"] button[type=submit]').click()
    expect(page).to_have_url(re.compile(rf"/quizzes/attempts/{attempt_id}/result$"))
    # Submitted, but no grade yet: the essay waits for the trainer.
    expect(page.locator("main .flash-info").first).to_be_visible()
    expect(page.locator(".result")).to_have_count(0)
    shot(page, "result-pending")

    # The trainer opens the cohort's results, the attempt to grade, and grades the essay.
    trainer_context = new_context(browser, live_server, lang)
    try:
        desk = trainer_context.new_page()
        sign_in(desk, trainer)
        switch_language(desk, lang)
        desk.goto(f"/cohorts/{cohort_id}/results")
        with desk.expect_navigation():
            desk.locator(f'main a[href="/cohorts/{cohort_id}/attempts/{attempt_id}"]').click()
        expect(desk.locator("section.review.pending")).to_have_count(len(essays))
        expect(desk.locator("section.review.wrong")).to_have_count(0)
        shot(desk, "trainer-review")
        for essay in essays:
            section = desk.locator("section.review", has=desk.locator(f"#points-{essay}"))
            expect(section).to_contain_text(ESSAY_ANSWER)  # what the learner wrote, beside the grading guide
            form = section.locator("form")
            form.locator(f"#points-{essay}").fill(str(questions[essay]["points"]))
            form.locator(f"#reason-{essay}").fill("Qualification, articles et mesures de protection : complet.")
            with desk.expect_navigation():
                form.locator("button[type=submit]").click()
            expect(desk.locator(".flash-success")).to_be_visible()
        expect(desk.locator("section.review.pending")).to_have_count(0)
        expect(desk.locator("section.review.wrong")).to_have_count(0)
        shot(desk, "trainer-graded")
    finally:
        trainer_context.close()

    page.reload()
    expect(page.locator(".result.passed strong")).to_have_text(re.compile(r"^100(\.0)?\s*%$"))
    expect(page.locator("section.review.wrong")).to_have_count(0)
    expect(page.locator("section.review.pending")).to_have_count(0)
    shot(page, "result")


@langs
def test_keyboard_only_quiz(lang, page, live_server, shot):
    """Start, answer every question and submit with Tab, Space, arrow keys and Enter: no mouse."""
    quiz_id, definition = live_server.quiz_definition(COURSE, MODULE)
    questions = {q["id"]: q for q in definition["questions"]}
    learner = live_server.make_user("learner", profession="magistrate-judge")
    sign_in(page, learner)
    switch_language(page, lang)

    page.goto(f"/quizzes/{quiz_id}")
    tab_until(
        page,
        lambda f: (
            f["tag"] == "button"
            and "/start"
            in (page.evaluate("() => document.activeElement.form && document.activeElement.form.action") or "")
        ),
    )
    shot(page, "start-focused")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+$"))
    attempt_id = int(page.url.rsplit("/", 1)[1])
    watch = AutosaveWatch(page)

    # The first Tab reaches the skip link, which takes the focus to <main>.
    page.keyboard.press("Tab")
    assert "skip-link" in focused(page)["cls"]
    expect(page.locator(".skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    answered: set[str] = set()
    for _ in range(120):
        page.keyboard.press("Tab")
        info = focused(page)
        if info["tag"] == "button" and info["value"] == "summary":
            break
        assert info["ring"], f"no visible focus indicator on {info}"
        if info["inQuiz"] and info["name"].startswith("q-"):
            answer_focused_with_keyboard(page, info, questions, lang)
            answered.add(info["name"])
            if len(answered) == 1:
                shot(page, "first-question-answered")
    else:
        raise AssertionError("Tab never reached the 'Review and submit' button")
    watch.wait_idle(page)
    shot(page, "all-answered")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+/summary$"))
    expect(page.locator(".summary-list li.unanswered")).to_have_count(0)

    tab_until(
        page,
        lambda f: (
            f["tag"] == "button"
            and f["type"] == "submit"
            and not f["inQuiz"]
            and page.evaluate("() => (document.activeElement.form.action || '').endsWith('/submit')")
        ),
    )
    shot(page, "submit-focused")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+/result$"))
    # The case essay waits for a trainer; once graded (full marks), every answer typed was right.
    expect(page.locator(".result")).to_have_count(0)
    shot(page, "result-pending")
    grade_essays_in_service(live_server, attempt_id, live_server.people["trainer"])
    page.reload()
    expect(page.locator(".result.passed strong")).to_have_text(re.compile(r"^100(\.0)?\s*%$"))
    shot(page, "result")


@langs
def test_admin_searches_and_changes_roles(lang, page, live_server, shot):
    magistrate = live_server.people["magistrate"]
    sign_in(page, live_server.people["admin"])
    switch_language(page, lang)
    with page.expect_navigation():
        page.locator('nav.main-nav a[href="/account/users"]').click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    rows = page.locator("main table tbody tr")
    assert rows.count() >= 4
    expect(page.locator("main table")).to_contain_text(magistrate.name)
    shot(page, "users")

    page.fill("#q", "يوسف")  # "Youssef", in Arabic script
    with page.expect_navigation():
        page.press("#q", "Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=%D9%8A%D9%88%D8%B3%D9%81"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(magistrate.name)
    expect(rows.first.locator('span[lang="ar"]')).to_have_text("يوسف بناني")
    expect(page.locator("#q")).to_have_value("يوسف")
    shot(page, "search-arabic")

    with page.expect_navigation():
        rows.first.locator(f'a[href="/account/users/{magistrate.id}"]').click()
    expect(page.locator("main h1")).to_contain_text(magistrate.name)
    roles_form = page.locator('form[action$="/roles"]')
    trainer_box = roles_form.locator("#role_trainer")
    expect(roles_form.locator("#role_learner")).to_be_checked()
    was_trainer = trainer_box.is_checked()
    history = page.locator("ul.events li")
    events_before = history.count()
    shot(page, "user")

    trainer_box.set_checked(not was_trainer)
    with page.expect_navigation():
        roles_form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/account/users/{magistrate.id}$"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(trainer_box).to_be_checked(checked=not was_trainer)
    expect(roles_form.locator("#role_learner")).to_be_checked()
    assert history.count() > events_before or events_before >= 20, "the role change is not in the history"
    shot(page, "roles-saved")

    page.goto("/account/users?role=trainer")
    listed = page.locator(f'main table a[href="/account/users/{magistrate.id}"]')
    expect(listed).to_have_count(0 if was_trainer else 1)
    shot(page, "trainers")


@pytest.mark.parametrize("lang", ["fr"])
def test_button_pressed_while_an_autosave_travels_still_leaves(lang, page, live_server, shot):
    """Typing an essay and pressing "Review" at once: leaving the textarea autosaves, the button waits for that
    save and then submits. The page must go (the double-click guard once held the second submission back)."""
    quiz_id, definition = live_server.quiz_definition(COURSE, MODULE)
    essay = next(q["id"] for q in definition["questions"] if q["type"] == "essay")
    learner, _cohort_id = learner_in_cohort(live_server, lang, live_server.people["trainer"])
    sign_in(page, learner)
    page.goto(f"/quizzes/{quiz_id}")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    # Slow every autosave down, so that the button is surely pressed while one is under way.
    page.route("**/autosave", lambda route: (time.sleep(1.5), route.continue_()))
    page.locator(f"#question-{essay} textarea").fill("Qualification des faits : traite (art. 448-1).")
    with page.expect_navigation(timeout=12_000):
        page.locator("button[name=action][value=summary]").click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+/summary$"))
