"""The content domain's signals have their receivers once the app is built (a forgotten connection fails here)."""

from blinker import ANY

from lms.attendance import handlers as attendance
from lms.certificates import service as certificates
from lms.cohorts import service as cohorts
from lms.content import signals
from lms.evaluation import handlers as evaluation
from tests.signals import unconnected


def test_every_content_signal_has_its_receiver(app):
    assert list(signals.course_access.receivers_for(ANY)) == [cohorts.enrolled_course_ids]
    assert list(signals.learner_standings.receivers_for(ANY)) == [certificates.learner_standings]
    assert list(signals.next_workshop.receivers_for(ANY)) == [attendance._next_workshop]
    assert list(signals.open_surveys.receivers_for(ANY)) == [evaluation._open_surveys]


def test_no_content_signal_is_left_unconnected(app):
    # content_synced is connected by lms/search (issue #21, another branch): drop this exception at the merge
    assert unconnected(signals) in ([], ["content-synced"])
