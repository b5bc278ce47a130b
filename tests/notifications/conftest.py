"""Notifications tests: a way to make one directly."""

from datetime import timedelta

import pytest

from lms.accounts.models import User
from lms.core.timeutil import utcnow
from lms.extensions import db as _db
from lms.notifications import service
from lms.notifications.models import Notification


@pytest.fixture
def make_notification(db):
    """``make_notification(user, title=..., link=..., read=False, age=timedelta())`` -> its id (committed)."""
    counter = {"n": 0}

    def factory(user, title=None, link="/courses/home", read=False, age=timedelta(), kind="certificate_issued"):
        counter["n"] += 1
        key = f"test:{user.id}:{counter['n']}"
        service.notify(_db.session.get(User, user.id), kind, key, title=title or f"Note {counter['n']}", link=link)
        notification = _db.session.query(Notification).filter_by(key=key).one()
        notification.created_at = utcnow() - age
        if read:
            notification.read_at = utcnow() - age
        _db.session.commit()
        return notification.id

    return factory
