"""Eligibility for a certificate, the one rule: in Python (``eligibility``, a pure function of the completion
rule and the learner's record) and, side by side, as SQL (``eligible_sql``, a condition on a learner's counts, for
the cohort dashboard's one query). Both are built from ``requirements`` and the attendance rule's
``fewest_to_reach``; ``tests/certificates/test_rules.py`` checks that they agree on any record. No Flask, no
database: the SQL is an expression, run by the caller.

A quiz counts as passed by ``lms.quizzes.grading.passes`` (in SQL: a comparison with ``pass_threshold``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, literal, true

from ..attendance.rules import fewest_to_reach


@dataclass(frozen=True)
class Record:
    """What the rule reads of one learner: counts, and attendance in percent as the page shows it."""

    modules_total: int
    modules_completed: int
    quizzes_total: int
    quizzes_passed: int
    #: None when no session has been held (or the cohort is online)
    attendance_percent: float | None


@dataclass(frozen=True)
class Eligibility:
    """The rule's answer: eligible, or the conditions not met."""

    eligible: bool
    #: (code, values) for each unmet condition, e.g. ("attendance", {"have": 62, "need": 80})
    missing: list = field(default_factory=list)


def _needed(rule_value, total: int) -> int:
    if rule_value == "all":
        return total
    return min(int(rule_value or 0), total)


@dataclass(frozen=True)
class Requirements:
    """What the completion rule asks of one learner, in numbers."""

    modules: int
    quizzes: int
    #: the attendance percent to reach; 0 when attendance does not count (none asked, or an online cohort)
    attendance: float


def requirements(rule: dict, modules_total: int, quizzes_total: int, counts_attendance: bool = True) -> Requirements:
    """What ``rule`` (the cohort's completion rule) asks for a course of so many modules and counted quizzes."""
    attendance = float(rule.get("attendance_percent") or 0)
    return Requirements(
        _needed(rule.get("modules", "all"), modules_total),
        _needed(rule.get("quizzes_passed", "all"), quizzes_total),
        attendance if counts_attendance else 0.0,
    )


def eligibility(rule: dict, record: Record, counts_attendance: bool = True) -> Eligibility:
    """The rule in Python: whether ``record`` meets ``rule``, and what is missing. ``counts_attendance``: False
    for an online cohort."""
    need = requirements(rule, record.modules_total, record.quizzes_total, counts_attendance)
    missing = []
    if record.modules_completed < need.modules:
        missing.append(("modules", {"have": record.modules_completed, "need": need.modules}))
    if record.quizzes_passed < need.quizzes:
        missing.append(("quizzes", {"have": record.quizzes_passed, "need": need.quizzes}))
    if need.attendance > 0:
        have = record.attendance_percent
        if have is None or have < need.attendance:
            # have None: no session counts yet (none held, or only excused absences)
            missing.append(
                ("attendance", {"have": None if have is None else round(have), "need": round(need.attendance)})
            )
    return Eligibility(not missing, missing)


# --- the same rule, in SQL ------------------------------------------------------------------------------


def fewest_to_attend(counted, threshold: float, most_sessions: int):
    """``fewest_to_reach`` as SQL, on a column of sessions that count (from 1 to ``most_sessions``, the cohort's
    sessions): worked out in Python for each number, so that the rounding is the one shown on the page."""
    fewest = {n: fewest_to_reach(n, threshold) for n in range(1, most_sessions + 1)}
    return case(fewest, value=counted, else_=most_sessions + 1) if fewest else literal(1)


def eligible_sql(need: Requirements, completed, passed, attended, counted, most_sessions: int):
    """``eligibility(...).eligible`` as a SQL condition on a learner's counts: modules completed, quizzes passed,
    sessions attended (present or late) and sessions that count (at most ``most_sessions``). ``need``:
    ``requirements(...)`` for the cohort."""
    if need.attendance > 0:
        # attendance_percent(attended, counted) >= need.attendance; None (no session counts yet) never does
        attendance_met = and_(counted > 0, attended >= fewest_to_attend(counted, need.attendance, most_sessions))
    else:
        attendance_met = true()
    return and_(completed >= need.modules, passed >= need.quizzes, attendance_met)
