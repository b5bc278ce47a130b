"""The cohorts domain's signals have their receivers once the app is built (a forgotten connection fails here)."""

from blinker import ANY

from lms.attendance import handlers
from lms.attendance import service as attendance
from lms.cohorts import signals
from tests.signals import unconnected


def test_a_merged_walk_in_keeps_their_attendance(app):
    assert list(signals.walk_in_merging.receivers_for(ANY)) == [attendance.merge_marks]


def test_the_cohort_page_shows_sessions_and_attendance(app):
    assert list(signals.cohort_overview.receivers_for(ANY)) == [handlers._cohort_page]


def test_no_cohorts_signal_is_left_unconnected(app):
    assert unconnected(signals) == []
