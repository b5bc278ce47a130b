"""The accounts domain's periodic work (run by the queue's consumer: ``flask queue run``)."""

from __future__ import annotations

import logging

from ..core.queue import crontab, periodic_task
from ..extensions import db
from . import service

logger = logging.getLogger(__name__)


@periodic_task(crontab(minute="41", hour="3"))
def forget_expired_tokens() -> int:
    """Daily: delete the invitation and password-reset tokens past their expiry."""
    count = service.delete_expired_tokens()
    db.session.commit()
    if count:
        logger.info("%s expired token(s) deleted", count)
    return count
