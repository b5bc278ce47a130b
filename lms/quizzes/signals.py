"""What other domains plug into the quizzes domain (blinker signals, connected by the higher domains' packages).

A receiver is called ``receiver(sender, **kwargs)``; what it returns is combined by the caller in
``quizzes.service``.
"""

from blinker import Namespace

_signals = Namespace()

working_cohort = _signals.signal("working-cohort")
"""The cohort under which a learner works on a quiz now: an attempt records it at start (the work belongs to it).

Sent by ``quizzes.service.working_cohort`` with the learner's id as sender and ``module_id``. Each receiver returns
a cohort id or None; the first id given wins (None from all: no cohort). Connected in ``lms/cohorts/handlers.py``
(``cohorts.service.working_cohort_id``)."""

quiz_settings = _signals.signal("quiz-settings")
"""Settings that override the quiz file for the attempts made under a cohort (a trainer's pass mark, number of
attempts or time limit for that cohort).

Sent by ``quizzes.service.cohort_settings`` with the cohort id as sender and ``version`` (the ``QuizVersion``).
Each receiver returns a dict of settings (or None); only the keys in ``quizzes.service.OVERRIDABLE`` are applied,
in the order received. Connected in ``lms/cohorts/handlers.py`` (``cohorts.service._cohort_quiz_overrides``)."""
