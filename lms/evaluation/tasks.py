"""Background work of the evaluation, every 15 minutes on every consumer:

- open the rounds due (``service.open_due_rounds``) and invite, once each, the people asked (notification
  ``survey_invitation``: in the app, and by e-mail unless they said otherwise);
- one reminder to those who have not answered, ``rules.REMIND_AFTER`` after the invitation, while the round is
  open (never to those who answered: the participation says who did, never what).

Keys make a repeat harmless (two consumers, a consumer killed mid-way): ``survey-invite:<round>:<person>`` and
``survey-remind:<round>:<person>``; the round's ``invited_at``/``reminded_at`` are stamped after its batch.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import force_locale
from sqlalchemy import select, text

from ..accounts.models import User
from ..attendance.models import WorkshopSession
from ..cohorts.models import Cohort
from ..content.models import Survey, SurveyVersion
from ..core.queue import crontab, periodic_task
from ..core.timeutil import utcnow
from ..core.urls import external_url, site_path
from ..extensions import db
from ..i18n import _, format_date
from ..notifications.service import notify
from . import rules, service
from .models import SurveyRound

log = logging.getLogger(__name__)
BATCH = 200


def _title(version: SurveyVersion, locale: str) -> str:
    texts = version.definition.get("title") or {}
    return texts.get(locale) or texts.get("fr") or ""


def _about(round_: SurveyRound) -> tuple[SurveyVersion, Cohort, WorkshopSession | None] | None:
    """What every invitation of ``round_`` says: the survey's current version, the cohort, the session; None when
    the survey was withdrawn. Read once per round, not once per person."""
    survey = db.session.get(Survey, round_.survey_id)
    found = service.current_surveys([survey.course_id]).get((survey.course_id, survey.role))
    if found is None or found[0].id != survey.id:
        return None
    cohort = db.session.get(Cohort, round_.cohort_id)
    session = db.session.get(WorkshopSession, round_.session_id) if round_.session_id else None
    return found[1], cohort, session


def _tell(round_: SurveyRound, about_round: tuple, user: User, key: str, reminder: bool) -> bool:
    version, cohort, session = about_round
    locale = user.locale or "fr"
    with force_locale(locale):
        name = _title(version, locale)
        if reminder:
            title = _("Reminder: your opinion on “%(survey)s”", survey=name)
        else:
            title = _("Your opinion: “%(survey)s”", survey=name)
        about = session.title if session else cohort.title
        closes = format_date(round_.closes_at, "long") if round_.closes_at else None
        if closes:
            body = _("About “%(about)s”. A few minutes; open until %(date)s.", about=about, date=closes)
        else:
            body = _("About “%(about)s”. A few minutes.", about=about)
    return notify(
        user,
        "survey_invitation",
        key,
        title=title,
        body=body,
        link=site_path("evaluation.answer", round_id=round_.id),
        mail_template="evaluation/email/survey_invitation",
        survey_title=name,
        about=about,
        closes=closes,
        reminder=reminder,
        named=bool(version.definition.get("named")),
        url=external_url("evaluation.answer", round_id=round_.id),
    )


def invite(now: datetime | None = None) -> int:
    """Open the rounds due, invite those asked in rounds not invited yet, remind the non-respondents of rounds
    whose reminder is due. Commits as it goes; returns how many were notified."""
    now = now or utcnow()
    service.open_due_rounds(now)
    db.session.commit()
    sent = 0
    to_invite = db.session.scalars(
        select(SurveyRound).where(SurveyRound.invited_at.is_(None), SurveyRound.opens_at <= now)
    ).all()
    for round_ in to_invite:
        if not round_.is_open(now):
            continue
        about_round = _about(round_)
        for user in service.non_respondents(round_.id) if about_round else ():
            sent += _tell(round_, about_round, user, f"survey-invite:{round_.id}:{user.id}", False)
        round_.invited_at = now
        db.session.commit()
    to_remind = db.session.scalars(
        select(SurveyRound).where(SurveyRound.invited_at.is_not(None), SurveyRound.reminded_at.is_(None))
    ).all()
    for round_ in to_remind:
        if not round_.is_open(now) or not rules.reminder_due(round_.role, round_.invited_at, now):
            continue
        about_round = _about(round_)
        for user in service.non_respondents(round_.id) if about_round else ():
            sent += _tell(round_, about_round, user, f"survey-remind:{round_.id}:{user.id}", True)
        round_.reminded_at = now
        db.session.commit()
    return sent


@periodic_task(crontab(minute="*/15"))
def invite_to_surveys() -> None:
    """Every 15 minutes: survey rounds opened, invitations and the one reminder to non-respondents."""
    sent = invite()
    if sent:
        log.info("survey invitations and reminders: %d", sent)




def reorder_storage() -> bool:
    """On PostgreSQL, rewrite the answers and the participation in the order of their keys (``CLUSTER``): a
    table's rows are otherwise stored in the order they were written (and a participation marked answered moves
    to the end), which a raw scan of both would show side by side. SQLite needs none: both tables are ``WITHOUT
    ROWID``, stored in key order. Returns whether it ran."""
    if db.engine.dialect.name != "postgresql":
        return False
    db.session.commit()
    db.session.execute(text("CLUSTER survey_response USING pk_survey_response"))
    db.session.execute(text("CLUSTER survey_participation USING pk_survey_participation"))
    db.session.commit()
    return True


@periodic_task(crontab(minute="7"))
def reorder_survey_storage() -> None:
    """Every hour: ``reorder_storage``."""
    reorder_storage()
