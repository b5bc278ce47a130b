"""What other domains plug into the content domain (blinker signals, connected by the higher domains' packages).

Every signal but ``content_synced`` is sent with the learner (a ``User``) as sender. A receiver is called
``receiver(user, **kwargs)`` and what it returns is combined by the caller in ``content.service``.
"""

from blinker import Namespace

_signals = Namespace()

course_access = _signals.signal("course-access")
"""Which courses a learner may open beyond those meant for their profession (e.g. through a cohort).

Sent by ``can_open`` and ``open_courses`` with ``course_ids`` (a list of course ids, never empty). Each receiver
returns the set of those ids it grants, in one query for the whole list; the learner may open a course any
receiver grants. Connected in ``lms/cohorts/handlers.py`` (``cohorts.service.enrolled_course_ids``)."""

learner_standings = _signals.signal("learner-standings")
"""Where a learner stands against what their certificate asks, shown on their home, course and module pages.

Sent by ``content.service.standings`` with ``progresses`` (the ``CourseProgress`` of the courses shown) and
``with_attendance`` (False: the caller does not show attendance, skip its queries). Each receiver returns
``{course id: Standing}`` (or None) in a fixed number of queries whatever the number of courses; the results are
merged. No receiver: progress is modules read only. Connected in ``lms/certificates/__init__.py``
(``certificates.service.learner_standings``, which owns the eligibility rule)."""

next_workshop = _signals.signal("next-workshop")
"""The learner's next (or current) in-person workshop, shown on their home page.

Sent by ``content.service.next_workshop`` with ``now`` (naive UTC). A receiver returns what the home template
reads (attendance: ``(WorkshopSession, Cohort)``) or None, in one query whatever the number of cohorts and sessions;
the first answer is shown. Connected in ``lms/attendance/handlers.py`` (``attendance.service.next_session_for``)."""

open_surveys = _signals.signal("open-surveys")
"""The evaluation surveys the learner may answer now, shown as a card on their home page.

Sent by ``content.service.open_surveys`` with ``now`` (naive UTC). A receiver returns a list of what the home
template reads (evaluation: ``MyRound``, with ``round``, ``version``, ``cohort``, ``session``) in a fixed number of
queries; the lists are joined. Connected in ``lms/evaluation/handlers.py`` (``_open_surveys``)."""

content_synced = _signals.signal("content-synced")
"""A sync of ``courses/`` ran (courses, modules, quizzes, surveys, the library), its writes flushed, not yet
committed.

Sent by ``content.sync.sync_courses`` at its end with the ``SyncResult`` as sender (not a user) and ``changed``
(whether anything was written). Receivers write in the same transaction (the caller commits both or neither:
``flask courses sync``) and return nothing. Connected in ``lms/search/handlers.py``
(``search.service.rebuild_index``: the index is rebuilt after a sync that changed something, or while it is
empty; never by a request)."""
