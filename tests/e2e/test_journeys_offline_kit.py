"""The whole offline field kit in one journey (issue #22's "done when"), in French and in Arabic, on a phone: a
magistrate makes their course available offline, starts the module quiz while online, goes offline, reads a
module and the library article it cites from the stored copies, answers quiz questions (kept on the device),
reloads the quiz page offline (the stored copy of the page, with the device's answers put back on it), goes back
online, and the server holds every answer exactly once (one save key per change, the last value clicked).
"""

from __future__ import annotations

import random
import re

import pytest

from .conftest import LANGS, require_browser, sign_in

require_browser()

from playwright.sync_api import expect  # noqa: E402

from .test_journeys_offline import BANNER, _phone_context, store_course  # noqa: E402
from .test_journeys_offline_quiz import TEXT, Answers, KeysSent, clickable, server_state, wait_sent  # noqa: E402

COURSE = "/courses/palermo-magistrates"
MODULE = f"{COURSE}/palermo-protocol"
ARTICLE = "/library/law-27-14/448-1"


def _checked(page, question: dict, value) -> None:
    for one in value if isinstance(value, list) else [value]:
        one = {True: "true", False: "false"}.get(one, one)
        expect(page.locator(f'#question-{question["id"]} input[value="{one}"]')).to_be_checked()


@pytest.mark.parametrize("lang", LANGS)
def test_a_course_and_its_quiz_go_offline_and_every_answer_arrives_once(browser, live_server, lang, shot):
    person = live_server.make_user("learner", profession="magistrate-judge", locale=lang)
    quiz_id, definition = live_server.quiz_definition("palermo-magistrates", "forms")
    questions = {q["id"]: q for q in definition["questions"]}
    context = _phone_context(browser, live_server, lang)
    page = context.new_page()
    try:
        sign_in(page, person)
        # Online: the course is made available offline, then the quiz is started (its page is stored as it opens).
        store_course(page, lang)
        page.goto(f"/quizzes/{quiz_id}")
        with page.expect_navigation():
            page.locator('main form[action$="/start"] button[type=submit]').click()
        expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+$"))
        attempt_url = page.url
        attempt_id = int(attempt_url.rsplit("/", 1)[1])
        expect(page.locator("form[data-autosave]")).to_have_attribute("data-outbox", "on")
        assert page.evaluate("!!navigator.serviceWorker.controller")

        # Offline: a module and the article it cites open from the stored copies.
        context.set_offline(True)
        page.goto(MODULE)
        expect(page.locator("main > p.offline-copy")).to_contain_text(BANNER[lang])
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        page.goto(ARTICLE)
        expect(page.locator("article.library-article")).to_be_visible()
        expect(page.locator("p.offline-copy")).to_contain_text(BANNER[lang])

        # Offline: the quiz page opens from its stored copy; answers are kept on the device.
        page.goto(attempt_url)
        status = page.locator("[data-save-status]")
        expect(page.locator("form[data-autosave]")).to_have_attribute("data-outbox", "on")
        answers, keys = Answers(page), KeysSent(page)
        targets = clickable(page, questions)
        assert len(targets) >= 3, targets
        rng = random.Random(2022 if lang == "fr" else 2212)
        for question in targets:
            answers.change(question, rng)
        answers.change(targets[0], rng)  # one question changed twice
        expect(status).to_have_text(TEXT[lang]["device"])
        shot(page, "answers-on-device")
        assert server_state(live_server, attempt_id) == ({}, [])

        # Reloaded offline: the answers are still there (the stored page, with the device's answers put back).
        page.reload()
        expect(page.locator("form[data-autosave]")).to_have_attribute("data-outbox", "on")
        expect(page.locator("main > p.offline-copy")).to_contain_text(BANNER[lang])  # a stored copy, and says so
        for question in targets:
            _checked(page, question, answers.values[question["id"]])
        assert page.evaluate("() => localStorage.getItem('tadrib-outbox')") == str(answers.changes)
        shot(page, "reloaded-offline")

        # Online again: every answer reaches the server, each exactly once.
        context.set_offline(False)
        wait_sent(page)
        expect(status).to_have_text(TEXT[lang]["saved"])
        stored, recorded = server_state(live_server, attempt_id)
        assert stored == answers.values
        assert len(recorded) == len(set(recorded)) == answers.changes
        assert set(recorded) == keys.keys

        # The page opened online again shows what the server holds.
        page.goto(attempt_url)
        for question in targets:
            _checked(page, question, answers.values[question["id"]])
    finally:
        context.set_offline(False)
        context.close()
