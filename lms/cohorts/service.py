"""Cohorts, enrolment (import, walk-ins), messages to learners, per-cohort quiz settings. No ``request`` here.

Object-level authorisation lives in ``can_manage``: a trainer manages only their own cohorts, an
admin all of them; ``managed_cohort`` is the guard the views of every domain use.
"""

from __future__ import annotations

import functools
import secrets
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_login import current_user
from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Forbidden, NotFound

from ..accounts import service as accounts
from ..accounts.models import User
from ..audit.service import record
from ..content.models import Course
from ..core.forms import implausible_date_message, is_plausible_date
from ..core.timeutil import utcnow
from ..extensions import db
from ..i18n import _
from .importing import ImportRow
from .models import Cohort, Enrolment, cohort_trainer
from .signals import walk_in_merging


class CohortError(Exception):
    """A rule refused the action; ``str(error)`` is a translated message."""


# --- access ------------------------------------------------------------------------------------


def can_manage(user, cohort: Cohort) -> bool:
    """Whether ``user`` manages ``cohort``: an admin manages every cohort, a trainer only their own."""
    if user.is_admin:
        return True
    return user.is_trainer and any(t.id == user.id for t in cohort.trainers)


def managed_cohort(cohort_id: int) -> Cohort:
    """The cohort, if the signed-in user manages it: the guard of every view about one cohort (404 when there is
    no such cohort, 403 when it is not theirs)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound()
    if not can_manage(current_user, cohort):
        raise Forbidden()
    return cohort


def cohorts_for(user) -> list[Cohort]:
    """The cohorts ``user`` manages (all of them for an admin), live ones first, the latest first."""
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
    """The time zone people read and type times in (``BABEL_DEFAULT_TIMEZONE``)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_to_utc(day: date, at: time) -> datetime:
    """A day and time as people type them, as the naive UTC moment the database stores."""
    return datetime.combine(day, at, tzinfo=zone()).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def utc_to_local(moment: datetime) -> datetime:
    """A stored (naive UTC) moment in the local time zone."""
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
        "survey_before_certificate": cohort.survey_before_certificate,
        "follow_up_months": cohort.follow_up_months,
    }


def save_cohort(cohort: Cohort | None, actor, *, course: Course, trainers: list[User], **fields) -> Cohort:
    """Create a cohort (``cohort`` None) or update it, with its trainers and completion rule (audited)."""
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
    """The people enrolled in ``cohort``, by name."""
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
    """Remove an enrolment (audited); the person's attendance and results are kept."""
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


def move_rows(key, walk_in: User, target: User) -> None:
    """Merging a walk-in: move their rows of ``key``'s table (a column such as ``Enrolment.cohort_id``, one row a
    person for each of its values) onto ``target``, except where ``target`` has a row of their own for the same
    value (the walk-in's is deleted)."""
    model = key.class_
    for row in db.session.scalars(select(model).where(model.user_id == walk_in.id)).all():
        if db.session.scalar(select(model.id).where(key == getattr(row, key.key), model.user_id == target.id)):
            db.session.delete(row)
        else:
            row.user_id = target.id


def merge_walk_in(walk_in: User, target: User, actor) -> None:
    """Move a walk-in's enrolments (and, through ``walk_in_merging``, their attendance) onto a full account, then
    deactivate the walk-in."""
    if not walk_in.email.endswith("@walk-in.invalid"):
        raise CohortError(_("Only a walk-in record can be merged."))
    move_rows(Enrolment.cohort_id, walk_in, target)
    walk_in_merging.send(walk_in, target=target)
    walk_in.is_active = False
    record("user.merge", walk_in, before={"walk_in": walk_in.id}, after={"merged_into": target.id}, actor=actor)


# --- messages to learners --------------------------------------------------------------------


def can_write_to(user: User) -> bool:
    """A person a trainer can e-mail: an active account with a real address (not a walk-in, not erased)."""
    return bool(
        user.email and user.is_active and user.erased_at is None and not user.email.endswith("@walk-in.invalid")
    )


def message_learner(cohort: Cohort, learner: User, actor, subject: str, body: str) -> None:
    """E-mail one learner of ``cohort`` on behalf of ``actor`` (who must manage it), in the learner's language,
    replies going to the trainer. Audited (who wrote to whom, under which cohort, the subject; not the text)."""
    from ..core.mail import queue_message

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
    queue_message(
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
    record(
        "cohort.message",
        learner,
        after={"cohort_id": cohort.id, "subject": subject, "length": len(body)},
        actor=actor,
    )


# --- figures and personal data ---------------------------------------------------------------


def enrolment_counts(cohort_ids: list[int]) -> dict[int, int]:
    """Per cohort of ``cohort_ids``: how many people are enrolled. One query."""
    if not cohort_ids:
        return {}
    return dict(
        db.session.execute(
            select(Enrolment.cohort_id, func.count(Enrolment.id))
            .where(Enrolment.cohort_id.in_(cohort_ids))
            .group_by(Enrolment.cohort_id)
        ).all()
    )


def export_cohorts(user) -> dict:
    """The cohorts ``user`` is enrolled in, for their data export (``user_data_export``)."""
    cohorts_ = db.session.scalars(
        select(Cohort.title).join(Enrolment, Enrolment.cohort_id == Cohort.id).where(Enrolment.user_id == user.id)
    ).all()
    return {"cohorts": list(cohorts_)}


# --- quizzes: the cohort a learner works under, its settings ---------------------------------


def quiz_overrides_for(cohort: Cohort, module_slug: str) -> dict:
    """The settings a cohort's trainers changed for a module's quiz (empty: as in the quiz file)."""
    return dict((cohort.quiz_settings or {}).get(module_slug) or {})


def effective_quiz_settings(cohort: Cohort, module_slug: str, version) -> dict:
    """A quiz version's settings with the cohort's overrides applied."""
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
        _current_cohorts_statement(),
        {"user_id": user_id, "course_ids": list(course_ids), "today": today or utc_to_local(utcnow()).date()},
    ):
        found.setdefault(cohort.course_id, cohort)
    return found


@functools.cache
def _current_cohorts_statement():
    """``current_cohorts``' query, built once: its inputs are bound parameters (the learner, the courses, today),
    so SQLAlchemy's compiled cache serves every page (the learner's home and each module page ask it)."""
    today = bindparam("today")
    running = and_(Cohort.start_date <= today, Cohort.end_date >= today)
    return (
        select(Cohort)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(
            Enrolment.user_id == bindparam("user_id"),
            Cohort.course_id.in_(bindparam("course_ids", expanding=True)),
            Cohort.is_archived.is_(False),
        )
        .order_by(case((running, 0), else_=1), Cohort.start_date.desc(), Cohort.id.desc())
    )


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


#: a cohort's reminder switches (see lms/attendance/tasks.py and lms/cohorts/tasks.py)
REMINDER_SWITCHES = ("remind_workshops", "remind_quizzes", "warn_low_attendance_weekly")


def set_reminders(cohort: Cohort, values: dict, actor) -> bool:
    """Switch the cohort's reminders on or off (``values``: switch -> bool). Audited; False when nothing changed."""
    before = {name: getattr(cohort, name) for name in REMINDER_SWITCHES}
    after = {name: bool(values.get(name, before[name])) for name in REMINDER_SWITCHES}
    if after == before:
        return False
    for name, value in after.items():
        setattr(cohort, name, value)
    record("cohort.reminders", cohort, before=before, after=after, actor=actor)
    return True


__all__ = ["CohortError", "IntegrityError"]
