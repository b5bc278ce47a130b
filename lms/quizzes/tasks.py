"""The quizzes domain's periodic work (run by the queue's consumer: ``flask queue run``)."""

from __future__ import annotations

import logging

from ..core.queue import crontab, periodic_task
from ..core.timeutil import utcnow
from ..extensions import db
from .models import Attempt
from .service import finish_if_overdue, overdue_attempt_ids

logger = logging.getLogger(__name__)


@periodic_task(crontab(minute="*/5"))
def finish_overdue_attempts() -> int:
    """Every five minutes: submit and grade the attempts whose time limit (and grace) has passed, though the
    learner never came back (page closed, connection lost), so that results and dashboards count them. Each in a
    transaction of its own; ``finish_attempt`` claims the attempt, so a learner submitting meanwhile is harmless."""
    now = utcnow()
    ids = overdue_attempt_ids(now)
    db.session.rollback()  # end the read: each attempt is its own short write
    finished = 0
    for attempt_id in ids:
        try:
            attempt = db.session.get(Attempt, attempt_id)
            if attempt is not None and finish_if_overdue(attempt, now):
                finished += 1
            db.session.commit()
        except Exception:  # one attempt that cannot be graded does not stop the others
            db.session.rollback()
            logger.exception("attempt %s could not be finished for time", attempt_id)
    if finished:
        logger.info("%s overdue attempt(s) finished", finished)
    return finished
