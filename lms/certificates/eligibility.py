"""Eligibility for a certificate: a pure function of the completion rule and the learner's record."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Record:
    modules_total: int
    modules_completed: int
    quizzes_total: int
    quizzes_passed: int
    #: None when no session has been held (or the cohort is online)
    attendance_percent: float | None


@dataclass(frozen=True)
class Eligibility:
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
    attendance = float(rule.get("attendance_percent") or 0)
    return Requirements(
        _needed(rule.get("modules", "all"), modules_total),
        _needed(rule.get("quizzes_passed", "all"), quizzes_total),
        attendance if counts_attendance else 0.0,
    )


def eligibility(rule: dict, record: Record, counts_attendance: bool = True) -> Eligibility:
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
