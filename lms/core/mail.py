"""Outgoing mail: SMTP when LMS_MAIL_SERVER is set, else .eml files in instance/outbox/.

Two ways out:

- ``send_mail`` renders and sends at once (invitations, reminders: a trainer's or an admin's action).
- ``queue_mail`` only records a job in the ``outgoing_mail`` table; the job is done outside the request, by a
  thread of the process woken once the response has been sent (``wake_sender_after_response``), or by
  ``flask mail send``. A public form whose answer must not depend on what the job finds (the password reset:
  an account exists or not) does the same work either way: one INSERT of the address it was given.
  A later issue replaces the thread with a task queue (Huey); the table stays the hand-over point.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import click
from flask import current_app, render_template
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import String, delete, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .timeutil import utcnow

logger = logging.getLogger(__name__)


def build_message(
    to: str, subject: str, template: str, locale: str = "fr", reply_to: str | None = None, **context
) -> EmailMessage:
    """Render ``templates/<template>.txt`` (and ``.html`` beside it) in ``locale`` into a message; ``reply_to``:
    where the answer goes (a trainer writing to a learner)."""
    with force_locale(locale):
        text = render_template(template + ".txt", **context)
        html = render_template(template + ".html", locale=locale, **context)
        subject = str(subject)
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="tadrib.local")
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def deliver_message(message: EmailMessage) -> Path | None:
    """Send ``message`` by SMTP, or write it to instance/outbox/ (returns the .eml path) without a server."""
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
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    safe_to = "".join(c if c.isalnum() else "_" for c in str(message["To"]))[:60]
    path = outbox / f"{stamp}-{safe_to}.eml"
    path.write_bytes(bytes(message))
    return path


def send_mail(
    to: str, subject: str, template: str, locale: str = "fr", reply_to: str | None = None, **context
) -> Path | None:
    """Render and send now. Returns the path of the written .eml file when no SMTP server is configured."""
    return deliver_message(build_message(to, subject, template, locale, reply_to=reply_to, **context))


# --- queued mail --------------------------------------------------------------------------------------


class OutgoingMail(db.Model):
    """A mail job recorded by a request and done after it. The row is deleted once done."""

    __tablename__ = "outgoing_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what to do: a key of ``JOB_HANDLERS``
    kind: Mapped[str] = mapped_column(String(32))
    #: the address as typed (normalised); the handler decides whether there is anything to send
    address: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: set while a process works on the job; a job whose claim has run out (process killed) is taken again
    claimed_until: Mapped[datetime | None]


#: kind -> handler(address) returning the message to send, or None when there is nothing to send. The handler
#: may stage database changes (a token): they are committed before the message leaves.
JOB_HANDLERS: dict[str, Callable[[str], EmailMessage | None]] = {}

MAX_ATTEMPTS = 5
CLAIM_SECONDS = 300


def queue_mail(kind: str, address: str) -> None:
    """Record a job for after the request (committed with the caller's transaction). Nothing is read."""
    if kind not in JOB_HANDLERS:
        raise KeyError(kind)
    db.session.add(OutgoingMail(kind=kind, address=address))


def deliver_queued(limit: int = 100) -> int:
    """Do the jobs that are due; returns how many were done. Safe with several processes: each job is claimed
    by a conditional UPDATE, so exactly one process does it. A failed send is tried again later (1, 2, 4, 8 min),
    and dropped with an error in the log after ``MAX_ATTEMPTS``."""
    done = 0
    now = utcnow()
    due = db.session.scalars(
        select(OutgoingMail.id)
        .where(
            OutgoingMail.next_attempt_at <= now,
            or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < now),
        )
        .order_by(OutgoingMail.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    for job_id in due:
        if _do_job(job_id):
            done += 1
    return done


def _do_job(job_id: int) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.id == job_id,
            or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < now),
        )
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=OutgoingMail.attempts + 1)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return False  # another process has it
    job = db.session.get(OutgoingMail, job_id)
    kind, address, attempts = job.kind, job.address, job.attempts
    try:
        message = JOB_HANDLERS[kind](address)
        db.session.commit()  # the token, before the link leaves; not held open while SMTP talks
        if message is not None:
            deliver_message(message)
    except Exception:
        db.session.rollback()
        if attempts >= MAX_ATTEMPTS:
            logger.exception("mail job %s (%s) failed %s times: dropped", job_id, kind, attempts)
            db.session.execute(delete(OutgoingMail).where(OutgoingMail.id == job_id))
        else:
            logger.exception("mail job %s (%s) failed; will try again", job_id, kind)
            db.session.execute(
                update(OutgoingMail)
                .where(OutgoingMail.id == job_id)
                .values(claimed_until=None, next_attempt_at=utcnow() + timedelta(minutes=2 ** (attempts - 1)))
            )
        db.session.commit()
        return False
    db.session.execute(delete(OutgoingMail).where(OutgoingMail.id == job_id))
    db.session.commit()
    return True


class MailSender:
    """One thread per process that does the queued jobs: woken after a response that queued one, and every
    ``POLL_SECONDS`` while it lives (retries, jobs left by a process that was killed). Started on first use in
    each process, so a worker forked by gunicorn starts its own."""

    POLL_SECONDS = 60

    def __init__(self, app) -> None:
        self.app = app
        self.event = threading.Event()
        self.stopping = False
        self.thread: threading.Thread | None = None
        self.pid: int | None = None
        self.lock = threading.Lock()

    def wake(self) -> None:
        with self.lock:
            if self.pid != os.getpid() or self.thread is None or not self.thread.is_alive():
                self.pid = os.getpid()
                self.stopping = False
                self.thread = threading.Thread(target=self._run, name="tadrib-mail", daemon=True)
                self.thread.start()
        self.event.set()

    def stop(self, timeout: float = 10) -> None:
        self.stopping = True
        self.event.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        while not self.stopping:
            self.event.wait(self.POLL_SECONDS)
            self.event.clear()
            if self.stopping:
                break
            with self.app.app_context():
                try:
                    deliver_queued()
                except Exception:
                    logger.exception("queued mail not sent")
                finally:
                    db.session.remove()


def wake_sender_after_response(response):
    """For ``after_this_request``: once the response is sent (``call_on_close``), the process's sender thread
    starts on the job. Setting an event is all the request pays; without the thread (tests, ``LMS_MAIL_THREAD=0``)
    jobs wait for ``flask mail send``."""
    app = current_app._get_current_object()
    if app.config.get("MAIL_THREAD"):
        sender = app.extensions.get("tadrib_mail_sender")
        if sender is None:
            sender = app.extensions["tadrib_mail_sender"] = MailSender(app)
        response.call_on_close(sender.wake)
    return response


cli = click.Group("mail", help="Queued mail.")


@cli.command("send")
@with_appcontext
def send_command() -> None:
    """Do the queued mail jobs that are due now (when the sender thread is off, or from cron)."""
    click.echo(f"{deliver_queued(limit=10_000)} mail job(s) done.")
