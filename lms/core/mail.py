"""Outgoing mail: SMTP when LMS_MAIL_SERVER is set, else .eml files in instance/outbox/."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

from .timeutil import utcnow


def send_mail(
    to: str, subject: str, template: str, locale: str = "fr", reply_to: str | None = None, **context
) -> Path | None:
    """Render ``templates/<template>.txt`` (and ``.html`` beside it) in ``locale`` and send it; ``reply_to``: where
    the answer goes (a trainer writing to a learner).

    Returns the path of the written .eml file when no SMTP server is configured.
    """
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
    safe_to = "".join(c if c.isalnum() else "_" for c in to)[:60]
    path = outbox / f"{stamp}-{safe_to}.eml"
    path.write_bytes(bytes(message))
    return path
