"""The one eligibility rule (lms/certificates/rules.py): its Python and its SQL agree on any record.

Two levels. The rule itself: for any completion rule and any counts, ``eligibility`` (Python) and ``eligible_sql``
evaluated by the database give the same answer. The whole record: for any learner's work (modules read, attempts
graded, pending, open or on an old quiz version, under any grading method and the cohort's pass marks, marks at
sessions over, under way or to come, in the cohort or elsewhere, an archived module), the certificates (records
gathered in Python, the Python rule) and the cohort dashboard (one SQL query, the SQL rule) agree, quiz by quiz
and on eligibility. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (tests/conftest.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Float, Integer, case, delete, func, literal, select, union_all

from lms.accounts.models import User
from lms.attendance.models import Attendance, WorkshopSession
from lms.attendance.rules import EXCUSED_ABSENT, EXCUSED_NOT_COUNTED, attendance_percent
from lms.certificates import service as certificates
from lms.certificates.rules import Record, eligibility, eligible_sql, requirements
from lms.cohorts import service as cohorts
from lms.cohorts.models import Cohort
from lms.content.models import Module, ModuleProgress, QuizVersion
from lms.core.timeutil import utcnow
from lms.quizzes.grading import final_grade, pass_threshold, passes
from lms.quizzes.models import Attempt
from lms.reports.dashboard import MatrixView, cohort_dashboard

#: a number of modules or quizzes the rule asks: all, or a count (above the course's totals too)
ASKED = st.one_of(st.just("all"), st.integers(0, 12))
#: the attendance asked, in percent: none, round numbers, ones where the rounding to one decimal decides
ATTENDANCE = st.one_of(
    st.sampled_from([None, 0, 50, 66.7, 66.6, 33.3, 75, 80, 100]),
    st.integers(0, 100),
    st.integers(0, 1000).map(lambda tenths: tenths / 10),
)
RULES = st.fixed_dictionaries(
    {}, optional={"modules": ASKED, "quizzes_passed": ASKED, "attendance_percent": ATTENDANCE}
)


def _evaluated(db, condition, **columns) -> bool:
    """``condition`` (built on the columns of a one-row table of ``columns``) as the database evaluates it."""
    row = select(*(literal(value, Integer).label(name) for name, value in columns.items())).subquery("record")
    built = condition(*(row.c[name] for name in columns))
    return bool(db.session.execute(select(case((built, 1), else_=0)).select_from(row)).scalar_one())


@st.composite
def counts(draw):
    """A learner's counts in a course of so many modules, counted quizzes and sessions."""
    modules, quizzes, sessions = draw(st.integers(0, 10)), draw(st.integers(0, 8)), draw(st.integers(0, 8))
    counted = draw(st.integers(0, sessions))
    return {
        "modules_total": modules,
        "quizzes_total": quizzes,
        "sessions": sessions,
        "completed": draw(st.integers(0, modules)),
        "passed": draw(st.integers(0, quizzes)),
        "counted": counted,
        "attended": draw(st.integers(0, counted)),
    }


def test_the_rule_in_sql_agrees_with_the_rule_in_python(db):
    @settings(max_examples=400, deadline=None)
    @given(RULES, counts(), st.booleans())
    @example({"attendance_percent": 66.7}, dict(modules_total=2, quizzes_total=1, sessions=3, completed=2,
             passed=1, counted=3, attended=2), True)  # fmt: skip
    @example({"attendance_percent": 80}, dict(modules_total=2, quizzes_total=1, sessions=3, completed=2,
             passed=1, counted=0, attended=0), True)  # fmt: skip
    @example({"modules": 20, "quizzes_passed": 20}, dict(modules_total=2, quizzes_total=1, sessions=0,
             completed=2, passed=1, counted=0, attended=0), False)  # fmt: skip
    def check(rule, c, counts_attendance):
        record = Record(
            c["modules_total"],
            c["completed"],
            c["quizzes_total"],
            c["passed"],
            attendance_percent(c["attended"], c["counted"]),
        )
        in_python = eligibility(rule, record, counts_attendance).eligible
        need = requirements(rule, c["modules_total"], c["quizzes_total"], counts_attendance)
        in_sql = _evaluated(
            db,
            lambda completed, passed, attended, counted: eligible_sql(
                need, completed, passed, attended, counted, c["sessions"]
            ),
            completed=c["completed"],
            passed=c["passed"],
            attended=c["attended"],
            counted=c["counted"],
        )
        assert in_sql == in_python, (rule, c, counts_attendance)

    check()


@st.composite
def graded_attempts(draw):
    """A quiz's grading method and pass mark, and the percents of its graded attempts, often about the pass mark
    (where an average falls on a half, rounding decides)."""
    pass_mark = draw(
        st.one_of(
            st.sampled_from([0, 50, 66.7, 70, 100]),
            st.integers(0, 100),
            st.integers(0, 10000).map(lambda hundredths: hundredths / 100),
        )
    )
    near = st.integers(-3, 3).map(lambda step: min(max(round(pass_mark * 100) + step, 0), 10000) / 100)
    percent = st.one_of(near, st.integers(0, 10000).map(lambda hundredths: hundredths / 100))
    method = draw(st.sampled_from(["highest", "average", "first", "last"]))
    return method, pass_mark, draw(st.lists(percent, min_size=1, max_size=5))


def test_the_pass_rule_in_sql_agrees_with_the_pass_rule_in_python(db):
    """``passes(final_grade(...))`` and the dashboard's SQL comparison (the average unrounded, with
    ``pass_threshold``) as the database evaluates it over the attempts' rows."""

    @settings(max_examples=400, deadline=None)
    @given(graded_attempts())
    @example(("average", 50, [49.98, 50.01]))
    @example(("average", 50, [49.99, 50.0]))
    @example(("average", 0.125, [0.12, 0.13]))
    def check(quiz):
        method, pass_mark, percents = quiz
        in_python = passes(final_grade(percents, method), pass_mark)
        rows = union_all(*(select(literal(p, Float).label("percent")) for p in percents)).subquery("attempts")
        compared = {"average": func.avg(rows.c.percent), "highest": func.max(rows.c.percent)}.get(method)
        if compared is None:  # first, last: the percent of one attempt, as final_grade picks it
            compared = func.max(literal(final_grade(percents, method), Float))
        in_sql = db.session.execute(
            select(case((compared >= pass_threshold(pass_mark, method), 1), else_=0)).select_from(rows)
        ).scalar_one()
        assert bool(in_sql) == in_python, quiz

    check()


# --- the whole record: certificates (Python) and the dashboard (SQL) --------------------------------------

RETIRED = "retired"
#: an attempt: graded, awaiting a trainer's grading (an essay), open, graded on a quiz version no longer current,
#: or graded under another cohort (it never counts in this one)
GRADED, PENDING, OPEN, OLD, ELSEWHERE = "graded", "pending", "open", "old", "elsewhere"
#: percents where the grade decides: about the pass marks, and averages of two of them that fall on a half
EDGES = [0.0, 10.0, 49.98, 49.99, 50.0, 50.01, 59.99, 60.0, 66.69, 66.7, 69.99, 70.0, 70.01, 79.99, 80.0, 100.0]
PERCENT = st.one_of(st.sampled_from(EDGES), st.integers(0, 10000).map(lambda hundredths: hundredths / 100))
PASS_MARK = st.one_of(st.sampled_from([0, 50, 60, 66.7, 70, 80, 100]), st.integers(0, 100))
ATTEMPT = st.one_of(
    st.tuples(st.just(GRADED), PERCENT),
    st.tuples(st.sampled_from([GRADED, PENDING, OLD, ELSEWHERE]), st.one_of(st.none(), PERCENT)),
    st.tuples(st.just(OPEN), st.none()),
)
#: a session: over, under way or to come
SESSION = st.sampled_from(["over", "under way", "to come"])
#: a learner's mark in a session (None: no mark)
MARK = st.sampled_from([None, "present", "late", "absent", "excused"])


def _one_open(attempts: list) -> list:
    """At most one attempt open per quiz (as the database holds them): the first."""
    opened = [i for i, (kind, _percent) in enumerate(attempts) if kind == OPEN]
    return [a for i, a in enumerate(attempts) if i not in opened[1:]]


@st.composite
def work(draw, slugs, sessions: int):
    """One learner's work: modules read, attempts, marks at the cohort's sessions, presence elsewhere."""
    return {
        "progress": {slug: draw(st.sampled_from(["done", "started", None])) for slug in slugs},
        "attempts": {slug: _one_open(draw(st.lists(ATTEMPT, max_size=4))) for slug in slugs},
        "marks": draw(st.lists(MARK, min_size=sessions, max_size=sessions)),
        "present_elsewhere": draw(st.booleans()),
    }


@st.composite
def cohorts_at_work(draw, slugs):
    """A cohort's rule, settings and sessions, and the work of its two learners."""
    sessions = draw(st.lists(SESSION, max_size=5))
    return {
        "rule": draw(RULES),
        "mode": draw(st.sampled_from(["in_person", "online"])),
        "excused": draw(st.sampled_from([EXCUSED_NOT_COUNTED, EXCUSED_ABSENT])),
        "overrides": draw(
            st.dictionaries(
                st.sampled_from(slugs),
                st.fixed_dictionaries(
                    {},
                    optional={
                        "grading": st.sampled_from(["highest", "average", "first", "last"]),
                        "pass_mark": PASS_MARK,
                    },
                ),
            )
        ),
        "sessions": sessions,
        "people": [draw(work(slugs, len(sessions))) for _learner in range(2)],
    }


@pytest.fixture
def world(db, make_user, make_cohort):
    """A cohort of the magistrates' course (with a module archived since, and an old version of a quiz), another
    cohort with a session, and two learners enrolled in both."""
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = db.session.get(Cohort, make_cohort(trainer).id)
    other = db.session.get(Cohort, make_cohort(trainer, title="Elsewhere").id)
    modules = {m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == cohort.course_id))}
    quizzes = {
        q.module_id: q
        for q in db.session.scalars(
            select(QuizVersion).where(QuizVersion.module_id.in_([m.id for m in modules.values()]))
        )
    }
    template = quizzes[modules["palermo-protocol"].id]
    retired = Module(
        course_id=cohort.course_id,
        slug=RETIRED,
        position=99,
        minutes=10,
        locales=["fr"],
        source_hash="0" * 64,
        is_archived=True,
    )
    db.session.add(retired)
    db.session.flush()
    modules[RETIRED] = retired
    quizzes[retired.id] = QuizVersion(
        module_id=retired.id, version=1, source_hash="0" * 64, definition=template.definition, is_current=True
    )
    old = QuizVersion(
        module_id=template.module_id, version=0, source_hash="1" * 64, definition=template.definition, is_current=False
    )
    db.session.add_all([quizzes[retired.id], old])
    elsewhere = _session(other.id, "Elsewhere", utcnow() - timedelta(days=3))
    db.session.add(elsewhere)
    people = [db.session.get(User, make_user(name_latin=name).id) for name in ("Learner A", "Learner B")]
    for learner in people:
        cohorts.enrol(cohort, learner, None)
        cohorts.enrol(other, learner, None)
    db.session.commit()
    return {
        "cohort": cohort,
        "other": other,
        "people": people,
        "modules": modules,
        "quizzes": quizzes,
        "old": old,
        "elsewhere": elsewhere,
    }


def _session(cohort_id, title, starts_at):
    return WorkshopSession(
        cohort_id=cohort_id,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        checkin_secret=title[0] * 64,
        modules=[],
    )


def _put(db, world, case):
    """The cohort's rule, settings and sessions, and its learners' work, as ``case`` says (replacing the last
    case's)."""
    cohort, modules = world["cohort"], world["modules"]
    ids = [learner.id for learner in world["people"]]
    for model in (Attendance, Attempt, ModuleProgress):
        db.session.execute(delete(model).where(model.user_id.in_(ids)))
    db.session.execute(delete(WorkshopSession).where(WorkshopSession.cohort_id == cohort.id))
    cohort.completion = dict(case["rule"])
    cohort.mode = case["mode"]
    cohort.excused_absences = case["excused"]
    cohort.quiz_settings = case["overrides"]
    now = utcnow()
    starts = {
        "over": now - timedelta(days=5),
        "under way": now - timedelta(hours=1),
        "to come": now + timedelta(days=5),
    }
    sessions = [
        _session(cohort.id, f"S{number}", starts[when] + timedelta(minutes=number))
        for number, when in enumerate(case["sessions"])
    ]
    db.session.add_all(sessions)
    db.session.flush()
    for user_id, done in zip(ids, case["people"], strict=True):
        for slug, state in done["progress"].items():
            if state:
                finished = now - timedelta(days=2) if state == "done" else None
                db.session.add(ModuleProgress(user_id=user_id, module_id=modules[slug].id, completed_at=finished))
        for slug, attempts in done["attempts"].items():
            module = modules[slug]
            for number, (kind, percent) in enumerate(attempts, start=1):
                db.session.add(
                    Attempt(
                        user_id=user_id,
                        cohort_id=(world["other"] if kind == ELSEWHERE else cohort).id,
                        module_id=module.id,
                        quiz_version_id=(world["old"] if kind == OLD else world["quizzes"][module.id]).id,
                        number=number,
                        seed=1,
                        question_ids=[],
                        state="in_progress" if kind == OPEN else "submitted",
                        submitted_at=None if kind == OPEN else now - timedelta(days=1),
                        is_pending=kind == PENDING,
                        percent=percent,
                        points=percent,
                        max_points=100,
                    )
                )
        for session, mark in zip(sessions, done["marks"], strict=True):
            if mark:
                db.session.add(Attendance(session_id=session.id, user_id=user_id, status=mark))
        if done["present_elsewhere"]:
            db.session.add(Attendance(session_id=world["elsewhere"].id, user_id=user_id, status="present"))
    db.session.commit()


def _both_sides(world) -> tuple[dict, dict]:
    """Per learner, (quizzes passed, modules completed, attendance, eligible) as the certificates see them (records
    gathered in Python, the Python rule) and as the dashboard shows them (one SQL query, the SQL rule)."""
    cohort, people = world["cohort"], world["people"]
    records, passed, counted = certificates._records(cohort.course_id, cohort, people)
    statuses = certificates.cohort_eligibility(cohort)
    python = {
        uid: (passed[uid], record.modules_completed, record.attendance_percent, statuses[uid].eligible)
        for uid, record in records.items()
    }
    board = cohort_dashboard(cohort)
    sql = {
        row.user.id: (
            {mid for mid, quiz in row.quizzes.items() if quiz["passed"] and mid in counted},
            row.completed,
            row.attendance,
            row.eligible,
        )
        for row in board.rows
    }
    # "N learners can receive a certificate" counts the learners the eligible column says (no certificate yet).
    assert board.ready_count == sum(row.eligible for row in board.rows)
    return python, sql


SLUGS = [
    "pre-test",
    "palermo-protocol",
    "definition",
    "forms",
    "legal-framework",
    "victims-rights",
    "investigation-prosecution",
    "post-test",
    RETIRED,
]


def test_certificates_and_dashboard_agree_on_any_record(db, world):
    @settings(max_examples=60, deadline=None)
    @given(cohorts_at_work(SLUGS))
    def check(case):
        _put(db, world, case)
        python, sql = _both_sides(world)
        assert sql == python, case

    check()


#: everything asked and done: every module read, every quiz passed at 100, present at the two sessions held
COMPLETE = {
    "progress": dict.fromkeys(SLUGS[:-1], "done"),
    "attempts": {slug: [(GRADED, 100.0)] for slug in SLUGS[:-1]},
    "marks": ["present", "present"],
    "present_elsewhere": False,
}

#: (the quiz "definition" as the cohort set it, its attempts' percents, eligible)
EDGE_CASES = [
    # (49.98 + 50.01) / 2 is the float just below 49.995: final_grade rounds it to 49.99 (Python rounds the
    # binary value), SQL's ROUND to 50.0 (it rounds the decimal form half up)
    ({"grading": "average", "pass_mark": 50}, [49.98, 50.01], False),
    # (49.99 + 50) / 2 is the float just above 49.995: 50.0 on both sides
    ({"grading": "average", "pass_mark": 50}, [49.99, 50.0], True),
    # 69.995 rounds to 70.0 in Python too
    ({"grading": "average"}, [69.99, 70.0], True),
    ({"grading": "average", "pass_mark": 50}, [40.0, 60.0], True),
    ({"grading": "average", "pass_mark": 50}, [30.0, 60.0, 50.0], False),
    ({"grading": "first", "pass_mark": 60}, [10.0, 100.0], False),
    ({"grading": "last"}, [100.0, 69.99], False),
    ({"pass_mark": 80}, [75.0], False),
    ({"pass_mark": 80}, [80.0], True),
]


def test_a_grade_on_the_edge_decides_alike_on_both_sides(db, world):
    """Cases where the rounding or the grading method decides: both sides are right, not only equal. The second
    learner has done everything: eligible whatever the first one's grade."""
    first, second = (learner.id for learner in world["people"])
    for definition, percents, eligible in EDGE_CASES:
        case = {
            "rule": {"modules": "all", "quizzes_passed": "all", "attendance_percent": 80},
            "mode": "in_person",
            "excused": EXCUSED_NOT_COUNTED,
            "overrides": {"definition": definition},
            "sessions": ["over", "over"],
            "people": [
                {**COMPLETE, "attempts": {**COMPLETE["attempts"], "definition": [(GRADED, p) for p in percents]}},
                COMPLETE,
            ],
        }
        _put(db, world, case)
        python, sql = _both_sides(world)
        assert python == sql, (definition, percents)
        assert (python[first][-1], python[second][-1]) == (eligible, True), (definition, percents)
        ready = cohort_dashboard(world["cohort"], view=MatrixView(status="eligible"))
        assert {row.user.id for row in ready.rows} == ({first, second} if eligible else {second})
