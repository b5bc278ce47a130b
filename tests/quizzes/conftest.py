"""Fixtures shared by the quizzes tests."""

import pytest


@pytest.fixture
def judge(make_user):
    """A magistrate learner, judge@example.org (not signed in)."""
    return make_user(email="judge@example.org", profession="magistrate-judge")
