"""Numbers, percentages and dates in the page's language (issue 16, point 16): Babel, with ar_MA for Arabic."""

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.content.models import Module, QuizVersion
from lms.i18n import format_date, format_datetime, format_number, format_percent, format_time
from lms.quizzes.models import Attempt

ROOT = Path(__file__).resolve().parents[2]
LRM = "\u200e"


def test_formats_in_french_and_arabic(app):
    with app.test_request_context():
        assert format_percent(39.7, locale="fr") == "39,7\u00a0%"
        assert format_percent(0.0, locale="fr") == "0\u00a0%"
        # Arabic as written in Morocco: Latin digits, decimal comma, the sign glued to the number (no
        # space that a right-to-left line would turn into "% 54.2").
        assert format_percent(54.2, locale="ar") == "54,2%"
        assert format_percent(70, locale="ar") == "70%"
        assert format_number(0, 2, fixed=True, locale="fr") == "0,00"
        assert format_number(2000000, locale="fr") == "2\u202f000\u202f000"
        assert format_number(2000000, locale="ar") == "2.000.000"
        assert format_number(1.25, 1, signed=True, locale="fr") == "+1,2"
        assert format_number(None) == "—" and format_percent(None) == "—"
        assert format_date(date(2026, 9, 20), "long", locale="ar") == "20 شتنبر 2026"
        assert format_date(date(2026, 12, 4), locale="ar") == "4 دجنبر 2026"
        assert format_date(date(2026, 12, 4), "long", locale="fr") == "4 décembre 2026"
        # Stored in UTC, shown in Morocco's time (UTC+1 in December).
        assert format_time(datetime(2026, 12, 4, 8, 5), locale="ar") == "09:05"
        assert format_datetime(datetime(2026, 12, 4, 8, 5), "short", locale="ar") == "4 دجنبر 2026، 09:05"
        assert format_datetime(datetime(2026, 12, 4, 8, 5), "short", locale="fr") == "04/12/2026 09:05"


@pytest.mark.parametrize(
    ("locale", "dates", "threshold"),
    [
        ("fr", ("20 sept. 2026", "4 déc. 2026"), "80\u00a0%"),
        ("ar", ("20 شتنبر 2026", "4 دجنبر 2026"), "80%"),
    ],
)
def test_cohort_page_dates_and_percent(client, make_user, make_cohort, locale, dates, threshold):
    trainer = make_user(roles=("trainer",), email="t@example.org", locale=locale)
    cohort = make_cohort(trainer, start_date=date(2026, 9, 20), end_date=date(2026, 12, 4))
    client.login("t@example.org")
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert f"{dates[0]} – {dates[1]}" in page
    assert threshold in page
    assert "سبتمبر" not in page and "ديسمبر" not in page


@pytest.mark.parametrize(
    ("locale", "grade", "points"),
    [("fr", "39,7\u00a0%", "2,5 / 6,3"), ("ar", "39,7%", "2,5 / 6,3")],
)
def test_quiz_result_percent_and_decimals(client, db, courses, make_user, locale, grade, points):
    make_user(email="judge@example.org", locale=locale)
    module = db.session.scalar(select(Module).where(Module.slug == "definition"))
    quiz = db.session.scalar(select(QuizVersion).where(QuizVersion.module_id == module.id, QuizVersion.is_current))
    client.login("judge@example.org")
    started = client.post_form(f"/quizzes/{quiz.id}/start")
    attempt_id = int(re.search(r"/quizzes/attempts/(\d+)", started.headers["Location"]).group(1))
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    attempt = db.session.get(Attempt, attempt_id)
    attempt.points, attempt.max_points, attempt.percent = 2.5, 6.3, 39.68
    db.session.commit()
    page = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert f"<strong>{grade}</strong> ({points})" in page
    assert "39.7" not in page and "% 39" not in page
    listing = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert grade in listing


#: hand-made number formatting that must not come back: ``x|round(1) }} %``, ``'%.2f'|format``, ``x ~ ' %'``,
#: ``{{ x }} %`` (a bare number before a percent sign), ``%(p)s %%`` in a template's own text
RAW_FORMATTING = [
    re.compile(r"\|\s*round\b[^}]*\}\}\s*%"),
    re.compile(r"""['"]%[+]?\.?\d*f['"]\s*\|\s*format"""),
    re.compile(r"""~\s*['"]\s*%['"]"""),
    re.compile(r"\}\}\s*%(?![}\w])"),
    re.compile(r"\|\s*round\([^)]*\)\s*\|\s*string"),
]


def _raw_formatting(text: str) -> list[str]:
    return [m.group(0) for pattern in RAW_FORMATTING for m in pattern.finditer(text)]


def test_no_hand_formatted_numbers_in_templates():
    found = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix in (".html", ".txt"):
            found += [f"{path.relative_to(ROOT)}: {hit}" for hit in _raw_formatting(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_template_check_finds_what_it_must():
    """The check above is not one that cannot fail: each pattern it forbids is found."""
    for sample in (
        "{{ a.percent|round(1) }} %",
        "{{ '%.2f'|format(item.facility) }}",
        "{{ o.attendance ~ ' %' }}",
        "{{ row.percent }} %",
        "{{ hours|round(1)|string|replace('.0', '') }}",
    ):
        assert _raw_formatting(sample), sample
    assert _raw_formatting("{{ a.percent|percent }} {% if x %}") == []
