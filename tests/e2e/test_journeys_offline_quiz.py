"""Quiz answers without a connection (issue #22), in a real browser, French and Arabic.

The page stays open while Playwright cuts the connection (``context.set_offline``): every change is kept on the
device (IndexedDB "tadrib-answers") and the page says so; when the connection returns the answers are sent in
order, each with its idempotency key, and the server holds each exactly once (one ``quiz_save_key`` row per
change made, the last value clicked as the answer). A chaos run flips the connection 200 times while answering.
Submitting needs a connection, and the page says so without leaving. Answers left unsent by an earlier visit are
shown again when the page is reloaded, and sent.
"""

from __future__ import annotations

import random
import re
import time

import pytest

from .conftest import LANGS, require_browser, sign_in

require_browser()

from playwright.sync_api import expect  # noqa: E402

COURSE = "palermo-magistrates"
MODULE = "forms"  # single, multiple and true/false questions among the drawn ones; no time limit
langs = pytest.mark.parametrize("lang", LANGS)

TEXT = {
    "fr": {
        "device": "Enregistré sur cet appareil, sera envoyé",
        "saved": re.compile(r"^Enregistré à "),
        "needs": "La remise demande une connexion",
        "late": "3 réponses enregistrées sur cet appareil n’ont pas été comptées",
        "result": "Voir le résultat",
        "signin": "Votre session a pris fin : reconnectez-vous pour envoyer 2 réponses enregistrées sur cet appareil.",
    },
    "ar": {
        "device": "محفوظ على هذا الجهاز، سيُرسل لاحقًا",
        "saved": re.compile(r"^تم الحفظ على الساعة "),
        "needs": "يتطلب الإرسال النهائي اتصالًا بالإنترنت",
        "late": "3 إجابات محفوظة على هذا الجهاز لم تُحتسب",
        "result": "الاطلاع على النتيجة",
        "signin": "انتهت جلستك: سجّل الدخول من جديد لإرسال إجابتين (2) محفوظتين على هذا الجهاز.",
    },
}
KEY = re.compile(rb'name="key"\r\n\r\n([A-Za-z0-9-]+)\r\n')


def start_attempt(page, live_server, lang: str, learner=None) -> tuple[int, dict]:
    """A new magistrate (pages in ``lang``; or ``learner``) starts the module's quiz; (attempt id, questions by
    id)."""
    quiz_id, definition = live_server.quiz_definition(COURSE, MODULE)
    learner = learner or live_server.make_user("learner", profession="magistrate-judge", locale=lang)
    sign_in(page, learner)
    page.goto(f"/quizzes/{quiz_id}")
    with page.expect_navigation():
        page.locator('main form[action$="/start"] button[type=submit]').click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+$"))
    expect(page.locator("form[data-autosave]")).to_have_attribute("data-outbox", "on")
    attempt_id = int(page.url.rsplit("/", 1)[1])
    return attempt_id, {q["id"]: q for q in definition["questions"]}


def clickable(page, questions: dict) -> list[dict]:
    """The questions on the page answered by clicking (radio buttons, checkboxes)."""
    shown = page.locator("fieldset.question").evaluate_all("els => els.map(e => e.id.slice('question-'.length))")
    return [questions[qid] for qid in shown if questions[qid]["type"] in ("single", "truefalse", "multiple")]


def values_of(question: dict) -> list[str]:
    if question["type"] == "truefalse":
        return ["true", "false"]
    return [o["id"] for o in question["options"]]


class Answers:
    """What the person clicked: the last value of each question, and how many changes they made."""

    def __init__(self, page):
        self.page = page
        self.values: dict = {}
        self.changes = 0

    def change(self, question: dict, rng: random.Random) -> None:
        qid, kind = question["id"], question["type"]
        box = self.page.locator(f"#question-{qid}")
        if kind == "multiple":
            value = rng.choice(values_of(question))
            chosen = set(self.values.get(qid, []))
            chosen ^= {value}
            box.locator(f'input[name="q-{qid}"][value="{value}"]').click()
            self.values[qid] = sorted(chosen)
        else:
            held = {True: "true", False: "false"}.get(self.values.get(qid), self.values.get(qid))
            value = rng.choice([v for v in values_of(question) if v != held])  # a change, every time
            box.locator(f'input[name="q-{qid}"][value="{value}"]').check()
            self.values[qid] = {"true": True, "false": False}[value] if kind == "truefalse" else value
        self.changes += 1


class KeysSent:
    """The idempotency keys of the autosave requests the page made (each key once, however often it was sent)."""

    def __init__(self, page):
        self.keys: set[str] = set()
        self.requests = 0
        self.log: list = []
        page.on("request", self._seen)
        page.on("response", self._answered)

    def _answered(self, response):
        if response.url.endswith("/autosave"):
            try:
                body = response.json()
            except Exception:  # noqa: BLE001
                body = None
            data = response.request.post_data_buffer or b""
            self.log.append((KEY.search(data).group(1).decode() if KEY.search(data) else None, response.status, body,
                             re.findall(rb'name="(seq|base-[^"]+|q-[^"]+)"\r\n\r\n([^\r]*)', data)))

    def _seen(self, request):
        if request.url.endswith("/autosave") and request.method == "POST":
            self.requests += 1
            match = KEY.search(request.post_data_buffer or b"")
            if match:
                self.keys.add(match.group(1).decode())


def server_state(live_server, attempt_id: int) -> tuple[dict, list[str]]:
    """(question id -> stored response, the save keys recorded) of an attempt, read from the database."""
    from sqlalchemy import select

    from lms.extensions import db
    from lms.quizzes.models import Answer, SaveKey

    with live_server.app.app_context():
        answers = {
            a.question_id: a.response for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))
        }
        keys = list(db.session.scalars(select(SaveKey.key).where(SaveKey.attempt_id == attempt_id)))
        db.session.remove()
    return answers, keys


def wait_sent(page, timeout: float = 60.0) -> None:
    """Until the device's outbox is empty."""
    page.wait_for_function("() => localStorage.getItem('tadrib-outbox') === '0'", timeout=timeout * 1000)


@langs
def test_answers_given_offline_reach_the_server_once(lang, context, live_server, shot):
    page = context.new_page()
    attempt_id, questions = start_attempt(page, live_server, lang)
    status = page.locator("[data-save-status]")
    answers, keys = Answers(page), KeysSent(page)
    rng = random.Random(22)
    targets = clickable(page, questions)
    assert len(targets) >= 3, targets

    context.set_offline(True)
    for question in targets:
        answers.change(question, rng)
    answers.change(targets[0], rng)  # changed twice: both changes are sent, in order
    expect(status).to_have_text(TEXT[lang]["device"])
    expect(status).to_have_class(re.compile("save-error"))
    shot(page, "offline")
    assert page.evaluate("() => localStorage.getItem('tadrib-outbox')") == str(answers.changes)
    assert server_state(live_server, attempt_id) == ({}, [])

    context.set_offline(False)
    wait_sent(page)
    expect(status).to_have_text(TEXT[lang]["saved"])
    expect(status).not_to_have_class(re.compile("save-error"))
    shot(page, "online")
    stored, recorded = server_state(live_server, attempt_id)
    assert stored == answers.values
    assert len(recorded) == len(set(recorded)) == answers.changes
    assert set(recorded) == keys.keys


@pytest.mark.parametrize("lang", ["fr"])
def test_chaos_200_flips_lose_nothing_and_double_nothing(lang, context, live_server):
    page = context.new_page()
    attempt_id, questions = start_attempt(page, live_server, lang)
    answers, keys = Answers(page), KeysSent(page)
    rng = random.Random(2022)
    targets = clickable(page, questions)
    # Besides the flips, some saves reach the server and their answer is lost on the way back: the device sends
    # them again, with their key.
    lost_replies: list[str] = []
    cut = random.Random(7)

    state = {"offline": False}

    def reply_lost(route):
        if not state["offline"] and cut.random() < 0.15:
            try:
                route.fetch()
                match = KEY.search(route.request.post_data_buffer or b"")
                lost_replies.append(match.group(1).decode() if match else "")
            except Exception:  # noqa: BLE001 (offline: the request did not leave)
                pass
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/autosave", reply_lost)
    began = time.monotonic()
    offline = False
    for flip in range(200):
        offline = not offline
        context.set_offline(offline)
        state["offline"] = offline
        for _ in range(2 if rng.random() < 0.3 else 1):
            answers.change(rng.choice(targets), rng)
        if rng.random() < 0.2:
            page.wait_for_timeout(rng.choice((5, 20, 60)))  # let some saves reach the server, or be cut
    context.set_offline(False)
    state["offline"] = False
    looped = time.monotonic() - began
    wait_sent(page, timeout=90)
    settle = time.monotonic() + 20  # the last changes' entries may still be on their way: wait until all arrive
    while len(server_state(live_server, attempt_id)[1]) < answers.changes and time.monotonic() < settle:
        page.wait_for_timeout(100)
    wait_sent(page)
    elapsed = time.monotonic() - began
    print(
        f"\nchaos: 200 flips, {answers.changes} changes, {keys.requests} requests, {len(lost_replies)} answers lost "
        f"on the way back, {elapsed:.1f} s ({looped:.1f} s of flips)"
    )
    assert lost_replies, "no save was sent twice: the run tested nothing of the keys"

    stored, recorded = server_state(live_server, attempt_id)
    if stored != answers.values:
        for line in keys.log:
            print(line)
    assert stored == answers.values, "lost: the server's answers are not the last ones clicked"
    assert len(keys.keys) == answers.changes, "a change made no entry, or one entry was made twice"
    assert set(recorded) == keys.keys, "lost: a key made on the device is not on the server"
    assert len(recorded) == len(set(recorded)) == answers.changes, "duplicated: a key or an extra row"
    assert elapsed < 150, elapsed


@langs
def test_submitting_offline_says_it_needs_a_connection(lang, context, live_server, shot):
    page = context.new_page()
    attempt_id, questions = start_attempt(page, live_server, lang)
    status = page.locator("[data-save-status]")
    answers = Answers(page)
    targets = clickable(page, questions)
    answers.change(targets[0], random.Random(1))
    expect(status).to_have_text(TEXT[lang]["saved"])
    url = page.url

    context.set_offline(True)
    answers.change(targets[1], random.Random(2))
    page.locator("button[name=action][value=summary]").click()
    expect(status).to_contain_text(TEXT[lang]["needs"])
    assert page.url == url
    shot(page, "submit-offline")
    page.locator("button[name=action][value=save]").click()
    expect(status).to_have_text(TEXT[lang]["device"])
    assert page.url == url

    # Back online, the same button goes on: the answers are sent first, then the summary opens.
    context.set_offline(False)
    with page.expect_navigation():
        page.locator("button[name=action][value=summary]").click()
    expect(page).to_have_url(re.compile(rf"/quizzes/attempts/{attempt_id}/summary$"))
    stored = server_state(live_server, attempt_id)[0]  # the form saved every question shown, blank ones too
    assert {qid: stored[qid] for qid in answers.values} == answers.values

    # The summary's Submit without a connection: said, and the page stays.
    context.set_offline(True)
    page.locator('main form[action$="/submit"] button[type=submit]').click()
    expect(page.locator("[data-connection-status]")).to_contain_text(TEXT[lang]["needs"])
    expect(page).to_have_url(re.compile(rf"/quizzes/attempts/{attempt_id}/summary$"))
    context.set_offline(False)
    with page.expect_navigation():
        page.locator('main form[action$="/submit"] button[type=submit]').click()
    expect(page).to_have_url(re.compile(rf"/quizzes/attempts/{attempt_id}/result$"))


@langs
def test_answers_left_on_the_device_are_shown_again_and_sent(lang, context, live_server):
    """The page reloaded while answers wait on the device (its copy knows nothing of them): they are put back
    on the page, sent, and the next change is numbered after them (not refused as older)."""
    page = context.new_page()
    attempt_id, questions = start_attempt(page, live_server, lang)
    status = page.locator("[data-save-status]")
    answers = Answers(page)
    targets = clickable(page, questions)
    rng = random.Random(7)
    page.route("**/autosave", lambda route: route.abort("internetdisconnected"))
    for question in targets[:3]:
        answers.change(question, rng)
    expect(status).to_have_text(TEXT[lang]["device"])

    page.reload()
    expect(page.locator("form[data-autosave]")).to_have_attribute("data-outbox", "on")
    for question in targets[:3]:
        value = answers.values[question["id"]]
        for one in value if isinstance(value, list) else [value]:
            one = {True: "true", False: "false"}.get(one, one)
            expect(page.locator(f'#question-{question["id"]} input[value="{one}"]')).to_be_checked()
    assert server_state(live_server, attempt_id) == ({}, [])

    page.unroute("**/autosave")
    page.evaluate("() => window.TadribOutbox.flush()")
    wait_sent(page)
    expect(status).to_have_text(TEXT[lang]["saved"])
    answers.change(targets[0], rng)
    expect(status).to_have_text(TEXT[lang]["saved"])
    wait_sent(page)
    stored, recorded = server_state(live_server, attempt_id)
    assert stored == answers.values
    assert len(recorded) == answers.changes


def cut_saves(page) -> None:
    """The saves fail as without a connection, while the page itself can still be reloaded."""
    page.route("**/autosave", lambda route: route.abort("internetdisconnected"))


def send_now(page) -> None:
    page.unroute("**/autosave")
    page.evaluate("() => window.TadribOutbox.flush()")


@langs
def test_answers_that_arrive_after_the_time_are_removed_and_counted(lang, context, live_server):
    """The server's clock decides: answers kept on the device that reach it after the time limit and its grace
    are not counted; the device removes them and says how many (never silently)."""
    from datetime import timedelta

    from lms.core.timeutil import utcnow
    from lms.extensions import db
    from lms.quizzes.models import Attempt

    page = context.new_page()
    attempt_id, questions = start_attempt(page, live_server, lang)
    status = page.locator("[data-save-status]")
    answers, rng = Answers(page), random.Random(3)
    cut_saves(page)
    for question in clickable(page, questions)[:3]:
        answers.change(question, rng)
    expect(status).to_have_text(TEXT[lang]["device"])
    with live_server.app.app_context():  # the time limit passed, grace and all, while the device was offline
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline_at = utcnow() - timedelta(minutes=30)
        db.session.commit()
        db.session.remove()
    send_now(page)
    wait_sent(page)
    expect(status).to_contain_text(TEXT[lang]["late"])
    expect(status.get_by_role("link", name=TEXT[lang]["result"])).to_have_attribute(
        "href", f"/quizzes/attempts/{attempt_id}/result"
    )
    assert server_state(live_server, attempt_id) == ({}, [])


@pytest.mark.parametrize("lang", ["fr"])
def test_an_expired_token_is_replaced_by_the_pages_once(lang, context, live_server):
    page = context.new_page()
    attempt_id, questions = start_attempt(page, live_server, lang)
    answers, rng = Answers(page), random.Random(4)
    cut_saves(page)
    for question in clickable(page, questions)[:2]:
        answers.change(question, rng)
    # The entries carry a token that the server no longer accepts (the page they were made on is old).
    page.evaluate(
        """() => new Promise((resolve, reject) => {
             const open = indexedDB.open("tadrib-answers");
             open.onsuccess = () => {
               const tx = open.result.transaction("outbox", "readwrite");
               const store = tx.objectStore("outbox");
               store.openCursor().onsuccess = (event) => {
                 const cursor = event.target.result;
                 if (cursor) { cursor.update({...cursor.value, csrf: "stale-token"}); cursor.continue(); }
               };
               tx.oncomplete = () => { open.result.close(); resolve(); };
               tx.onerror = () => reject(tx.error);
             };
           })"""
    )
    send_now(page)
    wait_sent(page)
    expect(page.locator("[data-save-status]")).to_have_text(TEXT[lang]["saved"])
    stored, recorded = server_state(live_server, attempt_id)
    assert stored == answers.values and len(recorded) == 2


@langs
def test_a_session_that_ended_keeps_the_answers_until_signed_in_again(lang, browser, context, live_server):
    learner = live_server.make_user("learner", profession="magistrate-judge", locale=lang)
    page = context.new_page()
    attempt_id, questions = start_attempt(page, live_server, lang, learner)
    status = page.locator("[data-save-status]")
    answers, rng = Answers(page), random.Random(5)
    cut_saves(page)
    for question in clickable(page, questions)[:2]:
        answers.change(question, rng)
    context.clear_cookies()  # the session ends (expired, or signed out in another tab)
    send_now(page)
    expect(status).to_have_text(TEXT[lang]["signin"])
    assert page.evaluate("() => localStorage.getItem('tadrib-outbox')") == "2"
    assert server_state(live_server, attempt_id) == ({}, [])

    # Signed in again, the person comes back to the attempt: its page sends what the device kept (the entries'
    # token is the old session's: the page's own replaces it).
    sign_in(page, learner)
    page.goto(f"/quizzes/attempts/{attempt_id}")
    wait_sent(page)
    expect(status).to_have_text(TEXT[lang]["saved"])
    stored, recorded = server_state(live_server, attempt_id)
    assert stored == answers.values and len(recorded) == 2


@pytest.mark.parametrize("lang", ["ar"])
def test_past_the_time_limit_nothing_more_is_kept_on_the_device(lang, context, live_server):
    """A timed attempt states the rule; once its time is over on the server's clock (the grace still running),
    a change is sent directly and, without a connection, not kept on the device, and the page says so."""
    from datetime import timedelta

    from lms.core.timeutil import utcnow
    from lms.extensions import db
    from lms.quizzes.models import Attempt

    page = context.new_page()
    attempt_id, questions = start_attempt(page, live_server, lang)
    with live_server.app.app_context():  # the limit passed 20 seconds ago; the quiz's grace is 2 minutes
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline_at = utcnow() - timedelta(seconds=20)
        db.session.commit()
        db.session.remove()
    page.reload()
    expect(page.locator("form[data-autosave]")).to_have_attribute("data-outbox", "on")
    expect(page.locator("[data-offline-rule]")).to_be_visible()
    expect(page.locator("[data-offline-rule]")).to_contain_text("ساعة الخادم هي المرجع")
    status = page.locator("[data-save-status]")
    answers, rng = Answers(page), random.Random(6)
    targets = clickable(page, questions)

    context.set_offline(True)
    answers.change(targets[0], rng)
    expect(status).to_have_text("انتهت المدة المحددة حسب ساعة الخادم: لم تعد الإجابات تُحفظ على هذا الجهاز.")
    assert page.evaluate("() => localStorage.getItem('tadrib-outbox')") in (None, "0")

    context.set_offline(False)  # within the grace period the server still takes a change
    answers.change(targets[1], rng)
    expect(status).to_have_text(TEXT[lang]["saved"])
    stored, recorded = server_state(live_server, attempt_id)
    assert stored == answers.values and recorded == []


@pytest.mark.parametrize("lang", ["fr"])
def test_without_indexeddb_the_page_saves_online_as_before(lang, context, live_server):
    context.add_init_script("Object.defineProperty(window, 'indexedDB', {value: undefined})")
    page = context.new_page()
    quiz_id, definition = live_server.quiz_definition(COURSE, MODULE)
    learner = live_server.make_user("learner", profession="magistrate-judge", locale=lang)
    sign_in(page, learner)
    page.goto(f"/quizzes/{quiz_id}")
    with page.expect_navigation():
        page.locator('main form[action$="/start"] button[type=submit]').click()
    attempt_id = int(page.url.rsplit("/", 1)[1])
    questions = {q["id"]: q for q in definition["questions"]}
    status = page.locator("[data-save-status]")
    answers, rng = Answers(page), random.Random(8)
    targets = clickable(page, questions)
    answers.change(targets[0], rng)
    expect(status).to_have_text(TEXT[lang]["saved"])
    context.set_offline(True)
    answers.change(targets[1], rng)
    expect(status).to_contain_text("Non enregistré : vérifiez votre connexion.")  # the message of before
    context.set_offline(False)
    answers.change(targets[2], rng)  # the next save carries the one that failed
    expect(status).to_have_text(TEXT[lang]["saved"])
    expect(page.locator("form[data-autosave]")).not_to_have_attribute("data-outbox", "on")
    stored, recorded = server_state(live_server, attempt_id)
    assert stored == answers.values and recorded == []
