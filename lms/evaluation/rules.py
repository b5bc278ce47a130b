"""When each survey is asked, and how time is coarsened: pure functions (no database, no Flask).

- A session's survey opens when the session ends and closes ``SESSION_OPEN`` later.
- The end-of-course survey opens at midnight (local time) of the cohort's last day and never closes: a
  cohort may make a certificate's download wait for it.
- The follow-up opens ``follow_up_months`` after the last day, at local midnight, and closes ``FOLLOW_UP_OPEN``
  later (no follow-up when the cohort says 0 months).
- One reminder to those who have not answered, ``REMIND_AFTER[role]`` after the invitation, while it is open.
- A response keeps only the Monday of the week it was given (local time).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SESSION = "session"
COURSE_END = "course_end"
FOLLOW_UP = "follow_up"
ROLES = (SESSION, COURSE_END, FOLLOW_UP)

SESSION_OPEN = timedelta(days=30)
FOLLOW_UP_OPEN = timedelta(days=45)
REMIND_AFTER = {SESSION: timedelta(days=3), COURSE_END: timedelta(days=7), FOLLOW_UP: timedelta(days=7)}
#: a round whose opening is further back than this is not made any more (a site deployed over years of cohorts
#: does not invite people trained long ago)
TOO_LATE = timedelta(days=30)

_UTC = ZoneInfo("UTC")


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The naive UTC moment of midnight starting ``day`` in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(_UTC).replace(tzinfo=None)


def add_months(day: date, months: int) -> date:
    """``day`` so many calendar months later (the 31st becomes the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def session_times(ends_at: datetime) -> tuple[datetime, datetime]:
    return ends_at, ends_at + SESSION_OPEN


def course_end_times(end_date: date, zone: ZoneInfo) -> tuple[datetime, None]:
    return local_midnight(end_date, zone), None


def follow_up_times(end_date: date, months: int, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    if months <= 0:
        return None
    opens = local_midnight(add_months(end_date, months), zone)
    return opens, opens + FOLLOW_UP_OPEN


def follow_up_date(end_date: date, months: int) -> date | None:
    return add_months(end_date, months) if months > 0 else None


def is_open(opens_at: datetime, closes_at: datetime | None, now: datetime) -> bool:
    return opens_at <= now and (closes_at is None or now < closes_at)


def reminder_due(role: str, invited_at: datetime | None, now: datetime) -> bool:
    return invited_at is not None and now >= invited_at + REMIND_AFTER[role]


def week_of(moment: datetime, zone: ZoneInfo) -> date:
    """The Monday of the local week of ``moment`` (naive UTC): the only time a response keeps."""
    local = moment.replace(tzinfo=_UTC).astimezone(zone).date()
    return local - timedelta(days=local.weekday())
