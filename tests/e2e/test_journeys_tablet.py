"""A trainer with a tablet held upright (768 px), in French (left to right) and Arabic (right to left).

- the cohort page: the sessions and learners tables fit, nothing clipped, no sideways scrolling;
- the dashboard: the matrix fits, its module columns are named (a visible key: a tablet has no hover);
- a learner's page: modules by their title in the page's language, dates whole;
- the import of a messy five-person list (a duplicate, a generic "magistrat", an unknown profession, a city
  for a jurisdiction) yields five people, and the preview says what it left empty.

Each page is photographed under tests/e2e/screenshots/<test>-<step>-<lang>.png (issue #16, points 11 and 13).
"""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, timedelta

import pytest

from .conftest import LANGS, require_browser, sign_in, switch_language

require_browser()

from playwright.sync_api import expect  # noqa: E402

COURSE = "palermo-magistrates"
TABLET = {"width": 768, "height": 1024}
langs = pytest.mark.parametrize("lang", LANGS)
_numbers = itertools.count(1)

#: scroll widths of the page and of every table's scroll box, against what is visible
OVERFLOW_JS = """() => ({
  page: [document.scrollingElement.scrollWidth, window.innerWidth],
  tables: [...document.querySelectorAll('main .table-wrap')].map(w => [w.scrollWidth, w.clientWidth]),
})"""


def assert_fits(page) -> None:
    """Nothing wider than the screen: no sideways scrolling of the page, no table clipped in its box."""
    sizes = page.evaluate(OVERFLOW_JS)
    scroll_width, inner_width = sizes["page"]
    assert scroll_width <= inner_width, f"the page scrolls sideways at {inner_width} px: {scroll_width} px wide"
    for scroll, client in sizes["tables"]:
        assert scroll <= client, f"a table is clipped at {inner_width} px: {scroll} px in a {client} px box"


def click_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def workshop(live_server, lang: str) -> dict:
    """A cohort as a trainer has it after three workshops: seven learners (Arabic names too), three sessions
    held with attendance taken, quizzes graded (one learner behind, with failed quizzes)."""
    from sqlalchemy import select

    from lms.accounts.models import User
    from lms.attendance.models import Attendance, WorkshopSession
    from lms.cohorts import service as cohorts
    from lms.content.models import Course, Module, ModuleText, QuizVersion
    from lms.extensions import db
    from lms.quizzes.models import SUBMITTED, Attempt

    n = next(_numbers)
    trainer = live_server.make_user("trainer", name_latin=f"Nadia Tablette {lang.upper()} {n}", locale=lang)
    learners = [
        live_server.make_user(
            "learner",
            name_latin=latin,
            name_arabic=arabic,
            profession=profession,
            jurisdiction=jurisdiction,
            locale=lang,
        )
        for latin, arabic, profession, jurisdiction in (
            ("Abdelaziz Ouazzani", "عبد العزيز الوزاني", "magistrate-judge", "oujda"),
            ("Fatima Zahra Alaoui", "فاطمة الزهراء العلوي", "magistrate-prosecutor", "rabat"),
            ("Hicham Bennani", "هشام بناني", "magistrate-prosecutor", "tanger"),
            ("Karim Idrissi", "كريم الإدريسي", "magistrate-judge", "fes"),
            ("Latifa Berrada", "لطيفة برادة", "magistrate-prosecutor", "agadir"),
            ("Meryem Chraibi", "مريم الشرايبي", "magistrate-judge", "marrakech"),
            ("Omar Fassi Fihri", "عمر الفاسي الفهري", "magistrate-judge", "meknes"),
        )
    ]
    with live_server.app.app_context():
        owner = db.session.get(User, trainer.id)
        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        start = date.today() - timedelta(days=21)
        cohort = cohorts.save_cohort(
            None,
            owner,
            course=course,
            trainers=[owner],
            title=f"Rabat — magistrats, session d'automne ({lang} {n})",
            start_date=start,
            end_date=start + timedelta(days=30),
            mode="in_person",
            language=lang,
            jurisdiction="rabat",
            city="Rabat",
            venue="Institut supérieur de la magistrature",
        )
        for person in learners:
            cohorts.enrol(cohort, db.session.get(User, person.id), owner)
        sessions = []
        for week in range(3):
            day = datetime.combine(start + timedelta(days=7 * week), datetime.min.time())
            session = WorkshopSession(
                cohort_id=cohort.id,
                title=f"Atelier {week + 1}",
                starts_at=day.replace(hour=8),
                ends_at=day.replace(hour=11),
                place="Institut supérieur de la magistrature",
                checkin_secret=f"{n:02d}{week}".ljust(64, "s"),
                late_after_minutes=15,
                modules=[],
            )
            db.session.add(session)
            sessions.append(session)
        db.session.flush()
        for week, session in enumerate(sessions):
            for index, person in enumerate(learners):
                status = "absent" if (index == 0 and week == 2) else ("late" if index == week + 1 else "present")
                db.session.add(Attendance(session_id=session.id, user_id=person.id, status=status))
        modules = db.session.scalars(
            select(Module).where(Module.course_id == course.id, Module.is_archived.is_(False)).order_by(Module.position)
        ).all()
        versions = {
            v.module_id: v
            for v in db.session.scalars(select(QuizVersion).where(QuizVersion.is_current.is_(True)))
            if v.module_id in {m.id for m in modules}
        }
        when = datetime.utcnow() - timedelta(days=3)
        for index, person in enumerate(learners):
            for position, module in enumerate(modules):
                if module.id not in versions or (index == 0 and position > 2):
                    continue
                db.session.add(
                    Attempt(
                        user_id=person.id,
                        cohort_id=cohort.id,
                        module_id=module.id,
                        quiz_version_id=versions[module.id].id,
                        number=1,
                        seed=1,
                        question_ids=[],
                        state=SUBMITTED,
                        started_at=when,
                        submitted_at=when,
                        percent=48.0 if index == 0 else 72.0 + (index * 7 + position * 5) % 27,
                    )
                )
        # Each module's title in the page's language, read here (not by the code under test): French when the
        # module has no text in it.
        titles = {}
        for module_id, locale, title in db.session.execute(
            select(ModuleText.module_id, ModuleText.locale, ModuleText.title).where(
                ModuleText.module_id.in_([m.id for m in modules]), ModuleText.locale.in_([lang, "fr"])
            )
        ):
            if locale == lang or module_id not in titles:
                titles[module_id] = title
        result = {
            "trainer": trainer,
            "cohort": cohort.id,
            "learner": learners[1],
            "titles": [titles[m.id] for m in modules],
            "slugs": [m.slug for m in modules],
        }
        db.session.commit()
        db.session.remove()
    return result


def tablet(page, live_server, person, lang: str) -> None:
    sign_in(page, person)
    switch_language(page, lang)
    page.set_viewport_size(TABLET)


@langs
def test_the_cohort_page_fits_a_tablet(lang, page, live_server, shot):
    setting = workshop(live_server, lang)
    tablet(page, live_server, setting["trainer"], lang)
    page.goto(f"/cohorts/{setting['cohort']}")
    sessions = page.locator("section[aria-labelledby=h-sessions] table")
    expect(sessions.locator("tbody tr")).to_have_count(3)
    assert_fits(page)
    # Each session's place and counts stay readable: no cell is a column of single words (the place and the
    # attendance wrapped to 6-7 lines in Arabic).
    when = sessions.locator(".session-when").first
    first_place = sessions.locator(".session-place").first
    line_height = first_place.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert first_place.bounding_box()["height"] <= 2.2 * line_height, "the place wraps to three lines or more"
    assert when.bounding_box()["height"] <= 1.2 * line_height / 0.93, "the time wraps"
    counts = sessions.locator("tbody tr").first.locator(".count-list li")
    expect(counts).to_have_count(4)
    for item in counts.all():
        assert item.bounding_box()["height"] <= 2.2 * line_height, f"{item.inner_text()!r} wraps"
    expect(page.locator("section[aria-labelledby=h-learners] table tbody tr")).to_have_count(7)
    shot(page, "cohort")


@langs
def test_the_dashboard_fits_a_tablet_and_names_its_modules(lang, page, live_server, shot):
    setting = workshop(live_server, lang)
    tablet(page, live_server, setting["trainer"], lang)
    page.goto(f"/reports/cohorts/{setting['cohort']}")
    matrix = page.locator("table.matrix")
    expect(matrix.locator("tbody tr")).to_have_count(7)
    assert_fits(page)
    # Every module column is named where a tablet shows it: a visible key, and the full title on the header.
    key = page.locator(".module-key li")
    expect(key).to_have_count(len(setting["titles"]))
    for title, item in zip(setting["titles"], key.all(), strict=True):
        assert title.startswith(item.locator("span").inner_text())  # the title without its subtitle
    headers = matrix.locator("thead abbr")
    expect(headers).to_have_count(len(setting["titles"]))
    assert [h.get_attribute("title") for h in headers.all()] == setting["titles"]
    # The legend promises grades in percent: the cells show them, and a failed one is marked, not only red.
    expect(matrix.locator("tbody small").first).to_have_text(re.compile(r"\d+\s?%"))
    expect(matrix.locator("tbody small.ko").first).to_contain_text("✗")
    shot(page, "dashboard")


@langs
def test_the_learner_page_names_modules_by_their_title(lang, page, live_server, shot):
    setting = workshop(live_server, lang)
    tablet(page, live_server, setting["trainer"], lang)
    page.goto(f"/reports/cohorts/{setting['cohort']}/learners/{setting['learner'].id}")
    modules = page.locator("table.learner-modules tbody tr")
    expect(modules).to_have_count(len(setting["titles"]))
    for title, row in zip(setting["titles"], modules.all(), strict=True):
        expect(row.locator(".module-title")).to_have_text(title)
    text = page.locator("main").inner_text()
    for slug in setting["slugs"]:
        assert slug not in text, f"the folder name {slug!r} is shown"
    # Sessions: the date in its own cell, by the month's name (ar_MA), never scrambled into the title.
    sessions = page.locator("table[aria-labelledby=h-sessions] tbody tr")
    expect(sessions).to_have_count(3)
    date_cell = sessions.first.locator("time")
    expect(date_cell).to_have_text(re.compile(r"^\d{1,2} \S+\.? \d{4}$"))
    assert_fits(page)
    shot(page, "learner")


MESSY = {
    # French headers, as a court's secretariat types them: first and family names apart, a "Magistrat" that says
    # neither judge nor prosecutor, a city for the jurisdiction, a repeated row, an unknown profession.
    "fr": (
        "Prénom;NOM;E-mail;Fonction;Juridiction;Sexe",
        [
            " Karim ; IDRISSI ; Karim.Idrissi.{n}@E2E.example.org ;Magistrat;Fès;H",
            "Fatima Zahra;Alaoui;fatima.{n}@e2e.example.org;Substitut du procureur du Roi;Cour d'appel de Rabat;Femme",
            "Samira;Bennani;samira.{n}@e2e.example.org; assistante  sociale ;casa;F",
            "karim;idrissi;KARIM.IDRISSI.{n}@e2e.example.org;juge;fes;m",
            "Omar;El Fassi;omar.{n}@e2e.example.org;Greffier en chef;Tanger;homme",
            "Nadia;Chraibi;nadia.{n}@e2e.example.org;formatrice;Atlantis;x",
        ],
    ),
    # Arabic headers: Arabic professions and cities, a Latin name in the Arabic column and the other way round.
    "ar": (
        "البريد الإلكتروني;الاسم بالحروف اللاتينية;الاسم بالعربية;المهنة;الدائرة القضائية;الجنس",
        [
            "houda.{n}@e2e.example.org;Houda Kettani;هدى الكتاني;قاضية;مراكش;أنثى",
            "youssef.{n}@e2e.example.org;Youssef Amrani;يوسف العمراني;نائب وكيل الملك;الرباط;ذكر",
            "HOUDA.{n}@e2e.example.org;Houda K.;;قاضية;مراكش;أنثى",
            "amina.{n}@e2e.example.org;Amina Tazi;أمينة التازي;مساعدة اجتماعية;الدار البيضاء;انثى",
            "rachid.{n}@e2e.example.org;رشيد بناني;Rachid Bennani;كاتب الضبط;طنجة;ذكر",
            "said.{n}@e2e.example.org;Said Alami;سعيد العلمي;مهندس;المريخ;غير محدد",
        ],
    ),
}


@langs
def test_a_messy_five_person_list_imports_five_people(lang, page, live_server, shot, tmp_path):
    n = next(_numbers)
    trainer = live_server.make_user("trainer", name_latin=f"Nadia Import {lang.upper()} {n}", locale=lang)
    with live_server.app.app_context():
        from sqlalchemy import select

        from lms.accounts.models import User
        from lms.cohorts import service as cohorts
        from lms.content.models import Course
        from lms.extensions import db

        owner = db.session.get(User, trainer.id)
        cohort = cohorts.save_cohort(
            None,
            owner,
            course=db.session.scalar(select(Course).where(Course.slug == COURSE)),
            trainers=[owner],
            title=f"Import {lang} {n}",
            start_date=date.today(),
            end_date=date.today() + timedelta(days=30),
            mode="in_person",
            language=lang,
        )
        db.session.commit()
        cohort_id = cohort.id
        db.session.remove()
    header, rows = MESSY[lang]
    path = tmp_path / ("stagiaires.csv" if lang == "fr" else "قائمة.csv")
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([header] + [r.format(n=n) for r in rows]).encode() + b"\r\n")

    tablet(page, live_server, trainer, lang)
    page.goto(f"/cohorts/{cohort_id}/import")
    page.set_input_files("#file", str(path))
    click_and_wait(page, page.locator('main form[enctype="multipart/form-data"] button[type=submit]'))
    preview = page.locator("main table.import-preview tbody")
    expect(preview.locator("tr")).to_have_count(6)
    expect(preview.locator("tr.row-new")).to_have_count(5)
    duplicate = preview.locator("tr.row-duplicate")
    expect(duplicate).to_have_count(1)
    expect(duplicate).to_contain_text("doublon de la ligne 2" if lang == "fr" else "تكرار للسطر 2")
    expect(page.locator("main .flash-warning")).to_be_visible()
    # The warnings are shown where the field would be, with what was written and the values accepted.
    warned = preview.locator("tr.row-warned")
    expect(warned).to_have_count(2 if lang == "fr" else 1)
    unknown = preview.locator("tr", has_text="Atlantis" if lang == "fr" else "المريخ").locator(".row-warning")
    expect(unknown).to_have_count(3)
    expect(unknown.first).to_contain_text("Valeurs acceptées" if lang == "fr" else "القيم المقبولة")
    if lang == "fr":
        expect(preview.locator("tr", has_text="IDRISSI").locator(".row-warning")).to_contain_text("juge ou parquet")
    assert_fits(page)
    shot(page, "import-preview")
    click_and_wait(page, page.locator(f'main form[action="/cohorts/{cohort_id}/import/confirm"] button[type=submit]'))
    expect(page).to_have_url(re.compile(rf"/cohorts/{cohort_id}$"))
    expect(page.locator("section[aria-labelledby=h-learners] table tbody tr")).to_have_count(5)
    shot(page, "imported")
