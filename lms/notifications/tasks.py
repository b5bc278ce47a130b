"""The notifications domain's periodic work (run by the queue's consumer: ``flask queue run``)."""

from __future__ import annotations

import logging

from ..core.queue import crontab, periodic_task
from ..extensions import db
from . import service

logger = logging.getLogger(__name__)


@periodic_task(crontab(minute="29", hour="3"))
def forget_old_notifications() -> int:
    """Daily: delete the read notifications older than ``service.KEEP_READ_DAYS`` (180) days."""
    count = service.forget_old()
    db.session.commit()
    if count:
        logger.info("%s old notification(s) deleted", count)
    return count
