"""Real-browser fixtures: a live Tadrib server on a free port and the system Chromium driven by Playwright.

Each journey is skipped when /usr/bin/chromium is missing (``make setup`` installs Debian's ``chromium`` as
root), and each module when Playwright is not installed; the run then ends by saying how many journeys were
skipped and the command that enables them (``pytest_unconfigure`` in tests/conftest.py). Nothing here downloads a browser: Playwright drives the
system Chromium through ``executable_path`` (never run ``playwright install``).

One server serves the whole session: a migrated SQLite database in a temporary folder, the shipped
courses, and four people (``live_server.people``: admin, trainer, magistrate, social). Tests that change
a learner's state make their own learner with ``live_server.make_user(...)``.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# The system Chromium (Debian's package); another path can be given for a machine that has it elsewhere.
CHROMIUM = Path(os.environ.get("TADRIB_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "e2e correct horse battery"
LANGS = ("fr", "ar")
CONTEXT_LOCALES = {"fr": "fr-FR", "ar": "ar-MA", "en": "en-GB"}
NAV_TIMEOUT_MS = 15_000
ACTION_TIMEOUT_MS = 8_000


#: how to get the browser journeys where they are skipped (said at the end of every run that skipped them)
ENABLE_COMMAND = "sudo apt-get install -y --no-install-recommends chromium  (or: sudo make setup), then: make test"
SKIP_REASON = f"{CHROMIUM} is missing: browser journeys need the system Chromium"


def require_browser() -> None:
    """Skip the calling test module when Playwright itself is not installed. A missing Chromium skips each
    journey one by one instead (``pytest_collection_modifyitems``), so the end of the run can say how many."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    no_browser = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)
            if not CHROMIUM.exists():
                item.add_marker(no_browser)


# --- the live server -------------------------------------------------------------------------------


@dataclass
class Person:
    email: str
    name: str
    id: int
    password: str = PASSWORD


class LiveServer:
    """A Tadrib app served by werkzeug in a thread, with helpers to reach its database directly."""

    def __init__(self, app, url: str, instance: Path):
        self.app = app
        self.url = url
        self.instance = instance
        self.outbox = instance / "outbox"
        self._numbers = itertools.count(1)
        self.people: dict[str, Person] = {}

    def make_user(self, role: str = "learner", *, locale: str = "fr", profession: str | None = None, **fields):
        """A committed account with password PASSWORD (a fresh e-mail each call)."""
        from lms.accounts.service import create_user
        from lms.extensions import db

        n = next(self._numbers)
        roles = {"learner": ("learner",), "trainer": ("trainer",), "admin": ("admin",)}[role]
        email_address = fields.pop("email", f"{role}{n}@e2e.example.org")
        name = fields.pop("name_latin", f"E2E {role.title()} {n}")
        with self.app.app_context():
            user = create_user(
                email_address,
                name,
                password=PASSWORD,
                roles=roles,
                locale=locale,
                profession=profession,
                **fields,
            )
            db.session.commit()
            person = Person(email=user.email, name=user.name_latin, id=user.id)
            db.session.remove()
        return person

    def quiz_definition(self, course: str, module: str) -> tuple[int, dict]:
        """(quiz version id, definition) of a module's current quiz, read from the database."""
        from sqlalchemy import select

        from lms.content.models import Course, Module, QuizVersion
        from lms.extensions import db

        with self.app.app_context():
            version = db.session.scalar(
                select(QuizVersion)
                .join(Module, QuizVersion.module_id == Module.id)
                .join(Course, Module.course_id == Course.id)
                .where(Course.slug == course, Module.slug == module, QuizVersion.is_current.is_(True))
            )
            assert version is not None, f"no current quiz for {course}/{module}"
            result = version.id, version.definition
            db.session.remove()
        return result

    def module_slugs(self, course: str) -> list[str]:
        """The course's live modules, in order (read from the database, so new modules need no test change)."""
        from sqlalchemy import select

        from lms.content.models import Course, Module
        from lms.extensions import db

        with self.app.app_context():
            slugs = list(
                db.session.scalars(
                    select(Module.slug)
                    .join(Course, Module.course_id == Course.id)
                    .where(Course.slug == course, Module.is_archived.is_(False))
                    .order_by(Module.position)
                )
            )
            db.session.remove()
        return slugs

    def invitation_link(self, to: str, timeout: float = 5.0) -> str:
        """The invitation link of the newest .eml in <instance>/outbox/ sent to ``to``."""
        deadline = time.monotonic() + timeout
        while True:
            for path in sorted(self.outbox.glob("*.eml"), reverse=True) if self.outbox.exists() else []:
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                if message["To"] != to:
                    continue
                body = message.get_body(preferencelist=("plain",)).get_content()
                match = re.search(r"https?://\S+/invitation/[\w-]+", body)
                assert match, f"no invitation link in {path.name}:\n{body}"
                return match.group(0)
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {to} in {self.outbox}")
            time.sleep(0.1)


def _e2e_database(base: Path):
    """SQLite in the temporary folder; with TEST_DATABASE_URL, a database of its own on that PostgreSQL server
    (``<name>_e2e``, or ``<name>_gw0_e2e`` for a pytest-xdist worker; dropped afterwards) so the browser journeys
    run on both engines beside the unit tests."""
    from tests.conftest import create_database, worker_database_url

    url = worker_database_url(os.environ.get("TEST_DATABASE_URL"), "_e2e")
    if not url:
        return f"sqlite:///{base}/e2e.sqlite3", lambda: None
    return url, create_database(url)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from flask_migrate import upgrade
    from werkzeug.serving import WSGIRequestHandler, make_server

    from lms import create_app
    from lms.config import TestConfig
    from lms.content.sync import sync_courses
    from lms.extensions import db

    base = tmp_path_factory.mktemp("e2e")
    instance = base / "instance"
    instance.mkdir()
    database_url, drop_database = _e2e_database(base)
    config = TestConfig(database_url, str(instance))
    config.RATELIMIT_ENABLED = False
    app = create_app(config)
    app.config["RATELIMIT_ENABLED"] = False
    with app.app_context():
        upgrade()
        sync_courses(app.config["COURSES_PATH"])
        db.session.commit()
        db.session.remove()

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code="-", size="-"):  # one line per request would drown pytest's output
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    live = LiveServer(app, f"http://127.0.0.1:{server.server_port}", instance)
    live.people["admin"] = live.make_user("admin", name_latin="Amina Admin", email="admin@e2e.example.org")
    live.people["trainer"] = live.make_user("trainer", name_latin="Karim Formateur", email="trainer@e2e.example.org")
    live.people["magistrate"] = live.make_user(
        "learner",
        profession="magistrate-judge",
        name_latin="Youssef Bennani",
        name_arabic="يوسف بناني",
        email="magistrate@e2e.example.org",
        jurisdiction="rabat",
    )
    live.people["social"] = live.make_user(
        "learner",
        profession="social-worker",
        name_latin="Fatima Zahra Alaoui",
        name_arabic="فاطمة الزهراء العلوي",
        email="social@e2e.example.org",
        jurisdiction="fes",
    )
    yield live
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database()


# --- the browser ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


def new_context(browser, live_server, lang: str = "fr"):
    context = browser.new_context(
        base_url=live_server.url,
        locale=CONTEXT_LOCALES.get(lang, "fr-FR"),
        viewport={"width": 1280, "height": 900},
        service_workers="block",
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAV_TIMEOUT_MS)
    return context


@pytest.fixture
def lang(request) -> str:
    """The language under test: a test's ``lang`` parameter, else French."""
    return getattr(request, "param", "fr")


@pytest.fixture
def context(browser, live_server):
    """A fresh browser context (no cookies) with a French browser locale."""
    ctx = new_context(browser, live_server, "fr")
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def shot(request):
    """``shot(page, "step")`` saves tests/e2e/screenshots/<test>-<step>-<lang>.png."""
    SCREENSHOTS.mkdir(exist_ok=True)
    callspec = getattr(request.node, "callspec", None)
    params = callspec.params if callspec else {}
    lang_value = params.get("lang", "fr")
    test_name = request.node.originalname.removeprefix("test_")
    extra = "-".join(str(v) for k, v in sorted(params.items()) if k != "lang" and isinstance(v, (str, int)))

    def take(page, step: str) -> Path:
        name = "-".join(part for part in (test_name, extra, step, lang_value) if part)
        path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "_", name) + ".png")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# --- shared browser steps -------------------------------------------------------------------------------

#: what sticks out sideways: the page's scroll width, the viewport's width, and every element (outside a scroll box
#: of its own, e.g. a table's) that reaches beyond either edge, in either direction (a right-to-left page overflows
#: to the left)
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const inScrollBox = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".visually-hidden, .skip-link") || inScrollBox(el)) continue;  // hidden text, scroll boxes
    const r = el.getBoundingClientRect();
    if (r.width && (r.right > width + 1 || r.left < -1)) {
      out.push(`${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).trim().replace(/ +/g, ".") : ""}`
               + ` [${Math.round(r.left)}..${Math.round(r.right)}]`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, out};
}"""


def assert_no_sideways_scroll(page, where: str, sizes=((768, 1024), (1280, 720))) -> None:
    """At each viewport size (a tablet, a projector by default), nothing scrolls sideways; the viewport is put
    back as it was."""
    before = page.viewport_size
    try:
        for width, height in sizes:
            page.set_viewport_size({"width": width, "height": height})
            info = page.evaluate(OVERFLOWING)
            assert info["scrollWidth"] <= info["width"] and not info["out"], (
                f"{where} scrolls sideways at {width}px (page {info['scrollWidth']}px wide); "
                "elements outside the viewport:\n  " + "\n  ".join(info["out"][:12])
            )
    finally:
        page.set_viewport_size(before)


def sign_in(page, person: Person) -> None:
    page.goto("/account/login")
    page.fill("#email", person.email)
    page.fill("#password", person.password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/account/login" not in page.url, f"sign-in failed for {person.email}"


def switch_language(page, lang: str) -> None:
    """Use the header switcher, then check <html lang> and <html dir>."""
    from playwright.sync_api import expect

    button = page.locator(f"header button[name=lang][value={lang}]")
    if button.get_attribute("aria-current") != "true":
        with page.expect_navigation():
            button.click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
