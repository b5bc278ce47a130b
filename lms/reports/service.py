"""Trainer dashboards and programme indicators. A fixed number of queries whatever the number of
learners: aggregates in SQL, grouping in one pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select

from ..accounts.models import User
from ..certificates.eligibility import Record, eligibility
from ..certificates.models import Certificate
from ..cohorts import service as cohorts
from ..cohorts.models import Attendance, Cohort, Enrolment, WorkshopSession
from ..content.models import Course, Module, ModuleProgress, QuizVersion
from ..core.timeutil import utcnow
from ..extensions import db
from ..quizzes.grading import final_grade
from ..quizzes.models import IN_PROGRESS, SUBMITTED, Attempt


@dataclass
class LearnerRow:
    user: User
    modules: dict = field(default_factory=dict)  # module id -> "done" | "started" | "new"
    quizzes: dict = field(
        default_factory=dict
    )  # module id -> {"grade": float|None, "passed": bool, "attempts": n, "open": bool}
    completed: int = 0
    completed_at: datetime | None = None
    attendance: float | None = None
    #: post-test grade minus pre-test grade, when the course has both and the learner took both
    gain: float | None = None
    certificate: Certificate | None = None
    eligible: bool = False
    flags: list = field(default_factory=list)  # "behind", "failing", "attendance"


@dataclass
class CohortDashboard:
    cohort: Cohort
    modules: list
    quizzes: dict  # module id -> QuizVersion
    rows: list[LearnerRow]
    sessions: list
    attendance_info: dict

    @property
    def needs_help(self) -> list[LearnerRow]:
        return [r for r in self.rows if r.flags]

    @property
    def average_gain(self) -> float | None:
        gains = [r.gain for r in self.rows if r.gain is not None]
        return round(sum(gains) / len(gains), 1) if gains else None

    def module_with_role(self, role: str):
        return next(
            (
                m
                for m in self.modules
                if m.id in self.quizzes and self.quizzes[m.id].definition["settings"].get("role") == role
            ),
            None,
        )


def cohort_dashboard(cohort: Cohort, now: datetime | None = None, with_marks: bool = False) -> CohortDashboard:
    now = now or utcnow()
    people = cohorts.learner_rows(cohort)
    ids = [u.id for u in people]
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == cohort.course_id, Module.is_archived.is_(False))
        .order_by(Module.position)
    ).all()
    module_ids = [m.id for m in modules]
    slug_of = {m.id: m.slug for m in modules}
    quizzes = (
        {
            q.module_id: q
            for q in db.session.scalars(
                select(QuizVersion).where(QuizVersion.module_id.in_(module_ids), QuizVersion.is_current.is_(True))
            )
        }
        if module_ids
        else {}
    )
    module_settings = {mid: cohorts.effective_quiz_settings(cohort, slug_of[mid], q) for mid, q in quizzes.items()}
    rows = {u.id: LearnerRow(u, modules={m: "new" for m in module_ids}) for u in people}
    if ids and module_ids:
        for user_id, module_id, completed_at in db.session.execute(
            select(ModuleProgress.user_id, ModuleProgress.module_id, ModuleProgress.completed_at).where(
                ModuleProgress.user_id.in_(ids), ModuleProgress.module_id.in_(module_ids)
            )
        ):
            row = rows[user_id]
            row.modules[module_id] = "done" if completed_at else "started"
            if completed_at:
                row.completed += 1
                row.completed_at = max(filter(None, [row.completed_at, completed_at]))
        grades: dict[tuple[int, int], list] = {}
        for user_id, module_id, state, percent, pending in db.session.execute(
            select(Attempt.user_id, Attempt.module_id, Attempt.state, Attempt.percent, Attempt.is_pending)
            .where(Attempt.user_id.in_(ids), Attempt.module_id.in_(module_ids))
            .order_by(Attempt.number)
        ):
            grades.setdefault((user_id, module_id), []).append((state, percent, pending))
        for (user_id, module_id), attempts in grades.items():
            quiz = quizzes.get(module_id)
            if quiz is None:
                continue
            settings = module_settings[module_id]
            done = [p or 0.0 for s, p, pending in attempts if s == SUBMITTED and not pending]
            grade = final_grade(done, settings["grading"])
            rows[user_id].quizzes[module_id] = {
                "grade": grade,
                "passed": grade is not None and grade >= settings["pass_mark"],
                "attempts": len(attempts),
                "open": any(s == IN_PROGRESS for s, _p, _x in attempts),
                "exhausted": bool(settings["max_attempts"]) and len(attempts) >= settings["max_attempts"],
            }
    pre = next((mid for mid, q in quizzes.items() if q.definition["settings"].get("role") == "pretest"), None)
    post = next((mid for mid, q in quizzes.items() if q.definition["settings"].get("role") == "posttest"), None)
    if pre and post:
        for row in rows.values():
            before, after = row.quizzes.get(pre, {}).get("grade"), row.quizzes.get(post, {}).get("grade")
            if before is not None and after is not None:
                row.gain = round(after - before, 1)
    sessions, attendance_rows, info = cohorts.attendance_report(cohort, now, people, with_marks=with_marks)
    for item in attendance_rows:
        rows[item.user.id].attendance = item.percent
    for certificate in db.session.scalars(
        select(Certificate).where(Certificate.cohort_id == cohort.id, Certificate.revoked_at.is_(None))
    ):
        if certificate.user_id in rows:
            rows[certificate.user_id].certificate = certificate
    # Eligibility from what is already loaded (the same pure rule the certificates use): no second pass.
    graded = [mid for mid, q in quizzes.items() if q.definition["settings"].get("role", "graded") != "pretest"]
    counts_attendance = cohort.mode != "online"
    span = max((cohort.end_date - cohort.start_date).days, 1)
    elapsed = min(max((now.date() - cohort.start_date).days / span, 0.0), 1.0)
    threshold = info["threshold"]
    for row in rows.values():
        record = Record(
            len(modules),
            row.completed,
            len(graded),
            sum(1 for mid in graded if row.quizzes.get(mid, {}).get("passed")),
            row.attendance,
        )
        row.eligible = eligibility(cohort.completion, record, counts_attendance).eligible
        if modules and row.completed / len(modules) + 0.2 < elapsed:
            row.flags.append("behind")
        if any(not q["passed"] and q["attempts"] and not q["open"] and mid != pre for mid, q in row.quizzes.items()):
            row.flags.append("failing")
        if cohort.mode != "online" and row.attendance is not None and row.attendance < threshold:
            row.flags.append("attendance")
    ordered = sorted(rows.values(), key=lambda r: r.user.name_latin.lower())
    return CohortDashboard(cohort, modules, quizzes, ordered, sessions, info)


def completion_over_time(dashboard: CohortDashboard, now: datetime | None = None) -> list[tuple[date, float]]:
    """Percent of learners who had completed every module, week by week from the cohort's start."""
    now = now or utcnow()
    total_modules = len(dashboard.modules)
    learners = len(dashboard.rows) or 1
    finish = [
        r.completed_at.date()
        for r in dashboard.rows
        if total_modules and r.completed == total_modules and r.completed_at
    ]
    day = dashboard.cohort.start_date
    end = min(max(dashboard.cohort.end_date, day), now.date())
    points = []
    while day <= end:
        points.append((day, round(100.0 * sum(1 for f in finish if f <= day) / learners, 1)))
        day += timedelta(days=7)
    if not points or points[-1][0] != end:
        points.append((end, round(100.0 * sum(1 for f in finish if f <= end) / learners, 1)))
    return points


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
    held = dict(
        db.session.execute(
            select(WorkshopSession.cohort_id, func.count(WorkshopSession.id))
            .where(WorkshopSession.cohort_id.in_(ids), WorkshopSession.starts_at <= now)
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
    attended, excused = {}, {}
    for cohort_id, status, count in db.session.execute(
        select(WorkshopSession.cohort_id, Attendance.status, func.count(Attendance.id))
        .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
        .where(WorkshopSession.cohort_id.in_(ids), WorkshopSession.starts_at <= now)
        .group_by(WorkshopSession.cohort_id, Attendance.status)
    ):
        if status in ("present", "late"):
            attended[cohort_id] = attended.get(cohort_id, 0) + count
        elif status == "excused":
            excused[cohort_id] = excused.get(cohort_id, 0) + count
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
        expected = n * held.get(cohort.id, 0) - excused.get(cohort.id, 0)
        result[cohort.id] = {
            "size": n,
            "completion": round(100.0 * completed.get(cohort.id, 0) / (n * modules), 1) if n and modules else None,
            "attendance": round(100.0 * attended.get(cohort.id, 0) / expected, 1) if expected > 0 else None,
            "untaken_sessions": untaken.get(cohort.id, 0),
            "certified": certified.get(cohort.id, 0),
        }
    return result


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
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.cohort_id.in_(_cohorts_in_scope(filters)))
    )
    if filters.jurisdiction:
        statement = statement.where(User.jurisdiction == filters.jurisdiction)
    if filters.profession:
        statement = statement.where(User.profession == filters.profession)
    return statement.subquery()


def programme_indicators(filters: ProgrammeFilters, now: datetime | None = None) -> dict:
    """The programme's indicators for a period and filters. About ten aggregate queries in all."""
    now = now or utcnow()
    scope = _people_in_scope(filters)
    # People enrolled, with their breakdown fields.
    people = db.session.execute(
        select(User.id, User.profession, User.jurisdiction, User.gender).where(User.id.in_(select(scope.c.user_id)))
    ).all()
    # Trained: completed every live module of the course of (at least) one of their cohorts.
    modules_per_course = (
        select(Module.course_id, func.count(Module.id).label("n"))
        .where(Module.is_archived.is_(False))
        .group_by(Module.course_id)
        .subquery()
    )
    done_per_pair = (
        select(scope.c.user_id, scope.c.course_id, func.count(ModuleProgress.id).label("done"))
        .join(Module, and_(Module.course_id == scope.c.course_id, Module.is_archived.is_(False)))
        .join(
            ModuleProgress,
            and_(
                ModuleProgress.module_id == Module.id,
                ModuleProgress.user_id == scope.c.user_id,
                ModuleProgress.completed_at.is_not(None),
                ModuleProgress.completed_at <= datetime.combine(filters.end, datetime.max.time()),
            ),
        )
        .group_by(scope.c.user_id, scope.c.course_id)
        .subquery()
    )
    trained = set(
        db.session.scalars(
            select(done_per_pair.c.user_id)
            .join(modules_per_course, modules_per_course.c.course_id == done_per_pair.c.course_id)
            .where(done_per_pair.c.done >= modules_per_course.c.n)
        )
    )
    certified = set(
        db.session.scalars(
            select(Certificate.user_id)
            .join(scope, and_(scope.c.user_id == Certificate.user_id, scope.c.cohort_id == Certificate.cohort_id))
            .where(Certificate.revoked_at.is_(None))
        )
    )
    period_start = datetime.combine(filters.start, datetime.min.time())
    period_end = min(datetime.combine(filters.end, datetime.max.time()), now)
    session_filter = and_(
        WorkshopSession.cohort_id.in_(select(scope.c.cohort_id)),
        WorkshopSession.starts_at >= period_start,
        WorkshopSession.starts_at <= period_end,
    )
    sessions_held = db.session.scalar(select(func.count(WorkshopSession.id)).where(session_filter)) or 0
    expected = (
        db.session.scalar(
            select(func.count())
            .select_from(WorkshopSession)
            .join(scope, scope.c.cohort_id == WorkshopSession.cohort_id)
            .where(session_filter)
        )
        or 0
    )
    marks = dict(
        db.session.execute(
            select(Attendance.status, func.count(Attendance.id))
            .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
            .join(scope, and_(scope.c.cohort_id == WorkshopSession.cohort_id, scope.c.user_id == Attendance.user_id))
            .where(session_filter)
            .group_by(Attendance.status)
        ).all()
    )
    denominator = expected - marks.get("excused", 0)
    attendance_rate = (
        round(100.0 * (marks.get("present", 0) + marks.get("late", 0)) / denominator, 1) if denominator > 0 else None
    )
    # Quizzes: best submitted percent per (person, quiz module), in the period.
    best = (
        select(Attempt.user_id, Attempt.module_id, func.max(Attempt.percent).label("best"))
        .join(Module, Module.id == Attempt.module_id)
        .join(scope, and_(scope.c.user_id == Attempt.user_id, scope.c.course_id == Module.course_id))
        .where(
            Attempt.state == SUBMITTED,
            Attempt.is_pending.is_(False),
            Attempt.submitted_at >= period_start,
            Attempt.submitted_at <= period_end,
        )
        .group_by(Attempt.user_id, Attempt.module_id)
        .subquery()
    )
    current = db.session.scalars(select(QuizVersion).where(QuizVersion.is_current.is_(True))).all()
    pass_marks = {q.module_id: q.definition["settings"]["pass_mark"] for q in current}
    pretests = {q.module_id for q in current if q.definition["settings"].get("role") == "pretest"}
    per_module = [
        (module_id, value)
        for module_id, value in db.session.execute(select(best.c.module_id, best.c.best))
        if pass_marks.get(module_id) is not None and module_id not in pretests
    ]
    quiz_pairs = len(per_module)
    quiz_passed = sum(
        1 for module_id, value in per_module if value is not None and value >= pass_marks.get(module_id, 70)
    )
    average = round(sum(v or 0 for _m, v in per_module) / quiz_pairs, 1) if quiz_pairs else None

    # Pre/post-test gain: for each person who took both tests of their course, post grade minus pre grade.
    roles = {q.module_id: q.definition["settings"].get("role", "graded") for q in current}
    firsts: dict[tuple[int, str], float] = {}
    for user_id, module_id, value in db.session.execute(select(best.c.user_id, best.c.module_id, best.c.best)):
        role = roles.get(module_id)
        if role in ("pretest", "posttest") and value is not None:
            firsts[(user_id, role)] = value
    gains = [
        firsts[(uid, "posttest")] - firsts[(uid, "pretest")]
        for uid, role in firsts
        if role == "pretest" and (uid, "posttest") in firsts
    ]
    average_gain = round(sum(gains) / len(gains), 1) if gains else None

    def breakdown(key: str) -> dict:
        table: dict = {}
        for uid, profession, jurisdiction, gender in people:
            value = {"profession": profession, "jurisdiction": jurisdiction, "gender": gender}[key] or "not-stated"
            cell = table.setdefault(value, {"enrolled": 0, "trained": 0, "certified": 0})
            cell["enrolled"] += 1
            cell["trained"] += uid in trained
            cell["certified"] += uid in certified
        return dict(sorted(table.items()))

    enrolled_ids = {p[0] for p in people}
    return {
        "filters": filters,
        "cohorts": db.session.scalar(select(func.count()).select_from(_cohorts_in_scope(filters).subquery())),
        "enrolled": len(enrolled_ids),
        "trained": len(trained & enrolled_ids),
        "certified": len(certified & enrolled_ids),
        "by_profession": breakdown("profession"),
        "by_jurisdiction": breakdown("jurisdiction"),
        "by_gender": breakdown("gender"),
        "sessions_held": sessions_held,
        "attendance_rate": attendance_rate,
        "quiz_pass_rate": round(100.0 * quiz_passed / quiz_pairs, 1) if quiz_pairs else None,
        "average_score": average,
        "quiz_results": quiz_pairs,
        "average_gain": average_gain,
        "gain_people": len(gains),
    }


SMALL_CELL = 5


def mask(value, enabled: bool):
    """Statistics offices' rule: a count under 5 (but not 0) is shown as "<5" when masking is asked for."""
    if enabled and isinstance(value, int) and 0 < value < SMALL_CELL:
        return "<5"
    return value


def course_choices() -> list[Course]:
    return db.session.scalars(select(Course).where(Course.is_archived.is_(False)).order_by(Course.slug)).all()
