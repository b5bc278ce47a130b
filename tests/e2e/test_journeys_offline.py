"""Real-browser journey of the offline field kit (issue #22), in French and in Arabic, on a 390 px phone: a
magistrate makes their course available offline from the course page (the button then says "available" with a
size), goes offline (Playwright's offline mode also cuts the service worker's fetches), opens a module (the stored
copy, with the banner "offline copy from <date>" in the page's language and direction), follows the library
article the module cites (stored), follows a link to a page not stored (marked; opening it shows the "not stored"
page), and finds the course on the /offline page with its size. Back online, a module changed on the server
replaces the old copy once the service worker refreshes. The course page's block, the "needs a connection" and
"not stored" pages and /offline are also checked at 768 px (a tablet) and 1280 px (a projector): nothing scrolls
sideways, in either direction.

Screenshots (course page block, banner, /offline page) go to tests/e2e/screenshots/.
"""

from __future__ import annotations

import re
import time

import pytest

from .conftest import (
    ACTION_TIMEOUT_MS,
    CONTEXT_LOCALES,
    LANGS,
    NAV_TIMEOUT_MS,
    assert_no_sideways_scroll,
    require_browser,
    sign_in,
)

require_browser()

from playwright.sync_api import expect  # noqa: E402

COURSE = "/courses/palermo-magistrates"
MODULE = f"{COURSE}/palermo-protocol"
CHANGED = "definition"  # the module whose text changes on the server during the journey
ARTICLE = "/library/law-27-14/448-1"
INSTRUMENT = "/library/law-27-14"
AVAILABLE = {
    "fr": r"Disponible hors ligne · [\d,.\s]+\s*Mo · enregistré le",
    "ar": r"متاحة دون اتصال · [\d,.\s]+\s*\S+ · حُفظت في",
}
BANNER = {"fr": "Copie hors ligne du", "ar": "نسخة غير متصلة بتاريخ"}
MISSING = {"fr": "non enregistrée sur cet appareil", "ar": "غير محفوظة على هذا الجهاز"}
NEEDS_CONNECTION = {"fr": "Une connexion est nécessaire", "ar": "يتطلّب هذا اتصالًا بالإنترنت"}
NOT_STORED_TITLE = {
    "fr": "Cette page n’est pas enregistrée sur cet appareil",
    "ar": "هذه الصفحة غير محفوظة على هذا الجهاز",
}

# A message to the service worker, resolved when it answers (offline.js's protocol).
ASK_SW = """(message) => navigator.serviceWorker.ready.then(reg => new Promise((ok, ko) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = e => e.data.error ? ko(new Error(e.data.error)) : (e.data.done ? ok(true) : null);
  reg.active.postMessage(message, [channel.port2]);
}))"""


def _phone_context(browser, live_server, lang):
    context = browser.new_context(
        base_url=live_server.url,
        locale=CONTEXT_LOCALES[lang],
        viewport={"width": 390, "height": 844},
        service_workers="allow",
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAV_TIMEOUT_MS)
    return context


def store_course(page, lang: str):
    """On the course page, "Make available offline" until it says available with a size; returns the block."""
    page.goto(COURSE)
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    block = page.locator(".offline-pack")
    make = block.locator("[data-offline-act=pack]")
    expect(make).to_be_visible()
    make.click()
    expect(block.locator("[data-offline-status]")).to_have_text(re.compile(AVAILABLE[lang]), timeout=60_000)
    return block


def _change_module(live_server, slug: str, marker: str | None) -> None:
    """Add ``marker`` to the module's texts (a new source hash, as a sync would give it); None restores them."""
    from sqlalchemy import select

    from lms.content.models import Course, Module, ModuleText
    from lms.extensions import db

    with live_server.app.app_context():
        module = db.session.scalar(
            select(Module).join(Course).where(Course.slug == "palermo-magistrates", Module.slug == slug)
        )
        texts = db.session.scalars(select(ModuleText).where(ModuleText.module_id == module.id)).all()
        saved = live_server.__dict__.setdefault("_offline_saved", {})
        if marker is None:
            module.source_hash, bodies = saved.pop(slug)
            for text in texts:
                text.body_html = bodies[text.id]
        else:
            saved[slug] = (module.source_hash, {t.id: t.body_html for t in texts})
            module.source_hash = ("e2e-offline-" + marker)[:64]
            for text in texts:
                text.body_html = f'<p class="e2e-marker">{marker}</p>' + text.body_html
        db.session.commit()
        db.session.remove()


def _completed(live_server, user_id: int) -> bool:
    from sqlalchemy import select

    from lms.content.models import ModuleProgress
    from lms.extensions import db

    with live_server.app.app_context():
        done = db.session.scalar(
            select(ModuleProgress.id).where(ModuleProgress.user_id == user_id, ModuleProgress.completed_at.is_not(None))
        )
        db.session.remove()
    return done is not None


def _switch(page, lang: str) -> None:
    """The header's language switcher, on a phone: inside the menu."""
    page.locator("details.site-menu summary").click()
    with page.expect_navigation():
        page.locator(f"header button[name=lang][value={lang}]").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_a_learner_reads_their_course_offline(browser, live_server, lang, shot):
    person = live_server.make_user("learner", profession="magistrate-judge", locale=lang)
    context = _phone_context(browser, live_server, lang)
    page = context.new_page()
    try:
        sign_in(page, person)
        # 1. The course page offers to store the course once the service worker runs
        block = store_course(page, lang)
        expect(block.locator("[data-offline-act=unpack]")).to_be_visible()
        expect(block.locator("[data-offline-act=pack]")).to_be_hidden()
        shot(page, "course-button")
        assert_no_sideways_scroll(page, f"the course page's offline block [{lang}]")
        stored = page.evaluate("""() => new Promise(ok => { const r = indexedDB.open("tadrib-offline", 1);
            r.onsuccess = () => { const g = r.result.transaction("packs").objectStore("packs").getAll();
            g.onsuccess = () => ok(g.result.map(p => [p.slug, p.bytes, p.count])); }; })""")
        assert stored and stored[0][0] == "palermo-magistrates" and 0 < stored[0][1] <= 15 * 1024 * 1024, stored
        print(f"stored in the browser ({lang}): {stored[0][1]} bytes, {stored[0][2]} pages")

        # 2. Offline: a module opens from the stored copy, with the banner in the page's language
        context.set_offline(True)
        page.goto(MODULE)
        html = page.locator("html")
        expect(html).to_have_attribute("lang", lang)
        expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        expect(html).to_have_attribute("data-offline-copy", re.compile(r"^\d{4}-\d\d-\d\dT"))
        banner = page.locator("main > p.offline-copy[role=status]")
        expect(banner).to_contain_text(BANNER[lang])
        expect(page.locator("article.module-text")).to_be_visible()
        shot(page, "banner")

        # 2b. The language switcher works offline: the service worker answers it with the other stored copy
        other = "ar" if lang == "fr" else "fr"
        _switch(page, other)
        expect(page).to_have_url(re.compile(re.escape(MODULE) + "$"))
        expect(page.locator("p.offline-copy")).to_contain_text(BANNER[other])
        expect(html).to_have_attribute("dir", "rtl" if other == "ar" else "ltr")
        _switch(page, lang)
        expect(page.locator("p.offline-copy")).to_contain_text(BANNER[lang])

        # 2c. A form sent offline (mark the module as read): the device says it needs a connection, nothing is sent
        page.locator("main form[action$='/palermo-protocol/complete'] button[type=submit]").first.click()
        expect(page.locator("h1")).to_have_text(NEEDS_CONNECTION[lang])
        assert_no_sideways_scroll(page, f"the needs-a-connection page [{lang}]")
        assert not _completed(live_server, person.id)
        page.goto(MODULE)

        # 3. The library article the module cites is stored
        reference = page.locator(f"article.module-text a[href='{ARTICLE}']").first
        expect(reference).not_to_have_attribute("data-offline-missing", re.compile(".*"))
        page.goto(ARTICLE)  # (the reference's preview would take the first tap on a phone)
        expect(page.locator("article.library-article")).to_be_visible()
        expect(page.locator("p.offline-copy")).to_contain_text(BANNER[lang])

        # 4. A link to a page not stored says so, and opening it shows the "not stored" page
        instrument = page.locator(f"main a[href='{INSTRUMENT}']").first
        expect(instrument).to_have_attribute("data-offline-missing", MISSING[lang])
        instrument.click()
        expect(page.locator("h1")).to_have_text(NOT_STORED_TITLE[lang])
        assert_no_sideways_scroll(page, f"the not-stored page [{lang}]")

        # 5. The /offline page lists the course with its size
        page.goto("/offline")
        item = page.locator(".offline-list > li")
        expect(item).to_have_count(1)
        expect(item.locator("h2 a")).to_have_attribute("href", COURSE)
        expect(item.locator("dd").nth(1)).to_have_text(re.compile(r"\d"))
        expect(page.locator("[data-offline-needs]")).to_be_hidden()
        shot(page, "device")
        assert_no_sideways_scroll(page, f"/offline with a stored course [{lang}]")

        # 6. Back online: a module changed on the server replaces the stored copy at the next refresh
        context.set_offline(False)
        marker = f"E2E-CHANGED-{lang}-{person.id}"
        _change_module(live_server, CHANGED, marker)
        try:
            page.goto("/offline")
            assert page.evaluate(ASK_SW, {"type": "refresh"})
            context.set_offline(True)
            page.goto(f"{COURSE}/{CHANGED}")
            expect(page.locator("p.offline-copy")).to_be_visible()
            expect(page.locator("article.module-text .e2e-marker")).to_have_text(marker)
            # 7. Online, forms go through the service worker to the server as before (a POST: the language)
            context.set_offline(False)
            page.goto(MODULE)
            expect(page.locator("p.offline-copy")).to_have_count(0)
            _switch(page, other)
            expect(html).not_to_have_attribute("data-offline-copy", re.compile(".*"))
            _switch(page, lang)
        finally:
            context.set_offline(False)
            _change_module(live_server, CHANGED, None)
    finally:
        context.close()


def test_a_link_that_hangs_falls_back_to_the_stored_copy(browser, live_server):
    """Lie-fi (connected, nothing comes back): after 10 s the stored copy answers; a page not stored keeps waiting."""
    person = live_server.make_user("learner", profession="magistrate-judge", locale="fr")
    context = _phone_context(browser, live_server, "fr")
    page = context.new_page()
    held = []
    try:
        sign_in(page, person)
        page.goto(COURSE)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        assert page.evaluate(ASK_SW, {"type": "pack", "url": f"/offline/courses/{COURSE.rsplit('/', 1)[1]}.json"})
        context.route(re.compile(re.escape(MODULE) + "$"), lambda route: held.append(route))  # never answered
        started = time.monotonic()
        page.goto(MODULE, timeout=30_000)
        waited = time.monotonic() - started
        expect(page.locator("p.offline-copy")).to_contain_text(BANNER["fr"])
        assert 9 < waited < 25, waited
        assert held, "the service worker's request went through the route (else this test proves nothing)"
    finally:
        context.unroute_all(behavior="ignoreErrors")
        context.close()


def test_an_attempt_page_opened_online_reopens_offline(browser, live_server):
    """The quiz's pages (helper A's journeys build on this): an attempt page fetched online is kept in
    ``tadrib-pages``, and its other pages when the page asks (``store``); offline, a reload shows them."""
    from lms.content.models import QuizVersion
    from lms.extensions import db
    from lms.quizzes import service

    person = live_server.make_user("learner", profession="magistrate-judge", locale="fr")
    quiz_id, _definition = live_server.quiz_definition("palermo-magistrates", "palermo-protocol")
    with live_server.app.test_request_context():
        attempt = service.start_attempt(person.id, db.session.get(QuizVersion, quiz_id))
        db.session.commit()
        attempt_id = attempt.id
        db.session.remove()
    context = _phone_context(browser, live_server, "fr")
    page = context.new_page()
    try:
        sign_in(page, person)
        url = f"/quizzes/attempts/{attempt_id}"
        page.goto(url)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()  # now controlled by the service worker, which keeps the page
        expect(page.locator("form.quiz-form")).to_be_visible()
        assert page.evaluate(ASK_SW, {"type": "store", "urls": [f"{url}?view=one&page=2"]})
        context.set_offline(True)
        page.reload()
        expect(page.locator("form.quiz-form")).to_be_visible()
        page.goto(f"{url}?view=one&page=2")
        expect(page.locator("form.quiz-form")).to_be_visible()
        page.goto(f"{url}?view=one&page=3")  # never opened: the "not stored" page (no pack on this device)
        expect(page.locator("body")).to_contain_text("Hors ligne")
    finally:
        context.set_offline(False)
        context.close()
