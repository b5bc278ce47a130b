"""A trainer's workshop day, in a real browser, in French (left to right) and Arabic (right to left).

One cohort of six workshops: the first is over, the second under way now, four to come. Five learners: present,
excused, absent once (still able to reach 80 %), absent twice (no longer able to), and one who checked in this
morning. The trainer:

- signs in and lands on today's sessions and their cohorts (not on the learner's "My training");
- reads the dashboard: only the learner who can no longer reach the threshold is flagged, with the reason;
- opens the certificates page, where revoking is one step away (folded, with every reason in full).

Each page is photographed at 768 and 1280 px under tests/e2e/screenshots/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from .conftest import LANGS, PASSWORD, Person, require_browser, sign_in, switch_language

require_browser()

from playwright.sync_api import expect  # noqa: E402

langs = pytest.mark.parametrize("lang", LANGS)
WIDTHS = (768, 1280)
#: learners of the day's cohort: (name, mark at the first workshop, mark at today's)
LEARNERS = [
    ("Amina Présente", "present", "present"),
    ("Badr Excusé", "excused", None),
    ("Chama Absente", "absent", None),
    ("Driss Deux-Absences", "absent", "absent"),
    ("Hajar Bennis", "present", None),
]


@pytest.fixture(scope="module")
def day(live_server):
    """The trainer, their cohort (six workshops, the second under way), its learners and one certificate."""
    from lms.accounts.models import User
    from lms.accounts.service import create_user
    from lms.attendance.models import Attendance, WorkshopSession
    from lms.certificates import service as certificates
    from lms.cohorts import service as cohorts
    from lms.content.models import Course
    from lms.core.timeutil import utcnow
    from lms.extensions import db

    with live_server.app.app_context():
        trainer = create_user(
            "day-trainer@e2e.example.org",
            "Salma Formatrice",
            password=PASSWORD,
            roles=("trainer",),
            name_arabic="سلمى المكوّنة",
        )
        course = db.session.scalar(db.select(Course).where(Course.slug == "victim-identification"))
        today = date.today()
        cohort = cohorts.save_cohort(
            None,
            None,
            course=course,
            trainers=[trainer],
            title="Casablanca — journée des formateurs",
            start_date=today - timedelta(days=10),
            end_date=today + timedelta(days=40),
            mode="in_person",
            city="Casablanca",
            venue="Cour d'appel, salle 2",
            language="fr",
        )
        now = utcnow().replace(microsecond=0)
        starts = [now - timedelta(days=7), now - timedelta(minutes=30)] + [
            now + timedelta(days=7 * k) for k in range(1, 5)
        ]
        sessions = []
        for number, start in enumerate(starts, start=1):
            session = WorkshopSession(
                cohort_id=cohort.id,
                title=f"Atelier {number}",
                starts_at=start,
                ends_at=start + timedelta(hours=3),
                place="Cour d'appel, salle 2",
                checkin_secret=f"{number}" * 64,
                is_checkin_open=number == 2,
                modules=[],
                trainer_id=trainer.id,
            )
            db.session.add(session)
            sessions.append(session)
        db.session.flush()
        people = {}
        for index, (name, first, second) in enumerate(LEARNERS):
            learner = create_user(
                f"day-learner{index}@e2e.example.org", name, profession="social-worker", roles=("learner",)
            )
            cohorts.enrol(cohort, learner, None)
            people[name] = learner.id
            for session, status in zip(sessions[:2], (first, second), strict=True):
                if status:
                    db.session.add(Attendance(session_id=session.id, user_id=learner.id, status=status))
        db.session.flush()
        certificate, _created = certificates.issue(
            cohort, db.session.get(User, people["Amina Présente"]), None, check=False
        )
        db.session.commit()
        result = {
            "trainer": Person(email=trainer.email, name=trainer.name_latin, id=trainer.id),
            "cohort": cohort.id,
            "session": sessions[1].id,
            "people": people,
            "certificate": certificate.serial,
        }
        db.session.remove()
    return result


def photograph(page, shot, step: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"{step}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


@langs
def test_the_trainer_lands_on_today_s_sessions(lang, page, live_server, day, shot):
    sign_in(page, day["trainer"])
    # Signing in leads to the trainer's home, not to the learner's page.
    expect(page).to_have_url(re.compile(r"/reports$"))
    switch_language(page, lang)
    expect(page).to_have_url(re.compile(r"/reports$"))
    today = page.locator("section.agenda")
    expect(today.locator("h1")).to_contain_text("اليوم" if lang == "ar" else "Aujourd’hui")
    item = today.locator("li.agenda-now")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Atelier 2")
    expect(item).to_contain_text("Casablanca — journée des formateurs")
    expect(item).to_contain_text("1")  # one learner marked present so far
    expect(item.locator(f'a[href="/attendance/sessions/{day["session"]}"]')).to_be_visible()
    expect(item.locator(f'a[href="/attendance/sessions/{day["session"]}/checkin-screen"]')).to_be_visible()
    expect(today.locator(".agenda-next")).to_contain_text("Atelier 3")
    # "My training" is still in the menu; "/" brings the trainer back here.
    expect(page.locator('nav.main-nav a[href="/courses/home"]')).to_have_count(1)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/reports$"))
    photograph(page, shot, "home")


@langs
def test_only_the_learner_truly_behind_is_flagged(lang, page, live_server, day, shot):
    sign_in(page, day["trainer"])
    switch_language(page, lang)
    page.goto(f"/reports/cohorts/{day['cohort']}")
    help_list = page.locator("ul.help-list > li")
    expect(help_list).to_have_count(1)
    flagged = help_list.first
    expect(flagged).to_contain_text("Driss Deux-Absences")
    reason = flagged.locator(".flag-attendance")
    expect(reason).to_contain_text("80")
    expect(reason).to_contain_text("لم يعد بإمكانه بلوغ" if lang == "ar" else "ne peut plus atteindre")
    for name in ("Amina Présente", "Badr Excusé", "Chama Absente", "Hajar Bennis"):
        expect(page.locator("section[aria-labelledby=h-help]")).not_to_contain_text(name)
    photograph(page, shot, "dashboard")
    # The cohort page offers to write to that one learner only.
    page.goto(f"/cohorts/{day['cohort']}")
    button = page.locator(f'form[action="/attendance/cohorts/{day["cohort"]}/warn"] button')
    expect(button).to_contain_text("1")
    expect(page.locator("tr.flagged")).to_have_count(1)
    expect(page.locator("tr.flagged")).to_contain_text("Driss Deux-Absences")


@langs
def test_revoking_a_certificate_is_one_step_away(lang, page, live_server, day, shot):
    sign_in(page, day["trainer"])
    switch_language(page, lang)
    page.goto(f"/certificates/cohorts/{day['cohort']}")
    row = page.locator("tr", has=page.locator(f'a[href="/certificates/{day["certificate"]}.pdf"]'))
    expect(row).to_have_count(1)
    # Nothing red on the row until the trainer unfolds "Revoke or reissue…".
    expect(page.locator("button.danger:visible")).to_have_count(0)
    photograph(page, shot, "certificates")
    row.locator("details.rare-action > summary").click()
    reasons = row.locator("input[name=reason]")
    expect(reasons).to_have_count(4)
    for index in range(4):
        expect(reasons.nth(index)).to_be_visible()
    expect(row.locator("button.danger")).to_be_visible()
    expect(row).to_contain_text("obtenue par fraude" if lang == "fr" else "عن طريق الغش")
    photograph(page, shot, "certificates-unfolded")
    # A blank enrolment list is one click from the import page, in both languages' column names.
    page.goto(f"/cohorts/{day['cohort']}/import")
    with page.expect_download() as info:
        page.locator(f'a[href="/cohorts/import-template-{lang}.xlsx"]').click()
    assert info.value.suggested_filename == f"tadrib-learners-{lang}.xlsx"
