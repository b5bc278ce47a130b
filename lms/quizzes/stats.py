"""Item statistics computed in SQL (sums per question), never by loading every attempt into Python.

- facility index: mean score on the item / its maximum (0 = nobody right, 1 = everybody right);
- discrimination index: Pearson correlation between the item's score and the attempt's total score
  (computed from the sums n, Σx, Σx², Σt, Σt², Σxt), the "point-biserial" of classical test theory;
- how often each option (or true/false value) was chosen.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from sqlalchemy import String, cast, func, select

from ..extensions import db
from .models import SUBMITTED, Answer, Attempt


@dataclass
class ItemStats:
    question: dict
    count: int = 0
    facility: float | None = None
    discrimination: float | None = None
    choices: dict = field(default_factory=dict)


def _attempt_filter(quiz_version_id: int, cohort_id: int | None):
    conditions = [Attempt.quiz_version_id == quiz_version_id, Attempt.state == SUBMITTED, Attempt.is_pending.is_(False)]
    if cohort_id is not None:
        conditions.append(Attempt.cohort_id == cohort_id)
    return conditions


def item_statistics(version, cohort_id: int | None = None) -> tuple[int, list[ItemStats]]:
    """Statistics for every question of a quiz version, over the attempts made under ``cohort_id`` (every
    attempt when None); two aggregate queries in all."""
    conditions = _attempt_filter(version.id, cohort_id)
    attempts = db.session.scalar(select(func.count(Attempt.id)).where(*conditions))
    x = func.coalesce(Answer.points, 0.0)
    t = func.coalesce(Attempt.points, 0.0)
    sums = {
        row.question_id: row
        for row in db.session.execute(
            select(
                Answer.question_id,
                func.count(Answer.id).label("n"),
                func.sum(x).label("sx"),
                func.sum(x * x).label("sxx"),
                func.sum(t).label("st"),
                func.sum(t * t).label("stt"),
                func.sum(x * t).label("sxt"),
            )
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .where(*conditions)
            .group_by(Answer.question_id)
        )
    }
    chosen: dict[str, dict] = {}
    for question_id, response, count in db.session.execute(
        select(Answer.question_id, cast(Answer.response, String), func.count(Answer.id))
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(*conditions)
        .group_by(Answer.question_id, cast(Answer.response, String))
    ):
        try:
            value = json.loads(response) if response is not None else None
        except ValueError:
            continue
        bucket = chosen.setdefault(question_id, {})
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, (str, bool)):
                key = str(item).lower() if isinstance(item, bool) else item
                bucket[key] = bucket.get(key, 0) + count
    results = []
    for question in version.definition["questions"]:
        stats = ItemStats(question, choices=chosen.get(question["id"], {}))
        row = sums.get(question["id"])
        if row is not None and row.n:
            n = row.n
            maximum = float(question.get("points", 1))
            stats.count = n
            stats.facility = round(float(row.sx) / n / maximum, 3) if maximum else None
            var_x = n * float(row.sxx) - float(row.sx) ** 2
            var_t = n * float(row.stt) - float(row.st) ** 2
            if var_x > 1e-12 and var_t > 1e-12:
                r = (n * float(row.sxt) - float(row.sx) * float(row.st)) / math.sqrt(var_x * var_t)
                stats.discrimination = round(max(min(r, 1.0), -1.0), 3)
        results.append(stats)
    return attempts, results
