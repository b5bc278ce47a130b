"""Cohorts, enrolment, workshop sessions, attendance and check-in. No ``request`` here.

Object-level authorisation lives in ``can_manage``: a trainer manages only their own cohorts, an
admin all of them. Every attendance change is audited with its before and after.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, bindparam, case, func, literal, select
from sqlalchemy.exc import IntegrityError

from ..accounts import service as accounts
from ..accounts.models import User
from ..audit.service import record
from ..content.models import Course
from ..core.forms import clean_line, implausible_date_message, is_plausible_date
from ..core.timeutil import utcnow
from ..extensions import db
from ..i18n import _, format_percent, ngettext
from . import attendance as rules
from . import checkin
from .importing import ImportRow
from .models import STATUSES, Attendance, Cohort, Enrolment, WorkshopSession, cohort_trainer

CHECKIN_OPENS_BEFORE = timedelta(minutes=30)


class CohortError(Exception):
    """A rule refused the action; ``str(error)`` is a translated message."""


# --- access ------------------------------------------------------------------------------------


def can_manage(user, cohort: Cohort) -> bool:
    if user.is_admin:
        return True
    return user.is_trainer and any(t.id == user.id for t in cohort.trainers)


def cohorts_for(user) -> list[Cohort]:
    statement = select(Cohort).order_by(Cohort.is_archived, Cohort.start_date.desc(), Cohort.id.desc())
    if not user.is_admin:
        statement = statement.join(cohort_trainer, cohort_trainer.c.cohort_id == Cohort.id).where(
            cohort_trainer.c.user_id == user.id
        )
    return db.session.scalars(statement).unique().all()


def enrolled_course_ids(user, course_ids: list[int]) -> set[int]:
    """Which of ``course_ids`` ``user`` is enrolled in through a live cohort (one query)."""
    if not course_ids:
        return set()
    return set(db.session.scalars(_enrolled_statement(), {"user_id": user.id, "course_ids": list(course_ids)}))


@functools.cache
def _enrolled_statement():
    """Built once (the learner's home asks it on every view): building a statement costs more than running it."""
    return (
        select(Cohort.course_id)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(
            Enrolment.user_id == bindparam("user_id"),
            Cohort.course_id.in_(bindparam("course_ids", expanding=True)),
            Cohort.is_archived.is_(False),
        )
        .distinct()
    )


# --- time --------------------------------------------------------------------------------------


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_to_utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=zone()).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def utc_to_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone())


# --- cohorts -----------------------------------------------------------------------------------


def _snapshot(cohort: Cohort) -> dict:
    return {
        "title": cohort.title,
        "course": cohort.course_id,
        "start_date": cohort.start_date.isoformat(),
        "end_date": cohort.end_date.isoformat(),
        "trainers": sorted(t.id for t in cohort.trainers),
        "completion": cohort.completion,
        "mode": cohort.mode,
        "excused_absences": cohort.excused_absences,
    }


def save_cohort(cohort: Cohort | None, actor, *, course: Course, trainers: list[User], **fields) -> Cohort:
    if not (is_plausible_date(fields["start_date"]) and is_plausible_date(fields["end_date"])):
        raise CohortError(implausible_date_message())
    if fields["end_date"] < fields["start_date"]:
        raise CohortError(_("The end date is before the start date."))
    if not trainers:
        raise CohortError(_("A cohort needs at least one trainer."))
    creating = cohort is None
    before = None if creating else _snapshot(cohort)
    if creating:
        cohort = Cohort(
            course_id=course.id,
            completion=dict(course.completion),
            **{k: v for k, v in fields.items() if k != "completion"},
        )
        db.session.add(cohort)
    else:
        cohort.course_id = course.id
        for key, value in fields.items():
            if key != "completion":
                setattr(cohort, key, value)
    if fields.get("completion"):
        cohort.completion = fields["completion"]
    cohort.trainers = list(trainers)
    db.session.flush()
    record(
        "cohort.create" if creating else "cohort.update", cohort, before=before, after=_snapshot(cohort), actor=actor
    )
    return cohort


def learners(cohort: Cohort) -> list[User]:
    return db.session.scalars(
        select(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.cohort_id == cohort.id)
        .order_by(User.name_latin)
    ).all()


def enrol(cohort: Cohort, user: User, actor, source: str = "manual") -> bool:
    """Enrol ``user`` (audited). Returns False when already enrolled (nothing changes)."""
    exists = db.session.scalar(
        select(Enrolment.id).where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == user.id)
    )
    if exists:
        return False
    db.session.add(Enrolment(cohort_id=cohort.id, user_id=user.id, source=source))
    record("cohort.enrol", ("cohort", cohort.id), after={"user": user.id, "source": source}, actor=actor)
    return True


def unenrol(cohort: Cohort, user_id: int, actor) -> None:
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == user_id)
    )
    if enrolment is not None:
        db.session.delete(enrolment)
        record("cohort.unenrol", ("cohort", cohort.id), before={"user": user_id}, actor=actor)


def classify_rows(cohort: Cohort, rows: list[ImportRow]) -> list[ImportRow]:
    """Give each row its status: duplicate (of an earlier row of the file, by e-mail whatever its case: the
    row says which), error, new, existing (user), enrolled. A row kept with warnings (an optional value left
    empty) is new, existing or enrolled like any other. Two queries."""
    emails = [r.email for r in rows if not r.errors]
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    enrolled = (
        set(
            db.session.scalars(
                select(User.email)
                .join(Enrolment, Enrolment.user_id == User.id)
                .where(Enrolment.cohort_id == cohort.id, User.email.in_(emails))
            )
        )
        if emails
        else set()
    )
    first_line: dict[str, int] = {}  # e-mail -> the line of the row kept for it
    for row in rows:
        row.duplicate_of = None
        if "email" not in row.errors and row.email.lower() in first_line:
            row.status, row.duplicate_of = "duplicate", first_line[row.email.lower()]
            continue
        if row.errors:
            row.status = "error"
            continue
        first_line[row.email.lower()] = row.line
        if row.email in enrolled:
            row.status = "enrolled"
        elif row.email in users:
            row.status = "existing"
        else:
            row.status = "new"
    return rows


def import_rows(cohort: Cohort, rows: list[ImportRow], actor) -> dict:
    """Write every valid row in one transaction (the caller commits). New people are invited."""
    counts = {"created": 0, "enrolled": 0, "unchanged": 0, "skipped": 0}
    invited = []
    for row in classify_rows(cohort, rows):
        if row.status in ("error", "duplicate"):
            counts["skipped"] += 1
            continue
        if row.status == "enrolled":
            counts["unchanged"] += 1
            continue
        if row.status == "new":
            user = accounts.create_user(
                row.email,
                row.name_latin,
                name_arabic=row.name_arabic,
                profession=row.profession,
                jurisdiction=row.jurisdiction,
                gender=row.gender,
                locale=cohort.language,
                actor=actor,
            )
            invited.append(user)
            counts["created"] += 1
        else:
            user = accounts.get_user_by_email(row.email)
        if enrol(cohort, user, actor, source="import"):
            counts["enrolled"] += 1
    db.session.flush()
    for user in invited:
        accounts.invite_user(user, actor)
    return counts


def add_walk_in(
    cohort: Cohort,
    actor,
    *,
    name_latin: str,
    name_arabic: str = "",
    profession=None,
    jurisdiction=None,
    email: str = "",
) -> User:
    """Someone who came without being enrolled: an account (without sign-in until invited), enrolled."""
    email = accounts.normalize_email(email)
    user = accounts.get_user_by_email(email) if email else None
    if user is None:
        user = accounts.create_user(
            email or f"walk-in-{secrets.token_hex(6)}@walk-in.invalid",
            name_latin,
            name_arabic=name_arabic,
            profession=profession,
            jurisdiction=jurisdiction,
            locale=cohort.language,
            actor=actor,
        )
        if email:
            accounts.invite_user(user, actor)
    enrol(cohort, user, actor, source="walk-in")
    return user


def merge_walk_in(walk_in: User, target: User, actor) -> None:
    """Move a walk-in's enrolments and attendance onto a full account, then deactivate the walk-in."""
    if not walk_in.email.endswith("@walk-in.invalid"):
        raise CohortError(_("Only a walk-in record can be merged."))
    for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.user_id == walk_in.id)).all():
        if db.session.scalar(
            select(Enrolment.id).where(Enrolment.cohort_id == enrolment.cohort_id, Enrolment.user_id == target.id)
        ):
            db.session.delete(enrolment)
        else:
            enrolment.user_id = target.id
    for mark in db.session.scalars(select(Attendance).where(Attendance.user_id == walk_in.id)).all():
        if db.session.scalar(
            select(Attendance.id).where(Attendance.session_id == mark.session_id, Attendance.user_id == target.id)
        ):
            db.session.delete(mark)
        else:
            mark.user_id = target.id
    walk_in.is_active = False
    record("user.merge", walk_in, before={"walk_in": walk_in.id}, after={"merged_into": target.id}, actor=actor)


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
    if not is_plausible_date(day):
        raise CohortError(implausible_date_message())
    starts_at, ends_at = local_to_utc(day, start), local_to_utc(day, end)
    if ends_at <= starts_at:
        raise CohortError(_("The session must end after it starts."))
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
    return db.session.scalars(
        select(WorkshopSession).where(WorkshopSession.cohort_id == cohort.id).order_by(WorkshopSession.starts_at)
    ).all()


# --- attendance ----------------------------------------------------------------------------------


def attendance_of(session: WorkshopSession) -> dict[int, Attendance]:
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
        raise CohortError(_("Unknown attendance status."))
    if enrolled_ids is None:
        enrolled_ids = {u.id for u in learners(session.cohort)}
    if user_id not in enrolled_ids:
        raise CohortError(_("This person is not enrolled in the cohort."))
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
    people = learners(session.cohort)
    enrolled_ids = {u.id for u in people}
    changed = 0
    for user in people:
        if user.id not in marks:
            changed += record_attendance(session, user.id, "present", actor, enrolled_ids=enrolled_ids)
    return changed


# --- self check-in -------------------------------------------------------------------------------


def checkin_window(session: WorkshopSession) -> tuple[datetime, datetime]:
    return session.starts_at - CHECKIN_OPENS_BEFORE, session.ends_at


def checkin_available(session: WorkshopSession, now: datetime) -> bool:
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
            raise CohortError(_("Your scan has expired. Type the code shown on the trainer's screen now."))
        valid_at = scanned_at
    session = next((s for s in candidates if checkin.is_valid(s.checkin_secret, typed_code, valid_at)), None)
    if session is None:
        if any((checkin.windows_ago(s.checkin_secret, typed_code, now) or 0) > 0 for s in candidates):
            raise CohortError(
                _("This code has expired: the code changes every minute. Type the code shown on the screen now.")
            )
        raise CohortError(_("This code is not valid now. Check it on the screen and type it again."))
    existing = db.session.scalar(
        select(Attendance).where(Attendance.session_id == session.id, Attendance.user_id == user.id)
    )
    if existing is not None and existing.status in ("present", "late"):
        raise CohortError(_("You are already checked in for this session."))
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
        and checkin.is_valid(session.checkin_secret, typed_code, now)
    )


def set_checkin_open(session: WorkshopSession, is_open: bool, actor) -> None:
    session.is_checkin_open = is_open
    record("session.checkin_open" if is_open else "session.checkin_close", session, actor=actor)


# --- reports -------------------------------------------------------------------------------------


@dataclass
class LearnerAttendance:
    user: User
    counts: dict
    percent: float | None
    #: flagged by the attendance rule (cohorts.attendance.verdict): can no longer reach the threshold, or
    #: below it once half of the sessions are held
    below: bool
    verdict: rules.Verdict | None = None


def attendance_percent(attended: int, counted: int) -> float | None:
    """A learner's attendance: sessions attended (present or late) over the sessions that count for them, in
    percent to one decimal; None when no session counts yet (the rule: cohorts.attendance)."""
    return rules.attendance_percent(attended, counted)


def excused_policy(cohort: Cohort) -> str:
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


def attendance_report(
    cohort: Cohort, now: datetime | None = None, people: list[User] | None = None, with_marks: bool = True
) -> tuple[list, list[LearnerAttendance], dict]:
    """Per session and per learner: attendance over the sessions that count and the flag, by the rule of
    cohorts.attendance (excused absences as the cohort counts them, a session in progress not held against
    those who have no mark in it yet). Three queries whatever the cohort size."""
    now = now or utcnow()
    sessions = sessions_of(cohort)
    held_ids = [s.id for s in sessions if s.starts_at <= now]
    open_ids = {s.id for s in sessions if s.starts_at <= now < s.ends_at}
    people = learners(cohort) if people is None else people
    per_session = session_counts(cohort, sessions)
    # Per learner, counted in SQL over the sessions held: a few rows per person, not one per mark.
    marked: dict[int, dict[str, int]] = {}
    marked_open: dict[int, int] = {}
    if held_ids:
        # one expression object in SELECT and GROUP BY: the same bound parameters (PostgreSQL compares them)
        in_open = case((Attendance.session_id.in_(list(open_ids)), 1), else_=0) if open_ids else literal(0)
        for user_id, status, is_open, count in db.session.execute(
            select(Attendance.user_id, Attendance.status, in_open, func.count(Attendance.id))
            .where(Attendance.session_id.in_(held_ids))
            .group_by(Attendance.user_id, Attendance.status, in_open)
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


def can_write_to(user: User) -> bool:
    """A person a trainer can e-mail: an active account with a real address (not a walk-in, not erased)."""
    return bool(
        user.email and user.is_active and user.erased_at is None and not user.email.endswith("@walk-in.invalid")
    )


def message_learner(cohort: Cohort, learner: User, actor, subject: str, body: str) -> None:
    """E-mail one learner of ``cohort`` on behalf of ``actor`` (who must manage it), in the learner's language,
    replies going to the trainer. Audited (who wrote to whom, under which cohort, the subject; not the text)."""
    from ..core.mail import send_mail

    if not can_manage(actor, cohort):
        raise CohortError(_("You do not manage this cohort."))
    if not db.session.scalar(
        select(Enrolment.id).where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == learner.id)
    ):
        raise CohortError(_("This person is not enrolled in the cohort."))
    if not can_write_to(learner):
        raise CohortError(_("This person has no e-mail address to write to."))
    subject, body = subject.strip()[:150], body.strip()[:5000]
    if not subject or not body:
        raise CohortError(_("Write a subject and a message."))
    try:
        send_mail(
            learner.email,
            subject,
            "cohorts/email/message",
            locale=learner.locale or "fr",
            reply_to=actor.email,
            user=learner,
            cohort=cohort,
            sender=actor,
            body=body,
        )
    except OSError as error:
        raise CohortError(_("The e-mail could not be sent. Try again later.")) from error
    record(
        "cohort.message",
        learner,
        after={"cohort_id": cohort.id, "subject": subject, "length": len(body)},
        actor=actor,
    )


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
    row = db.session.execute(
        _learner_sessions(user_id)
        .where(WorkshopSession.ends_at > (now or utcnow()))
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def learner_ics_calendar(user_id: int, name: str, locale: str, base_url: str) -> bytes:
    """A learner's own workshops, across their cohorts, as an iCalendar file: only the sessions of cohorts they
    are enrolled in. Places in the learner's language's script where the cohort has them."""
    rows = db.session.execute(_learner_sessions(user_id).order_by(WorkshopSession.starts_at, WorkshopSession.id)).all()
    return _ics(name, [(s, c.session_place(s.place, locale), c.title) for s, c in rows], base_url)


def enrolment_counts(cohort_ids: list[int]) -> dict[int, int]:
    if not cohort_ids:
        return {}
    return dict(
        db.session.execute(
            select(Enrolment.cohort_id, func.count(Enrolment.id))
            .where(Enrolment.cohort_id.in_(cohort_ids))
            .group_by(Enrolment.cohort_id)
        ).all()
    )


def _erase_attendance_notes(user) -> None:
    """Notes written about a person may identify them: erased with the person."""
    from sqlalchemy import update

    db.session.execute(update(Attendance).where(Attendance.user_id == user.id).values(note=None))


def _export_cohort_data(user) -> dict:
    rows = db.session.execute(
        select(Cohort.title, WorkshopSession.title, WorkshopSession.starts_at, Attendance.status, Attendance.note)
        .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
        .join(Cohort, Cohort.id == WorkshopSession.cohort_id)
        .where(Attendance.user_id == user.id)
    ).all()
    cohorts_ = db.session.scalars(
        select(Cohort.title).join(Enrolment, Enrolment.cohort_id == Cohort.id).where(Enrolment.user_id == user.id)
    ).all()
    return {
        "cohorts": list(cohorts_),
        "attendance": [{"cohort": c, "session": s, "starts_at": t, "status": st, "note": n} for c, s, t, st, n in rows],
    }


def quiz_overrides_for(cohort: Cohort, module_slug: str) -> dict:
    return dict((cohort.quiz_settings or {}).get(module_slug) or {})


def effective_quiz_settings(cohort: Cohort, module_slug: str, version) -> dict:
    merged = dict(version.definition["settings"])
    merged.update(quiz_overrides_for(cohort, module_slug))
    return merged


def _current_first(today: date | None):
    """Order of a learner's cohorts of one course: one running today, else the one that started last."""
    today = today or utc_to_local(utcnow()).date()
    running = and_(Cohort.start_date <= today, Cohort.end_date >= today)
    return case((running, 0), else_=1), Cohort.start_date.desc(), Cohort.id.desc()


def working_cohort_id(user_id: int, module_id: int, today: date | None = None) -> int | None:
    """The cohort under which a learner works on a module's quiz now: among the live cohorts of the module's
    course they are enrolled in, one running today, else the one that started last (None: no cohort)."""
    from ..content.models import Module

    return db.session.scalar(
        select(Cohort.id)
        .join(Module, Module.course_id == Cohort.course_id)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Module.id == module_id, Enrolment.user_id == user_id, Cohort.is_archived.is_(False))
        .order_by(*_current_first(today))
        .limit(1)
    )


def current_cohorts(user_id: int, course_ids: list[int], today: date | None = None) -> dict[int, Cohort]:
    """Per course, the cohort a learner works under now (as ``working_cohort_id`` chooses it). One query."""
    found: dict[int, Cohort] = {}
    if not course_ids:
        return found
    for cohort in db.session.scalars(
        select(Cohort)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.user_id == user_id, Cohort.course_id.in_(course_ids), Cohort.is_archived.is_(False))
        .order_by(*_current_first(today))
    ):
        found.setdefault(cohort.course_id, cohort)
    return found


def _cohort_quiz_overrides(cohort_id: int, version) -> dict:
    """A cohort's overrides of a quiz's settings (none for a module it has not adapted)."""
    from ..content.models import Module

    cohort = db.session.get(Cohort, cohort_id)
    module = db.session.get(Module, version.module_id)
    if cohort is None or module is None:
        return {}
    return quiz_overrides_for(cohort, module.slug)


def set_quiz_settings(cohort: Cohort, module_slug: str, values: dict, actor) -> None:
    """A trainer's override for this cohort (empty values mean: as in the quiz file). Audited."""
    clean = {}
    if values.get("pass_mark") is not None:
        if not 0 <= values["pass_mark"] <= 100:
            raise CohortError(_("The pass mark is a percent from 0 to 100."))
        clean["pass_mark"] = values["pass_mark"]
    if values.get("max_attempts") is not None:
        if not 0 <= values["max_attempts"] <= 100:
            raise CohortError(_("Attempts: from 0 (unlimited) to 100."))
        clean["max_attempts"] = values["max_attempts"]
    if values.get("time_limit_minutes") is not None:
        if not 0 <= values["time_limit_minutes"] <= 1000:
            raise CohortError(_("The time limit is at most 1,000 minutes."))
        clean["time_limit_minutes"] = values["time_limit_minutes"] or None
    before = dict(cohort.quiz_settings or {})
    updated = dict(before)
    if clean:
        updated[module_slug] = clean
    else:
        updated.pop(module_slug, None)
    cohort.quiz_settings = updated
    record(
        "cohort.quiz_settings",
        cohort,
        before={module_slug: before.get(module_slug)},
        after={module_slug: updated.get(module_slug)},
        actor=actor,
    )


__all__ = ["CohortError", "IntegrityError"]
