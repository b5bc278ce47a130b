"""E-mails to learners whose attendance is below the cohort's threshold, sent when a trainer asks.

A person is written to at most once a week per cohort (the audit log remembers who was written to and when),
in their own language, with their figure, the threshold and the sessions still to come. Nothing is sent
automatically: the trainer knows when a reminder helps and when a phone call is better.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import select

from ..audit.models import AuditEvent
from ..audit.service import record
from ..cohorts import service as cohorts
from ..cohorts.models import Cohort
from ..core.mail import queue_message
from ..core.timeutil import utcnow
from ..extensions import db
from ..i18n import _
from . import rules, service

ACTION = "cohort.attendance_warning"
#: a learner already warned for this cohort within this time is not written to again
INTERVAL = timedelta(days=7)

log = logging.getLogger(__name__)


@dataclass
class WarningResult:
    sent: list = field(default_factory=list)
    #: below the threshold but warned less than INTERVAL ago
    recent: list = field(default_factory=list)
    #: below the threshold but without an address to write to (walk-ins, erased or deactivated accounts)
    unreachable: list = field(default_factory=list)
    failed: list = field(default_factory=list)


def recently_warned(cohort: Cohort, now: datetime | None = None) -> set[int]:
    """Ids of the learners warned for this cohort within INTERVAL. One query."""
    since = (now or utcnow()) - INTERVAL
    return {
        int(object_id)
        for object_id in db.session.scalars(
            select(AuditEvent.object_id).where(
                AuditEvent.action == ACTION,
                AuditEvent.object_type == "user_account",
                AuditEvent.created_at >= since,
                AuditEvent.after["cohort_id"].as_integer() == cohort.id,  # the cohort is in the event's details
            )
        )
    }


def below_threshold(cohort: Cohort, now: datetime | None = None):
    """(the learners the attendance rule flags, sessions still to come): the same rule as the cohort's pages
    and dashboard (attendance.rules), so nobody is written to for one missed workshop out of six."""
    now = now or utcnow()
    sessions, rows, _info = service.attendance_report(cohort, now=now, with_marks=False)
    upcoming = [s for s in sessions if s.starts_at > now]
    return [row for row in rows if row.below], upcoming


def warn_low_attendance(cohort: Cohort, actor, now: datetime | None = None) -> WarningResult:
    """Write to every learner below the threshold who was not written to in the last INTERVAL.

    Each e-mail sent is recorded in the audit log (who, figure, threshold) in the caller's transaction; an
    e-mail that cannot be sent is not recorded, so a later attempt writes to that person again."""
    now = now or utcnow()
    # On PostgreSQL two trainers pressing the button at once queue here instead of both writing to everyone.
    db.session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())
    rows, upcoming = below_threshold(cohort, now)
    already = recently_warned(cohort, now)
    threshold = int(float(cohort.completion.get("attendance_percent") or 0))
    result = WarningResult()
    for row in rows:
        user = row.user
        if user.id in already:
            result.recent.append(user)
            continue
        if not user.email or not user.is_active or user.erased_at is not None:
            result.unreachable.append(user)
            continue
        try:
            with force_locale(user.locale or "fr"):
                subject = _("Your attendance in the training “%(cohort)s”", cohort=cohort.title)
            queued = queue_message(
                user.email,
                subject,
                "attendance/email/low_attendance",
                locale=user.locale or "fr",
                user=user,
                cohort=cohort,
                percent=row.percent,
                threshold=threshold,
                unreachable=row.verdict is not None and row.verdict.reason == rules.UNREACHABLE,
                best=row.verdict.best if row.verdict is not None else None,
                excused_counts=service.excused_policy(cohort) == rules.EXCUSED_ABSENT,
                upcoming=[(s, cohorts.utc_to_local(s.starts_at)) for s in upcoming],
                # once a week per person and cohort, whoever asks (a trainer, the weekly task on two consumers)
                key=f"attendance-warning:{cohort.id}:{user.id}:{now:%G-W%V}",
            )
        except Exception:  # a mail that cannot be composed must not lose the others, nor be recorded as sent
            log.exception("attendance warning to user %s failed", user.id)
            result.failed.append(user)
            continue
        if queued is None:
            result.recent.append(user)
            continue
        record(
            ACTION,
            user,
            after={"cohort_id": cohort.id, "percent": row.percent, "threshold": threshold},
            actor=actor,
        )
        result.sent.append(user)
    return result
