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


def eligibility(rule: dict, record: Record, counts_attendance: bool = True) -> Eligibility:
    missing = []
    need_modules = _needed(rule.get("modules", "all"), record.modules_total)
    if record.modules_completed < need_modules:
        missing.append(("modules", {"have": record.modules_completed, "need": need_modules}))
    need_quizzes = _needed(rule.get("quizzes_passed", "all"), record.quizzes_total)
    if record.quizzes_passed < need_quizzes:
        missing.append(("quizzes", {"have": record.quizzes_passed, "need": need_quizzes}))
    need_attendance = float(rule.get("attendance_percent") or 0)
    if counts_attendance and need_attendance > 0:
        have = record.attendance_percent
        if have is None or have < need_attendance:
            missing.append(("attendance", {"have": 0 if have is None else round(have), "need": round(need_attendance)}))
    return Eligibility(not missing, missing)
