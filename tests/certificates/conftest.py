"""Fixtures shared by the certificates tests."""

from datetime import date

import pytest

from tests.factories import enrol


@pytest.fixture
def world(app, db, courses, make_user, make_cohort):
    """A trainer, a magistrate learner with a name in both scripts, and their cohort in Rabat (ends 12 Jan 2027)."""
    trainer = make_user(
        roles=("trainer",), email="trainer@example.org", name_latin="Youssef El Amrani", name_arabic="يوسف العمراني"
    )
    learner = make_user(
        email="judge@example.org",
        profession="magistrate-judge",
        name_latin="Karim Idrissi",
        name_arabic="كريم الإدريسي",
    )
    cohort = make_cohort(trainer, end_date=date(2027, 1, 12), city="Rabat")
    enrol(db, cohort, learner)
    db.session.commit()
    return trainer, learner, cohort
