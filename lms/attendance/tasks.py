"""Periodic reminders of the attendance domain, and the list of every reminder due (all kinds).

- The day before a workshop session (cohort's ``remind_workshops``, on by default): each enrolled learner and the
  cohort's trainers (and the session's own trainer) are told when and where, in their language, with a link to
  their calendar and the session's ``.ics`` attached to the mail. Key: session, person and start time (a session
  moved to another day is recalled again before its new date).
- The weekly low-attendance e-mail (cohort's ``warn_low_attendance_weekly``, off by default): on Mondays, the
  trainer's button (``warnings.warn_low_attendance``) pressed by the queue; its key is per person and ISO week,
  and nobody warned in the last 7 days (by the button or the task) is written to again.

When each is due: ``rules.workshop_reminder_times``, ``rules.weekly_warning_times``. The tasks run every 15
minutes on every consumer: what is due and not sent is sent, once (``notify`` and the mail queue's keys).

``reminders_due(start, end)`` computes, without sending anything, every reminder (workshops, quizzes, weekly
warnings) falling due in a window: the trainer's reminders page shows it, and the bench queues it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import select

from ..accounts.models import User
from ..cohorts import rules as schedule
from ..cohorts import tasks as cohort_tasks
from ..cohorts.models import Cohort, cohort_trainer
from ..core.mail import MailDelivery
from ..core.queue import crontab, periodic_task
from ..core.timeutil import display_zone, utcnow
from ..core.urls import external_url, site_path
from ..extensions import db
from ..i18n import _, format_date, format_time
from ..notifications.service import notify
from . import rules, service, warnings
from .models import WorkshopSession

log = logging.getLogger(__name__)

#: how far back a run looks for reminders still open: a workshop's is open from the day before until it starts
LOOKBACK = timedelta(days=3)
BATCH = cohort_tasks.BATCH
_TICK = timedelta(microseconds=1)


# --- workshops ----------------------------------------------------------------------------------------------


def workshop_key(session: WorkshopSession, user_id: int) -> str:
    return f"workshop-eve:{session.id}:{user_id}:{session.starts_at:%Y%m%dT%H%M}"


def _reachable_trainers(cohort_ids: list[int], extra_ids: set[int]) -> tuple[dict[int, list[User]], dict[int, User]]:
    """(per cohort, its trainers; by id, the sessions' own trainers): those who can be reminded. Two queries."""
    trainers: dict[int, list[User]] = {cohort_id: [] for cohort_id in cohort_ids}
    reachable = cohort_tasks.reachable()
    if cohort_ids:
        for cohort_id, user in db.session.execute(
            select(cohort_trainer.c.cohort_id, User)
            .join(User, User.id == cohort_trainer.c.user_id)
            .where(cohort_trainer.c.cohort_id.in_(cohort_ids), *reachable)
            .order_by(User.id)
        ):
            trainers[cohort_id].append(user)
    others = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(extra_ids), *reachable))}
        if extra_ids
        else {}
    )
    return trainers, others


@dataclass
class _SessionPeople:
    session: WorkshopSession
    cohort: Cohort
    learners: list[User]
    trainers: list[User]
    due_at: datetime
    closes_at: datetime


def _workshop_sessions(
    start: datetime, end: datetime, cohort_ids: list[int] | None, include_off: bool
) -> list[_SessionPeople]:
    """The sessions whose reminder falls due within [start, end), with who is to be reminded. Four queries."""
    zone = display_zone()
    statement = (
        select(WorkshopSession, Cohort)
        .join(Cohort, Cohort.id == WorkshopSession.cohort_id)
        .where(
            Cohort.is_archived.is_(False),
            WorkshopSession.starts_at >= start - timedelta(days=1),
            WorkshopSession.starts_at < end + timedelta(days=3),
        )
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
    )
    if cohort_ids is not None:
        statement = statement.where(Cohort.id.in_(cohort_ids))
    if not include_off:
        statement = statement.where(Cohort.remind_workshops.is_(True))
    rows = []
    for session, cohort in db.session.execute(statement).all():
        due_at, closes_at = rules.workshop_reminder_times(session.starts_at, zone)
        if schedule.in_window(due_at, start, end):
            rows.append((session, cohort, due_at, closes_at))
    ids = sorted({c.id for _s, c, _d, _e in rows})
    learners = cohort_tasks.reachable_learners(ids)
    trainers, session_trainers = _reachable_trainers(ids, {s.trainer_id for s, *_rest in rows if s.trainer_id})
    found = []
    for session, cohort, due_at, closes_at in rows:
        people = list(trainers[cohort.id])
        extra = session_trainers.get(session.trainer_id)
        if extra is not None and all(u.id != extra.id for u in people):
            people.append(extra)
        found.append(_SessionPeople(session, cohort, learners[cohort.id], people, due_at, closes_at))
    return found


def _workshop_reminders(items: list[_SessionPeople]) -> list[schedule.Reminder]:
    return [
        schedule.Reminder(
            schedule.WORKSHOP, workshop_key(i.session, u.id), u.id, i.cohort.id, i.due_at, i.closes_at, i.session.id
        )
        for i in items
        for u in [*i.learners, *i.trainers]
    ]


def workshop_reminders(
    start: datetime, end: datetime, *, cohort_ids: list[int] | None = None, include_off: bool = False
) -> list[schedule.Reminder]:
    """The workshop reminders falling due within [start, end) (naive UTC), computed, not sent."""
    return _workshop_reminders(_workshop_sessions(start, end, cohort_ids, include_off))


def _when(session: WorkshopSession, locale: str) -> str:
    """ "mercredi 13 janvier 2027, 09:00–12:00" in ``locale`` (forced by the caller), in the display zone."""
    separator = "، " if locale == "ar" else ", "
    day = format_date(session.starts_at, "full")
    return f"{day}{separator}{format_time(session.starts_at)}–{format_time(session.ends_at)}"


def send_workshop_reminders(now: datetime) -> int:
    """Remind, once each, the people of the sessions whose reminder is due at ``now``. Commits as it goes;
    returns how many were notified."""
    items = _workshop_sessions(now - LOOKBACK, now + _TICK, None, False)
    due = {r.key for r in cohort_tasks.open_reminders(_workshop_reminders(items), now)}
    sent = pending = 0
    calendars: dict[tuple, bytes] = {}  # one .ics per session, language and audience, not one per person
    for item in items:
        session, cohort = item.session, item.cohort
        for user in [*item.learners, *item.trainers]:
            key = workshop_key(session, user.id)
            if key not in due:
                continue
            is_trainer = user not in item.learners
            sent += _notify_workshop(session, cohort, user, key, is_trainer, len(item.learners), calendars)
            pending += 1
            if pending >= BATCH:
                db.session.commit()
                pending = 0
    db.session.commit()
    return sent


def _notify_workshop(
    session: WorkshopSession, cohort: Cohort, user: User, key: str, is_trainer: bool, learners: int, calendars: dict
) -> bool:
    locale = user.locale or "fr"
    place = cohort.session_place(session.place, locale)
    with force_locale(locale):
        when = _when(session, locale)
        title = _("Workshop “%(session)s”: %(when)s", session=session.title, when=when)
        body = _("Training “%(cohort)s”. Place: %(place)s.", cohort=cohort.title, place=place or "—")
    if is_trainer:
        link = site_path("attendance.roll_call", session_id=session.id)
        calendar_url = external_url("attendance.calendar", cohort_id=cohort.id)
        page = external_url("attendance.roll_call", session_id=session.id)
    else:
        link = site_path("content.dashboard")
        calendar_url = external_url("attendance.my_calendar")
        page = external_url("content.dashboard")
    ics = calendars.get((session.id, locale, page))
    if ics is None:
        ics = calendars[(session.id, locale, page)] = service.session_ics(session, cohort, locale, page)
    return notify(
        user,
        "workshop_reminder",
        key,
        title=title,
        body=body,
        link=link,
        mail_template="attendance/email/workshop_reminder",
        cohort=cohort,
        session=session,
        when=when,
        place=place,
        is_trainer=is_trainer,
        learners=learners,
        calendar_url=calendar_url,
        page_url=page,
        attachments=[(f"workshop-{session.id}.ics", "text/calendar", ics)],
    )


def run_workshop_reminders(now: datetime | None = None) -> int:
    return send_workshop_reminders(now or utcnow())


@periodic_task(crontab(minute="*/15"))
def remind_workshops() -> None:
    """Every 15 minutes: the workshop reminders due (each once, whatever the number of consumers)."""
    sent = run_workshop_reminders()
    if sent:
        log.info("workshop reminders sent: %d", sent)


# --- the weekly low-attendance e-mail -----------------------------------------------------------------------


def _running_on(statement, day: date):
    return statement.where(Cohort.is_archived.is_(False), Cohort.start_date <= day, Cohort.end_date >= day)


def weekly_warnings(
    start: datetime, end: datetime, *, cohort_ids: list[int] | None = None, include_off: bool = False
) -> list[schedule.Reminder]:
    """The weekly low-attendance e-mails falling due within [start, end), computed, not sent: for each Monday,
    the learners below the threshold *now* (the later weeks' are an estimate: attendance changes; and one warned
    by the trainer's button in the 7 days before is not written to again)."""
    zone = display_zone()
    now = utcnow()
    found = []
    below: dict[int, list[User]] = {}
    for due_at, closes_at in rules.weekly_warning_times(start, end, zone):
        day = schedule.local_day(due_at, zone)
        statement = _running_on(select(Cohort), day)
        if cohort_ids is not None:
            statement = statement.where(Cohort.id.in_(cohort_ids))
        if not include_off:
            statement = statement.where(Cohort.warn_low_attendance_weekly.is_(True))
        for cohort in db.session.scalars(statement.order_by(Cohort.id)):
            if cohort.id not in below:
                rows, _upcoming = warnings.below_threshold(cohort, now)
                below[cohort.id] = [
                    r.user for r in rows if r.user.email and r.user.is_active and r.user.erased_at is None
                ]
            found.extend(
                schedule.Reminder(
                    schedule.ATTENDANCE,
                    f"attendance-warning:{cohort.id}:{user.id}:{due_at:%G-W%V}",
                    user.id,
                    cohort.id,
                    due_at,
                    closes_at,
                )
                for user in below[cohort.id]
            )
    return found


def send_weekly_warnings(now: datetime) -> int:
    """On Mondays (``rules.weekly_warning_times``), e-mail the learners below the attendance threshold of every
    cohort whose trainer turned the weekly e-mail on: ``warnings.warn_low_attendance`` without an actor, keyed per
    person and week (so once, on any number of consumers). Commits per cohort; returns how many were e-mailed."""
    zone = display_zone()
    if not any(schedule.is_open(d, c, now) for d, c in rules.weekly_warning_times(now - LOOKBACK, now + _TICK, zone)):
        return 0
    statement = _running_on(select(Cohort.id), schedule.local_day(now, zone)).where(
        Cohort.warn_low_attendance_weekly.is_(True)
    )
    sent = 0
    for cohort_id in db.session.scalars(statement.order_by(Cohort.id)).all():
        cohort = db.session.get(Cohort, cohort_id)
        try:
            sent += len(warnings.warn_low_attendance(cohort, None, now).sent)
            db.session.commit()
        except Exception:  # one cohort's failure must not stop the others'
            db.session.rollback()
            log.exception("weekly attendance warnings of cohort %s failed", cohort_id)
    return sent


def run_weekly_warnings(now: datetime | None = None) -> int:
    return send_weekly_warnings(now or utcnow())


@periodic_task(crontab(minute="*/15"))
def warn_low_attendance_weekly() -> None:
    """Every 15 minutes (it acts on Mondays): the weekly low-attendance e-mails of the cohorts that want them."""
    sent = run_weekly_warnings()
    if sent:
        log.info("weekly attendance warnings sent: %d", sent)


# --- every kind ---------------------------------------------------------------------------------------------


def reminders_due(
    start: datetime, end: datetime, *, cohort_ids: list[int] | None = None, include_off: bool = False
) -> list[schedule.Reminder]:
    """Every reminder (workshops, quizzes, weekly attendance e-mails) falling due within [start, end), naive UTC,
    computed from the same rules as the tasks, nothing sent or written. Reminders already sent are included (see
    ``sent_keys``). ``include_off``: also those of the kinds a cohort has switched off."""
    options = {"cohort_ids": cohort_ids, "include_off": include_off}
    return [
        *workshop_reminders(start, end, **options),
        *cohort_tasks.quiz_reminders(start, end, **options),
        *weekly_warnings(start, end, **options),
    ]


def sent_keys(reminders: list[schedule.Reminder]) -> set[str]:
    """The keys of ``reminders`` already sent (a notification, or the weekly e-mail's delivery)."""
    notified = cohort_tasks.already_notified([r.key for r in reminders if r.kind != schedule.ATTENDANCE])
    mails = [r.key for r in reminders if r.kind == schedule.ATTENDANCE]
    for i in range(0, len(mails), 500):
        notified.update(db.session.scalars(select(MailDelivery.key).where(MailDelivery.key.in_(mails[i : i + 500]))))
    return notified


@dataclass
class Planned:
    """A line of the trainer's reminders page: one kind, one moment, one event, how many people."""

    kind: str
    due_at: datetime
    closes_at: datetime
    session: WorkshopSession | None
    people: int
    sent: int
    is_on: bool


def cohort_plan(cohort: Cohort, now: datetime | None = None) -> list[Planned]:
    """The cohort's reminders not closed yet (being sent, or to come until the day after the cohort's end), grouped
    by kind, moment and session, in time order; those of the kinds switched off too (``is_on`` False)."""
    now = now or utcnow()
    zone = display_zone()
    horizon = schedule.local_moment(max(cohort.end_date, schedule.local_day(now, zone)) + timedelta(days=1), 0, zone)
    horizon = min(horizon, now + timedelta(days=366))
    reminders = [
        r
        for r in reminders_due(
            now - LOOKBACK - cohort_tasks.LOOKBACK, horizon, cohort_ids=[cohort.id], include_off=True
        )
        if r.closes_at > now
    ]
    done = sent_keys(reminders)
    sessions = {s.id: s for s in service.sessions_of(cohort)}
    switches = {
        schedule.WORKSHOP: cohort.remind_workshops,
        schedule.QUIZ: cohort.remind_quizzes,
        schedule.ATTENDANCE: cohort.warn_low_attendance_weekly,
    }
    groups: dict[tuple, list[schedule.Reminder]] = defaultdict(list)
    for reminder in reminders:
        groups[(reminder.due_at, reminder.kind, reminder.session_id, reminder.closes_at)].append(reminder)
    return [
        Planned(
            kind,
            due_at,
            closes_at,
            sessions.get(session_id),
            len(group),
            sum(1 for r in group if r.key in done),
            switches[kind],
        )
        for (due_at, kind, session_id, closes_at), group in sorted(groups.items(), key=lambda item: item[0][:2])
    ]


def cohort_schedule(cohort: Cohort) -> dict:
    """When each kind is sent for this cohort, for the page: the local hour, the quiz reminder's day."""
    zone = display_zone()
    due, _closes = schedule.quiz_reminder_times(cohort.end_date, zone)
    return {"hour": schedule.REMINDER_HOUR, "quiz_due_at": due, "quiz_days": schedule.QUIZ_REMINDER_DAYS}
