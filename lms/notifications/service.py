"""Making notifications, reading them, and the preferences."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..audit.service import record
from ..core.mail import FAILED, PENDING, MailDelivery, queue_message, retry_delivery
from ..core.timeutil import utcnow
from ..core.urls import external_url, site_path
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
    _changed_unread(user.id)
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
    return db.session.scalar(_UNREAD_COUNT, {"user_id": user_id})


def unread_subquery():
    """The unread count as a scalar subquery correlated to the user's row (loaded with the signed-in user)."""
    from ..accounts.models import User

    return (
        select(func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )


def _changed_unread(user_id: int) -> None:
    """This request changed ``user_id``'s unread count: the value loaded with the signed-in user is asked again."""
    from flask import has_request_context
    from flask_login import current_user

    from ..accounts import extras
    from . import UNREAD

    if has_request_context() and getattr(current_user, "id", None) == user_id:
        extras.forget(UNREAD)


#: the bell's COUNT, on every signed-in page: built once (its input a bound parameter, served by the compiled cache)
_UNREAD_COUNT = select(func.count(Notification.id)).where(
    Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)
)


def mark_read(user_id: int, notification_ids: list[int] | None = None) -> int:
    """Mark this person's notifications read (these ones, or all); returns how many changed."""
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(notification_ids))
    changed = db.session.execute(statement.values(read_at=utcnow())).rowcount
    _changed_unread(user_id)
    return changed


# --- a person's own notifications (the notifications page) --------------------------------------------------


def own_statement(user_id: int):
    """This person's notifications, newest first (the page paginates it)."""
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def own_notification(user_id: int, notification_id: int) -> Notification | None:
    """The notification if it is this person's, else None (someone else's is as if it did not exist)."""
    return db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
    )


def open_notification(user_id: int, notification_id: int) -> Notification | None:
    """Mark this person's notification read (if it was not) and return it; None if it is not theirs."""
    notification = own_notification(user_id, notification_id)
    if notification is not None and notification.read_at is None:
        mark_read(user_id, [notification.id])
        notification.read_at = utcnow()
    return notification


# --- preferences --------------------------------------------------------------------------------------------


def preferences(user_id: int) -> dict[str, bool]:
    """Every kind with whether it comes by e-mail to this person (their choice, else the kind's default)."""
    stored = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.email).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    return {kind: rules.wants_email(kind, stored.get(kind)) for kind in rules.KINDS}


def save_preferences(user_id: int, choices: dict[str, bool]) -> None:
    """Store the person's choice for each kind of ``rules.KINDS`` in ``choices`` (one row per kind)."""
    rows = {
        row.kind: row
        for row in db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user_id))
    }
    for kind, email in choices.items():
        if kind not in rules.KINDS:
            raise KeyError(kind)
        row = rows.get(kind)
        if row is None:
            db.session.add(NotificationPreference(user_id=user_id, kind=kind, email=bool(email)))
        else:
            row.email = bool(email)


# --- personal data (Law 09-08) -------------------------------------------------------------------------------


def export_data(user) -> dict:
    """The person's data export: their notifications and their e-mail choices (receiver of ``user_data_export``)."""
    notifications = db.session.scalars(own_statement(user.id)).all()
    stored = db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    return {
        "notifications": [
            {
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "link": n.link,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in notifications
        ],
        "notification_preferences": {p.kind: {"email": p.email} for p in stored},
    }


def erase_user(user) -> None:
    """Erasing a person (receiver of ``user_erasing``): their notifications and preferences go. The account row
    stays (anonymised), so the foreign keys' ON DELETE CASCADE does not do it."""
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user.id))


# --- housekeeping ----------------------------------------------------------------------------------------------

#: read notifications older than this are deleted (the unread ones stay until read)
KEEP_READ_DAYS = 180


def forget_old(now=None, days: int = KEEP_READ_DAYS) -> int:
    """Delete the read notifications made more than ``days`` ago; returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    return db.session.execute(
        delete(Notification).where(Notification.created_at < cutoff, Notification.read_at.is_not(None))
    ).rowcount


# --- mails that did not leave (admins) ---------------------------------------------------------------------------

#: a pending mail is shown to admins once it has failed this many times, or is this late
STUCK_ATTEMPTS = 2
STUCK_AFTER = timedelta(minutes=15)


def troubled_deliveries_statement(now=None):
    """Failed mails, and pending ones that have failed already or wait past their time (no consumer running?),
    newest first."""
    now = now or utcnow()
    return (
        select(MailDelivery)
        .where(
            or_(
                MailDelivery.status == FAILED,
                and_(
                    MailDelivery.status == PENDING,
                    or_(MailDelivery.attempts >= STUCK_ATTEMPTS, MailDelivery.next_attempt_at < now - STUCK_AFTER),
                ),
            )
        )
        .order_by(MailDelivery.created_at.desc(), MailDelivery.id.desc())
    )


def retry(delivery_id: int, actor) -> bool:
    """Send a failed mail again (``core.mail.retry_delivery``) and audit it; False if it is not failed (sent,
    pending, already retried by another admin, or unknown). With the caller's commit."""
    if not retry_delivery(delivery_id):
        return False
    kind = db.session.scalar(select(MailDelivery.kind).where(MailDelivery.id == delivery_id))
    # not the address: the audit log is kept after an erasure, the address must not be
    record("mail.retry", ("mail_delivery", delivery_id), after={"kind": kind}, actor=actor)
    return True


def retry_all(actor) -> int:
    """Send every failed mail again; returns how many."""
    ids = db.session.scalars(select(MailDelivery.id).where(MailDelivery.status == FAILED)).all()
    return sum(1 for delivery_id in ids if retry(delivery_id, actor))


def tell_job_finished(owner, job_id: int, *, title: str, body: str, endpoint: str) -> bool:
    """Tell the person who started a background job that it ended (``job_finished``, once per job), with a link
    to the job's page ``endpoint`` (a view taking ``job_id``). ``title`` and ``body`` in the person's language."""
    return notify(
        owner,
        "job_finished",
        f"job:{job_id}",
        title=title,
        body=body,
        link=site_path(endpoint, job_id=job_id),
        mail_template="notifications/email/job_finished",
        subject=title,
        body_text=body,
        address=external_url(endpoint, job_id=job_id),
    )
