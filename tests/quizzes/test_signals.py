"""The quizzes domain's signals have their receivers once the app is built (a forgotten connection fails here)."""

from blinker import ANY

from lms.cohorts import service as cohorts
from lms.quizzes import signals
from tests.signals import unconnected


def test_an_attempt_finds_its_cohort_and_the_cohort_settings(app):
    assert list(signals.working_cohort.receivers_for(ANY)) == [cohorts.working_cohort_id]
    assert list(signals.quiz_settings.receivers_for(ANY)) == [cohorts._cohort_quiz_overrides]


def test_no_quizzes_signal_is_left_unconnected(app):
    assert unconnected(signals) == []
