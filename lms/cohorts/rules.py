"""When reminders are due: pure functions (no database, no Flask). Times in and out are naive UTC, as stored;
``zone`` is the display zone (Africa/Casablanca), in which "the day before" and "10:00" are meant.

A reminder is due from ``due_at`` and may still be sent until ``closes_at``: a periodic task (every 15 minutes)
sends what is due and not closed, once per key (a reminder is a notification and a mail with a unique key, so
running the task twice, or on two consumers, sends it once). A consumer down for an hour catches up; one down
past ``closes_at`` leaves it unsent rather than late (no reminder of a workshop that has begun).

- workshop (``lms.attendance.rules.workshop_reminder_times``): the day before the session, at REMINDER_HOUR,
  until the session starts;
- quiz (``quiz_reminder_times``): QUIZ_REMINDER_DAYS before the cohort's last day, at REMINDER_HOUR, until the
  end of that last day;
- weekly low-attendance e-mail (``lms.attendance.rules.weekly_warning_times``): Mondays at REMINDER_HOUR, until
  the end of that Monday, while the cohort runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

#: the local hour reminders go out at (people read them during the working day, not at midnight)
REMINDER_HOUR = 10
#: the quizzes not passed yet are recalled this many days before the cohort's last day
QUIZ_REMINDER_DAYS = 7

WORKSHOP, QUIZ, ATTENDANCE = "workshop", "quiz", "attendance"
KINDS = (WORKSHOP, QUIZ, ATTENDANCE)


@dataclass(frozen=True)
class Reminder:
    """One reminder to one person (computed, not stored: the notification or mail it becomes is)."""

    kind: str
    #: what makes it once per person per event (the notification's key; the mail's is ``mail:<key>``)
    key: str
    user_id: int
    cohort_id: int
    #: naive UTC: from when it is sent, and until when
    due_at: datetime
    closes_at: datetime
    #: the workshop session, for a workshop reminder
    session_id: int | None = None


def local_moment(day: date, hour: int, zone: tzinfo) -> datetime:
    """``hour``:00 local time on ``day``, as naive UTC."""
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The local day of a naive UTC moment."""
    return moment.replace(tzinfo=UTC).astimezone(zone).date()


def quiz_reminder_times(end_date: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """(due_at, closes_at) of the reminder of quizzes not passed, for a cohort ending on ``end_date``."""
    due = local_moment(end_date - timedelta(days=QUIZ_REMINDER_DAYS), REMINDER_HOUR, zone)
    return due, local_moment(end_date + timedelta(days=1), 0, zone)


def is_open(due_at: datetime, closes_at: datetime, now: datetime) -> bool:
    """Whether a reminder is to be sent at ``now``."""
    return due_at <= now < closes_at


def in_window(due_at: datetime, start: datetime, end: datetime) -> bool:
    """Whether a reminder falls due within [start, end)."""
    return start <= due_at < end
