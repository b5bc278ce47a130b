"""The certificates domain's signals have their receivers once the app is built (a forgotten connection fails here)."""

from blinker import ANY

from lms.certificates import signals
from lms.evaluation import handlers as evaluation
from tests.signals import unconnected


def test_every_certificates_signal_has_its_receiver(app):
    assert list(signals.download_blocked.receivers_for(ANY)) == [evaluation._survey_first]


def test_no_certificates_signal_is_left_unconnected(app):
    assert unconnected(signals) == []
