"""Implausible dates: the forms refuse them (a cohort from year 1 is a typo), and a cohort that has them
anyway still gets a light dashboard: the completion curve has a bounded number of points."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.attendance.models import WorkshopSession
from lms.cohorts.models import Cohort
from lms.content.models import Course
from lms.core.timeutil import utcnow
from lms.reports import charts
from lms.reports.dashboard import MAX_CURVE_POINTS, completion_days


@pytest.fixture
def trainer(make_user):
    return make_user(roles=("trainer",), email="trainer@example.org", name_latin="Youssef Trainer")


def _cohort_form(course_id: int, **dates) -> dict:
    return {
        "course": course_id,
        "title": "Fès 2027",
        "start_date": "2027-02-01",
        "end_date": "2027-02-05",
        "mode": "in_person",
        "language": "fr",
        **dates,
    }


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"start_date": "0001-02-01"}, "Enter a date between January 1, 2000 and"),
        ({"start_date": "1999-12-31"}, "Enter a date between January 1, 2000 and"),
        ({"end_date": "9999-02-05"}, "Enter a date between January 1, 2000 and"),
        ({"start_date": "2027-02-05", "end_date": "2027-02-01"}, "end date is before the start date"),
    ],
)
def test_cohort_form_refuses_implausible_dates(client, trainer, courses, db, dates, message):
    client.login("trainer@example.org")
    course = db.session.scalar(select(Course).where(Course.slug == "victim-identification"))
    response = client.post_form("/cohorts/new", _cohort_form(course.id, **dates))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Cohort).where(Cohort.title == "Fès 2027")) is None


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr", "Saisissez une date entre le 1 janvier 2000 et le"), ("ar", "أدخل تاريخًا بين 1 يناير 2000 و")],
)
def test_cohort_form_message_is_translated(client, make_user, courses, db, locale, expected):
    make_user(roles=("trainer",), email="trainer@example.org", locale=locale)
    client.login("trainer@example.org")
    course = db.session.scalar(select(Course).where(Course.slug == "victim-identification"))
    page = client.post_form("/cohorts/new", _cohort_form(course.id, start_date="0001-02-01")).get_data(as_text=True)
    assert expected in page


def test_session_form_refuses_a_year_one_day(client, trainer, make_cohort, db):
    cohort = make_cohort(trainer)
    client.login("trainer@example.org")
    response = client.post_form(
        f"/attendance/cohorts/{cohort.id}/sessions/new",
        {"title": "Atelier", "day": "0001-01-12", "start": "09:00", "end": "12:00", "late_after_minutes": "15"},
    )
    assert response.status_code == 200 and "Enter a date between January 1, 2000 and" in response.get_data(as_text=True)
    assert db.session.scalar(select(WorkshopSession.id)) is None


def test_programme_report_clamps_implausible_filters(client, make_user, courses):
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    page = client.get("/reports/programme?from=0001-01-01&to=9999-12-31").get_data(as_text=True)
    assert 'value="2000-01-01"' in page
    assert 'value="9999-12-31"' not in page


def test_programme_report_renders_before_any_course_is_synced(client, make_user):
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    assert client.get("/reports/programme").status_code == 200


def test_completion_days_are_bounded():
    class Span:
        start_date = date(1, 1, 1)
        end_date = date(2030, 1, 1)

    now = utcnow()
    days = completion_days(Span, now)
    assert 2 <= len(days) <= MAX_CURVE_POINTS
    assert days[0] == Span.start_date and days[-1] == now.date() and days == sorted(set(days))
    Span.start_date = now.date() - timedelta(days=70)  # a normal cohort keeps its weekly points
    assert completion_days(Span, now)[:3] == [Span.start_date + timedelta(days=7 * i) for i in range(3)]
    Span.start_date = now.date() - timedelta(days=3 * 365)  # three years: month by month
    days = completion_days(Span, now)
    assert len(days) <= MAX_CURVE_POINTS and all(d.day == 1 for d in days[1:-1])


def test_line_chart_is_bounded_whatever_the_points():
    points = [(str(i), i % 100) for i in range(100_000)]
    svg = str(charts.line_chart(points, "t"))
    assert svg.count("<circle") <= charts.MAX_LINE_POINTS
    assert len(svg) < 20_000


def test_dashboard_of_a_year_one_cohort_is_light(client, trainer, make_cohort, db):
    cohort = make_cohort(trainer)
    row = db.session.get(Cohort, cohort.id)
    row.start_date = date(1, 2, 3)  # forced into the database: the forms refuse it
    row.end_date = utcnow().date() + timedelta(days=30)
    db.session.commit()
    client.login("trainer@example.org")
    started = time.perf_counter()
    response = client.get(f"/reports/cohorts/{cohort.id}")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    chart = re.search(r'<svg[^>]*aria-label="Learners who completed every module[^"]*".*?</svg>', page, re.S)
    assert chart is not None
    assert 2 <= chart.group(0).count("<circle") <= MAX_CURVE_POINTS
    assert len(response.data) < 200_000, len(response.data)
    assert elapsed < 2.0, elapsed
    print(f"year-1 cohort dashboard: {elapsed * 1000:.0f} ms, {len(response.data)} bytes")
