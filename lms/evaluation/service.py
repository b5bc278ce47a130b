"""Who is asked which survey, when: rounds, participation, invitations and the one reminder to non-respondents.

A round is made when it opens (``open_due_rounds``, by the periodic task, or on demand when a learner may
answer early), with a participation row for each person asked: learners marked present or late at a session
for its survey; every enrolled learner for the end-of-course survey and the follow-up. The answers themselves
are written by ``responses.submit``, apart (see ``models``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..attendance.models import Attendance, WorkshopSession
from ..certificates.models import Certificate
from ..cohorts.models import Cohort, Enrolment
from ..content.models import Course, Survey, SurveyVersion
from ..core.timeutil import display_zone, utcnow
from ..extensions import db
from . import rules
from .models import ActionPlan, SurveyParticipation, SurveyResponse, SurveyRound


class NotAsked(Exception):
    """The person was not asked this survey (or it does not exist): a 404."""


class Closed(Exception):
    """The round is closed, or not open yet."""


class AlreadyAnswered(Exception):
    """The person has answered this round already."""


@dataclass
class MyRound:
    round: SurveyRound
    survey: Survey
    version: SurveyVersion
    cohort: Cohort
    session: WorkshopSession | None
    responded: bool
    is_open: bool


def subject_of(cohort_id: int, session_id: int | None) -> str:
    return f"session:{session_id}" if session_id is not None else f"cohort:{cohort_id}"


def current_surveys(course_ids) -> dict[tuple[int, str], tuple[Survey, SurveyVersion]]:
    """(course id, role) → the survey and its current version, for the courses given. One query."""
    course_ids = list(set(course_ids))
    if not course_ids:
        return {}
    rows = db.session.execute(_CURRENT_SURVEYS, {"course_ids": course_ids}).all()
    return {(s.course_id, s.role): (s, v) for s, v in rows}


#: ``current_surveys``' query, built once (a learner's home asks it): the courses an expanding bound parameter
_CURRENT_SURVEYS = (
    select(Survey, SurveyVersion)
    .join(SurveyVersion, and_(SurveyVersion.survey_id == Survey.id, SurveyVersion.is_current.is_(True)))
    .where(Survey.course_id.in_(bindparam("course_ids", expanding=True)), Survey.is_archived.is_(False))
)


def _asked(cohort: Cohort, session: WorkshopSession | None) -> list[int]:
    """The people a round asks: present or late at ``session``; else every enrolled learner (not erased)."""
    if session is not None:
        statement = (
            select(Attendance.user_id)
            .join(User, User.id == Attendance.user_id)
            .where(Attendance.session_id == session.id, Attendance.status.in_(("present", "late")))
        )
    else:
        statement = (
            select(Enrolment.user_id).join(User, User.id == Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)
        )
    return list(db.session.scalars(statement.where(User.erased_at.is_(None)).order_by(User.id)))


def _make_round(
    survey: Survey, cohort: Cohort, session: WorkshopSession | None, opens_at: datetime, closes_at
) -> SurveyRound | None:
    """The round of ``survey`` for the cohort (or session), with its participation rows; None when another
    process made it meanwhile."""
    subject = subject_of(cohort.id, session.id if session else None)
    try:
        with db.session.begin_nested():
            found = SurveyRound(
                survey_id=survey.id,
                cohort_id=cohort.id,
                session_id=session.id if session else None,
                subject=subject,
                role=survey.role,
                opens_at=opens_at,
                closes_at=closes_at,
            )
            db.session.add(found)
            db.session.flush()
            people = _asked(cohort, session)
            if people:
                db.session.execute(
                    SurveyParticipation.__table__.insert(),
                    [{"round_id": found.id, "user_id": uid, "responded": False} for uid in people],
                )
    except IntegrityError:
        return None
    return found


def _existing_subjects(survey_ids) -> set[tuple[int, str]]:
    if not survey_ids:
        return set()
    return set(
        db.session.execute(
            select(SurveyRound.survey_id, SurveyRound.subject).where(SurveyRound.survey_id.in_(list(survey_ids)))
        ).all()
    )


def open_due_rounds(now: datetime | None = None) -> list[SurveyRound]:
    """Make the rounds that have opened by ``now`` (and not more than ``rules.TOO_LATE`` ago): each held
    session's survey, each cohort's end-of-course survey and follow-up. In the caller's transaction; a round made
    by another process meanwhile is skipped. Returns the rounds made."""
    now = now or utcnow()
    zone = display_zone()
    made: list[SurveyRound] = []
    cohorts = db.session.scalars(
        select(Cohort).where(Cohort.is_archived.is_(False), Cohort.start_date <= now.date())
    ).all()
    surveys = current_surveys(c.course_id for c in cohorts)
    existing = _existing_subjects({s.id for s, _v in surveys.values()})
    oldest = now - rules.TOO_LATE
    for cohort in cohorts:
        subject = subject_of(cohort.id, None)
        for role, times in (
            (rules.COURSE_END, rules.course_end_times(cohort.end_date, zone)),
            (rules.FOLLOW_UP, rules.follow_up_times(cohort.end_date, cohort.follow_up_months or 0, zone)),
        ):
            found = surveys.get((cohort.course_id, role))
            if found is None or times is None or (found[0].id, subject) in existing:
                continue
            opens_at, closes_at = times
            if oldest <= opens_at <= now and rules.is_open(opens_at, closes_at, now):
                made.append(_make_round(found[0], cohort, None, opens_at, closes_at))
    by_id = {c.id: c for c in cohorts}
    with_session_survey = [c.id for c in cohorts if (c.course_id, rules.SESSION) in surveys]
    if with_session_survey:
        sessions = db.session.scalars(
            select(WorkshopSession)
            .where(
                WorkshopSession.cohort_id.in_(with_session_survey),
                WorkshopSession.ends_at <= now,
                WorkshopSession.ends_at >= oldest,
            )
            .order_by(WorkshopSession.ends_at, WorkshopSession.id)
        ).all()
        for session in sessions:
            cohort = by_id[session.cohort_id]
            survey = surveys[(cohort.course_id, rules.SESSION)][0]
            if (survey.id, subject_of(cohort.id, session.id)) in existing:
                continue
            opens_at, closes_at = rules.session_times(session.ends_at)
            if rules.is_open(opens_at, closes_at, now):
                made.append(_make_round(survey, cohort, session, opens_at, closes_at))
    return [r for r in made if r is not None]


def ensure_round(cohort: Cohort, role: str, session: WorkshopSession | None = None) -> SurveyRound | None:
    """The round of the cohort's (or session's) survey of ``role``, made now if it is not yet (with its times as
    the rules say, even if it opens later); None when the course has no such survey or no follow-up."""
    found = current_surveys([cohort.course_id]).get((cohort.course_id, role))
    if found is None:
        return None
    survey = found[0]
    subject = subject_of(cohort.id, session.id if session else None)
    existing = db.session.scalar(
        select(SurveyRound).where(SurveyRound.survey_id == survey.id, SurveyRound.subject == subject)
    )
    if existing is not None:
        return existing
    zone = display_zone()
    if role == rules.SESSION:
        times = rules.session_times(session.ends_at)
    elif role == rules.COURSE_END:
        times = rules.course_end_times(cohort.end_date, zone)
    else:
        times = rules.follow_up_times(cohort.end_date, cohort.follow_up_months or 0, zone)
    if times is None:
        return None
    return _make_round(survey, cohort, session, *times) or db.session.scalar(
        select(SurveyRound).where(SurveyRound.survey_id == survey.id, SurveyRound.subject == subject)
    )


def _has_live_certificate(user_id: int, cohort_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Certificate.user_id == user_id,
                    Certificate.cohort_id == cohort_id,
                    Certificate.revoked_at.is_(None),
                )
            )
        )
    )


def _is_enrolled(user_id: int, cohort_id: int) -> bool:
    return bool(
        db.session.scalar(select(exists().where(Enrolment.user_id == user_id, Enrolment.cohort_id == cohort_id)))
    )


def opens_early(round_: SurveyRound, user_id: int) -> bool:
    """The end-of-course survey may be answered before the last day by a learner whose certificate is issued."""
    return round_.role == rules.COURSE_END and _has_live_certificate(user_id, round_.cohort_id)


def _early_course_end_cohorts(user: User) -> list[Cohort]:
    """The cohorts where ``user`` holds a certificate whose end-of-course round is not made yet: made early, so
    that they can answer before the last day (a cohort may make the download wait for it). Two queries."""
    cohorts = db.session.scalars(
        select(Cohort)
        .join(Certificate, and_(Certificate.cohort_id == Cohort.id, Certificate.revoked_at.is_(None)))
        .join(Enrolment, and_(Enrolment.cohort_id == Cohort.id, Enrolment.user_id == user.id))
        .where(Certificate.user_id == user.id, Cohort.is_archived.is_(False))
    ).all()
    if not cohorts:
        return []
    surveys = current_surveys(c.course_id for c in cohorts)
    existing = _existing_subjects({s.id for s, _v in surveys.values()})
    return [
        cohort
        for cohort in cohorts
        for found in [surveys.get((cohort.course_id, rules.COURSE_END))]
        if found is not None and (found[0].id, subject_of(cohort.id, None)) not in existing
    ]


def _late_round_ids(user: User) -> list[int]:
    """Rounds that opened before ``user`` was enrolled (or marked present) and do not ask them yet. Two queries."""
    not_asked = ~exists().where(SurveyParticipation.round_id == SurveyRound.id, SurveyParticipation.user_id == user.id)
    cohort_rounds = db.session.scalars(
        select(SurveyRound.id)
        .join(Enrolment, and_(Enrolment.cohort_id == SurveyRound.cohort_id, Enrolment.user_id == user.id))
        .where(SurveyRound.session_id.is_(None), not_asked)
    ).all()
    session_rounds = db.session.scalars(
        select(SurveyRound.id)
        .join(
            Attendance,
            and_(
                Attendance.session_id == SurveyRound.session_id,
                Attendance.user_id == user.id,
                Attendance.status.in_(("present", "late")),
            ),
        )
        .where(not_asked)
    ).all()
    return [*cohort_rounds, *session_rounds]


def needs_preparing(user: User) -> bool:
    """Whether ``my_rounds(prepare=True)`` would write anything for ``user`` (read only: a page takes the write
    lock only then)."""
    return bool(_late_round_ids(user) or _early_course_end_cohorts(user))


def _prepare(user: User) -> None:
    for cohort in _early_course_end_cohorts(user):
        ensure_round(cohort, rules.COURSE_END)
    for round_id in _late_round_ids(user):
        try:
            with db.session.begin_nested():
                db.session.add(SurveyParticipation(round_id=round_id, user_id=user.id, responded=False))
        except IntegrityError:
            pass


#: ``my_rounds``' queries (every learner's home asks them): built once, the person a bound parameter, so that
#: SQLAlchemy's compiled cache serves each page instead of building and keying them again
_MY_ROUNDS = (
    select(SurveyRound, SurveyParticipation.responded, Survey, Cohort, WorkshopSession)
    .join(SurveyParticipation, SurveyParticipation.round_id == SurveyRound.id)
    .join(Survey, Survey.id == SurveyRound.survey_id)
    .join(Cohort, Cohort.id == SurveyRound.cohort_id)
    .outerjoin(WorkshopSession, WorkshopSession.id == SurveyRound.session_id)
    .where(SurveyParticipation.user_id == bindparam("user_id"))
    .order_by(SurveyRound.opens_at.desc(), SurveyRound.id.desc())
)
#: the rounds still waiting for the person's answer (not answered, not closed): the learner's home asks only these,
#: usually none, so that it reads no more as the person's answered surveys pile up
_MY_PENDING_ROUNDS = _MY_ROUNDS.where(
    SurveyParticipation.responded.is_(False),
    or_(SurveyRound.closes_at.is_(None), SurveyRound.closes_at > bindparam("now")),
)
_MY_CERTIFIED = select(Certificate.cohort_id).where(
    Certificate.user_id == bindparam("user_id"), Certificate.revoked_at.is_(None)
)


def my_rounds(
    user: User, now: datetime | None = None, *, prepare: bool = True, pending_only: bool = False
) -> list[MyRound]:
    """The rounds ``user`` was asked: open ones (or answerable early) and answered ones, newest first.
    ``prepare``: first make the rounds and participation rows this person may be missing (a learner enrolled
    after a round opened, an end-of-course survey answerable early): writes, in the caller's transaction.
    ``pending_only``: only those not answered yet and not closed (one query when there is none)."""
    now = now or utcnow()
    if prepare:
        _prepare(user)
    if pending_only:
        rows = db.session.execute(_MY_PENDING_ROUNDS, {"user_id": user.id, "now": now}).all()
    else:
        rows = db.session.execute(_MY_ROUNDS, {"user_id": user.id}).all()
    versions = current_surveys({s.course_id for _r, _p, s, _c, _w in rows})
    certified = {cid for (cid,) in db.session.execute(_MY_CERTIFIED, {"user_id": user.id})} if rows else set()
    found = []
    for round_, responded, survey, cohort, session in rows:
        current = versions.get((survey.course_id, survey.role))
        if current is None or current[0].id != survey.id:
            continue  # the survey was archived
        is_open = round_.is_open(now) or (
            round_.role == rules.COURSE_END and round_.cohort_id in certified and round_.opens_at > now
        )
        if not (is_open or responded):
            continue
        found.append(MyRound(round_, survey, current[1], cohort, session, bool(responded), is_open))
    return found


def answerable(round_id: int, user: User, now: datetime | None = None) -> MyRound:
    """The round ``round_id`` as ``user`` may answer it now; raises ``NotAsked`` (not theirs: a 404),
    ``AlreadyAnswered`` or ``Closed``."""
    now = now or utcnow()
    row = db.session.execute(
        select(SurveyRound, SurveyParticipation.responded)
        .join(SurveyParticipation, SurveyParticipation.round_id == SurveyRound.id)
        .where(SurveyRound.id == round_id, SurveyParticipation.user_id == user.id)
    ).first()
    if row is None:
        raise NotAsked()
    round_, responded = row
    survey = db.session.get(Survey, round_.survey_id)
    current = current_surveys([survey.course_id]).get((survey.course_id, survey.role))
    if current is None or current[0].id != survey.id:
        raise Closed()
    cohort = db.session.get(Cohort, round_.cohort_id)
    session = db.session.get(WorkshopSession, round_.session_id) if round_.session_id else None
    mine = MyRound(round_, survey, current[1], cohort, session, bool(responded), True)
    if responded:
        raise AlreadyAnswered(mine)
    if not (round_.is_open(now) or (round_.opens_at > now and opens_early(round_, user.id))):
        raise Closed(mine)
    return mine


def has_responded(user_id: int, round_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(SurveyParticipation.responded).where(
                SurveyParticipation.round_id == round_id, SurveyParticipation.user_id == user_id
            )
        )
    )


def mark_responded(round_id: int, user_id: int) -> bool:
    """Participation false → true by a conditional UPDATE: False when it was true already (another tab, a
    double click), so that a second response is never written."""
    result = db.session.execute(
        update(SurveyParticipation)
        .where(
            SurveyParticipation.round_id == round_id,
            SurveyParticipation.user_id == user_id,
            SurveyParticipation.responded.is_(False),
        )
        .values(responded=True)
    )
    return result.rowcount == 1


def course_end_round(cohort: Cohort) -> SurveyRound | None:
    found = current_surveys([cohort.course_id]).get((cohort.course_id, rules.COURSE_END))
    if found is None:
        return None
    return db.session.scalar(
        select(SurveyRound).where(
            SurveyRound.survey_id == found[0].id, SurveyRound.subject == subject_of(cohort.id, None)
        )
    )


def course_end_answered(user_id: int, cohort: Cohort) -> bool:
    """Whether the learner answered the cohort's end-of-course survey (True when the course has none)."""
    found = current_surveys([cohort.course_id]).get((cohort.course_id, rules.COURSE_END))
    if found is None:
        return True
    return bool(
        db.session.scalar(
            select(SurveyParticipation.responded)
            .join(SurveyRound, SurveyRound.id == SurveyParticipation.round_id)
            .where(
                SurveyRound.survey_id == found[0].id,
                SurveyRound.subject == subject_of(cohort.id, None),
                SurveyParticipation.user_id == user_id,
            )
        )
    )


def download_waits_for_survey(user_id: int, cohort: Cohort) -> bool:
    """The cohort asks the end-of-course survey before the certificate's download, and it is not answered."""
    return bool(cohort.survey_before_certificate) and not course_end_answered(user_id, cohort)


def non_respondents(round_id: int) -> list[User]:
    """Who was asked and has not answered (reachable): the reminder's list, never shown on a page."""
    return list(
        db.session.scalars(
            select(User)
            .join(SurveyParticipation, SurveyParticipation.user_id == User.id)
            .where(
                SurveyParticipation.round_id == round_id,
                SurveyParticipation.responded.is_(False),
                User.is_active.is_(True),
                User.erased_at.is_(None),
            )
            .order_by(User.id)
        )
    )


# --- personal data ----------------------------------------------------------------------------------------


def erase_user(user) -> None:
    """Erasing a person: their action plans, whether they were asked and answered, and the link of their named
    responses to them (the anonymous answers never had one)."""
    db.session.execute(ActionPlan.__table__.delete().where(ActionPlan.user_id == user.id))
    db.session.execute(SurveyParticipation.__table__.delete().where(SurveyParticipation.user_id == user.id))
    db.session.execute(update(SurveyResponse).where(SurveyResponse.respondent_id == user.id).values(respondent_id=None))


def export_data(user) -> dict:
    """A person's evaluation data: their action plans, the surveys they were asked (answered or not) and the
    answers of their named responses. Anonymous answers cannot be found from the person: they are not in it."""
    plans = db.session.scalars(select(ActionPlan).where(ActionPlan.user_id == user.id).order_by(ActionPlan.id)).all()
    asked = db.session.execute(
        select(SurveyRound, SurveyParticipation.responded, Survey.slug, Course.slug)
        .join(SurveyParticipation, SurveyParticipation.round_id == SurveyRound.id)
        .join(Survey, Survey.id == SurveyRound.survey_id)
        .join(Course, Course.id == Survey.course_id)
        .where(SurveyParticipation.user_id == user.id)
        .order_by(SurveyRound.id)
    ).all()
    named = db.session.execute(
        select(SurveyResponse.round_id, SurveyResponse.week, SurveyResponse.answers)
        .where(SurveyResponse.respondent_id == user.id)
        .order_by(SurveyResponse.week)
    ).all()
    return {
        "action_plans": [
            {
                "cohort_id": p.cohort_id,
                "written_at": p.created_at.isoformat(),
                "reviewed_at": p.reviewed_at.isoformat() if p.reviewed_at else None,
                "actions": [
                    {"text": i.text, "outcome": i.outcome, "helped": i.helped, "obstacles": i.obstacles}
                    for i in p.items
                ],
            }
            for p in plans
        ],
        "surveys_asked": [
            {
                "course": course_slug,
                "survey": survey_slug,
                "cohort_id": r.cohort_id,
                "session_id": r.session_id,
                "answered": bool(responded),
            }
            for r, responded, survey_slug, course_slug in asked
        ],
        "named_responses": [
            {"round_id": round_id, "week": week.isoformat(), "answers": answers} for round_id, week, answers in named
        ],
    }


# --- the trainer's view of what is asked when ---------------------------------------------------------------


@dataclass
class Planned:
    """A line of the cohort's survey schedule: one round (made or to come), when it opens, is recalled, closes."""

    role: str
    session: WorkshopSession | None
    opens_at: datetime
    closes_at: datetime | None
    remind_at: datetime
    round: SurveyRound | None

    def state(self, now: datetime) -> str:
        if self.opens_at > now:
            return "planned"
        if self.closes_at is not None and now >= self.closes_at:
            return "closed"
        return "open"


def cohort_schedule(cohort: Cohort) -> list[Planned]:
    """Every survey round of the cohort, made or to come, in time order: the sessions' (when each ends), the
    end of course, the follow-up. Computed from the same rules as the task; three queries."""
    zone = display_zone()
    surveys = current_surveys([cohort.course_id])
    made = {
        (r.survey_id, r.subject): r
        for r in db.session.scalars(select(SurveyRound).where(SurveyRound.cohort_id == cohort.id))
    }
    lines: list[Planned] = []

    def add(role, session, times):
        found = surveys.get((cohort.course_id, role))
        if found is None or times is None:
            return
        round_ = made.get((found[0].id, subject_of(cohort.id, session.id if session else None)))
        opens_at, closes_at = (round_.opens_at, round_.closes_at) if round_ is not None else times
        invited = round_.invited_at if round_ is not None and round_.invited_at else opens_at
        lines.append(Planned(role, session, opens_at, closes_at, invited + rules.REMIND_AFTER[role], round_))

    if (cohort.course_id, rules.SESSION) in surveys:
        for session in db.session.scalars(
            select(WorkshopSession).where(WorkshopSession.cohort_id == cohort.id).order_by(WorkshopSession.starts_at)
        ):
            add(rules.SESSION, session, rules.session_times(session.ends_at))
    add(rules.COURSE_END, None, rules.course_end_times(cohort.end_date, zone))
    add(rules.FOLLOW_UP, None, rules.follow_up_times(cohort.end_date, cohort.follow_up_months or 0, zone))
    return sorted(lines, key=lambda line: line.opens_at)
