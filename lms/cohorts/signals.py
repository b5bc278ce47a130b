"""What other domains plug into the cohorts domain (blinker signals, connected by the higher domains' packages).

A receiver is called ``receiver(sender, **kwargs)``; what it returns is combined by the caller in ``lms/cohorts``.
"""

from blinker import Namespace

_signals = Namespace()

walk_in_merging = _signals.signal("walk-in-merging")
"""A walk-in record is being merged into a full account: each domain moves what it holds about the walk-in.

Sent by ``cohorts.service.merge_walk_in`` with the walk-in (a ``User``) as sender and ``target`` (the ``User`` it
is merged into), after the enrolments are moved and before the walk-in is deactivated, in the same transaction.
Receivers return nothing; where the target already has a record of the same thing, the walk-in's is deleted.
Connected in ``lms/attendance/handlers.py`` (``attendance.service.merge_marks``: attendance marks)."""

cohort_overview = _signals.signal("cohort-overview")
"""What a cohort's page shows beyond the cohort itself: its workshop sessions and each learner's attendance.

Sent by ``cohorts.routes.detail`` with the cohort as sender and ``now`` (naive UTC). Each receiver returns a dict
of values for the page's template (``cohorts/detail.html``); the dicts are merged. Connected in
``lms/attendance/handlers.py`` (``sessions``, ``rows``: one per learner, ``info``, ``explain``)."""
