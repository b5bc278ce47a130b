"""Trainer dashboards and programme indicators. A fixed number of queries whatever the number of
learners: aggregates in SQL, grouping in one pass. The cohort dashboard lives in ``dashboard``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Integer, and_, case, cast, func, literal, select

from ..accounts.models import User
from ..attendance import service as attendance
from ..attendance.models import Attendance, WorkshopSession
from ..attendance.rules import EXCUSED_ABSENT
from ..certificates.models import Certificate
from ..cohorts import service as cohorts
from ..cohorts.models import Cohort, Enrolment
from ..content.models import Course, Module, ModuleProgress, QuizVersion
from ..core.timeutil import utcnow
from ..extensions import db
from ..quizzes.models import SUBMITTED, Attempt
from . import evaluation

# The cohort dashboard's names are re-exported here, with the rest of the reports' service.
from .dashboard import CohortDashboard, LearnerRow, MatrixView, cohort_dashboard, flag  # noqa: F401

# --- trainer home ---------------------------------------------------------------------------------


def trainer_overview(cohort_list: list[Cohort], now: datetime | None = None) -> dict[int, dict]:
    """Per cohort: size, completion, attendance, and what needs attention. Constant queries in all."""
    now = now or utcnow()
    ids = [c.id for c in cohort_list]
    if not ids:
        return {}
    size = cohorts.enrolment_counts(ids)
    module_count = dict(
        db.session.execute(
            select(Module.course_id, func.count(Module.id))
            .where(Module.is_archived.is_(False))
            .group_by(Module.course_id)
        ).all()
    )
    completed = {}
    for cohort_id, done in db.session.execute(
        select(Enrolment.cohort_id, func.count(ModuleProgress.id))
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Module, and_(Module.course_id == Cohort.course_id, Module.is_archived.is_(False)))
        .join(
            ModuleProgress,
            and_(
                ModuleProgress.module_id == Module.id,
                ModuleProgress.user_id == Enrolment.user_id,
                ModuleProgress.completed_at.is_not(None),
            ),
        )
        .where(Enrolment.cohort_id.in_(ids))
        .group_by(Enrolment.cohort_id)
    ):
        completed[cohort_id] = done
    # Attendance by the rule of attendance.rules: a session in progress counts only the marks already taken,
    # an excused absence as the cohort says.
    over = dict(
        db.session.execute(
            select(WorkshopSession.cohort_id, func.count(WorkshopSession.id))
            .where(WorkshopSession.cohort_id.in_(ids), WorkshopSession.ends_at <= now)
            .group_by(WorkshopSession.cohort_id)
        ).all()
    )
    untaken = dict(
        db.session.execute(
            select(WorkshopSession.cohort_id, func.count(WorkshopSession.id))
            .where(
                WorkshopSession.cohort_id.in_(ids),
                WorkshopSession.ends_at <= now,
                ~select(Attendance.id).where(Attendance.session_id == WorkshopSession.id).exists(),
            )
            .group_by(WorkshopSession.cohort_id)
        ).all()
    )
    attended, excused, marked_open = {}, {}, {}
    is_open = WorkshopSession.ends_at > now
    for cohort_id, status, in_progress, count in db.session.execute(
        select(WorkshopSession.cohort_id, Attendance.status, is_open, func.count(Attendance.id))
        .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
        .where(WorkshopSession.cohort_id.in_(ids), WorkshopSession.starts_at <= now)
        .group_by(WorkshopSession.cohort_id, Attendance.status, is_open)
    ):
        if status in ("present", "late"):
            attended[cohort_id] = attended.get(cohort_id, 0) + count
        elif status == "excused":
            excused[cohort_id] = excused.get(cohort_id, 0) + count
        if in_progress:
            marked_open[cohort_id] = marked_open.get(cohort_id, 0) + count
    certified = dict(
        db.session.execute(
            select(Certificate.cohort_id, func.count(Certificate.id))
            .where(Certificate.cohort_id.in_(ids), Certificate.revoked_at.is_(None))
            .group_by(Certificate.cohort_id)
        ).all()
    )
    result = {}
    for cohort in cohort_list:
        n = size.get(cohort.id, 0)
        modules = module_count.get(cohort.course_id, 0)
        expected = n * over.get(cohort.id, 0) + marked_open.get(cohort.id, 0)
        if attendance.excused_policy(cohort) != EXCUSED_ABSENT:
            expected -= excused.get(cohort.id, 0)
        result[cohort.id] = {
            "size": n,
            "completion": round(100.0 * completed.get(cohort.id, 0) / (n * modules), 1) if n and modules else None,
            "attendance": round(100.0 * attended.get(cohort.id, 0) / expected, 1) if expected > 0 else None,
            "untaken_sessions": untaken.get(cohort.id, 0),
            "certified": certified.get(cohort.id, 0),
        }
    return result


@dataclass
class AgendaItem:
    session: WorkshopSession
    cohort: Cohort
    #: "now" (under way), "over" or "later"
    state: str
    #: learners marked present or late
    attended: int
    #: learners enrolled
    size: int


def trainer_agenda(cohort_list: list[Cohort], now: datetime | None = None, days: int = 14, upcoming: int = 5):
    """(today's sessions, the next ones within ``days`` after today, at most ``upcoming`` of them) of the live
    cohorts in ``cohort_list``, each with how many learners are marked present so far. Today is the local day
    (LMS_TIMEZONE). Three queries."""
    now = now or utcnow()
    live = {c.id: c for c in cohort_list if not c.is_archived}
    if not live:
        return [], []
    today = cohorts.utc_to_local(now).date()
    day_starts = cohorts.local_to_utc(today, time(0))
    day_ends = cohorts.local_to_utc(today + timedelta(days=1), time(0))
    sessions = db.session.scalars(
        select(WorkshopSession)
        .where(
            WorkshopSession.cohort_id.in_(list(live)),
            WorkshopSession.ends_at > day_starts,
            WorkshopSession.starts_at < day_ends + timedelta(days=days),
        )
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
    ).all()
    todays = [s for s in sessions if s.starts_at < day_ends]
    later = [s for s in sessions if s.starts_at >= day_ends][:upcoming]
    attended = (
        dict(
            db.session.execute(
                select(Attendance.session_id, func.count(Attendance.id))
                .where(Attendance.session_id.in_([s.id for s in todays]), Attendance.status.in_(("present", "late")))
                .group_by(Attendance.session_id)
            ).all()
        )
        if todays
        else {}
    )
    size = cohorts.enrolment_counts(list(live))

    def item(session: WorkshopSession) -> AgendaItem:
        state = "over" if session.ends_at <= now else ("now" if session.starts_at <= now else "later")
        return AgendaItem(
            session, live[session.cohort_id], state, attended.get(session.id, 0), size.get(session.cohort_id, 0)
        )

    return [item(s) for s in todays], [item(s) for s in later]


# --- programme indicators ----------------------------------------------------------------------------


@dataclass
class ProgrammeFilters:
    start: date
    end: date
    course_id: int | None = None
    cohort_id: int | None = None
    jurisdiction: str | None = None
    profession: str | None = None


def _cohorts_in_scope(filters: ProgrammeFilters):
    statement = select(Cohort.id).where(Cohort.start_date <= filters.end, Cohort.end_date >= filters.start)
    if filters.course_id:
        statement = statement.where(Cohort.course_id == filters.course_id)
    if filters.cohort_id:
        statement = statement.where(Cohort.id == filters.cohort_id)
    return statement


def _people_in_scope(filters: ProgrammeFilters):
    """(enrolment's cohort, user) pairs in scope, as a subquery."""
    statement = (
        select(Enrolment.cohort_id, Enrolment.user_id, Cohort.course_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Enrolment.cohort_id.in_(_cohorts_in_scope(filters)))
    )
    if filters.jurisdiction or filters.profession:  # the person's fields (every enrolment has its person)
        statement = statement.join(User, User.id == Enrolment.user_id)
    if filters.jurisdiction:
        statement = statement.where(User.jurisdiction == filters.jurisdiction)
    if filters.profession:
        statement = statement.where(User.profession == filters.profession)
    return statement.subquery()


BREAKDOWNS = ("profession", "jurisdiction", "gender")


def programme_indicators(filters: ProgrammeFilters, now: datetime | None = None) -> dict:
    """The programme's indicators for a period and filters. Aggregates in SQL: seven queries in all."""
    now = now or utcnow()
    scope = _people_in_scope(filters)
    # Trained: completed every live module of the course of (at least) one of their cohorts. A person in two
    # cohorts of the same course is one (person, course) pair.
    pairs = select(scope.c.user_id, scope.c.course_id).distinct().subquery()
    modules_per_course = (
        select(Module.course_id, func.count(Module.id).label("n"))
        .where(Module.is_archived.is_(False))
        .group_by(Module.course_id)
        .subquery()
    )
    done_per_pair = (
        select(pairs.c.user_id, pairs.c.course_id, func.count(ModuleProgress.id).label("done"))
        .join(Module, and_(Module.course_id == pairs.c.course_id, Module.is_archived.is_(False)))
        .join(
            ModuleProgress,
            and_(
                ModuleProgress.module_id == Module.id,
                ModuleProgress.user_id == pairs.c.user_id,
                ModuleProgress.completed_at.is_not(None),
                ModuleProgress.completed_at <= datetime.combine(filters.end, datetime.max.time()),
            ),
        )
        .group_by(pairs.c.user_id, pairs.c.course_id)
        .subquery()
    )
    trained = (
        select(done_per_pair.c.user_id)
        .join(modules_per_course, modules_per_course.c.course_id == done_per_pair.c.course_id)
        .where(done_per_pair.c.done >= modules_per_course.c.n)
    )
    certified = (
        select(Certificate.user_id)
        .join(scope, and_(scope.c.user_id == Certificate.user_id, scope.c.cohort_id == Certificate.cohort_id))
        .where(Certificate.revoked_at.is_(None))
    )
    # People enrolled, once each, counted by (profession, jurisdiction, gender): a few rows whatever their number.
    breakdowns = {key: {} for key in BREAKDOWNS}
    for *values, enrolled, trained_count, certified_count in db.session.execute(
        select(
            *(getattr(User, key) for key in BREAKDOWNS),
            func.count(),
            func.sum(flag(User.id.in_(trained))),
            func.sum(flag(User.id.in_(certified))),
        )
        .where(User.id.in_(select(scope.c.user_id)))
        .group_by(*(getattr(User, key) for key in BREAKDOWNS))
    ):
        for key, value in zip(BREAKDOWNS, values, strict=True):
            cell = breakdowns[key].setdefault(value or "not-stated", {"enrolled": 0, "trained": 0, "certified": 0})
            cell["enrolled"] += enrolled
            cell["trained"] += trained_count
            cell["certified"] += certified_count
    totals = {  # any breakdown adds up to the totals: everyone has one profession, "not-stated" included
        name: sum(cell[name] for cell in breakdowns["profession"].values())
        for name in ("enrolled", "trained", "certified")
    }
    # Attendance: each person in scope expected at each session of their cohort held in the period.
    period_start = datetime.combine(filters.start, datetime.min.time())
    period_end = min(datetime.combine(filters.end, datetime.max.time()), now)
    sessions_held, expected, attended, excused = db.session.execute(
        select(
            func.count(func.distinct(WorkshopSession.id)),
            func.count(),
            func.sum(flag(Attendance.status.in_(("present", "late")))),
            func.sum(flag(Attendance.status == "excused")),
        )
        .select_from(WorkshopSession)
        .join(scope, scope.c.cohort_id == WorkshopSession.cohort_id)
        .outerjoin(Attendance, and_(Attendance.session_id == WorkshopSession.id, Attendance.user_id == scope.c.user_id))
        .where(WorkshopSession.starts_at >= period_start, WorkshopSession.starts_at <= period_end)
    ).one()
    denominator = expected - (excused or 0)
    attendance_rate = round(100.0 * (attended or 0) / denominator, 1) if denominator > 0 else None
    # Quizzes: best submitted percent per (person, quiz module), in the period.
    best = (
        select(Attempt.user_id, Attempt.module_id, Module.course_id, func.max(Attempt.percent).label("best"))
        .join(Module, Module.id == Attempt.module_id)
        .join(scope, and_(scope.c.user_id == Attempt.user_id, scope.c.course_id == Module.course_id))
        .where(
            Attempt.state == SUBMITTED,
            Attempt.is_pending.is_(False),
            Attempt.submitted_at >= period_start,
            Attempt.submitted_at <= period_end,
        )
        .group_by(Attempt.user_id, Attempt.module_id, Module.course_id)
        .subquery()
    )
    current = db.session.scalars(select(QuizVersion).where(QuizVersion.is_current.is_(True))).all()
    roles = {q.module_id: q.definition["settings"].get("role", "graded") for q in current}
    # The pre-test never counts among the quizzes passed, nor in the pass rate.
    pass_marks = {
        q.module_id: q.definition["settings"]["pass_mark"]
        for q in current
        if q.definition["settings"]["pass_mark"] is not None and roles[q.module_id] != "pretest"
    }
    scored = best.c.module_id.in_(list(pass_marks))
    # No quiz with a pass mark (no course synced yet): nothing is scored, any mark will do (a comparison
    # with NULL is refused by SQLAlchemy).
    pass_mark = case(pass_marks, value=best.c.module_id) if pass_marks else literal(0.0)

    def role(name: str):
        return best.c.module_id.in_([m for m, r in roles.items() if r == name])

    # Per person and course: their quiz results, and their pre-test and post-test grades.
    per_pair = (
        select(
            func.count(case((scored, 1))).label("results"),
            func.sum(flag(and_(scored, best.c.best >= pass_mark))).label("passed"),
            func.sum(case((scored, func.coalesce(best.c.best, 0.0)), else_=0.0)).label("points"),
            func.max(case((role("pretest"), best.c.best))).label("before"),
            func.max(case((role("posttest"), best.c.best))).label("after"),
        )
        .group_by(best.c.user_id, best.c.course_id)
        .subquery()
    )
    # Pre/post-test gain: for each person who took both tests of a course, post grade minus pre grade.
    both = and_(per_pair.c.before.is_not(None), per_pair.c.after.is_not(None))
    quiz_pairs, quiz_passed, score_total, gain_people, gain_total = db.session.execute(
        select(
            # integers (PostgreSQL's sum of counts is a numeric)
            cast(func.sum(per_pair.c.results), Integer),
            cast(func.sum(per_pair.c.passed), Integer),
            func.sum(per_pair.c.points),
            func.count(case((both, 1))),
            func.sum(case((both, per_pair.c.after - per_pair.c.before))),
        )
    ).one()
    return {
        "filters": filters,
        "cohorts": db.session.scalar(select(func.count()).select_from(_cohorts_in_scope(filters).subquery())),
        **totals,
        **{f"by_{key}": dict(sorted(table.items())) for key, table in breakdowns.items()},
        "sessions_held": sessions_held,
        "attendance_rate": attendance_rate,
        "quiz_pass_rate": round(100.0 * (quiz_passed or 0) / quiz_pairs, 1) if quiz_pairs else None,
        "average_score": round(score_total / quiz_pairs, 1) if quiz_pairs else None,
        "quiz_results": quiz_pairs or 0,
        "average_gain": round(gain_total / gain_people, 1) if gain_people else None,
        "gain_people": gain_people,
        # Level 3 (transfer to practice): the follow-up surveys of the cohorts in scope (two queries)
        **evaluation.transfer_indicators(filters, _cohorts_in_scope),
    }


SMALL_CELL = 5


def mask(value, enabled: bool):
    """Statistics offices' rule: a count under 5 (but not 0) is shown as "<5" when masking is asked for."""
    if enabled and isinstance(value, int) and 0 < value < SMALL_CELL:
        return "<5"
    return value


def course_choices() -> list[Course]:
    """The courses a report may be filtered on: every course not archived, by slug."""
    return db.session.scalars(select(Course).where(Course.is_archived.is_(False)).order_by(Course.slug)).all()
