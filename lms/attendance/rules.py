"""The attendance rules, in one place: pure functions. No database, no Flask.

## What counts as attendance

A learner's attendance is the share of the sessions that count for them which they attended (present or
late). The sessions that count are the cohort's sessions held (started), except:

- an excused absence, when the cohort leaves excused absences out (the default, ``EXCUSED_NOT_COUNTED``); with
  ``EXCUSED_ABSENT`` it counts as an absence;
- a session still in progress in which the learner has no mark yet: they may still check in, so it is neither
  attended nor missed until it ends (it is one of the sessions left).

A learner is flagged ("needs help") only when a warning is fair:

- ``UNREACHABLE``: even attending every session left, they can no longer reach the threshold;
- ``BEHIND``: at least half of the cohort's sessions are held and they are below the threshold now.

A missed first workshop out of six flags nobody; the certificate's rule (``reaches``) is unchanged: the
attendance over the sessions that count reaches the threshold. The cohort dashboard computes the same rule in
SQL (``lms.reports.dashboard``), built from these functions; ``tests/reports/test_attendance_agrees.py``
checks that both give the same answer on many records.

## Self check-in codes

A code is derived from a per-session secret and the time window (HMAC-SHA256): any app process computes the
same code for the same window, so nothing is kept in memory. A code is short, typeable and unambiguous (no 0/O,
1/I/L); the previous window's code is still accepted for a few seconds after the change (clock skew, slow
typing).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..cohorts.rules import REMINDER_HOUR, local_day, local_moment

#: excused absences are left out of the sessions that count (they are not held against the learner)
EXCUSED_NOT_COUNTED = "not_counted"
#: excused absences count as absences
EXCUSED_ABSENT = "absent"
EXCUSED_POLICIES = (EXCUSED_NOT_COUNTED, EXCUSED_ABSENT)
DEFAULT_EXCUSED = EXCUSED_NOT_COUNTED

UNREACHABLE = "unreachable"
BEHIND = "behind"


@dataclass(frozen=True)
class Tally:
    """One learner's marks over a cohort's sessions at a moment."""

    #: present or late, in sessions held
    attended: int
    #: excused, in sessions held
    excused: int
    #: sessions in progress in which the learner has no mark yet
    open_unmarked: int
    #: the cohort's sessions held (started), in progress included
    held: int
    #: all the cohort's sessions
    total: int


@dataclass(frozen=True)
class Verdict:
    tally: Tally
    threshold: float
    #: the sessions that count for the learner now
    counted: int
    #: the sessions the learner may still attend
    remaining: int
    #: attendance now, in percent (None: no session counts yet)
    percent: float | None
    #: the best attendance reachable by attending every session left (None: no session at all)
    best: float | None
    #: None (no flag), UNREACHABLE or BEHIND
    reason: str | None

    @property
    def flagged(self) -> bool:
        return self.reason is not None


def attendance_percent(attended: int, counted: int) -> float | None:
    """Sessions attended over sessions that count, in percent to one decimal; None when none counts yet."""
    return round(100.0 * attended / counted, 1) if counted > 0 else None


def counted_sessions(tally: Tally, policy: str = DEFAULT_EXCUSED) -> int:
    """The sessions held that count for the learner (see the module's docstring)."""
    counted = tally.held - tally.open_unmarked
    if policy != EXCUSED_ABSENT:
        counted -= tally.excused
    return counted


def remaining_sessions(tally: Tally) -> int:
    """The sessions the learner may still attend: those not started, and those in progress they have no mark in."""
    return tally.total - tally.held + tally.open_unmarked


def enough_held(held: int, total: int) -> bool:
    """At least half of the cohort's sessions are held: from then on, being below the threshold is a flag."""
    return total > 0 and 2 * held >= total


def fewest_to_reach(counted: int, threshold: float) -> int:
    """The fewest sessions to attend, out of ``counted``, for ``attendance_percent`` (as rounded on the page) to
    reach ``threshold``; ``counted + 1`` when even all of them would not."""
    return next((a for a in range(counted + 1) if attendance_percent(a, counted) >= threshold), counted + 1)


def reaches(attended: int, counted: int, threshold: float) -> bool:
    """The certificate's condition: some session counts and the attendance reaches the threshold."""
    return counted > 0 and attended >= fewest_to_reach(counted, threshold)


def verdict(tally: Tally, threshold: float, policy: str = DEFAULT_EXCUSED, counts: bool = True) -> Verdict:
    """The learner's attendance and whether to flag it. ``counts``: False for a cohort whose attendance does not
    count (online), which flags nobody."""
    counted = counted_sessions(tally, policy)
    remaining = remaining_sessions(tally)
    reason = None
    if counts and threshold > 0:
        if counted + remaining > 0 and tally.attended + remaining < fewest_to_reach(counted + remaining, threshold):
            reason = UNREACHABLE
        elif (
            enough_held(tally.held, tally.total)
            and counted > 0
            and tally.attended < fewest_to_reach(counted, threshold)
        ):
            reason = BEHIND
    return Verdict(
        tally,
        threshold,
        counted,
        remaining,
        attendance_percent(tally.attended, counted),
        attendance_percent(tally.attended + remaining, counted + remaining),
        reason,
    )


# --- self check-in codes --------------------------------------------------------------------------------

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 5
WINDOW_SECONDS = 60
PREVIOUS_WINDOW_GRACE_SECONDS = 20


def window_of(moment: datetime) -> int:
    """The number of the check-in code window (one per minute) that ``moment`` falls in."""
    return int(moment.timestamp()) // WINDOW_SECONDS


def code_for(secret: str, window: int) -> str:
    """The check-in code of a window: HMAC-SHA256 of the session's secret and the window, in unambiguous characters."""
    digest = hmac.new(secret.encode("utf-8"), str(window).encode("ascii"), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def current_code(secret: str, now: datetime) -> str:
    """The code shown on the check-in screen at ``now``."""
    return code_for(secret, window_of(now))


def seconds_left(now: datetime) -> int:
    """Seconds until the code shown at ``now`` changes."""
    return WINDOW_SECONDS - int(now.timestamp()) % WINDOW_SECONDS


def normalize_code(typed: str) -> str:
    """What people type, folded: lower case, spaces and dashes are accepted."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


def is_valid(secret: str, typed: str, now: datetime) -> bool:
    """The typed code is the current window's, or the previous one's within the grace period."""
    code = normalize_code(typed)
    if len(code) != LENGTH:
        return False
    window = window_of(now)
    if hmac.compare_digest(code, code_for(secret, window)):
        return True
    into_window = int(now.timestamp()) % WINDOW_SECONDS
    return into_window < PREVIOUS_WINDOW_GRACE_SECONDS and hmac.compare_digest(code, code_for(secret, window - 1))


def windows_ago(secret: str, typed: str, now: datetime, lookback: int = 240) -> int | None:
    """How many windows ago ``typed`` was the code (0: the current one), looking back ``lookback`` windows;
    None when it never was. Tells an expired code (say so, and what to do) from a mistyped one."""
    code = normalize_code(typed)
    if len(code) != LENGTH:
        return None
    window = window_of(now)
    for back in range(lookback + 1):
        if hmac.compare_digest(code, code_for(secret, window - back)):
            return back
    return None


# --- reminders ---------------------------------------------------------------------------------------
# When they are due (the days, the hour and what "due" means: lms.cohorts.rules, which these build on).


def workshop_reminder_times(starts_at: datetime, zone) -> tuple[datetime, datetime]:
    """(due_at, closes_at) of the reminder of a session starting at ``starts_at`` (naive UTC): the day before
    its local day at REMINDER_HOUR, until it starts. A session planned later than that is recalled at once."""
    return local_moment(local_day(starts_at, zone) - timedelta(days=1), REMINDER_HOUR, zone), starts_at


def weekly_warning_times(start: datetime, end: datetime, zone) -> list[tuple[datetime, datetime]]:
    """(due_at, closes_at) of each weekly low-attendance e-mail due within [start, end): Mondays at
    REMINDER_HOUR local time, until the end of that Monday."""
    day = local_day(start, zone)
    day -= timedelta(days=day.weekday())  # the Monday of that week
    times = []
    while True:
        due = local_moment(day, REMINDER_HOUR, zone)
        if due >= end:
            return times
        if due >= start:
            times.append((due, local_moment(day + timedelta(days=1), 0, zone)))
        day += timedelta(days=7)
