"""Outgoing mail: SMTP when LMS_MAIL_SERVER is set, else .eml files in instance/outbox/.

Every mail leaves through the task queue, never inside the request that causes it. A mail is first a row of
``mail_delivery`` (written in the caller's transaction), then a queued ``deliver`` task pointing at it:

- ``queue_message`` renders the message now (in the recipient's language) and stores it: invitations,
  reminders, warnings.
- ``queue_mail`` stores only a kind and an address; the consumer decides what to send (``JOB_HANDLERS``). A
  public form whose answer must not depend on what it finds (the password reset: an account exists or not)
  does the same work either way: one INSERT of the address it was given.

Each row has a ``key``: the same mail queued twice (a reminder computed by two consumers, a task retried) is one
row, delivered once. Delivery claims the row with a conditional UPDATE (one consumer sends it), retries with
back-off (1, 2, 4, 8 minutes), and after ``MAX_ATTEMPTS`` marks it *failed*: admins see it on the failed
deliveries page and can send it again. Nothing is dropped silently. The periodic sweep queues again what a
killed consumer or an unreachable queue left behind.

Without an SMTP server a delivery writes ``<instance>/outbox/<created>-<key hash>-<to>.eml``: the name comes from
the row, so delivering it again (a consumer killed between writing and recording) rewrites the same file. With
SMTP the Message-ID comes from the key, so a receiving server can tell a repeat.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import click
from flask import current_app, render_template
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import LargeBinary, String, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .queue import crontab, defer, enqueue, periodic_task, task
from .timeutil import utcnow

logger = logging.getLogger(__name__)


def build_message(
    to: str,
    subject: str,
    template: str,
    locale: str = "fr",
    reply_to: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    **context,
) -> EmailMessage:
    """Render ``templates/<template>.txt`` (and ``.html`` beside it) in ``locale`` into a message; ``reply_to``:
    where the answer goes (a trainer writing to a learner); ``attachments``: (file name, MIME type, bytes), e.g.
    a session's ``.ics``."""
    with force_locale(locale):
        text = render_template(template + ".txt", **context)
        html = render_template(template + ".html", locale=locale, **context)
        subject = str(subject)
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for filename, mimetype, data in attachments or ():
        maintype, _slash, subtype = mimetype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return message


def deliver_message(message: EmailMessage, name: str | None = None) -> Path | None:
    """Send ``message`` by SMTP, or write it to instance/outbox/ (returns the .eml path) without a server;
    ``name``: the file's name (the same for every try of one delivery)."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
        return None
    outbox = Path(config["INSTANCE_PATH"]) / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    if name is None:
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{_safe(message['To'])}"
    path = outbox / f"{name}.eml"
    partial = path.with_suffix(".part")
    partial.write_bytes(bytes(message))
    partial.replace(path)  # whole or absent, never half a file
    return path


def _safe(text) -> str:
    return "".join(c if c.isalnum() else "_" for c in str(text))[:60]


class MailDelivery(db.Model):
    """One mail to deliver, written in the transaction that decides it; the queued task only points at it."""

    __tablename__ = "mail_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what makes two requests the same mail (``reminder:workshop-eve:<session>:<user>``); a second row with the
    #: same key is refused, so a duplicated or retried task never sends twice
    key: Mapped[str] = mapped_column(String(191), unique=True)
    #: ``message`` (rendered when queued) or a key of ``JOB_HANDLERS`` (rendered by the consumer)
    kind: Mapped[str] = mapped_column(String(32), default="message")
    address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(255))
    #: the rendered message (kind ``message``); emptied once sent
    message: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: set while a consumer works on it; a claim that has run out (consumer killed) may be taken again
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


MESSAGE = "message"
PENDING, SENT, FAILED = "pending", "sent", "failed"

#: kind -> handler(address) returning the message to send, or None when there is nothing to send. The handler
#: may stage database changes (a token): they are committed before the message leaves.
JOB_HANDLERS: dict[str, Callable[[str], EmailMessage | None]] = {}

MAX_ATTEMPTS = 5
CLAIM_SECONDS = 300


def _insert(delivery: MailDelivery) -> MailDelivery | None:
    """Add the row unless its key is taken (by this transaction, an earlier one or a concurrent consumer)."""
    if db.session.scalar(select(MailDelivery.id).where(MailDelivery.key == delivery.key)) is not None:
        return None
    try:
        with db.session.begin_nested():
            db.session.add(delivery)
    except IntegrityError:  # another consumer inserted the same key meanwhile
        return None
    defer(deliver, delivery.id)
    return delivery


def queue_message(
    to: str,
    subject: str,
    template: str,
    locale: str = "fr",
    reply_to: str | None = None,
    key: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    **context,
) -> MailDelivery | None:
    """Render a mail now and queue its delivery (with the caller's transaction). ``key``: what makes it the same
    mail if asked again; None (already queued or sent under this key) or the new delivery. ``attachments``:
    (file name, MIME type, bytes), stored with the rendered message."""
    message = build_message(to, subject, template, locale, reply_to=reply_to, attachments=attachments, **context)
    key = key or f"mail:{uuid.uuid4().hex}"
    message["Message-ID"] = make_msgid(idstring=hashlib.sha256(key.encode()).hexdigest()[:24], domain="tadrib.local")
    return _insert(
        MailDelivery(key=key, kind=MESSAGE, address=to, subject=str(message["Subject"])[:255], message=bytes(message))
    )


def queue_mail(kind: str, address: str) -> None:
    """Queue a mail the consumer composes (``JOB_HANDLERS[kind](address)``); the request reads nothing."""
    if kind not in JOB_HANDLERS:
        raise KeyError(kind)
    _insert(MailDelivery(key=f"{kind}:{uuid.uuid4().hex}", kind=kind, address=address))


def _file_name(delivery: MailDelivery) -> str:
    digest = hashlib.sha256(delivery.key.encode()).hexdigest()[:12]
    return f"{delivery.created_at:%Y%m%dT%H%M%S%f}-{digest}-{_safe(delivery.address)}"


@task()
def deliver(delivery_id: int) -> bool:
    """Send one queued mail, once. True when this call sent it."""
    now = utcnow()
    claimed = db.session.execute(
        update(MailDelivery)
        .where(
            MailDelivery.id == delivery_id,
            MailDelivery.status == PENDING,
            MailDelivery.next_attempt_at <= now + timedelta(seconds=5),
            or_(MailDelivery.claimed_until.is_(None), MailDelivery.claimed_until < now),
        )
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=MailDelivery.attempts + 1)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return False  # sent, failed, not due, or another consumer has it
    delivery = db.session.get(MailDelivery, delivery_id)
    try:
        if delivery.kind == MESSAGE:
            from email import message_from_bytes
            from email.policy import default

            message = message_from_bytes(delivery.message, policy=default)
        else:
            message = JOB_HANDLERS[delivery.kind](delivery.address)
            if message is not None:
                message["Message-ID"] = make_msgid(domain="tadrib.local")
            db.session.commit()  # the token, before the link leaves; not held open while SMTP talks
        if message is not None:
            deliver_message(message, _file_name(delivery))
    except Exception as error:
        db.session.rollback()
        _failed(delivery_id, error)
        return False
    values = {"status": SENT, "sent_at": utcnow(), "claimed_until": None, "message": None, "last_error": None}
    if delivery.kind != MESSAGE:
        values["address"] = ""  # an address typed into a public form is not kept once the job is done
    db.session.execute(update(MailDelivery).where(MailDelivery.id == delivery_id).values(**values))
    db.session.commit()
    return True


def _failed(delivery_id: int, error: Exception) -> None:
    delivery = db.session.get(MailDelivery, delivery_id)
    reason = f"{type(error).__name__}: {error}"[:500]
    if delivery.attempts >= MAX_ATTEMPTS:
        logger.error("mail %s (%s) failed %s times: left for an admin", delivery_id, delivery.kind, delivery.attempts)
        delivery.status = FAILED
        delivery.claimed_until = None
        delivery.last_error = reason
        db.session.commit()
        return
    wait = timedelta(minutes=2 ** (delivery.attempts - 1))
    logger.warning("mail %s (%s) failed (%s); next try in %s", delivery_id, delivery.kind, reason, wait)
    delivery.claimed_until = None
    delivery.next_attempt_at = utcnow() + wait
    delivery.last_error = reason
    db.session.commit()
    enqueue(deliver, delivery_id, delay=wait.total_seconds())


def deliver_due(limit: int = 1000) -> int:
    """Deliver, in this process, the pending mails that are due and not claimed: what a killed consumer or an
    unreachable queue left behind, retries whose queued task was lost. Returns how many were sent."""
    now = utcnow()
    due = db.session.scalars(
        select(MailDelivery.id)
        .where(
            MailDelivery.status == PENDING,
            MailDelivery.next_attempt_at <= now,
            or_(MailDelivery.claimed_until.is_(None), MailDelivery.claimed_until < now),
        )
        .order_by(MailDelivery.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    return sum(1 for delivery_id in due if deliver.call_local(delivery_id))


@periodic_task(crontab(minute="*"))
def sweep_mail() -> None:
    """Every minute: queue again the pending mails that are due and that no consumer holds."""
    now = utcnow() - timedelta(seconds=30)  # leave a just-queued mail to its own task
    due = db.session.scalars(
        select(MailDelivery.id)
        .where(
            MailDelivery.status == PENDING,
            MailDelivery.next_attempt_at <= now,
            or_(MailDelivery.claimed_until.is_(None), MailDelivery.claimed_until < utcnow()),
        )
        .order_by(MailDelivery.id)
        .limit(1000)
    ).all()
    for delivery_id in due:
        enqueue(deliver, delivery_id)


def retry_delivery(delivery_id: int) -> bool:
    """An admin sends a failed mail again: pending, due now, attempts from zero (with the caller's commit)."""
    changed = db.session.execute(
        update(MailDelivery)
        .where(MailDelivery.id == delivery_id, MailDelivery.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=utcnow(), claimed_until=None)
    ).rowcount
    if changed:
        defer(deliver, delivery_id)
    return bool(changed)


def forget_address(address: str) -> int:
    """Erasing a person (Law 09-08): delete every delivery addressed to them, whatever its state (a pending one
    is not sent; a sent or failed one keeps no trace of the address). With the caller's commit; how many."""
    if not address:
        return 0
    return db.session.execute(
        delete(MailDelivery).where(func.lower(MailDelivery.address) == address.strip().lower())
    ).rowcount


@periodic_task(crontab(minute="17", hour="3"))
def forget_sent_mail() -> None:
    """Daily: delete deliveries sent more than 90 days ago (their record; the mail itself has left)."""
    db.session.execute(
        delete(MailDelivery).where(MailDelivery.status == SENT, MailDelivery.sent_at < utcnow() - timedelta(days=90))
    )
    db.session.commit()


cli = click.Group("mail", help="Queued mail.")


@cli.command("send")
@with_appcontext
def send_command() -> None:
    """Deliver the queued mails that are due, in this process (without a consumer, or from cron)."""
    click.echo(f"{deliver_due(limit=10_000)} mail(s) sent.")
