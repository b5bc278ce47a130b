"""Workshop sessions, attendance marks, self check-in, the attendance report and calendars. No ``request`` here.

Who may act on a session is the cohort's rule (``cohorts.service.can_manage``). Every attendance change is audited
with its before and after.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, bindparam, case, func, literal, select, update
from werkzeug.exceptions import NotFound

from ..accounts.models import User
from ..audit.service import record
from ..cohorts import service as cohorts
from ..cohorts.models import Cohort, Enrolment
from ..core.forms import clean_line, implausible_date_message, is_plausible_date
from ..core.timeutil import utcnow
from ..extensions import db
from ..i18n import _, format_percent, ngettext
from . import rules
from .models import STATUSES, Attendance, WorkshopSession

CHECKIN_OPENS_BEFORE = timedelta(minutes=30)


class AttendanceError(Exception):
    """A rule refused the action; ``str(error)`` is a translated message."""


def managed_session(session_id: int) -> WorkshopSession:
    """The session, if the signed-in user manages its cohort (``cohorts.service.managed_cohort``): 404 when there
    is no such session, 403 when its cohort is not theirs."""
    session = db.session.get(WorkshopSession, session_id)
    if session is None:
        raise NotFound()
    cohorts.managed_cohort(session.cohort_id)
    return session


# --- sessions ----------------------------------------------------------------------------------


def save_session(
    cohort: Cohort,
    session: WorkshopSession | None,
    actor,
    *,
    title: str,
    day: date,
    start: time,
    end: time,
    place: str,
    modules: list[str],
    late_after_minutes: int,
    trainer_id: int | None,
):
    """Create a session of ``cohort`` (``session`` None, with a new check-in secret) or update it (audited)."""
    if not is_plausible_date(day):
        raise AttendanceError(implausible_date_message())
    starts_at, ends_at = cohorts.local_to_utc(day, start), cohorts.local_to_utc(day, end)
    if ends_at <= starts_at:
        raise AttendanceError(_("The session must end after it starts."))
    if session is None:
        session = WorkshopSession(cohort_id=cohort.id, checkin_secret=secrets.token_hex(32))
        db.session.add(session)
    session.title, session.starts_at, session.ends_at = title, starts_at, ends_at
    session.place, session.modules, session.late_after_minutes = place, modules, late_after_minutes
    session.trainer_id = trainer_id
    db.session.flush()
    record(
        "session.save",
        session,
        after={"title": title, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
        actor=actor,
    )
    return session


def sessions_of(cohort: Cohort) -> list[WorkshopSession]:
    """The cohort's sessions, in time order."""
    return db.session.scalars(_SESSIONS_OF, {"cohort_id": cohort.id}).all()


#: ``sessions_of``' query, built once (every learner's home whose cohort counts attendance asks it)
_SESSIONS_OF = (
    select(WorkshopSession)
    .where(WorkshopSession.cohort_id == bindparam("cohort_id"))
    .order_by(WorkshopSession.starts_at)
)


@functools.cache
def _marks_statement(with_open: bool, only_some: bool):
    """``attendance_report``'s count of marks per learner and status over the sessions held (``:held_ids``), and
    how many of them in a session under way (``:open_ids``); only ``:only``'s marks when ``only_some``. Built once
    per shape, its inputs expanding bound parameters."""
    # one expression object in SELECT and GROUP BY: the same bound parameters (PostgreSQL compares them)
    in_open = (
        case((Attendance.session_id.in_(bindparam("open_ids", expanding=True)), 1), else_=0)
        if with_open
        else literal(0)
    )
    statement = select(Attendance.user_id, Attendance.status, in_open, func.count(Attendance.id)).where(
        Attendance.session_id.in_(bindparam("held_ids", expanding=True))
    )
    if only_some:
        statement = statement.where(Attendance.user_id.in_(bindparam("only", expanding=True)))
    return statement.group_by(Attendance.user_id, Attendance.status, in_open)


# --- attendance ----------------------------------------------------------------------------------


def attendance_of(session: WorkshopSession) -> dict[int, Attendance]:
    """The marks taken in ``session``, by user id."""
    return {a.user_id: a for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))}


def record_attendance(
    session: WorkshopSession,
    user_id: int,
    status: str,
    actor,
    *,
    note: str | None = None,
    method: str = "trainer",
    enrolled_ids: set[int] | None = None,
) -> bool:
    """Set one person's status (audited with before and after). Returns False when nothing changed."""
    if status not in STATUSES:
        raise AttendanceError(_("Unknown attendance status."))
    if enrolled_ids is None:
        enrolled_ids = {u.id for u in cohorts.learners(session.cohort)}
    if user_id not in enrolled_ids:
        raise AttendanceError(_("This person is not enrolled in the cohort."))
    note = clean_line(note or "")[:500] or None
    mark = db.session.scalar(
        select(Attendance).where(Attendance.session_id == session.id, Attendance.user_id == user_id)
    )
    before = {"status": mark.status, "note": mark.note} if mark else None
    if mark is not None and mark.status == status and mark.note == note:
        return False
    if mark is None:
        mark = Attendance(session_id=session.id, user_id=user_id)
        db.session.add(mark)
    mark.status, mark.note, mark.method = status, note, method
    mark.marked_by_id = getattr(actor, "id", None)
    mark.marked_at = utcnow()
    record(
        "attendance.mark",
        ("attendance", f"{session.id}:{user_id}"),
        before=before,
        after={"status": status, "note": note, "method": method},
        actor=actor,
        channel=method,
    )
    return True


def mark_all_present(session: WorkshopSession, actor) -> int:
    """Everyone without a status yet becomes present; statuses already set are kept."""
    marks = attendance_of(session)
    people = cohorts.learners(session.cohort)
    enrolled_ids = {u.id for u in people}
    changed = 0
    for user in people:
        if user.id not in marks:
            changed += record_attendance(session, user.id, "present", actor, enrolled_ids=enrolled_ids)
    return changed


# --- self check-in -------------------------------------------------------------------------------


def checkin_window(session: WorkshopSession) -> tuple[datetime, datetime]:
    """When people may check in: from CHECKIN_OPENS_BEFORE the start to the end."""
    return session.starts_at - CHECKIN_OPENS_BEFORE, session.ends_at


def checkin_available(session: WorkshopSession, now: datetime) -> bool:
    """Whether the trainer opened check-in and ``now`` is in its window."""
    opens, closes = checkin_window(session)
    return session.is_checkin_open and opens <= now <= closes


#: a code scanned from the QR before signing in stays good this long for the person who signs in
CHECKIN_PASS_SECONDS = 300


def check_in(
    user,
    typed_code: str,
    now: datetime | None = None,
    session_id: int | None = None,
    scanned_at: datetime | None = None,
) -> tuple[WorkshopSession, str]:
    """Mark ``user`` present (or late) in the open session whose current code they typed. Once only.

    ``scanned_at``: the code was scanned (QR) at that moment by someone who then had to sign in. It is checked
    against the code of that moment, for at most CHECKIN_PASS_SECONDS, and the session must still be open now.
    """
    now = now or utcnow()
    statement = (
        select(WorkshopSession)
        .join(Enrolment, and_(Enrolment.cohort_id == WorkshopSession.cohort_id, Enrolment.user_id == user.id))
        .where(WorkshopSession.is_checkin_open.is_(True))
    )
    if session_id:
        statement = statement.where(WorkshopSession.id == session_id)
    candidates = [s for s in db.session.scalars(statement) if checkin_available(s, now)]
    valid_at = now
    if scanned_at is not None:
        if not timedelta(0) <= now - scanned_at <= timedelta(seconds=CHECKIN_PASS_SECONDS):
            raise AttendanceError(_("Your scan has expired. Type the code shown on the trainer's screen now."))
        valid_at = scanned_at
    session = next((s for s in candidates if rules.is_valid(s.checkin_secret, typed_code, valid_at)), None)
    if session is None:
        if any((rules.windows_ago(s.checkin_secret, typed_code, now) or 0) > 0 for s in candidates):
            raise AttendanceError(
                _("This code has expired: the code changes every minute. Type the code shown on the screen now.")
            )
        raise AttendanceError(_("This code is not valid now. Check it on the screen and type it again."))
    existing = db.session.scalar(
        select(Attendance).where(Attendance.session_id == session.id, Attendance.user_id == user.id)
    )
    if existing is not None and existing.status in ("present", "late"):
        raise AttendanceError(_("You are already checked in for this session."))
    arrived = valid_at
    status = "late" if arrived > session.starts_at + timedelta(minutes=session.late_after_minutes) else "present"
    record_attendance(session, user.id, status, user, method="checkin", enrolled_ids={user.id})
    return session, status


def scan_is_valid(session_id: int | None, typed_code: str, now: datetime) -> bool:
    """A QR scanned by someone not signed in yet: is its code the current one of an open session?"""
    session = db.session.get(WorkshopSession, session_id) if session_id else None
    return (
        session is not None
        and checkin_available(session, now)
        and rules.is_valid(session.checkin_secret, typed_code, now)
    )


def set_checkin_open(session: WorkshopSession, is_open: bool, actor) -> None:
    """Open or close self check-in for a session (audited)."""
    session.is_checkin_open = is_open
    record("session.checkin_open" if is_open else "session.checkin_close", session, actor=actor)


# --- the attendance report -------------------------------------------------------------------


@dataclass
class LearnerAttendance:
    user: User
    counts: dict
    percent: float | None
    #: flagged by the attendance rule (attendance.rules.verdict): can no longer reach the threshold, or
    #: below it once half of the sessions are held
    below: bool
    verdict: rules.Verdict | None = None


def attendance_percent(attended: int, counted: int) -> float | None:
    """A learner's attendance: sessions attended (present or late) over the sessions that count for them, in
    percent to one decimal; None when no session counts yet (the rule: attendance.rules)."""
    return rules.attendance_percent(attended, counted)


def excused_policy(cohort: Cohort) -> str:
    """How the cohort counts excused absences (one of ``rules.EXCUSED_POLICIES``)."""
    return cohort.excused_absences if cohort.excused_absences in rules.EXCUSED_POLICIES else rules.DEFAULT_EXCUSED


def session_counts(cohort: Cohort, sessions: list[WorkshopSession]) -> dict[int, dict[str, int]]:
    """Per session of the cohort: how many learners have each status. One query."""
    per_session = {s.id: {status: 0 for status in STATUSES} for s in sessions}
    for session_id, status, count in db.session.execute(
        select(Attendance.session_id, Attendance.status, func.count(Attendance.id))
        .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
        .where(WorkshopSession.cohort_id == cohort.id)
        .group_by(Attendance.session_id, Attendance.status)
    ):
        per_session[session_id][status] += count
    return per_session


#: up to this many ``people``, ``attendance_report`` reads only their marks
FEW_PEOPLE = 50


def attendance_report(
    cohort: Cohort,
    now: datetime | None = None,
    people: list[User] | None = None,
    with_marks: bool = True,
    with_session_counts: bool = True,
) -> tuple[list, list[LearnerAttendance], dict]:
    """Per session and per learner: attendance over the sessions that count and the flag, by the rule of
    attendance.rules (excused absences as the cohort counts them, a session in progress not held against
    those who have no mark in it yet). Three queries whatever the cohort size.

    ``people`` given (up to ``FEW_PEOPLE``): only their marks are read (one learner's home reads a few rows, not
    the cohort's);
    ``with_session_counts=False``: no per-session tally (``info["per_session"]`` empty), for a caller that
    shows none."""
    now = now or utcnow()
    sessions = sessions_of(cohort)
    held_ids = [s.id for s in sessions if s.starts_at <= now]
    open_ids = {s.id for s in sessions if s.starts_at <= now < s.ends_at}
    # A few people (one learner's home): only their marks are read. A whole cohort reads them all (no long IN).
    only = [p.id for p in people] if people is not None and len(people) <= FEW_PEOPLE else None
    people = cohorts.learners(cohort) if people is None else people
    per_session = session_counts(cohort, sessions) if with_session_counts else {}
    # Per learner, counted in SQL over the sessions held: a few rows per person, not one per mark.
    marked: dict[int, dict[str, int]] = {}
    marked_open: dict[int, int] = {}
    if held_ids:
        params = {"held_ids": held_ids, "open_ids": sorted(open_ids), "only": only}
        for user_id, status, is_open, count in db.session.execute(
            _marks_statement(bool(open_ids), only is not None), params
        ):
            counts = marked.setdefault(user_id, {})
            counts[status] = counts.get(status, 0) + count
            if is_open:
                marked_open[user_id] = marked_open.get(user_id, 0) + count
    by_user: dict[int, dict[int, str]] = {}
    if with_marks:
        for session_id, user_id, status in db.session.execute(
            select(Attendance.session_id, Attendance.user_id, Attendance.status)
            .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
            .where(WorkshopSession.cohort_id == cohort.id)
        ):
            by_user.setdefault(user_id, {})[session_id] = status
    threshold = float(cohort.completion.get("attendance_percent") or 0)
    policy = excused_policy(cohort)
    held = len(held_ids)
    rows = []
    for user in people:
        counts = {status: 0 for status in STATUSES}
        counts.update(marked.get(user.id, {}))
        open_unmarked = len(open_ids) - marked_open.get(user.id, 0)
        # no mark for a session held counts as absent, once the session is over
        counts["absent"] += held - open_unmarked - sum(counts.values())
        tally = rules.Tally(counts["present"] + counts["late"], counts["excused"], open_unmarked, held, len(sessions))
        result = rules.verdict(tally, threshold, policy, counts=cohort.mode != "online")
        rows.append(LearnerAttendance(user, counts, result.percent, result.flagged, result))
    return (
        sessions,
        rows,
        {
            "per_session": per_session,
            "held": set(held_ids),
            "open": open_ids,
            "threshold": threshold,
            "policy": policy,
            "marks": by_user,
        },
    )


def explain_attendance(result: rules.Verdict) -> str:
    """Why a learner is flagged, in a sentence with the figures (empty when not flagged)."""
    tally = result.tally
    threshold = format_percent(result.threshold)
    attended = ngettext(
        "%(attended)d of %(num)d session attended",
        "%(attended)d of %(num)d sessions attended",
        result.counted,
        attended=tally.attended,
    )
    if result.reason == rules.UNREACHABLE:
        text = _(
            "can no longer reach %(threshold)s: %(attended)s, %(left)s",
            threshold=threshold,
            attended=attended,
            left=ngettext("%(num)d left", "%(num)d left", result.remaining),
        )
    elif result.reason == rules.BEHIND:
        text = _(
            "below %(threshold)s after %(held)d of %(total)d sessions: %(percent)s (%(attended)s)",
            threshold=threshold,
            held=tally.held,
            total=tally.total,
            percent=format_percent(result.percent or 0),
            attended=attended,
        )
    else:
        return ""
    return text


# --- calendars -------------------------------------------------------------------------------


def _ics(name: str, events: list[tuple[WorkshopSession, str, str]], base_url: str) -> bytes:
    """Sessions as an iCalendar file (RFC 5545), times in UTC, written by the ``icalendar`` library: it
    escapes every text value (a CR or LF in a title cannot start a line of its own, so cannot add a component
    such as a VALARM) and folds lines at 75 octets. Titles and places are one line, without bidirectional
    controls, whatever was stored. ``events``: (session, place, description); a session keeps one UID in
    every calendar it is in (the trainer's and each learner's)."""
    from icalendar import Calendar, Event

    def utc(moment: datetime) -> datetime:
        return moment.replace(tzinfo=UTC)

    stamp = utc(utcnow()).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", "-//Tadrib//Cohort calendar//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", clean_line(name))
    for session, place, description in events:
        uid = hashlib.sha256(f"{session.id}:{session.checkin_secret[:8]}".encode()).hexdigest()[:24]
        event = Event()
        event.add("uid", f"{uid}@tadrib")
        event.add("dtstamp", stamp)
        event.add("dtstart", utc(session.starts_at))
        event.add("dtend", utc(session.ends_at))
        event.add("summary", clean_line(session.title))
        event.add("location", clean_line(place or ""))
        if description:
            event.add("description", clean_line(description))
        event.add("url", base_url)
        calendar.add_component(event)
    return calendar.to_ical()


def ics_calendar(cohort: Cohort, base_url: str) -> bytes:
    """The cohort's sessions as an iCalendar file (see ``_ics``)."""
    return _ics(cohort.title, [(s, s.place or cohort.venue or "", "") for s in sessions_of(cohort)], base_url)


def session_ics(session: WorkshopSession, cohort: Cohort, locale: str, base_url: str) -> bytes:
    """One session as an iCalendar file (attached to its reminder): the same event, with the same UID, as in the
    cohort's and the learner's calendars; the place in the script of ``locale``."""
    return _ics(cohort.title, [(session, cohort.session_place(session.place, locale), cohort.title)], base_url)


def _learner_sessions(user_id: int):
    """Sessions of the cohorts ``user_id`` is enrolled in (archived cohorts left out), with their cohort."""
    return (
        select(WorkshopSession, Cohort)
        .join(Cohort, Cohort.id == WorkshopSession.cohort_id)
        .join(Enrolment, and_(Enrolment.cohort_id == Cohort.id, Enrolment.user_id == user_id))
        .where(Cohort.is_archived.is_(False))
    )


def next_session_for(user_id: int, now: datetime | None = None) -> tuple[WorkshopSession, Cohort] | None:
    """The learner's next workshop (or the one under way), with its cohort: one query, whatever the number of
    cohorts and sessions."""
    row = db.session.execute(_next_session_statement(), {"user_id": user_id, "now": now or utcnow()}).first()
    return (row[0], row[1]) if row is not None else None


@functools.cache
def _next_session_statement():
    """``next_session_for``'s query, built once (every learner's home asks it): its inputs bound parameters."""
    return (
        _learner_sessions(bindparam("user_id"))
        .where(WorkshopSession.ends_at > bindparam("now"))
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
        .limit(1)
    )


def learner_ics_calendar(user_id: int, name: str, locale: str, base_url: str) -> bytes:
    """A learner's own workshops, across their cohorts, as an iCalendar file: only the sessions of cohorts they
    are enrolled in. Places in the learner's language's script where the cohort has them."""
    rows = db.session.execute(_learner_sessions(user_id).order_by(WorkshopSession.starts_at, WorkshopSession.id)).all()
    return _ics(name, [(s, c.session_place(s.place, locale), c.title) for s, c in rows], base_url)


# --- personal data ---------------------------------------------------------------------------


def erase_notes(user) -> None:
    """Notes written about a person may identify them: erased with the person (``user_erasing``)."""
    db.session.execute(update(Attendance).where(Attendance.user_id == user.id).values(note=None))


def export_data(user) -> dict:
    """A person's attendance, session by session, for their data export (``user_data_export``)."""
    rows = db.session.execute(
        select(Cohort.title, WorkshopSession.title, WorkshopSession.starts_at, Attendance.status, Attendance.note)
        .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
        .join(Cohort, Cohort.id == WorkshopSession.cohort_id)
        .where(Attendance.user_id == user.id)
    ).all()
    return {
        "attendance": [{"cohort": c, "session": s, "starts_at": t, "status": st, "note": n} for c, s, t, st, n in rows],
    }


def merge_marks(walk_in: User, target: User) -> None:
    """A walk-in merged into a full account (``walk_in_merging``): their marks move onto it, except in a session
    where the account has a mark of its own (the walk-in's is deleted)."""
    cohorts.move_rows(Attendance.session_id, walk_in, target)
