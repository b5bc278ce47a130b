"""The trainer's pages say what they show (issue #16, point 11): the learner page names modules by their title in
the page's language and keeps dates whole in Arabic; the dashboard names its module columns and its legend
matches its cells; the sessions table has few columns, each stacking its facts."""

import re
from datetime import datetime

import pytest
from markupsafe import escape
from sqlalchemy import delete, select

from lms.content import service as content
from lms.content.models import Module, ModuleText
from tests.factories import current_quiz, enrol, make_attempt, make_session, mark

SEPT_21 = datetime(2026, 9, 21, 8, 0)  # 09:00 in Casablanca


@pytest.fixture
def workshop(db, make_user, make_cohort):
    """A cohort in September 2026 with one session, one learner who attended it and took two quizzes (one
    passed, one failed)."""

    def build(lang: str):
        trainer = make_user(roles=("trainer",), email="trainer@example.org", locale=lang)
        cohort = make_cohort(trainer, title="Rabat 2026", start_date=datetime(2026, 9, 1).date())
        learner = make_user(email="judge@example.org", name_latin="Karim Idrissi", locale=lang)
        enrol(db, cohort, learner)
        session = make_session(
            db, cohort, SEPT_21, title="Atelier 1", place="Institut supérieur de la magistrature", late_after_minutes=15
        )
        mark(db, session, learner.id, "present")
        modules = {
            m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == cohort.course_id)).all()
        }
        for slug, percent in (("palermo-protocol", 92.0), ("definition", 40.0)):
            version = current_quiz(db, modules[slug].id)
            make_attempt(
                db, learner.id, version, cohort_id=cohort.id, started_at=SEPT_21, submitted_at=SEPT_21, percent=percent
            )
        db.session.commit()
        return cohort, learner, modules

    return build


def _title(db, module, locale):
    """The module's title as the page writes it (escaped)."""
    return str(
        escape(
            db.session.scalar(
                select(ModuleText.title).where(ModuleText.module_id == module.id, ModuleText.locale == locale)
            )
        )
    )


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_learner_page_names_modules_by_their_title_and_keeps_dates_whole(client, db, workshop, lang):
    cohort, learner, modules = workshop(lang)
    client.login("trainer@example.org")
    page = client.get(f"/reports/cohorts/{cohort.id}/learners/{learner.id}").get_data(as_text=True)
    for slug in ("pre-test", "palermo-protocol", "definition"):
        assert f">{_title(db, modules[slug], lang)}<" in page
        assert slug not in page  # never the folder's name
    # Each attempt under its module, with its grade; the failed quiz says so.
    assert re.search(r">92\s?%<", page)
    if lang == "fr":
        assert "non réussi" in page
        assert '<time datetime="2026-09-21T08:00:00Z">21 sept. 2026</time>' in page
    else:
        assert "غير ناجح" in page
        # The date in a cell of its own, month by name: no "(202026/09/)" mixed into the session's Latin title.
        assert '<time datetime="2026-09-21T08:00:00Z">21 شتنبر 2026</time>' in page
    assert not re.search(r"Atelier 1 \(", page)


def test_a_module_without_a_text_in_the_page_language_is_named_in_french(client, db, workshop):
    cohort, learner, modules = workshop("ar")
    db.session.execute(
        delete(ModuleText).where(ModuleText.module_id == modules["definition"].id, ModuleText.locale == "ar")
    )
    db.session.commit()
    client.login("trainer@example.org")
    page = client.get(f"/reports/cohorts/{cohort.id}/learners/{learner.id}").get_data(as_text=True)
    assert _title(db, modules["definition"], "fr") in page


def test_module_titles_is_one_query(db, workshop, count_queries):
    _cohort, _learner, modules = workshop("fr")
    listed = sorted(modules.values(), key=lambda m: m.position)
    with count_queries() as counter:
        titles = content.module_titles(listed, "ar")
    assert counter.count == 1
    assert titles[modules["definition"].id] == _title(db, modules["definition"], "ar")


def test_short_title_drops_the_subtitle():
    assert content.short_title("Le Protocole de Palerme : origine, architecture") == "Le Protocole de Palerme"
    assert content.short_title("بروتوكول باليرمو: النشأة والبنية") == "بروتوكول باليرمو"
    assert content.short_title("Test final") == "Test final"


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_dashboard_names_its_module_columns_and_its_legend_matches_its_cells(client, db, workshop, lang):
    cohort, _learner, modules = workshop(lang)
    client.login("trainer@example.org")
    page = client.get(f"/reports/cohorts/{cohort.id}").get_data(as_text=True)
    palermo = modules["palermo-protocol"]
    full = _title(db, palermo, lang)
    short = content.short_title(full)
    # The header is an abbreviation with the full title, and a visible key names every module (a tablet has no
    # hover): nothing says "M1" alone.
    abbreviation = "M1" if lang == "fr" else "الوحدة 1"
    assert f'<abbr title="{full}">{abbreviation}</abbr>' in page
    assert re.search(rf"<li><b>{abbreviation}</b> <span dir=\"auto\">{re.escape(short)}</span></li>", page)
    # The grades are shown as the legend says: the failed one is marked besides its colour.
    assert re.search(r'<small class="ok">92\s?%</small>', page)
    failed = r'<small class="ko"><span aria-hidden="true">✗&#8239;</span><span class="visually-hidden">[^<]+</span>40'
    assert re.search(failed, page)
    legend = "pas encore réussi" if lang == "fr" else "لم يُجتز بعد"
    assert legend in page


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_sessions_table_has_three_columns_each_stacking_its_facts(client, db, workshop, lang):
    cohort, _learner, _modules = workshop(lang)
    client.login("trainer@example.org")
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    table = page.split('<table class="sessions-table">')[1].split("</table>")[0]
    assert table.split("</thead>")[0].count("<th ") == 3  # session (title, when, place), attendance, actions
    row = table.split("<tbody>")[1]
    assert 'class="session-place"' in row and "Institut supérieur de la magistrature" in row
    # The counts as a list, one per line: no sentence wrapping word by word in a narrow Arabic cell.
    assert row.count('<span class="count-value">') == 4
