"""The accounts domain's signals have their receivers once the app is built (a forgotten connection fails here)."""

from blinker import ANY

from lms.accounts import signals
from lms.attendance import service as attendance
from lms.cohorts import previews
from lms.cohorts import service as cohorts
from lms.evaluation import service as evaluation
from lms.notifications import service as notifications
from tests.signals import unconnected


def test_erasing_a_person_reaches_attendance_notes_import_previews_notifications_and_evaluation(app):
    receivers = set(signals.user_erasing.receivers_for(ANY))
    assert receivers == {
        attendance.erase_notes,
        previews._erase_user,
        notifications.erase_user,
        evaluation.erase_user,
    }


def test_the_data_export_includes_the_cohorts_attendance_notifications_and_evaluation_sections(app):
    assert set(signals.user_data_export.receivers_for(ANY)) == {
        cohorts.export_cohorts,
        attendance.export_data,
        notifications.export_data,
        evaluation.export_data,
    }


def test_no_accounts_signal_is_left_unconnected(app):
    assert unconnected(signals) == []
