"""Real-browser journeys of trainers and administrators, each in French (left to right) and Arabic (right to left).

- a trainer runs a cohort: creates it, imports a list, schedules a session, takes attendance, lets a
  learner check in with the code on the screen, reads the dashboard and downloads the exports;
- a learner downloads a certificate, a stranger verifies it, the trainer revokes it;
- an administrator reads the programme report and downloads it.

Every journey switches the language with the header switcher and checks <html dir>; each step is
photographed under tests/e2e/screenshots/<test>-<step>-<lang>.png.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .conftest import LANGS, new_context, require_browser, sign_in, switch_language

require_browser()

from playwright.sync_api import expect  # noqa: E402

COURSE = "palermo-magistrates"
PDF, XLSX, BOM = b"%PDF", b"PK\x03\x04", b"\xef\xbb\xbf"
#: a learner's answer to a module's case essay (graded by the trainer)
ESSAY_ANSWER = "Recrutement, hébergement ; tromperie et contrainte ; exploitation. Art. 448-1 et 448-2 du Code pénal."

langs = pytest.mark.parametrize("lang", LANGS)


# --- helpers ----------------------------------------------------------------------------------------


def expect_dir(page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")


def click_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def download(page, locator) -> tuple[str, bytes]:
    """Click a link that answers with an attachment; (suggested file name, bytes)."""
    with page.expect_download() as info:
        locator.click()
    got = info.value
    assert got.failure() is None, f"download failed: {got.failure()}"
    with open(got.path(), "rb") as handle:
        return got.suggested_filename, handle.read()


def fetch(page, href: str) -> tuple[str, bytes]:
    """GET a link with the page's cookies (for files served inline, which the browser would display)."""
    response = page.request.get(href)
    assert response.ok, f"{href}: HTTP {response.status}"
    return response.headers.get("content-type", ""), response.body()


def pdf_links(body: bytes) -> list[str]:
    """The addresses of a PDF's link annotations."""
    from pypdf import PdfReader

    links = []
    for pdf_page in PdfReader(io.BytesIO(body)).pages:
        for annotation in pdf_page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            if "/URI" in action:
                links.append(str(action["/URI"]))
    return links


def course_id(live_server, slug: str = COURSE) -> int:
    from lms.content.models import Course
    from lms.extensions import db

    with live_server.app.app_context():
        result = db.session.scalar(db.select(Course.id).where(Course.slug == slug))
        db.session.remove()
    return result


def user_ids_by_email(live_server, emails) -> dict[str, int]:
    from lms.accounts.models import User
    from lms.extensions import db

    with live_server.app.app_context():
        found = dict(db.session.execute(db.select(User.email, User.id).where(User.email.in_(list(emails)))).all())
        db.session.remove()
    return found


def session_times(live_server) -> tuple[date, str, str]:
    """Today in the app's time zone, from one hour ago to two hours from now (kept within the day)."""
    now = datetime.now(ZoneInfo(live_server.app.config["BABEL_DEFAULT_TIMEZONE"]))
    start, end = now - timedelta(hours=1), now + timedelta(hours=2)
    if start.date() != now.date():
        start = now.replace(hour=0, minute=0)
    if end.date() != now.date():
        end = now.replace(hour=23, minute=59)
        if end - now < timedelta(minutes=2):
            pytest.skip("too close to midnight for a session under way today")
    return now.date(), f"{start:%H:%M}", f"{end:%H:%M}"


# --- 1. a trainer runs a cohort ------------------------------------------------------------------------


def write_csv(tmp_path, lang: str) -> tuple:
    """A list as French Excel saves it: UTF-8 with a BOM, semicolons, Windows line ends, one bad e-mail."""
    people = [
        (f"hajar.amrani.{lang}@e2e.example.org", f"Hajar Amrani {lang.upper()}", "هاجر العمراني", "juge", "rabat"),
        (f"omar.tazi.{lang}@e2e.example.org", f"Omar Tazi {lang.upper()}", "عمر التازي", "assistant social", "fes"),
    ]
    bad = ("pas-une-adresse", f"Sans Adresse {lang.upper()}", "بدون عنوان", "juge", "rabat")
    lines = ["e-mail;Nom;Nom arabe;Profession;Juridiction"] + [";".join(row) for row in (people[0], bad, people[1])]
    path = tmp_path / "stagiaires.csv"
    path.write_bytes(BOM + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    return path, people, bad


@langs
def test_trainer_runs_a_cohort(lang, page, browser, live_server, shot, tmp_path):
    trainer = live_server.make_user("trainer", name_latin=f"Nadia Formatrice {lang.upper()}")
    sign_in(page, trainer)
    switch_language(page, lang)

    # My cohorts, then a new cohort.
    click_and_wait(page, page.locator('nav.main-nav a[href="/reports"]'))
    expect(page).to_have_url(re.compile(r"/reports$"))
    expect_dir(page, lang)
    shot(page, "my-cohorts")
    click_and_wait(page, page.locator('main a[href="/cohorts/new"]'))
    title = f"Tanger — atelier {lang}"
    page.select_option("#course", str(course_id(live_server)))
    page.fill("#title", title)
    page.fill("#start_date", (date.today() - timedelta(days=2)).isoformat())
    page.fill("#end_date", (date.today() + timedelta(days=30)).isoformat())
    page.select_option("#mode", "in_person")
    page.fill("#city", "Tanger")
    page.select_option("#language", lang)
    shot(page, "new-cohort")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    expect(page).to_have_url(re.compile(r"/cohorts/\d+$"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("main h1")).to_have_text(title)
    cohort = int(page.url.rsplit("/", 1)[1])
    shot(page, "cohort-created")

    # Import a list: the preview shows the bad row and writes nothing; confirming enrols the two others.
    csv_path, people, bad = write_csv(tmp_path, lang)
    click_and_wait(page, page.locator(f'main a[href="/cohorts/{cohort}/import"]'))
    page.set_input_files("#file", str(csv_path))
    click_and_wait(page, page.locator('main form[enctype="multipart/form-data"] button[type=submit]'))
    expect_dir(page, lang)
    preview = page.locator("main table tbody")
    expect(preview.locator("tr")).to_have_count(3)
    expect(preview.locator("tr.row-new")).to_have_count(2)
    expect(preview.locator("tr.row-error")).to_have_count(1)
    expect(preview.locator("tr.row-error")).to_contain_text(bad[0])
    for email, _latin, arabic, _profession, _jurisdiction in people:
        expect(preview.locator("tr.row-new", has_text=email).locator('[lang="ar"]')).to_have_text(arabic)
    assert user_ids_by_email(live_server, [p[0] for p in people]) == {}, "the preview wrote accounts"
    shot(page, "import-preview")
    click_and_wait(page, page.locator(f'main form[action="/cohorts/{cohort}/import/confirm"] button[type=submit]'))
    expect(page).to_have_url(re.compile(rf"/cohorts/{cohort}$"))
    expect(page.locator(".flash-success")).to_be_visible()
    learners_table = page.locator("section[aria-labelledby=h-learners] table tbody")
    expect(learners_table.locator("tr")).to_have_count(2)
    for _email, latin, arabic, _profession, _jurisdiction in people:
        row = learners_table.locator("tr", has_text=latin)
        expect(row.locator('span[lang="ar"]')).to_have_text(arabic)
    imported = user_ids_by_email(live_server, [p[0] for p in people])
    assert len(imported) == 2
    shot(page, "imported")

    # A session today, under way: it started an hour ago.
    click_and_wait(page, page.locator(f'main a[href="/attendance/cohorts/{cohort}/sessions/new"]'))
    day, start, end = session_times(live_server)
    page.fill("#title", f"Séance 1 — {lang}")
    page.fill("#day", day.isoformat())
    page.fill("#start", start)
    page.fill("#end", end)
    page.locator("input[name=modules]").first.check()
    shot(page, "new-session")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    expect(page).to_have_url(re.compile(rf"/cohorts/{cohort}$"))
    expect(page.locator(".flash-success")).to_be_visible()
    links = page.locator('section[aria-labelledby=h-sessions] a[href^="/attendance/sessions/"]')
    roll_calls = [
        href
        for href in links.evaluate_all("links => links.map(link => link.getAttribute('href'))")
        if re.fullmatch(r"/attendance/sessions/\d+", href)
    ]
    assert len(roll_calls) == 1, roll_calls
    session = int(roll_calls[0].rsplit("/", 1)[1])
    attendance_link = page.locator(f'section[aria-labelledby=h-sessions] a[href="{roll_calls[0]}"]')
    shot(page, "session-scheduled")

    # Attendance: a tap saves at once (JavaScript), and survives a reload.
    click_and_wait(page, attendance_link)
    expect(page).to_have_url(re.compile(rf"/attendance/sessions/{session}$"))
    expect_dir(page, lang)
    first, second = (imported[p[0]] for p in people)
    status = page.locator("[data-save-status]")
    expect(status).to_have_text("")
    with page.expect_response(lambda r: r.url.endswith(f"/marks/{first}") and r.request.method == "POST"):
        page.locator(f'.status-choices[data-user="{first}"] label.status-late').click()
    expect(status).to_have_text(re.compile(r"\S"))
    expect(status).not_to_have_class(re.compile("save-error"))
    shot(page, "attendance-tapped")
    page.reload()
    expect(page.locator(f'input[name="status-{first}"][value="late"]')).to_be_checked()
    expect(page.locator(f'input[name="status-{second}"]:checked')).to_have_count(0)
    click_and_wait(page, page.locator(f'main form[action="/attendance/sessions/{session}/all-present"] button'))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(f'input[name="status-{first}"][value="late"]')).to_be_checked()
    expect(page.locator(f'input[name="status-{second}"][value="present"]')).to_be_checked()
    shot(page, "attendance-all-present")

    # A learner with an account is enrolled through "Enrol one person".
    learner = live_server.make_user(
        "learner",
        profession="magistrate-judge",
        name_latin=f"Imane Chraibi {lang.upper()}",
        name_arabic="إيمان الشرايبي",
    )
    page.goto(f"/cohorts/{cohort}")
    page.locator("#enrol summary").click()
    enrol_form = page.locator(f'main form[action="/cohorts/{cohort}/enrol"]')
    enrol_form.locator("#email").fill(learner.email)
    enrol_form.locator("#name_latin").fill(learner.name)
    shot(page, "enrol-one")
    click_and_wait(page, enrol_form.locator("button[type=submit]"))
    # Named in the page's script: the Arabic name on an Arabic page.
    expect(page.locator(".flash-success")).to_contain_text("إيمان الشرايبي" if lang == "ar" else learner.name)
    expect(learners_table.locator("tr")).to_have_count(3)

    # The check-in screen: open check-in, show the code.
    click_and_wait(page, page.locator(f'main a[href="/attendance/sessions/{session}/checkin-screen"]'))
    expect_dir(page, lang)
    shot(page, "checkin-closed")
    click_and_wait(page, page.locator(f'main form[action="/attendance/sessions/{session}/checkin-toggle"] button'))
    code_box = page.locator(".big-code span[dir=ltr]")
    expect(code_box).to_have_text(re.compile(r"^[A-Z2-9]{5}$"))
    expect(page.locator(".qr svg")).to_be_visible()
    shot(page, "checkin-open")

    learner_context = new_context(browser, live_server, lang)
    try:
        phone = learner_context.new_page()
        sign_in(phone, learner)
        switch_language(phone, lang)
        click_and_wait(phone, phone.locator('nav.main-nav a[href="/attendance/checkin"]'))
        expect_dir(phone, lang)
        page.reload()  # the freshest code, read just before typing it
        phone.fill("#code", code_box.inner_text().strip().lower())
        shot(phone, "learner-checkin")
        click_and_wait(phone, phone.locator("main form button[type=submit]"))
        expect(phone).to_have_url(re.compile(r"/attendance/checkin$"))
        expect(phone.locator(".flash-success")).to_be_visible()
        expect(phone.locator(".error")).to_have_count(0)
        shot(phone, "learner-checked-in")
    finally:
        learner_context.close()
    page.goto(f"/attendance/sessions/{session}")
    expect(page.locator(f'input[name="status-{learner.id}"]:checked')).to_have_value(re.compile("^(present|late)$"))
    shot(page, "attendance-after-checkin")

    # The dashboard: a row per learner and the charts.
    page.goto(f"/cohorts/{cohort}")
    click_and_wait(page, page.locator(f'main .page-head a[href="/reports/cohorts/{cohort}"]'))
    expect_dir(page, lang)
    expect(page.locator("table.matrix tbody tr")).to_have_count(3)
    # Each learner by the name in the page's script: the Arabic one (marked as Arabic) on an Arabic page.
    matrix = page.locator("table.matrix tbody")
    for latin, arabic in [(p[1], p[2]) for p in people] + [(learner.name, "إيمان الشرايبي")]:
        if lang == "ar":
            expect(matrix.locator('span[lang="ar"]', has_text=arabic)).to_have_count(1)
        else:
            expect(matrix).to_contain_text(latin)
    charts = page.locator("section.charts figure svg")
    assert charts.count() >= 2, "the completion and attendance charts are missing"
    expect(charts.first).to_be_visible()
    shot(page, "dashboard")

    name, body = download(page, page.locator(f'main a[href="/reports/cohorts/{cohort}/results.csv"]'))
    assert name.endswith(".csv") and body.startswith(BOM), f"{name}: {body[:20]!r}"
    text = body.decode("utf-8-sig")
    for _email, latin, arabic, _profession, _jurisdiction in people:
        assert latin in text and arabic in text, f"{latin} / {arabic} missing from the results CSV"
    name, body = download(page, page.locator(f'main a[href="/attendance/cohorts/{cohort}/export.xlsx"]'))
    assert name.endswith(".xlsx") and body.startswith(XLSX), f"{name}: {body[:20]!r}"
    from openpyxl import load_workbook

    cells = {str(c) for row in load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True) for c in row}
    assert people[0][2] in cells, "the Arabic name is not in the attendance workbook"

    # The sign-in sheet is served inline (for printing): fetched with the trainer's cookies.
    page.goto(f"/cohorts/{cohort}")
    sheet = page.locator(f'main a[href="/attendance/sessions/{session}/sheet.pdf"]')
    expect(sheet).to_be_visible()
    kind, body = fetch(page, sheet.get_attribute("href"))
    assert kind.startswith("application/pdf") and body.startswith(PDF), f"{kind}: {body[:20]!r}"
    shot(page, "cohort-final")


# --- 2. a certificate: downloaded, verified, revoked ---------------------------------------------------


def completed_cohort(live_server, trainer, learner, title: str) -> int:
    """A cohort of the trainer's where the learner has done everything the completion rule asks: every
    module completed, every graded quiz passed, present at the one session held. No certificate yet."""
    from lms.accounts.models import User
    from lms.attendance import service as attendance_service
    from lms.attendance.models import WorkshopSession
    from lms.certificates import service as certificates
    from lms.cohorts import service as cohorts
    from lms.content import service as content
    from lms.content.models import Course, Module
    from lms.extensions import db
    from lms.quizzes import service as quizzes
    from lms.quizzes.display import right_response

    with live_server.app.test_request_context():
        course = db.session.scalar(db.select(Course).where(Course.slug == COURSE))
        trainer_user, learner_user = db.session.get(User, trainer.id), db.session.get(User, learner.id)
        cohort = cohorts.save_cohort(
            None,
            trainer_user,
            course=course,
            trainers=[trainer_user],
            title=title,
            mode="in_person",
            start_date=date.today() - timedelta(days=20),
            end_date=date.today() + timedelta(days=1),
            language="fr",
            city="Marrakech",
            completion={"modules": "all", "quizzes_passed": "all", "attendance_percent": 80},
        )
        cohorts.enrol(cohort, learner_user, trainer_user)
        modules = db.session.scalars(
            db.select(Module).where(Module.course_id == course.id, Module.is_archived.is_(False))
        ).all()
        for module in modules:
            content.set_completed(learner_user.id, module.id, True)
            version = content.current_quiz(module.id)
            if version is not None:
                # One attempt per quiz, made under this cohort (only its attempts count for its certificate),
                # with the drawn questions answered right; a case essay is graded full marks by the trainer.
                attempt = quizzes.start_attempt(learner_user.id, version)
                assert attempt.cohort_id == cohort.id, "set-up: the attempt is not the cohort's"
                questions = quizzes.attempt_questions(attempt)
                quizzes.save_answers(
                    attempt,
                    {q["id"]: ESSAY_ANSWER if q["type"] == "essay" else right_response(q) for q in questions},
                )
                quizzes.finish_attempt(attempt)
                for question in questions:
                    if question["type"] == "essay":
                        quizzes.override_points(
                            attempt, question["id"], float(question.get("points", 1)), "Corrigé en séance", trainer_user
                        )
                assert attempt.is_passed and not attempt.is_pending, f"set-up: {module.slug} quiz not passed"
        start = datetime.utcnow() - timedelta(days=3)
        session = WorkshopSession(
            cohort_id=cohort.id,
            title="Séance 1",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            checkin_secret="e2e-certificate" * 4,
            modules=[],
        )
        db.session.add(session)
        db.session.flush()
        attendance_service.record_attendance(session, learner_user.id, "present", trainer_user)
        status = certificates.cohort_eligibility(cohort)[learner_user.id]
        assert status.eligible, f"set-up: the learner is not eligible: {status.missing}"
        db.session.commit()
        cohort_id = cohort.id
        db.session.remove()
    return cohort_id


@langs
def test_certificate_downloaded_verified_revoked(lang, page, browser, live_server, shot):
    trainer = live_server.make_user("trainer", name_latin=f"Rachid Formateur {lang.upper()}")
    learner = live_server.make_user(
        "learner", profession="magistrate-judge", name_latin=f"Salma Berrada {lang.upper()}", name_arabic="سلمى برادة"
    )
    cohort = completed_cohort(live_server, trainer, learner, f"Marrakech — certificats {lang}")

    # The trainer issues the certificates of the cohort.
    sign_in(page, trainer)
    switch_language(page, lang)
    page.goto(f"/certificates/cohorts/{cohort}")
    expect_dir(page, lang)
    row = page.locator("main table tbody tr", has_text=learner.name)
    expect(row.locator(".tag-ok")).to_be_visible()
    shot(page, "trainer-before-issue")
    click_and_wait(page, page.locator(f'main .page-head form[action="/certificates/cohorts/{cohort}/issue"] button'))
    # The issuing is a background job: its page follows it (here done at once: the tests' queue is immediate).
    expect(page).to_have_url(re.compile(r"/certificates/jobs/\d+$"))
    expect(page.locator("[data-job-state]")).to_have_attribute("data-state", "finished")
    click_and_wait(page, page.locator("a[data-job-back]"))
    expect(row.locator('a[href^="/certificates/"][href$=".pdf"]')).to_have_text(re.compile(r"^TDR-\d{4}-\d{6}$"))
    shot(page, "trainer-issued")

    # The learner downloads it from "My certificates".
    learner_context = new_context(browser, live_server, lang)
    stranger_context = new_context(browser, live_server, lang)
    try:
        mine = learner_context.new_page()
        sign_in(mine, learner)
        switch_language(mine, lang)
        click_and_wait(mine, mine.locator('nav.main-nav a[href="/certificates"]'))
        expect_dir(mine, lang)
        card = mine.locator("main section.card", has=mine.locator('a.button[href$=".pdf"]'))
        expect(card).to_have_count(1)
        code = card.locator("bdi").inner_text().strip()
        assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code), code
        shot(mine, "my-certificates")
        name, body = download(mine, card.locator('a.button[href$=".pdf"]'))
        assert name.endswith(".pdf") and body.startswith(PDF), f"{name}: {body[:20]!r}"
        assert len(body) < 60_000, f"the certificate weighs {len(body)} bytes"

        # A stranger types the code as people do: lower case, spaces.
        stranger = stranger_context.new_page()
        stranger.goto("/certificates/verify")
        switch_language(stranger, lang)
        typed = " ".join(code.lower().split("-"))
        stranger.fill("#code", typed)
        shot(stranger, "verify-typed")
        click_and_wait(stranger, stranger.locator("main form button[type=submit]"))
        plain = code.replace("-", "")
        expect(stranger).to_have_url(re.compile(rf"/certificates/verify/{plain}$"))
        expect_dir(stranger, lang)

        def shows(status: str) -> None:
            result = stranger.locator(f"section.verify-result.verify-{status}")
            expect(result).to_be_visible()
            expect(result.locator("dl")).to_contain_text(learner.name)
            expect(result.locator('dl span[lang="ar"]')).to_have_text("سلمى برادة")

        shows("valid")
        shot(stranger, "verify-valid")
        # The address the QR code encodes, printed (and linked) under it on the certificate.
        printed = [link for link in pdf_links(body) if "/certificates/verify/" in link]
        assert printed == [f"{live_server.url}/certificates/verify/{plain}"], printed
        response = stranger.goto(printed[0])
        assert response.status == 200
        shows("valid")
        shot(stranger, "verify-qr-link")

        # The trainer revokes it (one step away: unfold, a reason, then the confirmation dialog); the stranger's
        # page says so.
        page.reload()
        row.locator("details.rare-action > summary").click()
        revoke = row.locator(f'form[action^="/certificates/cohorts/{cohort}/"][action$="/revoke"]').filter(
            has=page.locator("input[name=reason]")
        )
        revoke.locator("input[name=reason][value=withdrawn]").check()
        page.once("dialog", lambda dialog: dialog.accept())
        click_and_wait(page, revoke.locator("button[type=submit]"))
        expect(page.locator(".flash-success")).to_be_visible()
        expect(row.locator('a[href$=".pdf"]')).to_have_count(0)
        shot(page, "trainer-revoked")
        stranger.reload()
        shows("revoked")
        expect(stranger.locator("section.verify-result .flash-error")).to_be_visible()
        shot(stranger, "verify-revoked")
    finally:
        learner_context.close()
        stranger_context.close()


# --- 3. the programme report ------------------------------------------------------------------------------

REPORT_YEAR = 2019  # a year no other test uses: the report's figures are known exactly


@pytest.fixture(scope="module")
def report_cohort(live_server):
    """A 2019 cohort: 7 magistrates (4 women) and 2 social workers; 3 magistrates trained, 1 certified."""
    from lms.accounts.models import User
    from lms.attendance import service as attendance_service
    from lms.attendance.models import WorkshopSession
    from lms.certificates import service as certificates
    from lms.cohorts import service as cohorts
    from lms.content.models import Course, Module, ModuleProgress
    from lms.extensions import db

    trainer = live_server.make_user("trainer")
    magistrates = [
        live_server.make_user("learner", profession="magistrate-judge", gender="female" if n < 4 else "male")
        for n in range(7)
    ]
    social = [live_server.make_user("learner", profession="social-worker", gender="female") for _ in range(2)]
    with live_server.app.test_request_context():
        course = db.session.scalar(db.select(Course).where(Course.slug == COURSE))
        trainer_user = db.session.get(User, trainer.id)
        cohort = cohorts.save_cohort(
            None,
            trainer_user,
            course=course,
            trainers=[trainer_user],
            title=f"Oujda {REPORT_YEAR}",
            mode="in_person",
            start_date=date(REPORT_YEAR, 3, 4),
            end_date=date(REPORT_YEAR, 3, 29),
            language="fr",
            city="Oujda",
        )
        users = [db.session.get(User, p.id) for p in magistrates + social]
        for user in users:
            cohorts.enrol(cohort, user, trainer_user)
        modules = db.session.scalars(
            db.select(Module.id).where(Module.course_id == course.id, Module.is_archived.is_(False))
        ).all()
        finished = datetime(REPORT_YEAR, 3, 20, 10, 0)
        for user in users[:3]:
            for module_id in modules:
                db.session.add(ModuleProgress(user_id=user.id, module_id=module_id, completed_at=finished))
        session = WorkshopSession(
            cohort_id=cohort.id,
            title="Séance 1",
            starts_at=datetime(REPORT_YEAR, 3, 5, 9, 0),
            ends_at=datetime(REPORT_YEAR, 3, 5, 12, 0),
            checkin_secret="e2e-report" * 6,
            modules=[],
        )
        db.session.add(session)
        db.session.flush()
        for user in users[:6]:
            attendance_service.record_attendance(session, user.id, "present", trainer_user)
        certificates.issue(cohort, users[0], trainer_user, check=False)
        db.session.commit()
        db.session.remove()
    return {"magistrates": 7}


@langs
def test_admin_reads_programme_report(lang, page, live_server, shot, report_cohort):
    admin = live_server.make_user("admin")
    sign_in(page, admin)
    switch_language(page, lang)
    click_and_wait(page, page.locator('nav.main-nav a[href="/reports/programme"]'))
    expect(page).to_have_url(re.compile(r"/reports/programme$"))
    expect_dir(page, lang)
    expect(page.locator(".kpi")).not_to_have_count(0)
    shot(page, "report-default")

    filters = page.locator("main form.filters")
    filters.locator("#from").fill(f"{REPORT_YEAR}-01-01")
    filters.locator("#to").fill(f"{REPORT_YEAR}-12-31")
    filters.locator("#profession").select_option("magistrate-judge")
    filters.locator("input[name=mask]").check()
    shot(page, "report-filters")
    click_and_wait(page, filters.locator("button[type=submit]"))
    expect(page).to_have_url(re.compile(r"[?&]profession=magistrate-judge(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]mask=1(&|$)"))
    expect_dir(page, lang)
    expect(filters.locator("input[name=mask]")).to_be_checked()
    expect(filters.locator("#profession")).to_have_value("magistrate-judge")

    # Tiles, in the order of the report: cohorts, enrolled, trained, certified, sessions held, ..., then the
    # seven of the follow-up survey (level 3)
    values = page.locator(".kpi .kpi-value")
    expect(values).to_have_count(16)
    expect(values.nth(0)).to_have_text("1")
    expect(values.nth(1)).to_have_text(str(report_cohort["magistrates"]))
    expect(values.nth(2)).to_have_text("<5")  # 3 trained, masked
    expect(values.nth(3)).to_have_text("<5")  # 1 certified, masked
    expect(values.nth(4)).to_have_text("1")  # sessions are not people: never masked
    # Breakdowns: by profession, by jurisdiction, by gender.
    tables = page.locator("main table")
    expect(tables).to_have_count(3)
    profession_rows = tables.nth(0).locator("tbody tr")
    expect(profession_rows).to_have_count(1)
    expect(profession_rows.first.locator("td").nth(0)).to_have_text("7")
    expect(profession_rows.first.locator("td").nth(1)).to_have_text("<5")
    gender_cells = tables.nth(2).locator("tbody td")
    expect(gender_cells.filter(has_text="<5")).not_to_have_count(0)
    expect(page.locator("main figure svg")).to_be_visible()
    shot(page, "report-filtered")

    # The PDF is prepared by a background job (done at once here: the tests' queue is immediate), whose page offers
    # the file; back to the report for the other downloads.
    click_and_wait(page, page.locator('main form[action$="/reports/programme/pdf"] button'))
    expect(page).to_have_url(re.compile(r"/reports/programme/jobs/\d+$"))
    expect(page.locator("[data-job-state]")).to_have_attribute("data-state", "finished")
    shot(page, "report-pdf-ready")
    name, body = download(page, page.locator('main a[href$="programme-report.pdf"]'))
    assert name.endswith(".pdf") and body.startswith(PDF), f"{name}: {body[:20]!r}"
    page.go_back()
    name, body = download(page, page.locator('main a[href*="format=xlsx"]'))
    assert name.endswith(".xlsx") and body.startswith(XLSX), f"{name}: {body[:20]!r}"
    assert f"programme-{REPORT_YEAR}-01-01-{REPORT_YEAR}-12-31" in name, name
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.sheet_view.rightToLeft is (lang == "ar")
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row]
    assert "<5" in cells and "7" in cells, cells


@langs
def test_trainer_e_mails_learners_below_the_attendance_threshold(lang, page, live_server, shot):
    """The cohort page offers to write to the learners below the threshold; each gets an e-mail in their own
    language (here the other one than the trainer's), and pressing again writes to nobody twice."""
    from lms.accounts.models import User
    from lms.attendance import service as attendance_service
    from lms.attendance.models import WorkshopSession
    from lms.cohorts import service as cohorts
    from lms.content.models import Course
    from lms.extensions import db

    trainer = live_server.make_user("trainer", locale=lang)
    other = "ar" if lang == "fr" else "fr"
    absent = live_server.make_user("learner", locale=other, profession="magistrate-judge")
    with live_server.app.test_request_context():
        owner, person = db.session.get(User, trainer.id), db.session.get(User, absent.id)
        cohort = cohorts.save_cohort(
            None,
            owner,
            course=db.session.scalar(db.select(Course).where(Course.slug == COURSE)),
            trainers=[owner],
            title=f"Assiduité {lang}",
            mode="in_person",
            start_date=date.today() - timedelta(days=10),
            end_date=date.today() + timedelta(days=20),
            language=lang,
            city="Tanger",
        )
        cohorts.enrol(cohort, person, owner)
        for days in (-4, -2, 6):
            start = datetime.utcnow() + timedelta(days=days)
            db.session.add(
                WorkshopSession(
                    cohort_id=cohort.id,
                    title=f"Séance {days}",
                    starts_at=start,
                    ends_at=start + timedelta(hours=3),
                    checkin_secret=f"e2e-warning-{lang}" * 4,
                    modules=[],
                )
            )
        db.session.flush()
        held = db.session.scalars(db.select(WorkshopSession).where(WorkshopSession.cohort_id == cohort.id)).all()
        attendance_service.record_attendance(min(held, key=lambda s: s.starts_at), person.id, "present", owner)
        db.session.commit()
        cohort_id = cohort.id
        db.session.remove()
    before = set(live_server.outbox.glob("*.eml")) if live_server.outbox.exists() else set()

    sign_in(page, trainer)
    page.goto(f"/cohorts/{cohort_id}")
    expect_dir(page, lang)
    button = page.locator(f"form[action='/attendance/cohorts/{cohort_id}/warn'] button")
    expect(button).to_be_visible()
    shot(page, "cohort")
    page.once("dialog", lambda dialog: dialog.accept())
    click_and_wait(page, button)
    expect(page.locator(".flash-success")).to_be_visible()
    shot(page, "sent")
    sent = [p for p in live_server.outbox.glob("*.eml") if p not in before]
    mails = [p.read_text(encoding="utf-8", errors="replace") for p in sent]
    mine = [m for m in mails if absent.email in m]
    assert len(mine) == 1, f"expected one e-mail to {absent.email}, got {len(mine)}"
    import email as email_parser
    import email.policy

    message = email_parser.message_from_string(mine[0], policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    assert any("\u0600" <= ch <= "\u06ff" for ch in body) == (other == "ar"), body
    page.once("dialog", lambda dialog: dialog.accept())
    click_and_wait(page, page.locator(f"form[action='/attendance/cohorts/{cohort_id}/warn'] button"))
    expect(page.locator(".flash-info")).to_be_visible()
    after = [p for p in live_server.outbox.glob("*.eml") if p not in before]
    assert len([p for p in after if absent.email in p.read_text(encoding="utf-8", errors="replace")]) == 1


@langs
def test_certificate_issues_itself_when_the_cohort_says_so(lang, page, live_server, shot):
    """A cohort set to issue by itself: the learner who met the rule opens My certificates, the certificate is
    issued there and downloads at once."""
    from lms.cohorts.models import Cohort
    from lms.extensions import db

    trainer = live_server.make_user("trainer")
    learner = live_server.make_user("learner", locale=lang, profession="magistrate-judge")
    cohort_id = completed_cohort(live_server, trainer, learner, f"Auto {lang}")
    with live_server.app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        cohort.completion = {**cohort.completion, "auto_issue": True}
        db.session.commit()
        db.session.remove()

    sign_in(page, learner)
    click_and_wait(page, page.locator('nav.main-nav a[href="/certificates"]'))
    expect_dir(page, lang)
    expect(page.locator(".flashes .flash-success")).to_be_visible()
    card = page.locator("main section.card", has=page.locator('a.button[href$=".pdf"]'))
    expect(card).to_have_count(1)
    shot(page, "issued-by-itself")
    name, body = download(page, card.locator('a.button[href$=".pdf"]'))
    assert name.endswith(".pdf") and body.startswith(PDF)
