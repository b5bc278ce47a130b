"""Fixtures of the evaluation tests: a cohort of the magistrates' course with two learners enrolled."""

import pytest

from tests.factories import enrolled_learner


@pytest.fixture
def trainer(make_user):
    return make_user(roles=("trainer",), email="trainer@example.org")


@pytest.fixture
def cohort(make_cohort, trainer):
    return make_cohort(trainer)


@pytest.fixture
def learner(make_user, db, cohort):
    return enrolled_learner(make_user, db, cohort, email="judge@example.org", jurisdiction="rabat", gender="female")


@pytest.fixture
def other_learner(make_user, db, cohort):
    return enrolled_learner(make_user, db, cohort, email="judge2@example.org")
