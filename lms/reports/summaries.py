"""Per-learner summaries (``learner_summary``, ``learner_quiz_summary``) kept up to date in the transaction of
every write that changes them.

How: the session's events, connected once when this module is imported (``lms.reports`` imports it), watch the
rows the summaries are made of. ``before_flush`` notes who a change concerns (an enrolment, a module's
completion, an attempt's state or grade, an attendance mark, a session deleted, a cohort's course or quiz
settings, a module or quiz version changed by a content sync); ``do_orm_execute`` does the same for bulk
inserts (``session.execute(insert(Model), rows)``: the demo, imports, benchmarks). Before the transaction
commits (``before_commit``), the summaries of the learners noted are recomputed from the source tables
(``refresh``), so that they commit or roll back with the write. A reader in the middle of a transaction calls
``apply_pending()`` first (the dashboard does).

The lower domains know nothing of this: no import of ``lms.reports`` below it (ARCHITECTURE.md). What is not
seen: an UPDATE or DELETE statement written by hand on those tables (``session.execute(update(Attempt)...)``)
whose effect is not also made through the ORM; none of the services does that for a column the summaries read
(``quizzes.service.finish_attempt`` claims the attempt with one, then grades it through the ORM).

``rebuild_all()`` (``flask reports rebuild-summaries``, and migration 0022's data step) recomputes them all;
``compute()`` is the recomputation the tests compare the stored rows with.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import bindparam, case, delete, event, func, insert, inspect, select
from sqlalchemy.orm import Session

from ..attendance.models import Attendance, WorkshopSession
from ..cohorts.models import Cohort, Enrolment
from ..content.models import Module, ModuleProgress, QuizVersion
from ..extensions import db
from ..quizzes.models import Attempt
from .models import LearnerQuizSummary, LearnerSummary

#: learners recomputed per statement (an IN list)
CHUNK = 500
#: histogram buckets (charts.histogram_counts)
BINS = 10

_KEY = "learner_summaries"


def _bucket(grade: float | None) -> int | None:
    return None if grade is None else min(int(float(grade) / (100 / BINS)), BINS - 1)


# --- the recomputation ---------------------------------------------------------------------------------------


def _statements(plan, everyone: bool) -> dict:
    """The statements ``compute`` runs for a plan (the cohort, its modules, quizzes and quiz settings), built once
    and reused (building them costs SQLAlchemy more than running them for one learner): for the whole cohort, or
    for the learners of the expanding parameter ``who``."""
    from .dashboard import _quiz_table  # the dashboard's SQL rule for grades, written once

    cohort_id = plan.cohort.id
    enrolled = select(Enrolment.user_id).where(Enrolment.cohort_id == cohort_id)
    if everyone:
        who = enrolled
    else:  # the learners given (an index lookup each), whether enrolled or not: the rows of others are skipped
        who = bindparam("who", expanding=True)
    statements = {
        "who": enrolled if everyone else enrolled.where(Enrolment.user_id.in_(who)),
        # by learner, then cohort (the learners' index, not the cohort's: the other cohorts' rows are skipped)
        "attempts": select(
            Attempt.user_id, Attempt.cohort_id, func.max(Attempt.started_at), func.max(Attempt.submitted_at)
        )
        .where(Attempt.user_id.in_(who))
        .group_by(Attempt.user_id, Attempt.cohort_id),
        "marks": select(
            Attendance.user_id,
            func.sum(case((Attendance.status.in_(("present", "late")), 1), else_=0)),
            func.sum(case((Attendance.status == "excused", 1), else_=0)),
            func.max(Attendance.marked_at),
        )
        .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
        .where(WorkshopSession.cohort_id == cohort_id, Attendance.user_id.in_(who))
        .group_by(Attendance.user_id),
    }
    if plan.module_ids:
        statements["progress"] = (
            select(
                ModuleProgress.user_id,
                func.count(ModuleProgress.completed_at),
                func.max(ModuleProgress.completed_at),
            )
            .where(ModuleProgress.module_id.in_(plan.module_ids), ModuleProgress.user_id.in_(who))
            .group_by(ModuleProgress.user_id)
        )
    if plan.quizzes:
        statements["quizzes"] = select(_quiz_table(plan, who, with_attempts=True))
    return statements


def compute(cohort: Cohort, user_ids: list[int] | None = None) -> tuple[list[dict], list[dict]]:
    """The summaries of ``user_ids`` (None: every learner enrolled) in ``cohort``, from the source tables: rows
    of ``learner_summary`` and of ``learner_quiz_summary``, as dictionaries. Learners not enrolled get none."""
    from .dashboard import _memo, _plan

    plan = _plan(cohort, datetime.min, with_sessions=False)  # neither the clock nor the sessions play a part
    connection = db.session.connection()  # Core: no ORM processing of the statements or their rows
    statements = _memo(("summaries", user_ids is None), plan, lambda: _statements(plan, user_ids is None))
    summaries: dict[int, dict] = {}
    quiz_rows: list[dict] = []
    chunks = [None] if user_ids is None else [user_ids[i : i + CHUNK] for i in range(0, len(user_ids), CHUNK)]
    for chunk in chunks:
        parameters = {} if chunk is None else {"who": chunk}

        def run(kind, parameters=parameters):
            return connection.execute(statements[kind], parameters) if kind in statements else ()

        for user_id in connection.execute(statements["who"], parameters).scalars():
            summaries[user_id] = {
                "cohort_id": cohort.id,
                "user_id": user_id,
                "modules_completed": 0,
                "completed_at": None,
                "quizzes_passed": 0,
                "failing": 0,
                "pre_grade": None,
                "post_grade": None,
                "attended": 0,
                "excused": 0,
                "last_activity": None,
            }
        for user_id, completed, completed_at in run("progress"):
            if (row := summaries.get(user_id)) is None:
                continue
            row["modules_completed"], row["completed_at"] = completed, completed_at
            _later(row, completed_at)
        for user_id, module_id, attempts, is_open, grade, passed in run("quizzes"):
            if (row := summaries.get(user_id)) is None:
                continue
            quiz_rows.append(
                {
                    "cohort_id": cohort.id,
                    "user_id": user_id,
                    "module_id": module_id,
                    "grade": grade,
                    "bucket": _bucket(grade),
                    "passed": int(bool(passed)),
                    "open": int(bool(is_open)),
                    "attempts": attempts,
                }
            )
            if module_id in plan.graded and passed:
                row["quizzes_passed"] += 1
            if module_id != plan.pre and not is_open and not passed:
                row["failing"] = 1
            if module_id == plan.pre:
                row["pre_grade"] = grade
            if module_id == plan.post:
                row["post_grade"] = grade
        for user_id, attempt_cohort, started, submitted in run("attempts"):
            if attempt_cohort == cohort.id and (row := summaries.get(user_id)) is not None:
                _later(row, started)
                _later(row, submitted)
        for user_id, attended, excused, marked_at in run("marks"):
            if (row := summaries.get(user_id)) is None:
                continue
            row["attended"], row["excused"] = int(attended or 0), int(excused or 0)
            _later(row, marked_at)
    return list(summaries.values()), quiz_rows


def _later(row: dict, moment: datetime | None) -> None:
    if moment is not None and (row["last_activity"] is None or moment > row["last_activity"]):
        row["last_activity"] = moment


def refresh(cohort: Cohort, user_ids: list[int] | None = None) -> None:
    """Recompute and store the summaries of ``user_ids`` (None: the whole cohort) in ``cohort``; the rows of
    learners no longer enrolled go.

    The summaries are locked first (PostgreSQL: ``FOR UPDATE``, in id order; SQLite has one writer at a time), so
    that two transactions writing about the same learner at once recompute one after the other, the second
    from what the first committed (read committed: each statement sees the commits made before it began)."""
    connection = db.session.connection()  # Core: no ORM processing (nor the events of this module)
    lock = select(LearnerSummary.user_id).where(LearnerSummary.cohort_id == cohort.id)
    if user_ids is None:
        connection.execute(lock.order_by(LearnerSummary.user_id).with_for_update()).all()
    else:
        for i in range(0, len(user_ids), CHUNK):
            chunk = sorted(user_ids)[i : i + CHUNK]
            connection.execute(
                lock.where(LearnerSummary.user_id.in_(chunk)).order_by(LearnerSummary.user_id).with_for_update()
            ).all()
    summaries, quiz_rows = compute(cohort, user_ids)
    for table in (LearnerSummary.__table__, LearnerQuizSummary.__table__):
        if user_ids is None:
            connection.execute(delete(table).where(table.c.cohort_id == cohort.id))
        else:
            for i in range(0, len(user_ids), CHUNK):
                connection.execute(
                    delete(table).where(table.c.cohort_id == cohort.id, table.c.user_id.in_(user_ids[i : i + CHUNK]))
                )
    if summaries:
        connection.execute(insert(LearnerSummary.__table__), summaries)
    if quiz_rows:
        connection.execute(insert(LearnerQuizSummary.__table__), quiz_rows)


def rebuild_all() -> int:
    """Recompute every cohort's summaries (``flask reports rebuild-summaries``). Returns the rows written."""
    _pending(db.session).clear()
    db.session.execute(delete(LearnerQuizSummary))
    db.session.execute(delete(LearnerSummary))
    for cohort in db.session.scalars(select(Cohort).order_by(Cohort.id)).all():
        refresh(cohort)
    return db.session.scalar(select(func.count()).select_from(LearnerSummary)) or 0


# --- what changed: noted by the session's events -------------------------------------------------------------


class _Pending:
    """Who the writes of the transaction concern, until the summaries are recomputed."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.pairs: set[tuple[int, int]] = set()  # (cohort, learner)
        self.users: set[int] = set()  # every cohort of the learner
        self.marks: set[tuple[int, int]] = set()  # (session, learner)
        self.cohorts: set[int] = set()  # the whole cohort
        self.modules: set[int] = set()  # every cohort of the module's course
        self.courses: set[int] = set()  # every cohort of the course

    def __bool__(self) -> bool:
        return bool(self.pairs or self.users or self.marks or self.cohorts or self.modules or self.courses)


def _pending(session) -> _Pending:
    pending = session.info.get(_KEY)
    if pending is None:
        pending = session.info[_KEY] = _Pending()
    return pending


#: model -> the attributes whose change alters a summary
WATCHED = {
    Enrolment: ("cohort_id", "user_id"),
    ModuleProgress: ("user_id", "module_id", "completed_at"),
    Attempt: (
        "user_id",
        "module_id",
        "cohort_id",
        "state",
        "percent",
        "is_pending",
        "number",
        "started_at",
        "submitted_at",
    ),
    Attendance: ("session_id", "user_id", "status", "marked_at"),
    WorkshopSession: ("cohort_id",),
    Cohort: ("course_id", "quiz_settings"),
    Module: ("course_id", "is_archived"),
    QuizVersion: ("module_id", "is_current", "definition"),
}


def _values(obj, name: str, changed: bool) -> list:
    """The attribute's value now, and before the change when it changed."""
    if not changed:
        return [getattr(obj, name)]
    history = inspect(obj).attrs[name].history
    return [v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None]


def _note(pending: _Pending, model, values: dict) -> None:
    """Note what a row of ``model`` (its values: each a list, now and before) concerns."""
    get = values.get
    if model is Enrolment or model is Attempt:
        pending.pairs.update((c, u) for c in get("cohort_id", []) if c for u in get("user_id", []))
    elif model is ModuleProgress:
        pending.users.update(get("user_id", []))
    elif model is Attendance:
        pending.marks.update((s, u) for s in get("session_id", []) for u in get("user_id", []))
    elif model is WorkshopSession or model is Cohort:
        pending.cohorts.update(c for c in get("cohort_id" if model is WorkshopSession else "id", []) if c)
    elif model is Module:
        pending.courses.update(get("course_id", []))
    elif model is QuizVersion:
        pending.modules.update(get("module_id", []))


def _names(model) -> tuple:
    return WATCHED[model] + (("id",) if model is Cohort else ())


@event.listens_for(Session, "before_flush")
def _before_flush(session, _context, _instances) -> None:
    pending = None
    new, deleted = session.new, session.deleted
    for obj in (*new, *session.dirty, *deleted):
        model = type(obj)
        if model not in WATCHED:
            continue
        if obj not in new and obj not in deleted:
            state = inspect(obj)
            if not any(state.attrs[name].history.has_changes() for name in WATCHED[model]):
                continue
            if model in (WorkshopSession,) and not state.attrs.cohort_id.history.has_changes():
                continue
            values = {name: _values(obj, name, True) for name in _names(model)}
        else:
            if (model is WorkshopSession or model is Cohort) and obj in new:
                continue  # a new session has no marks yet, a new cohort no learners
            values = {name: _values(obj, name, False) for name in _names(model)}
        pending = pending or _pending(session)
        _note(pending, model, values)


#: bulk inserts: table name -> model
_TABLES = {model.__tablename__: model for model in WATCHED}


@event.listens_for(Session, "do_orm_execute")
def _bulk_insert(state) -> None:
    if not state.is_insert:
        return
    table = getattr(state.statement, "table", None)
    model = _TABLES.get(getattr(table, "name", None))
    if model is None:
        return
    parameters = state.parameters
    rows = parameters if isinstance(parameters, list) else [parameters or {}]
    values = getattr(state.statement, "_values", None)  # insert(...).values(...)
    pending = _pending(state.session)
    for row in rows:
        merged = dict(row)
        if values:
            merged.update({getattr(k, "key", k): getattr(v, "value", v) for k, v in values.items()})
        if model is ModuleProgress and merged.get("completed_at") is None and not _sets_completion(state.statement):
            continue  # a module viewed (content.service.record_view's upsert): no summary counts views
        _note(pending, model, {name: [merged.get(name)] for name in _names(model) if merged.get(name) is not None})


def _sets_completion(statement) -> bool:
    """Whether an INSERT's ON CONFLICT DO UPDATE sets ``completed_at`` (an upsert of the view times does not)."""
    clause = getattr(statement, "_post_values_clause", None)
    pairs = getattr(clause, "update_values_to_set", None) or ()
    keys = pairs.keys() if isinstance(pairs, dict) else (pair[0] for pair in pairs)
    return any(getattr(key, "key", key) == "completed_at" for key in keys)


def apply_pending(session=None) -> None:
    """Recompute the summaries the transaction's writes concern (flushing them first)."""
    session = session or db.session
    pending = session.info.get(_KEY)
    if session.new or session.dirty or session.deleted:
        session.flush()
        pending = session.info.get(_KEY)
    rounds = 0
    while pending:
        rounds += 1
        if rounds > 5:  # a refresh writes only summaries, which nothing watches: never more than one round
            raise RuntimeError("learner summaries: the refresh keeps finding changes")
        work = _Pending()
        work.__dict__.update({k: set(v) for k, v in pending.__dict__.items()})
        pending.clear()
        _apply(work)


def _apply(work: _Pending) -> None:
    whole: set[int] = set(work.cohorts)
    courses = set(work.courses)
    if work.modules:
        courses.update(db.session.scalars(select(Module.course_id).where(Module.id.in_(work.modules))))
    if courses:
        whole.update(db.session.scalars(select(Cohort.id).where(Cohort.course_id.in_(courses))))
    learners: dict[int, set[int]] = defaultdict(set)
    for cohort_id, user_id in work.pairs:
        learners[cohort_id].add(user_id)
    if work.marks:
        sessions = {s for s, _u in work.marks}
        cohort_of = dict(
            db.session.execute(
                select(WorkshopSession.id, WorkshopSession.cohort_id).where(WorkshopSession.id.in_(sessions))
            ).all()
        )
        for session_id, user_id in work.marks:
            if session_id in cohort_of:
                learners[cohort_of[session_id]].add(user_id)
            else:  # the session is gone (deleted with its marks): every cohort of the learner
                work.users.add(user_id)
    if work.users:
        users = list(work.users)
        for i in range(0, len(users), CHUNK):
            chunk = users[i : i + CHUNK]
            for cohort_id, user_id in db.session.execute(
                select(Enrolment.cohort_id, Enrolment.user_id)
                .where(Enrolment.user_id.in_(chunk))
                .union(
                    select(LearnerSummary.cohort_id, LearnerSummary.user_id).where(LearnerSummary.user_id.in_(chunk))
                )
            ):
                learners[cohort_id].add(user_id)
    for cohort_id in sorted(whole | set(learners)):
        cohort = db.session.get(Cohort, cohort_id)
        if cohort is None:  # deleted: its summaries went with it
            continue
        refresh(cohort, None if cohort_id in whole else sorted(learners[cohort_id]))


@event.listens_for(Session, "before_commit")
def _before_commit(session) -> None:
    if session.info.get(_KEY) or session.new or session.dirty or session.deleted:
        apply_pending(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session) -> None:
    pending = session.info.get(_KEY)
    if pending is not None:
        pending.clear()
