"""Making notifications, reading them, and the preferences."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..core.mail import queue_message
from ..core.timeutil import utcnow
from ..extensions import db
from . import rules
from .models import Notification, NotificationPreference


def email_choice(user_id: int, kind: str) -> bool:
    """Whether ``kind`` reaches this person by e-mail too (their choice, else the kind's default)."""
    choice = db.session.scalar(
        select(NotificationPreference.email).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    return rules.wants_email(kind, choice)


def notify(
    user,
    kind: str,
    key: str,
    *,
    title: str,
    body: str | None = None,
    link: str | None = None,
    mail_template: str | None = None,
    subject: str | None = None,
    **context,
) -> bool:
    """Tell ``user`` something, once per ``key``: a notification in the app and, if the person takes this kind
    by e-mail and has an address, a mail from ``templates/<mail_template>.txt|html`` (rendered in their
    language). Title and body must already be in the person's language (``force_locale(user.locale)``).
    In the caller's transaction. False when this key was already notified."""
    if kind not in rules.KINDS:
        raise KeyError(kind)
    if db.session.scalar(select(Notification.id).where(Notification.key == key)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Notification(user_id=user.id, kind=kind, key=key, title=title[:255], body=body, link=link))
    except IntegrityError:  # made meanwhile by another consumer
        return False
    if (
        mail_template
        and user.email
        and user.is_active
        and user.erased_at is None
        and not user.email.endswith(".invalid")
        and email_choice(user.id, kind)
    ):
        queue_message(
            user.email,
            subject or title,
            mail_template,
            locale=user.locale or "fr",
            key=f"mail:{key}",
            user=user,
            link=link,
            **context,
        )
    return True


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def mark_read(user_id: int, notification_ids: list[int] | None = None) -> int:
    """Mark this person's notifications read (these ones, or all); returns how many changed."""
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(notification_ids))
    return db.session.execute(statement.values(read_at=utcnow())).rowcount
