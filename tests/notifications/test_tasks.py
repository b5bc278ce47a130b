"""Housekeeping on the queue's schedule (issue #19 part 5): each domain's periodic task, called directly."""

import os
import time
from datetime import timedelta

from sqlalchemy import select

from lms import TASK_MODULES
from lms.accounts import service as accounts
from lms.accounts.models import User, UserToken
from lms.accounts.tasks import forget_expired_tokens
from lms.cohorts import previews
from lms.cohorts.tasks import purge_import_previews
from lms.core.queue import huey
from lms.core.timeutil import utcnow
from lms.notifications.models import Notification
from lms.notifications.tasks import forget_old_notifications
from lms.quizzes import service as quizzes
from lms.quizzes.models import IN_PROGRESS, SUBMITTED, Attempt
from lms.quizzes.tasks import finish_overdue_attempts
from tests.factories import module_quiz


def test_every_housekeeping_task_is_known_to_the_consumer(app):
    assert {"lms.accounts.tasks", "lms.cohorts.tasks", "lms.quizzes.tasks", "lms.notifications.tasks"} <= set(
        TASK_MODULES
    )
    periodic = {huey._registry.task_to_string(task) for task in huey._registry._periodic_tasks}
    assert {
        "lms.accounts.tasks.forget_expired_tokens",
        "lms.cohorts.tasks.purge_import_previews",
        "lms.quizzes.tasks.finish_overdue_attempts",
        "lms.notifications.tasks.forget_old_notifications",
    } <= periodic


def test_old_read_notifications_are_forgotten(app, db, make_user, make_notification):
    learner = make_user()
    old_read = make_notification(learner, read=True, age=timedelta(days=200))
    old_unread = make_notification(learner, age=timedelta(days=200))
    recent_read = make_notification(learner, read=True, age=timedelta(days=20))
    db.session.commit()
    assert forget_old_notifications.call_local() == 1
    left = set(db.session.scalars(select(Notification.id)))
    assert left == {old_unread, recent_read} and old_read not in left


def test_expired_tokens_are_deleted(app, db, make_user):
    user = db.session.get(User, make_user().id)
    accounts.issue_token(user, accounts.RESET)
    accounts.issue_token(user, accounts.INVITE)
    db.session.flush()
    expired = db.session.scalars(select(UserToken).where(UserToken.purpose == accounts.RESET)).one()
    expired.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert forget_expired_tokens.call_local() == 1
    assert db.session.scalars(select(UserToken.purpose)).all() == [accounts.INVITE]


def test_expired_import_previews_are_deleted(app, db):
    with app.test_request_context():
        old = previews.folder() / "1-1-old_token_0123456789.csv"
        new = previews.folder() / "1-1-new_token_0123456789.csv"
    old.write_text("a", encoding="utf-8")
    new.write_text("b", encoding="utf-8")
    long_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (long_ago, long_ago))
    assert purge_import_previews.call_local() == 1
    assert not old.exists() and new.exists()


def test_overdue_attempts_are_finished_and_graded(app, db, make_user, courses):
    learner, other = make_user(), make_user()
    quiz = module_quiz(db)
    overdue = quizzes.start_attempt(learner.id, quiz)
    running = quizzes.start_attempt(other.id, quiz)
    db.session.flush()
    overdue.deadline_at = utcnow() - timedelta(hours=2)
    running.deadline_at = utcnow() + timedelta(minutes=30)
    overdue_id, running_id = overdue.id, running.id  # before the commit: reading after it would hold SQLite's lock
    db.session.commit()
    assert finish_overdue_attempts.call_local() == 1
    db.session.expire_all()
    finished = db.session.get(Attempt, overdue_id)
    assert finished.state == SUBMITTED and finished.finished_by == "timeout" and finished.percent is not None
    assert db.session.get(Attempt, running_id).state == IN_PROGRESS
    db.session.commit()
    assert finish_overdue_attempts.call_local() == 0  # nothing left: done once
