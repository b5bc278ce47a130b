"""The cohort dashboard. It reads each learner's summary (``lms.reports.summaries``: modules completed, quizzes
passed, pre- and post-test grades, attendance counts, kept up to date by every write that changes them) and
works out in SQL what depends on the clock and on the cohort's rules: the flags of "who needs help",
eligibility for a certificate, certificate held. The cohort-wide figures (counts, completion curve, average
gain, score charts) are SQL aggregates; the filters, the sort and the page are SQL too, and full rows (module by
module, quiz by quiz, certificate) are loaded only for the learners shown. A fixed number of queries, and work
in Python for one page only, whatever the cohort's size.

Where Python and SQL both need a rule, it is written once in Python and the SQL is derived from it
(attendance thresholds, "behind", the pass mark), or written side by side with its SQL where the rule lives
(eligibility: ``lms.certificates.rules``), so that the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import (
    Float,
    Integer,
    Numeric,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased

from ..accounts.models import User
from ..attendance import rules as attendance_rules
from ..attendance import service as attendance
from ..attendance.models import Attendance, WorkshopSession
from ..certificates.models import Certificate
from ..certificates.rules import eligible_sql, fewest_to_attend, requirements
from ..cohorts import service as cohorts
from ..cohorts.models import Cohort, Enrolment
from ..content.models import Module, ModuleProgress, QuizVersion
from ..core.timeutil import utcnow
from ..extensions import db
from ..quizzes.grading import pass_threshold
from ..quizzes.models import IN_PROGRESS, SUBMITTED, Attempt
from . import summaries
from .models import LearnerQuizSummary, LearnerSummary

#: learners per page of the matrix
PER_PAGE = 50
#: learners listed under "Who needs help" (the rest are one filter away)
HELP_SHOWN = 20
#: a learner is behind when the share of modules completed, plus this slack, is under the share of time elapsed
BEHIND_SLACK = 0.2
#: points of the completion curve at most (weeks, then months, quarters, years: see completion_days)
MAX_CURVE_POINTS = 60
#: the flags of "who needs help", in display order, with the learner table's column for each
FLAG_COLUMNS = {"behind": "behind", "failing": "failing", "attendance": "low_attendance"}


class Person(NamedTuple):
    id: int
    name_latin: str
    name_arabic: str | None
    email: str
    profession: str | None
    jurisdiction: str | None
    gender: str | None


@dataclass
class LearnerRow:
    user: Person
    modules: dict = field(default_factory=dict)  # module id -> "done" | "started" | "new"
    quizzes: dict = field(
        default_factory=dict
    )  # module id -> {"grade": float|None, "passed": bool, "attempts": n, "open": bool, "exhausted": bool}
    completed: int = 0
    completed_at: datetime | None = None
    attendance: float | None = None
    #: post-test grade minus pre-test grade, when the course has both and the learner took both
    gain: float | None = None
    certificate: Certificate | None = None
    eligible: bool = False
    flags: list = field(default_factory=list)  # "behind", "failing", "attendance"
    #: the attendance rule's verdict (attendance.rules): why the "attendance" flag is raised
    attendance_verdict: attendance_rules.Verdict | None = None


@dataclass
class MatrixView:
    """Which learners the dashboard lists, in which order: its filters, sort and page."""

    profession: str = ""
    jurisdiction: str = ""
    status: str = ""  # "" (all), "help", "eligible" (and no certificate yet), "certified"
    sort: str = "name"  # "name", "progress" (most modules first), "attendance" (lowest first)
    page: int = 1
    #: None: every learner the filters keep, on one page (exports)
    per_page: int | None = None
    #: one learner only (the learner's page); the board's counts are then that learner's alone
    learner_id: int | None = None


@dataclass
class CohortDashboard:
    cohort: Cohort
    modules: list
    quizzes: dict  # module id -> QuizVersion
    #: the learners listed (the page asked for), in the view's order
    rows: list[LearnerRow]
    sessions: list
    attendance_info: dict
    #: learners enrolled
    size: int = 0
    #: learners the view's filters keep, over all pages
    total_rows: int = 0
    page: int = 1
    pages: int = 1
    #: the first HELP_SHOWN learners who need help, by name; help_count says how many there are in all
    needs_help: list[LearnerRow] = field(default_factory=list)
    help_count: int = 0
    #: learners eligible for a certificate who have none yet
    ready_count: int = 0
    average_gain: float | None = None
    #: (day, percent of the learners who had completed every module), week by week from the cohort's start
    completion: list[tuple[date, float]] = field(default_factory=list)
    #: quiz module id -> learners per bucket of grades (charts.histogram_counts' buckets: the score charts)
    histograms: dict[int, list[int]] = field(default_factory=dict)

    def module_with_role(self, role: str):
        return next(
            (
                m
                for m in self.modules
                if m.id in self.quizzes and self.quizzes[m.id].definition["settings"].get("role") == role
            ),
            None,
        )


# --- the rules, in Python ------------------------------------------------------------------------------


def elapsed_share(cohort: Cohort, now: datetime) -> float:
    """The share of the cohort's time elapsed, from 0 to 1."""
    span = max((cohort.end_date - cohort.start_date).days, 1)
    return min(max((now.date() - cohort.start_date).days / span, 0.0), 1.0)


def is_behind(completed: int, modules_total: int, elapsed: float) -> bool:
    return bool(modules_total) and completed / modules_total + BEHIND_SLACK < elapsed


def gain(before: float | None, after: float | None) -> float | None:
    """Pre-test to post-test gain, in points."""
    return round(after - before, 1) if before is not None and after is not None else None


def completion_days(cohort: Cohort, now: datetime) -> list[date]:
    """The days of the completion curve: the start, then every 7 days, and the last day (today at most).
    Past MAX_CURVE_POINTS weeks, the first day of every month (of every quarter, year, or n years) instead:
    the curve has at most MAX_CURVE_POINTS points whatever the dates (a cohort from year 1 would otherwise
    have one a week for 2,000 years)."""
    start = cohort.start_date
    end = min(max(cohort.end_date, start), now.date())
    if end <= start:
        return [end]
    if (end - start).days // 7 + 2 <= MAX_CURVE_POINTS:
        days = [start + timedelta(days=7 * i) for i in range((end - start).days // 7 + 1)]
    else:
        months = (end.year - start.year) * 12 + end.month - start.month
        step = next(
            (s for s in (1, 3, 6, 12) if months // s + 2 <= MAX_CURVE_POINTS),
            12 * -(-(months // 12 + 2) // (MAX_CURVE_POINTS - 2)),
        )
        first = (start.year * 12 + start.month - 1) // step * step + step  # the first boundary after the start
        days = [start] + [
            date(index // 12, index % 12 + 1, 1)
            for index in range(first, end.year * 12 + end.month, step)
            if date(index // 12, index % 12 + 1, 1) < end
        ]
    if days[-1] != end:
        days.append(end)
    return days


@dataclass
class _Plan:
    """What the indicators depend on besides the learners: the course's modules and quizzes, the quiz
    settings as the cohort adapted them, the sessions, the time."""

    cohort: Cohort
    now: datetime
    modules: list
    quizzes: dict
    settings: dict
    sessions: list

    def __post_init__(self):
        self.module_ids = [m.id for m in self.modules]
        roles = {mid: q.definition["settings"].get("role", "graded") for mid, q in self.quizzes.items()}
        self.pre = next((mid for mid, role in roles.items() if role == "pretest"), None)
        self.post = next((mid for mid, role in roles.items() if role == "posttest"), None)
        #: the quizzes that count for a certificate: all but the pre-test
        self.graded = [mid for mid, role in roles.items() if role != "pretest"]
        self.held_ids = [s.id for s in self.sessions if s.starts_at <= self.now]
        #: sessions in progress: someone without a mark in one may still check in (attendance.rules)
        self.open_ids = [s.id for s in self.sessions if s.starts_at <= self.now < s.ends_at]
        self.total_sessions = len(self.sessions)
        self.threshold = float(self.cohort.completion.get("attendance_percent") or 0)
        self.counts_attendance = self.cohort.mode != "online"
        self.excused_policy = attendance.excused_policy(self.cohort)
        self.enough_held = attendance_rules.enough_held(len(self.held_ids), self.total_sessions)
        self.requirements = requirements(
            self.cohort.completion, len(self.modules), len(self.graded), self.counts_attendance
        )
        elapsed = elapsed_share(self.cohort, self.now)
        #: behind <=> fewer modules completed than this (is_behind holds for 0, 1, ... up to it)
        self.behind_below = sum(1 for c in range(len(self.modules) + 1) if is_behind(c, len(self.modules), elapsed))
        #: everything the SQL statements below are built from: equal signatures, equal statements
        self.signature = (
            self.cohort.id,
            tuple(self.module_ids),
            tuple(sorted((mid, s["grading"], s["pass_mark"], s["max_attempts"]) for mid, s in self.settings.items())),
            self.pre,
            self.post,
            tuple(self.graded),
            tuple(s.id for s in self.sessions),
            tuple(self.held_ids),
            tuple(self.open_ids),
            self.total_sessions,
            self.threshold,
            self.counts_attendance,
            self.excused_policy,
            self.requirements,
            self.behind_below,
        )


#: built statements by (kind, plan signature): building the learner table costs SQLAlchemy ~10 times as much as
#: running it on a small cohort, and a statement object reused keeps its cache key (bench/dashboard_bench.py)
_STATEMENTS: dict = {}
_STATEMENTS_MAX = 512


def _memo(kind, plan: _Plan, build):
    key = (kind, plan.signature)
    statement = _STATEMENTS.get(key)
    if statement is None:
        if len(_STATEMENTS) >= _STATEMENTS_MAX:
            _STATEMENTS.clear()
        statement = _STATEMENTS[key] = build()
    return statement


def _plan(cohort: Cohort, now: datetime, with_sessions: bool = True) -> _Plan:
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == cohort.course_id, Module.is_archived.is_(False))
        .order_by(Module.position)
    ).all()
    slug_of = {m.id: m.slug for m in modules}
    quizzes = (
        {
            q.module_id: q
            for q in db.session.scalars(
                select(QuizVersion).where(QuizVersion.module_id.in_(list(slug_of)), QuizVersion.is_current.is_(True))
            )
        }
        if modules
        else {}
    )
    settings = {mid: cohorts.effective_quiz_settings(cohort, slug_of[mid], q) for mid, q in quizzes.items()}
    return _Plan(cohort, now, modules, quizzes, settings, attendance.sessions_of(cohort) if with_sessions else [])


# --- the same rules, in SQL -----------------------------------------------------------------------------


def flag(condition):
    """A condition as a 0/1 column: filtered on and added up alike in SQLite and PostgreSQL."""
    return case((condition, 1), else_=0)


def _quiz_table(plan: _Plan, users, with_attempts: bool = False):
    """One row per learner (among ``users``) and quiz of the course they made an attempt at: open (one in
    progress), grade by the quiz's grading method as quizzes.grading.final_grade computes it (graded attempts
    only, a missing percent as 0; null when none is graded yet), passed (the grade reaches the pass mark, as
    the cohort set it, as quizzes.grading.passes decides on final_grade's grade: see pass_threshold); with
    ``with_attempts``, the number of attempts too."""
    graded = and_(Attempt.state == SUBMITTED, Attempt.is_pending.is_(False))
    score = case((graded, func.coalesce(Attempt.percent, 0.0)))  # null for an attempt that is not graded
    methods = {
        method: [mid for mid, s in plan.settings.items() if s["grading"] == method]
        for method in ("first", "last", "average")
    }
    # Only the aggregates the grading methods need (SQLite pays for each, row by row).
    aggregates = [func.max(score).label("highest")]
    if with_attempts:
        aggregates.append(func.count().label("attempts"))
    if methods["first"]:
        aggregates.append(func.min(case((graded, Attempt.number))).label("first_number"))
    if methods["last"]:
        aggregates.append(func.max(case((graded, Attempt.number))).label("last_number"))
    if methods["average"]:
        aggregates.append(func.avg(score).label("average"))
    attempts = (
        select(
            Attempt.user_id,
            Attempt.module_id,
            func.max(flag(Attempt.state == IN_PROGRESS)).label("open"),
            *aggregates,
        )
        .where(
            Attempt.cohort_id == plan.cohort.id, Attempt.module_id.in_(list(plan.quizzes)), Attempt.user_id.in_(users)
        )
        .group_by(Attempt.user_id, Attempt.module_id)
        .subquery("attempts")
    )
    whens = []
    for method, modules in methods.items():
        if not modules:
            continue
        if method == "average":
            value = cast(func.round(cast(attempts.c.average, Numeric), 2), Float)
        else:  # the first (last) graded attempt's percent, found by its number: one index lookup
            attempt = aliased(Attempt)
            value = (
                select(func.coalesce(attempt.percent, 0.0))
                .where(
                    attempt.user_id == attempts.c.user_id,
                    attempt.module_id == attempts.c.module_id,
                    attempt.number == attempts.c[f"{method}_number"],
                )
                .scalar_subquery()
            )
        whens.append((attempts.c.module_id.in_(modules), value))
    grade = case(*whens, else_=attempts.c.highest) if whens else attempts.c.highest  # else: the highest
    counts = [attempts.c.attempts] if with_attempts else []
    unrounded = [attempts.c.average] if methods["average"] else []
    grades = select(
        attempts.c.user_id, attempts.c.module_id, *counts, attempts.c.open, grade.label("grade"), *unrounded
    ).subquery("grades")
    # An average is compared unrounded with the least average that final_grade's rounding carries to the pass
    # mark: ROUND in SQL does not round halves as Python does (see pass_threshold).
    pass_marks = {mid: pass_threshold(s["pass_mark"], s["grading"]) for mid, s in plan.settings.items()}
    if len(set(pass_marks.values())) == 1:  # the same for every quiz: no CASE to evaluate on every row
        pass_mark = literal(next(iter(pass_marks.values())))
    else:
        pass_mark = case(pass_marks, value=grades.c.module_id) if pass_marks else null()
    graded_by = grades.c.grade
    if methods["average"]:
        graded_by = case((grades.c.module_id.in_(methods["average"]), grades.c.average), else_=grades.c.grade)
    shown = [column for column in grades.c if column.key != "average"]
    # A null grade (nothing graded yet) is not a pass.
    return select(*shown, flag(graded_by >= pass_mark).label("passed")).subquery("quizzes")


def _learner_table(plan: _Plan):
    """One row per learner of the cohort, from their summary (``learner_summary``, one row each): who they are,
    their counts, their flags (0 or 1), eligibility, certificate held, the pre- and post-test's grades. What
    depends on the clock is worked out here: the marks of sessions not held yet are taken away from the
    summary's counts, and a session in progress without a mark is still to come (attendance.rules)."""
    cohort = plan.cohort
    summary = LearnerSummary
    held = set(plan.held_ids)
    future_ids = [s.id for s in plan.sessions if s.id not in held]
    extra_ids = [*plan.open_ids, *future_ids]
    if extra_ids:  # usually none marked: an index lookup of the sessions to come and in progress
        in_future = Attendance.session_id.in_(future_ids) if future_ids else false()
        in_progress = Attendance.session_id.in_(plan.open_ids) if plan.open_ids else false()
        marks = (
            select(
                Attendance.user_id,
                func.sum(flag(and_(in_future, Attendance.status.in_(("present", "late"))))).label("attended"),
                func.sum(flag(and_(in_future, Attendance.status == "excused"))).label("excused"),
                func.sum(flag(in_progress)).label("marked_open"),
            )
            .where(Attendance.session_id.in_(extra_ids))
            .group_by(Attendance.user_id)
            .subquery("marks")
        )
        attended = summary.attended - func.coalesce(marks.c.attended, 0)
        excused = summary.excused - func.coalesce(marks.c.excused, 0)
        marked_open = func.coalesce(marks.c.marked_open, 0)
    else:
        marks = None
        attended, excused, marked_open = summary.attended, summary.excused, literal(0, Integer)
    completed = summary.modules_completed
    # When they completed every module (null until then): the completion curve.
    finished_at = case((completed == len(plan.modules), summary.completed_at)) if plan.modules else null()
    passed = summary.quizzes_passed
    # attendance.rules: a session over without a mark counts as absent, one in progress without a mark is
    # still to come; an excused absence counts as the cohort says.
    open_unmarked = literal(len(plan.open_ids), Integer) - marked_open
    counted = literal(len(plan.held_ids), Integer) - open_unmarked
    if plan.excused_policy != attendance_rules.EXCUSED_ABSENT:
        counted = counted - excused
    remaining = literal(plan.total_sessions - len(plan.held_ids), Integer) + open_unmarked
    behind = completed < plan.behind_below if plan.behind_below else false()
    failing = summary.failing == 1
    has_sessions = counted > 0  # attendance is None until a session counts
    if plan.counts_attendance and plan.threshold > 0:
        unreachable = and_(
            counted + remaining > 0,
            attended + remaining < fewest_to_attend(counted + remaining, plan.threshold, plan.total_sessions),
        )
        below_now = (
            and_(has_sessions, attended < fewest_to_attend(counted, plan.threshold, plan.total_sessions))
            if plan.enough_held
            else false()
        )
        low_attendance = or_(unreachable, below_now)
    else:
        low_attendance = false()
    # The certificate's rule, as SQL (lms.certificates.rules).
    eligible = eligible_sql(plan.requirements, completed, passed, attended, counted, plan.total_sessions)
    certified = summary.user_id.in_(
        select(Certificate.user_id).where(Certificate.cohort_id == cohort.id, Certificate.revoked_at.is_(None))
    )
    statement = (
        select(
            *(getattr(User, name) for name in Person._fields),
            completed.label("completed"),
            finished_at.label("finished_at"),
            attended.label("attended"),
            counted.label("counted"),
            excused.label("excused"),
            remaining.label("remaining"),
            flag(behind).label("behind"),
            flag(failing).label("failing"),
            flag(low_attendance).label("low_attendance"),
            flag(or_(behind, failing, low_attendance)).label("needs_help"),
            flag(eligible).label("eligible"),
            flag(certified).label("certified"),
            summary.pre_grade,
            summary.post_grade,
        )
        .select_from(summary)
        .join(User, User.id == summary.user_id)
        .where(summary.cohort_id == cohort.id)
    )
    if marks is not None:
        statement = statement.outerjoin(marks, marks.c.user_id == summary.user_id)
    return statement


# --- the dashboard ----------------------------------------------------------------------------------------


def _by_code_point(column):
    """Names ordered by their characters' code points, as Python sorted them before the summaries, whatever the
    database's collation (SQLite compares bytes already; PostgreSQL's may ignore spaces and punctuation)."""
    return column.collate("C") if db.engine.dialect.name == "postgresql" else column


def _order(view: MatrixView, table) -> list:
    """The matrix's order (MatrixView.sort), in SQL; every one ends by name regardless of case (ASCII letters on
    SQLite, whose lower() folds no other), then the id."""
    name = _by_code_point(table.c.name_latin)
    folded = _by_code_point(func.lower(table.c.name_latin))
    if view.sort == "progress":  # most modules first, then by name as written
        return [table.c.completed.desc(), name, folded, table.c.id]
    by_name = [folded, name, table.c.id]
    if view.sort == "attendance":  # lowest first, learners without a session that counts last
        percent = case((table.c.counted > 0, cast(table.c.attended, Float) / table.c.counted), else_=0.0)
        return [flag(table.c.counted <= 0), percent, *by_name]
    return by_name


def _kept(view: MatrixView, table):
    """The view's filters on the learner table, as one condition."""
    conditions = []
    if view.profession:
        conditions.append(table.c.profession == view.profession)
    if view.jurisdiction:
        conditions.append(table.c.jurisdiction == view.jurisdiction)
    if view.status == "help":
        conditions.append(table.c.needs_help == 1)
    elif view.status == "eligible":
        conditions.append(and_(table.c.eligible == 1, table.c.certified == 0))
    elif view.status == "certified":
        conditions.append(table.c.certified == 1)
    if view.learner_id is not None:
        conditions.append(table.c.id == view.learner_id)
    return and_(true(), *conditions)


def cohort_dashboard(
    cohort: Cohort, now: datetime | None = None, with_marks: bool = False, view: MatrixView | None = None
) -> CohortDashboard:
    """The dashboard of a cohort: every learner (by name) unless ``view`` filters, sorts or pages them.
    With ``with_marks``, each listed learner's attendance status per session too.

    It reads the learners' summaries (``lms.reports.summaries``): the cohort-wide figures are SQL aggregates over
    them, the matrix is one page of them, and only the learners listed (and the first who need help) get their
    module-by-module and quiz-by-quiz rows. The same statements whatever the cohort's size."""
    summaries.apply_pending()  # this transaction's own writes, not committed yet
    view = view or MatrixView()
    plan = _plan(cohort, now or utcnow())
    board = CohortDashboard(
        cohort,
        plan.modules,
        plan.quizzes,
        [],
        plan.sessions,
        {
            "per_session": attendance.session_counts(cohort, plan.sessions),
            "held": set(plan.held_ids),
            "threshold": plan.threshold,
            "marks": {},
        },
    )
    table = _memo("learners", plan, lambda: _learner_table(plan).subquery("learners"))
    kept = _kept(view, table)
    _summarize(board, plan, table, kept)
    listed = select(table).where(kept).order_by(*_order(view, table))
    if view.per_page:
        board.pages = max((board.total_rows + view.per_page - 1) // view.per_page, 1)
        board.page = min(max(view.page, 1), board.pages)
        listed = listed.limit(view.per_page).offset((board.page - 1) * view.per_page)
    learners = db.session.connection().execute(listed).all()  # Core rows: no ORM processing per row
    helped = (
        db.session.connection()
        .execute(select(table).where(table.c.needs_help == 1).order_by(*_order(MatrixView(), table)).limit(HELP_SHOWN))
        .all()
        if view.learner_id is None
        else [r for r in learners if r.needs_help]
    )
    # The full rows of the learners shown; when that is the whole cohort (exports), selected by a subquery.
    rows = {r.id: _row(plan, r) for r in [*learners, *helped]}
    everyone = not view.per_page and view.learner_id is None and not _filtered(view)
    who = select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id) if everyone else list(rows)
    if rows:
        _fill(plan, rows, who, board.attendance_info["marks"] if with_marks else None)
    board.rows = [rows[r.id] for r in learners]
    board.needs_help = [rows[r.id] for r in helped]
    return board


def _filtered(view: MatrixView) -> bool:
    return bool(view.profession or view.jurisdiction or view.status)


def _summarize(board: CohortDashboard, plan: _Plan, table, kept) -> None:
    """The counts, the completion curve, the average gain (one aggregate over the summaries) and the score
    charts' buckets (one over the quizzes' summaries)."""
    days = completion_days(plan.cohort, plan.now)
    # finished on a day or before: finished before the next midnight
    ends = [datetime.combine(day + timedelta(days=1), datetime.min.time()) for day in days]
    both = and_(table.c.pre_grade.is_not(None), table.c.post_grade.is_not(None))
    figures = (
        db.session.connection()
        .execute(
            select(
                func.count(),
                func.coalesce(func.sum(flag(kept)), 0),
                func.coalesce(func.sum(table.c.needs_help), 0),
                func.coalesce(func.sum(flag(and_(table.c.eligible == 1, table.c.certified == 0))), 0),
                func.sum(flag(both)),
                func.sum(case((both, table.c.post_grade - table.c.pre_grade))),
                *(func.coalesce(func.sum(flag(table.c.finished_at < end)), 0) for end in ends),
            )
        )
        .one()
    )
    board.size, board.total_rows, board.help_count, board.ready_count, gains, gain_sum = figures[:6]
    board.completion = [
        (day, round(100.0 * count / (board.size or 1), 1)) for day, count in zip(days, figures[6:], strict=True)
    ]
    if plan.pre and plan.post and gains:
        board.average_gain = round(gain_sum / gains, 1)
    board.histograms = {module_id: [0] * summaries.BINS for module_id in plan.quizzes}
    for module_id, bucket, count in db.session.execute(
        select(LearnerQuizSummary.module_id, LearnerQuizSummary.bucket, func.count())
        .where(LearnerQuizSummary.cohort_id == plan.cohort.id, LearnerQuizSummary.bucket.is_not(None))
        .group_by(LearnerQuizSummary.module_id, LearnerQuizSummary.bucket)
    ):
        if module_id in board.histograms:
            board.histograms[module_id][bucket] = count


def _row(plan: _Plan, record) -> LearnerRow:
    """A learner's row from their record in the learner table (module by module, quiz by quiz: _fill)."""
    return LearnerRow(
        Person._make(record[: len(Person._fields)]),  # the table's first columns
        modules=dict.fromkeys(plan.module_ids, "new"),
        completed=record.completed,
        attendance=attendance.attendance_percent(record.attended, record.counted),
        gain=gain(record.pre_grade, record.post_grade) if plan.pre and plan.post else None,
        eligible=bool(record.eligible),
        flags=[name for name, column in FLAG_COLUMNS.items() if getattr(record, column)],
        attendance_verdict=attendance_verdict(plan, record),
    )


def attendance_verdict(plan: _Plan, record) -> attendance_rules.Verdict:
    """The attendance rule's verdict for a learner's record in the learner table, worked out in Python from the
    record's counts (the SQL's flag must agree with it: tests/reports/test_attendance_agrees.py)."""
    held, total = len(plan.held_ids), plan.total_sessions
    tally = attendance_rules.Tally(record.attended, record.excused, record.remaining - (total - held), held, total)
    return attendance_rules.verdict(tally, plan.threshold, plan.excused_policy, plan.counts_attendance)


def _rows(statement, parameters: dict | None = None):
    """The statement's rows, fetched in batches: as Core rows (no ORM processing per row) and without
    holding them all at once (an export lists thousands)."""
    for batch in db.session.connection().execute(statement, parameters or {}).partitions(1000):
        yield from batch


def _fill(plan: _Plan, rows: dict[int, LearnerRow], who, marks: dict | None) -> None:
    """Module by module, quiz by quiz (from the quizzes' summaries), certificate (and attendance marks) of the
    learners in ``rows``."""
    progress = select(ModuleProgress.user_id, ModuleProgress.module_id, ModuleProgress.completed_at).where(
        ModuleProgress.user_id.in_(who), ModuleProgress.module_id.in_(plan.module_ids)
    )
    for user_id, module_id, completed_at in _rows(progress):
        row = rows[user_id]
        row.modules[module_id] = "done" if completed_at else "started"
        if completed_at and (row.completed_at is None or completed_at > row.completed_at):
            row.completed_at = completed_at
    quiz = LearnerQuizSummary
    quizzes = select(quiz.user_id, quiz.module_id, quiz.attempts, quiz.open, quiz.grade, quiz.passed).where(
        quiz.cohort_id == plan.cohort.id, quiz.user_id.in_(who)
    )
    for user_id, module_id, attempts, is_open, grade, passed in _rows(quizzes):
        if module_id not in plan.settings:
            continue
        most = plan.settings[module_id]["max_attempts"]
        rows[user_id].quizzes[module_id] = {
            "grade": grade,
            "passed": bool(passed),
            "attempts": attempts,
            "open": bool(is_open),
            "exhausted": bool(most) and attempts >= most,
        }
    for certificate in db.session.scalars(
        select(Certificate).where(
            Certificate.cohort_id == plan.cohort.id, Certificate.revoked_at.is_(None), Certificate.user_id.in_(who)
        )
    ):
        rows[certificate.user_id].certificate = certificate
    if marks is not None:
        for session_id, user_id, status in db.session.execute(
            select(Attendance.session_id, Attendance.user_id, Attendance.status)
            .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
            .where(WorkshopSession.cohort_id == plan.cohort.id, Attendance.user_id.in_(who))
        ):
            marks.setdefault(user_id, {})[session_id] = status
