"""Accessibility of every page type, in French (left to right) and Arabic (right to left).

- ``test_axe``: axe-core (WCAG 2.0/2.1/2.2 A and AA rules plus best practices). A violation of impact
  "serious" or "critical" fails; lesser ones are printed. Screenshots: axe-<page>-<lang>.png.
- ``test_reflow_at_320px``: WCAG 1.4.10, nothing scrolls sideways at 320 CSS pixels but a table's own box.
- ``test_focus_not_hidden_under_attempt_bar``: WCAG 2.4.11, the sticky quiz bar never hides the focus.

To try a stylesheet fix before making it, append CSS to tadrib.css in the browser:
``TADRIB_E2E_EXTRA_CSS=".columns { ... }" pytest tests/e2e/test_a11y.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from .conftest import LANGS, OVERFLOWING, new_context, require_browser, sign_in, switch_language

require_browser()
pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed")

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

COURSE, MODULE = "palermo-magistrates", "definition"
FAILING_IMPACTS = ("serious", "critical")
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}

axe = Axe()

EXTRA_CSS = os.environ.get("TADRIB_E2E_EXTRA_CSS", "")


def _with_extra_css(route):
    response = route.fetch()
    route.fulfill(response=response, body=response.text() + "\n" + EXTRA_CSS)


def open_page(context):
    """A new page; with TADRIB_E2E_EXTRA_CSS set, that CSS is appended to tadrib.css (to try a fix first)."""
    page = context.new_page()
    if EXTRA_CSS:
        page.route("**/static/tadrib.css", _with_extra_css)
    return page


@dataclass
class PageCheck:
    name: str
    role: str  # "anonymous", "learner", "trainer" or "admin"
    path: Callable[[dict], str]
    status: int = 200
    prepare: Callable | None = None  # (page, env) -> None, after loading the page


def _login_with_error(page, env):
    page.fill("#email", "nobody@e2e.example.org")
    page.fill("#password", "wrong password, surely")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("#password-error")).to_be_visible()


def _attempt_offline(page, env):
    """The autosave warning state: the server cannot be reached, the status says so."""
    page.route("**/autosave", lambda route: route.abort())
    # An unchecked radio: checking one that is already checked fires no change, so no autosave.
    page.locator("form.quiz-form input[type=radio]:not(:checked)").first.check()
    expect(page.locator("[data-save-status]")).to_have_class("save-status save-error")


CHECKS = [
    PageCheck("home", "anonymous", lambda env: "/"),
    PageCheck("login", "anonymous", lambda env: "/account/login"),
    PageCheck("login-error", "anonymous", lambda env: "/account/login", prepare=_login_with_error),
    PageCheck("forgot-password", "anonymous", lambda env: "/account/password/forgot"),
    PageCheck("privacy", "anonymous", lambda env: "/privacy"),
    PageCheck("not-found", "anonymous", lambda env: "/no-such-page", status=404),
    PageCheck("invitation-invalid", "anonymous", lambda env: "/account/invitation/not-a-real-token", status=404),
    PageCheck("dashboard", "learner", lambda env: "/courses/home"),
    PageCheck("catalogue", "learner", lambda env: "/courses"),
    PageCheck("course", "learner", lambda env: f"/courses/{COURSE}"),
    PageCheck("module", "learner", lambda env: f"/courses/{COURSE}/{MODULE}"),
    PageCheck("quiz", "learner", lambda env: f"/quizzes/{env['quiz_id']}"),
    PageCheck("attempt", "learner", lambda env: f"/quizzes/attempts/{env['open_attempt']}"),
    PageCheck(
        "attempt-one-per-page", "learner", lambda env: f"/quizzes/attempts/{env['open_attempt']}?view=one&page=1"
    ),
    PageCheck(
        "attempt-save-error",
        "learner",
        lambda env: f"/quizzes/attempts/{env['open_attempt']}?view=all",
        prepare=_attempt_offline,
    ),
    PageCheck("summary", "learner", lambda env: f"/quizzes/attempts/{env['open_attempt']}/summary"),
    PageCheck("result", "learner", lambda env: f"/quizzes/attempts/{env['done_attempt']}/result"),
    PageCheck("profile", "learner", lambda env: "/account/profile"),
    PageCheck("invite", "trainer", lambda env: "/account/invite"),
    PageCheck("trainer-home", "trainer", lambda env: "/reports"),
    PageCheck("cohort-new", "trainer", lambda env: "/cohorts/new"),
    PageCheck("cohort", "trainer", lambda env: f"/cohorts/{env['cohort_id']}"),
    PageCheck("cohort-dashboard", "trainer", lambda env: f"/reports/cohorts/{env['cohort_id']}"),
    PageCheck("cohort-results", "trainer", lambda env: f"/cohorts/{env['cohort_id']}/results"),
    PageCheck("cohort-import", "trainer", lambda env: f"/cohorts/{env['cohort_id']}/import"),
    PageCheck("session-new", "trainer", lambda env: f"/attendance/cohorts/{env['cohort_id']}/sessions/new"),
    PageCheck("attendance", "trainer", lambda env: f"/attendance/sessions/{env['session_id']}"),
    PageCheck("checkin-screen", "trainer", lambda env: f"/attendance/sessions/{env['session_id']}/checkin-screen"),
    PageCheck("cohort-certificates", "trainer", lambda env: f"/certificates/cohorts/{env['cohort_id']}"),
    PageCheck("certificates-job", "trainer", lambda env: f"/certificates/jobs/{env['job_id']}"),
    PageCheck("checkin", "learner", lambda env: "/attendance/checkin"),
    PageCheck("my-certificates", "learner", lambda env: "/certificates"),
    PageCheck("two-factor", "learner", lambda env: "/account/profile/two-factor"),
    PageCheck("notifications", "learner", lambda env: "/notifications"),
    PageCheck("notification-preferences", "learner", lambda env: "/notifications/preferences"),
    PageCheck("my-surveys", "learner", lambda env: "/evaluation"),
    PageCheck("library", "learner", lambda env: "/library"),
    PageCheck("library-article", "learner", lambda env: "/library/law-27-14/448-1"),
    PageCheck("library-cases", "learner", lambda env: "/library/cases?victim=child"),
    PageCheck("glossary", "learner", lambda env: "/library/glossary"),
    PageCheck("search", "learner", lambda env: "/search?q=448-1"),
    # the offline field kit without a service worker (these contexts block them): what the feature needs
    PageCheck("offline-device", "learner", lambda env: "/offline"),
    PageCheck("offline-missing", "anonymous", lambda env: "/offline/missing"),
    PageCheck("offline-missing-action", "learner", lambda env: "/offline/missing?kind=action"),
    PageCheck("cohort-evaluation", "trainer", lambda env: f"/reports/cohorts/{env['cohort_id']}/evaluation"),
    PageCheck("programme-evaluation", "admin", lambda env: "/reports/evaluation"),
    PageCheck("verify", "anonymous", lambda env: f"/certificates/verify/{env['code']}"),
    PageCheck("verify-unknown", "anonymous", lambda env: "/certificates/verify/AAAA-BBBB-CCCC-DDDD", status=404),
    PageCheck("programme-report", "admin", lambda env: "/reports/programme"),
    PageCheck("admin-users", "admin", lambda env: "/account/users"),
    PageCheck("admin-user", "admin", lambda env: f"/account/users/{env['social_id']}"),
    PageCheck("admin-new-user", "admin", lambda env: "/account/users/new"),
    PageCheck("admin-audit", "admin", lambda env: "/audit"),
    PageCheck("admin-deliveries", "admin", lambda env: "/notifications/admin/deliveries"),
    PageCheck("admin-courses", "admin", lambda env: "/courses/admin"),
    PageCheck("preview", "admin", lambda env: f"/courses/admin/{COURSE}/{MODULE}/preview?lang={env['lang']}"),
    # The module with the most tables, in the other track.
    PageCheck(
        "preview-tables",
        "admin",
        lambda env: f"/courses/admin/victim-identification/referral-care/preview?lang={env['lang']}",
    ),
]


def _make_attempts(live_server, person, quiz_id: int) -> tuple[int, int]:
    """One submitted attempt (half right) and one open attempt with an answer, made through the service."""
    from lms.content.models import QuizVersion
    from lms.extensions import db
    from lms.quizzes import service
    from lms.quizzes.display import right_response

    with live_server.app.test_request_context():
        version = db.session.get(QuizVersion, quiz_id)
        done = service.start_attempt(person.id, version)
        questions = service.attempt_questions(done)
        service.save_answers(done, {q["id"]: right_response(q) for q in questions[: len(questions) // 2]})
        service.finish_attempt(done)
        open_one = service.start_attempt(person.id, version)
        first = service.attempt_questions(open_one)[0]
        service.save_answers(open_one, {first["id"]: right_response(first)})
        db.session.commit()
        ids = done.id, open_one.id
        db.session.remove()
    return ids


def _make_cohort(live_server, trainer, learner) -> dict:
    """A cohort of the trainer's with the learner enrolled, a session now (check-in open), attendance taken
    and a certificate issued: every trainer page has something to show."""
    from datetime import date, datetime, timedelta

    from lms.accounts.models import User
    from lms.attendance import service as attendance_service
    from lms.attendance.models import WorkshopSession
    from lms.certificates import service as certificates
    from lms.cohorts import service as cohorts
    from lms.content.models import Course
    from lms.core.jobs import BackgroundJob
    from lms.extensions import db

    with live_server.app.app_context():
        course = db.session.scalar(db.select(Course).where(Course.slug == COURSE))
        trainer_user, learner_user = db.session.get(User, trainer.id), db.session.get(User, learner.id)
        cohort = cohorts.save_cohort(
            None,
            trainer_user,
            course=course,
            trainers=[trainer_user],
            title="Rabat — atelier",
            mode="in_person",
            start_date=date.today() - timedelta(days=3),
            end_date=date.today() + timedelta(days=20),
            language="fr",
            city="Rabat",
        )
        cohorts.enrol(cohort, learner_user, trainer_user)
        now = datetime.utcnow()
        session = WorkshopSession(
            cohort_id=cohort.id,
            title="Séance 1",
            starts_at=now - timedelta(minutes=20),
            ends_at=now + timedelta(hours=2),
            checkin_secret="e2e" * 20,
            modules=[],
            is_checkin_open=True,
            place="Salle 2",
        )
        db.session.add(session)
        db.session.flush()
        attendance_service.record_attendance(session, learner_user.id, "present", trainer_user, note="À l’heure")
        certificate, _ = certificates.issue(cohort, learner_user, trainer_user, check=False)
        # The cohort's certificates being issued in the background, halfway (no consumer will take it).
        job = BackgroundJob(
            kind="certificates.issue", subject_id=cohort.id, owner_id=trainer_user.id, total=7, done=3, state="running"
        )
        db.session.add(job)
        db.session.commit()
        ids = {"cohort_id": cohort.id, "session_id": session.id, "code": certificate.code, "job_id": job.id}
        db.session.remove()
    return ids


def _make_notifications(live_server, learner, lang: str) -> None:
    """A read and an unread notification for the learner (the bell shows a count), and a mail that failed."""
    from lms.accounts.models import User
    from lms.core.mail import FAILED, MailDelivery
    from lms.extensions import db
    from lms.notifications import service
    from lms.notifications.models import Notification

    with live_server.app.app_context():
        person = db.session.get(User, learner.id)
        for n, title in enumerate(("Votre attestation est prête", "ورشة الغد")):
            service.notify(
                person, "certificate_issued", f"e2e:{lang}:{n}", title=title, body=title, link="/certificates"
            )
        db.session.flush()
        db.session.scalar(db.select(Notification).where(Notification.key == f"e2e:{lang}:0")).read_at = db.func.now()
        db.session.add(
            MailDelivery(
                key=f"e2e:failed:{lang}",
                address=person.email,
                subject="Rappel : atelier demain",
                status=FAILED,
                attempts=5,
                last_error="SMTPServerDisconnected: Connection unexpectedly closed",
            )
        )
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="module")
def a11y_env(live_server):
    """Per language: a learner (magistrate) with attempts, a trainer and an admin, all using that language."""
    quiz_id, _definition = live_server.quiz_definition(COURSE, MODULE)
    env = {}
    for lang in LANGS:
        learner = live_server.make_user(
            "learner", locale=lang, profession="magistrate-judge", name_arabic="مريم الإدريسي"
        )
        done_attempt, open_attempt = _make_attempts(live_server, learner, quiz_id)
        _make_notifications(live_server, learner, lang)
        trainer = live_server.make_user("trainer", locale=lang)
        env[lang] = {
            **_make_cohort(live_server, trainer, learner),
            "lang": lang,
            "quiz_id": quiz_id,
            "done_attempt": done_attempt,
            "open_attempt": open_attempt,
            "social_id": live_server.people["social"].id,
            "people": {
                "learner": learner,
                "trainer": trainer,
                "admin": live_server.make_user("admin", locale=lang),
            },
        }
    return env


@pytest.fixture(scope="module")
def signed_in_contexts(browser, live_server, a11y_env):
    """One browser context per (role, language), signed in once and reused by the module's tests."""
    contexts = {}

    def get(role: str, lang: str):
        key = (role, lang)
        if key not in contexts:
            ctx = new_context(browser, live_server, lang)
            page = ctx.new_page()
            if role == "anonymous":
                page.goto("/")
                switch_language(page, lang)
            else:
                sign_in(page, a11y_env[lang]["people"][role])
            page.close()
            contexts[key] = ctx
        return contexts[key]

    yield get
    for ctx in contexts.values():
        ctx.close()


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v.get('helpUrl', '')})")
        for node in v["nodes"][:8]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {target}: {summary[:300]}")
            lines.append(f"       {node.get('html', '')[:200]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more nodes")
    return "\n".join(lines)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
def test_axe(check: PageCheck, lang: str, a11y_env, signed_in_contexts, shot):
    env = a11y_env[lang]
    page = open_page(signed_in_contexts(check.role, lang))
    try:
        response = page.goto(check.path(env))
        assert response is not None and response.status == check.status, (
            f"{check.name}: HTTP {response.status if response else '?'} at {page.url}"
        )
        html = page.locator("html")
        expect(html).to_have_attribute("lang", lang)
        expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        if check.prepare:
            check.prepare(page, env)
        shot(page, check.name)
        results = axe.run(page, options=AXE_OPTIONS)
        violations = results.response["violations"]
        failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
        minor = [v for v in violations if v.get("impact") not in FAILING_IMPACTS]
        if minor:
            print(f"\n{check.name} [{lang}] minor axe findings:\n{format_violations(minor)}")
        assert not failing, (
            f"{check.name} [{lang}] {page.url}: {len(failing)} serious/critical axe violations\n"
            + format_violations(failing)
        )
    finally:
        page.close()


# --- what axe cannot see: reflow at 320 px, focus hidden under the sticky quiz bar -------------------------

REFLOW_CHECKS = [c for c in CHECKS if c.prepare is None]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("check", REFLOW_CHECKS, ids=[c.name for c in REFLOW_CHECKS])
def test_reflow_at_320px(check: PageCheck, lang: str, a11y_env, signed_in_contexts, shot):
    """WCAG 1.4.10: at 320 CSS px nothing but a table's own scroll box may scroll sideways."""
    page = open_page(signed_in_contexts(check.role, lang))
    try:
        page.set_viewport_size({"width": 320, "height": 640})
        page.goto(check.path(a11y_env[lang]))
        info = page.evaluate(OVERFLOWING)
        if info["out"] or info["scrollWidth"] > info["width"]:
            shot(page, f"{check.name}-320px")
        assert info["scrollWidth"] <= info["width"] and not info["out"], (
            f"{check.name} [{lang}] scrolls sideways at 320px (page {info['scrollWidth']}px wide); "
            "elements outside the viewport:\n  " + "\n  ".join(info["out"][:12])
        )
    finally:
        page.close()


TAB_STOPS = """() => {
  // The quiz form's tab stops in order; a radio group is one stop (its checked radio, else its last one).
  const stops = [], seen = new Set();
  const all = Array.from(document.querySelectorAll(
    "form.quiz-form input:not([type=hidden]), form.quiz-form select, form.quiz-form textarea, form.quiz-form button"));
  for (const el of all) {
    if (el.type === "radio") {
      if (seen.has(el.name)) continue;
      seen.add(el.name);
      const group = all.filter(r => r.type === "radio" && r.name === el.name);
      stops.push(group.find(r => r.checked) || group[group.length - 1]);
    } else {
      stops.push(el);
    }
  }
  window.__tabStops = stops;
  return stops.length;
}"""

PARK_UNDER_BAR = """(i) => {
  // Focus stop i+1 without scrolling, then scroll so that stop i sits 8px below the top of the viewport.
  const stops = window.__tabStops;
  stops[i + 1].focus({preventScroll: true});
  window.scrollBy(0, stops[i].getBoundingClientRect().top - 8);
  return stops[i].name || stops[i].tagName.toLowerCase();
}"""

HIDDEN_UNDER_BAR = """() => {
  const el = document.activeElement, bar = document.querySelector(".attempt-bar");
  if (!el || !bar || el === document.body || bar.contains(el)) return null;
  const r = el.getBoundingClientRect(), b = bar.getBoundingClientRect();
  const overlap = Math.max(0, Math.min(r.bottom, b.bottom) - Math.max(r.top, b.top));
  return {name: el.name || el.tagName.toLowerCase(), top: r.top, height: r.height, overlap,
          hidden: r.height > 0 && overlap >= r.height};
}"""


@pytest.mark.parametrize("lang", LANGS)
def test_focus_not_hidden_under_attempt_bar(lang: str, a11y_env, signed_in_contexts, shot):
    """WCAG 2.4.11: a control reached with Shift+Tab is never left hidden under the sticky quiz bar.

    Each tab stop is parked just under the bar (where scrolling up by hand leaves it), then reached from
    the next stop with Shift+Tab: the browser must scroll it into the visible part of the page.
    """
    page = open_page(signed_in_contexts("learner", lang))
    try:
        page.goto(f"/quizzes/attempts/{a11y_env[lang]['open_attempt']}?view=all")
        count = page.evaluate(TAB_STOPS)
        assert count > 10
        hidden = []
        for i in range(count - 1):
            page.evaluate(PARK_UNDER_BAR, i)
            page.keyboard.press("Shift+Tab")
            info = page.evaluate(HIDDEN_UNDER_BAR)
            if info and info["hidden"]:
                hidden.append(info)
                if len(hidden) == 1:
                    shot(page, "focus-hidden")
        names = sorted({i["name"] for i in hidden})
        assert not hidden, (
            f"[{lang}] {len(hidden)} of {count - 1} tab stops stay entirely hidden under .attempt-bar when reached "
            f"with Shift+Tab (parked {hidden[0]['top']:.0f}px from the top, {hidden[0]['height']:.0f}px high), "
            f"in questions: {', '.join(names)}"
        )
    finally:
        page.close()


# --- the offline field kit with its service worker: the course page's block, a stored copy read offline (its
# banner, its links to pages not stored), the list of what the device stores ---------------------------------


def _axe_failing(page, name: str, lang: str) -> list:
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
    assert not failing, f"{name} [{lang}] {page.url}: serious/critical axe violations\n" + format_violations(failing)
    return violations


@pytest.mark.parametrize("lang", LANGS)
def test_axe_offline_states(lang: str, browser, live_server, shot):
    from .conftest import ACTION_TIMEOUT_MS, CONTEXT_LOCALES

    person = live_server.make_user("learner", profession="magistrate-judge", locale=lang)
    ctx = browser.new_context(
        base_url=live_server.url,
        locale=CONTEXT_LOCALES[lang],
        viewport={"width": 390, "height": 844},  # a phone: where a course is read offline
        service_workers="allow",
    )
    ctx.set_default_timeout(ACTION_TIMEOUT_MS)
    page = open_page(ctx)
    try:
        sign_in(page, person)
        page.goto(f"/courses/{COURSE}")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.locator("[data-offline-act=pack]").click()
        expect(page.locator("[data-offline-act=unpack]")).to_be_visible(timeout=60_000)
        _axe_failing(page, "offline-course-stored", lang)
        page.goto(f"/courses/{COURSE}/definition")  # its tables fit a phone's width: no scrolling box to reach
        _axe_failing(page, "module-with-tables-on-a-phone", lang)
        ctx.set_offline(True)
        page.goto(f"/courses/{COURSE}/{MODULE}")
        expect(page.locator("p.offline-copy")).to_be_visible()
        expect(page.locator("main a[data-offline-missing]").first).to_be_attached()
        _axe_failing(page, "offline-copy", lang)
        page.goto("/offline")
        expect(page.locator(".offline-list > li")).to_have_count(1)
        _axe_failing(page, "offline-device-list", lang)
        shot(page, "offline-device-list")
    finally:
        ctx.set_offline(False)
        ctx.close()
