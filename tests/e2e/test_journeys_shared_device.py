"""Shared computers (issue #22): what one person's browser kept of Tadrib (the service worker, its caches, the
quiz answers waiting in IndexedDB, the ``tadrib-*`` keys) is not left for the next person.

- Signing out (tadrib.js, form[data-signout]) sends the waiting answers first, then removes every ``tadrib-``
  cache and database, the service worker and the ``tadrib-`` keys; the server's answer also carries
  ``Clear-Site-Data``. The first journey strips that header on its way to the browser, so that it sees what the
  script alone does.
- Answers that cannot be sent: the warning gives their number (French and Arabic); cancelling keeps the person
  signed in with everything; a flush that never ends is cut after 5 s.
- A person who never signed out: the next person's sign-in clears the browser (the ``tadrib_device`` cookie).

The data is planted with page.evaluate, as the service worker and outbox.js store it; the service worker is a
stand-in served at /e2e-sw.js (the real one comes with the offline packs).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import ACTION_TIMEOUT_MS, CONTEXT_LOCALES, NAV_TIMEOUT_MS, require_browser, sign_in

require_browser()

from playwright.sync_api import expect  # noqa: E402

CLEAR = '"cache", "storage"'
TEXT = {
    "fr": {
        "unsent": "Réponses pas encore envoyées depuis cet appareil : {n}. Sans connexion, elles ne peuvent pas être "
        "envoyées, et la déconnexion les supprime de cet appareil. Se déconnecter quand même ?",
        "signed_out": "Vous êtes déconnecté(e).",
        "sign_out": "Se déconnecter",
    },
    "ar": {
        "unsent": "إجابات لم تُرسَل بعد من هذا الجهاز: {n}. لا يمكن إرسالها دون اتصال، وتسجيل الخروج يحذفها من هذا "
        "الجهاز. هل تريد تسجيل الخروج رغم ذلك؟",
        "signed_out": "تم تسجيل خروجك.",
        "sign_out": "تسجيل الخروج",
    },
}
SW_SCRIPT = (
    b"self.addEventListener('install', function () { self.skipWaiting(); });\n"
    b"self.addEventListener('fetch', function () {});\n"
)

# As the service worker (caches, tadrib-offline) and outbox.js (tadrib-answers, localStorage) would leave them.
PLANT = """async (waiting) => {
  const registration = await navigator.serviceWorker.register("/e2e-sw.js", {scope: "/"});
  await navigator.serviceWorker.ready;
  for (const name of ["tadrib-static", "tadrib-pages", "tadrib-pack-palermo-magistrates"]) {
    const cache = await caches.open(name);
    await cache.put("/e2e/" + name, new Response("stored page"));
  }
  const open = (name, store, options) => new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(store, options);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const put = (db, store, value) => new Promise((resolve, reject) => {
    const tx = db.transaction(store, "readwrite");
    tx.objectStore(store).put(value);
    tx.oncomplete = () => { db.close(); resolve(); };
    tx.onerror = () => reject(tx.error);
  });
  await put(await open("tadrib-answers", "outbox", {autoIncrement: true}), "outbox", {key: "k1", attempt: 1});
  await put(await open("tadrib-offline", "packs", {keyPath: "slug"}), "packs", {slug: "palermo-magistrates"});
  localStorage.setItem("tadrib-outbox", String(waiting));
  localStorage.setItem("tadrib-lang", "fr");
  sessionStorage.setItem("tadrib-seen", "1");
  localStorage.setItem("another-site-key", "kept");
  return registration.scope;
}"""

LEFT = """async () => ({
  caches: (await caches.keys()).filter((name) => name.startsWith("tadrib-")).sort(),
  databases: (await indexedDB.databases()).map((db) => db.name).filter((name) => name.startsWith("tadrib-")).sort(),
  workers: (await navigator.serviceWorker.getRegistrations()).length,
  keys: Object.keys(localStorage).concat(Object.keys(sessionStorage)).filter((key) => key.startsWith("tadrib-")).sort(),
  other: localStorage.getItem("another-site-key"),
})"""

# What of the planted data a later person could still read (the real service worker, where it runs, registers
# itself again for them and stores their own language: that is theirs).
PLANTED_LEFT = """async () => {
  const found = [];
  for (const name of ["tadrib-static", "tadrib-pages", "tadrib-pack-palermo-magistrates"]) {
    if (await caches.match("/e2e/" + name)) { found.push("cache " + name); }
  }
  const names = (await indexedDB.databases()).map((db) => db.name);
  if (names.includes("tadrib-answers")) { found.push("database tadrib-answers"); }
  if (names.includes("tadrib-offline")) {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open("tadrib-offline");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    if (db.objectStoreNames.contains("packs")) {
      const pack = await new Promise((resolve) => {
        const request = db.transaction("packs").objectStore("packs").get("palermo-magistrates");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => resolve(undefined);
      });
      if (pack) { found.push("pack palermo-magistrates"); }
    }
    db.close();
  }
  for (const key of ["tadrib-lang", "tadrib-outbox", "another-site-key"]) {
    if (localStorage.getItem(key) !== null) { found.push("key " + key); }
  }
  if (sessionStorage.getItem("tadrib-seen") !== null) { found.push("key tadrib-seen"); }
  const workers = (await navigator.serviceWorker.getRegistrations())
    .map((registration) => (registration.active || registration.waiting || registration.installing || {}).scriptURL);
  if (workers.some((url) => String(url).includes("/e2e-sw.js"))) { found.push("worker /e2e-sw.js"); }
  return found;
}"""

EVERYTHING = {
    "caches": ["tadrib-pack-palermo-magistrates", "tadrib-pages", "tadrib-static"],
    "databases": ["tadrib-answers", "tadrib-offline"],
    "workers": 1,
}
NOTHING = {"caches": [], "databases": [], "workers": 0, "keys": []}

# outbox.js's interface (window.TadribOutbox), as a stand-in: flush() sends what it can and says how many are left.
FAKE_OUTBOX = """(left) => {
  window.flushes = 0;
  window.TadribOutbox = {
    count: () => Promise.resolve(Number(localStorage.getItem("tadrib-outbox") || 0)),
    flush: () => {
      window.flushes += 1;
      if (left === null) { return new Promise(() => {}); }  // never answers (a request that hangs)
      localStorage.setItem("tadrib-outbox", String(left));
      console.log("flushed, left " + left);
      return Promise.resolve(left);
    },
  };
}"""


@pytest.fixture
def stand_in_worker(live_server, monkeypatch):
    """Serve /e2e-sw.js (a service worker that does nothing) beside the app, for this test only."""
    app = live_server.app
    wsgi = app.wsgi_app

    def serve(environ, start_response):
        if environ.get("PATH_INFO") == "/e2e-sw.js":
            start_response("200 OK", [("Content-Type", "text/javascript"), ("Cache-Control", "no-store")])
            return [SW_SCRIPT]
        return wsgi(environ, start_response)

    monkeypatch.setattr(app, "wsgi_app", serve)


def device(browser, live_server, lang):
    """A browser context where service workers run (the shared fixture blocks them)."""
    context = browser.new_context(
        base_url=live_server.url,
        locale=CONTEXT_LOCALES[lang],
        viewport={"width": 1280, "height": 900},
        service_workers="allow",
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAV_TIMEOUT_MS)
    return context


def sign_out_button(page, lang):
    button = page.locator("form[data-signout] button[type=submit]")
    expect(button).to_have_text(TEXT[lang]["sign_out"])
    return button


def open_menu(page):
    """On a narrow screen the sign-out button is in the folded menu; on this wide one it is in the bar."""
    summary = page.locator("details.site-menu > summary")
    if summary.is_visible() and not page.locator("details.site-menu").evaluate("(menu) => menu.open"):
        summary.click()


def left_over(page):
    return page.evaluate(LEFT)


def holds_everything(found) -> bool:
    """What was planted is there (the real service worker, where it runs, may have stored more)."""
    return (
        set(EVERYTHING["caches"]) <= set(found["caches"])
        and set(EVERYTHING["databases"]) <= set(found["databases"])
        and found["workers"] == EVERYTHING["workers"]
    )


@pytest.mark.usefixtures("stand_in_worker")
def test_signing_out_removes_what_the_browser_kept(browser, live_server):
    person = live_server.make_user("learner", locale="fr", profession="magistrate-judge")
    context = device(browser, live_server, "fr")
    page = context.new_page()
    sign_in(page, person)
    page.goto("/courses/home")
    page.evaluate(PLANT, 1)
    page.evaluate(FAKE_OUTBOX, 0)  # the waiting answer is sent
    before = left_over(page)
    assert holds_everything(before)
    assert {"tadrib-lang", "tadrib-outbox", "tadrib-seen"} <= set(before["keys"])

    # The server's answer clears the site's data too: strip it here to see what the script alone did.
    answers = []

    def without_clear_site_data(route):
        response = route.fetch(max_redirects=0)
        answers.append(response.headers.get("clear-site-data"))
        headers = {k: v for k, v in response.headers.items() if k.lower() != "clear-site-data"}
        route.fulfill(response=response, headers=headers)

    page.route("**/account/logout", without_clear_site_data)
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_menu(page)
    with page.expect_navigation():
        sign_out_button(page, "fr").click()
    expect(page.locator(".flash")).to_contain_text(TEXT["fr"]["signed_out"])
    assert answers == [CLEAR]
    assert "flushed, left 0" in messages and dialogs == []  # sent first; nothing to warn about
    after = left_over(page)
    assert {k: after[k] for k in NOTHING} == NOTHING
    assert after["other"] == "kept"  # the script removes only what is Tadrib's own
    assert page.evaluate(PLANTED_LEFT) == ["key another-site-key"]
    context.close()


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.usefixtures("stand_in_worker")
def test_unsent_answers_are_announced_and_cancelling_keeps_them(browser, live_server, lang):
    person = live_server.make_user("learner", locale=lang, profession="magistrate-judge")
    context = device(browser, live_server, lang)
    page = context.new_page()
    sign_in(page, person)
    page.goto("/courses/home")
    page.evaluate(PLANT, 2)
    page.evaluate(FAKE_OUTBOX, 1)  # one of the two cannot be sent (no connection)
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append((dialog.type, dialog.message)), dialog.dismiss()))
    open_menu(page)
    sign_out_button(page, lang).click()
    page.wait_for_function("window.flushes === 1")
    page.wait_for_timeout(300)  # the dialog's event comes through the page
    assert dialogs == [("confirm", TEXT[lang]["unsent"].format(n=1))]
    # Cancelled: still signed in, and nothing was removed.
    page.wait_for_timeout(300)
    assert "/account/login" not in page.url
    kept = left_over(page)
    assert holds_everything(kept) and "tadrib-outbox" in kept["keys"]
    assert page.evaluate("localStorage.getItem('tadrib-outbox')") == "1"
    page.reload()
    expect(page.locator("form[data-signout]")).to_have_count(1)

    # Signing out again, and this time accepting: the answer is lost knowingly, and nothing is left.
    page.evaluate(FAKE_OUTBOX, 1)
    page.once("dialog", lambda dialog: dialog.accept())
    open_menu(page)
    with page.expect_navigation():
        sign_out_button(page, lang).click()
    expect(page.locator(".flash")).to_contain_text(TEXT[lang]["signed_out"])
    after = left_over(page)
    assert {k: after[k] for k in NOTHING} == NOTHING
    context.close()


def test_a_flush_that_never_ends_does_not_hold_the_sign_out(browser, live_server):
    person = live_server.make_user("learner", locale="fr")
    context = device(browser, live_server, "fr")
    page = context.new_page()
    sign_in(page, person)
    page.evaluate("localStorage.setItem('tadrib-outbox', '3')")
    page.evaluate(FAKE_OUTBOX, None)
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    open_menu(page)
    started = time.monotonic()
    with page.expect_navigation(timeout=15_000):
        sign_out_button(page, "fr").click()
    waited = time.monotonic() - started
    assert dialogs == [TEXT["fr"]["unsent"].format(n=3)]
    assert 4.5 < waited < 10, waited
    expect(page.locator(".flash")).to_contain_text(TEXT["fr"]["signed_out"])
    context.close()


@pytest.mark.usefixtures("stand_in_worker")
def test_the_next_person_finds_nothing_of_one_who_did_not_sign_out(browser, live_server):
    first = live_server.make_user("learner", locale="fr", profession="magistrate-judge")
    second = live_server.make_user("learner", locale="ar", profession="social-worker")
    context = device(browser, live_server, "fr")
    page = context.new_page()
    sign_in(page, first)
    page.goto("/courses/home")
    page.evaluate(PLANT, 1)
    assert holds_everything(left_over(page))
    # The first person walks away; the browser is closed (its session cookie goes, the device cookie stays).
    context.clear_cookies(name="tadrib_session")
    assert [c["name"] for c in context.cookies()] == ["tadrib_device"]
    responses = []
    page.on("response", lambda response: responses.append(response) if "/account/login" in response.url else None)
    sign_in(page, second)
    answers = [response.all_headers().get("clear-site-data") for response in responses]
    assert answers == [None, CLEAR]  # the sign-in page, then the sign-in
    # Nothing of the first person (the server's Clear-Site-Data empties the whole site's storage, other keys too).
    assert page.evaluate(PLANTED_LEFT) == []
    context.close()


OUTBOX_JS = Path(__file__).resolve().parents[2] / "lms" / "static" / "outbox.js"
# One answer waiting in the real outbox (outbox.js), for an attempt the server does not know: sent, it is refused
# (404) and dropped, so that the outbox is empty once it could be sent.
WAITING_ANSWER = """async () => {
  const token = document.querySelector("input[name=csrf_token]").value;
  await window.TadribOutbox.add({key: crypto.randomUUID(), attempt: 999999, url: "/quizzes/attempts/999999/autosave",
    csrf: token, seq: 1, qids: ["q1"], fields: [["q1", "a"]], bases: {}, at: new Date().toISOString()}, {q1: [["q1", "a"]]});
  return localStorage.getItem("tadrib-outbox");
}"""


@pytest.mark.skipif(not OUTBOX_JS.exists(), reason="outbox.js (quiz answers kept on the device) is not in this tree")
@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_real_outbox_is_loaded_and_flushed_before_signing_out(browser, live_server, lang):
    person = live_server.make_user("learner", locale=lang)
    context = device(browser, live_server, lang)
    page = context.new_page()
    sign_in(page, person)
    page.add_script_tag(url=page.locator("form[data-signout]").get_attribute("data-outbox"))
    assert page.evaluate(WAITING_ANSWER) == "1"
    page.reload()  # a page without outbox.js: the sign-out form loads it
    assert page.evaluate("typeof window.TadribOutbox") == "undefined"
    sent = []
    page.on("request", lambda request: sent.append(request.method) if "/999999/autosave" in request.url else None)

    # No connection: the answer cannot be sent; the warning gives its number; cancelled, it stays on the device.
    context.set_offline(True)
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_menu(page)
    sign_out_button(page, lang).click()
    for _ in range(100):  # the flush fails at once offline; the warning follows
        if dialogs:
            break
        page.wait_for_timeout(100)
    assert dialogs == [TEXT[lang]["unsent"].format(n=1)]
    assert page.evaluate("localStorage.getItem('tadrib-outbox')") == "1"
    assert "tadrib-answers" in left_over(page)["databases"]

    # Back online: signing out sends it first (no warning), then nothing is left.
    context.set_offline(False)
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with page.expect_navigation():
        sign_out_button(page, lang).click()
    expect(page.locator(".flash")).to_contain_text(TEXT[lang]["signed_out"])
    assert sent and sent[-1] == "POST" and len(dialogs) == 1
    after = left_over(page)
    assert {k: after[k] for k in NOTHING} == NOTHING
    context.close()
