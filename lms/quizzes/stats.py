"""Item statistics computed in SQL (sums per question), never by loading every attempt into Python.

- how many attempts showed each question (a quiz may draw its questions from a pool) and how many responses it
  got (a question may be left blank);

- facility index: mean score on the item / its maximum (0 = nobody right, 1 = everybody right);
- discrimination index: Pearson correlation between the item's score and the attempt's total score
  (computed from the sums n, Σx, Σx², Σt, Σt², Σxt), the "point-biserial" of classical test theory;
- how often each option (or true/false value) was chosen.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from sqlalchemy import String, and_, case, cast, func, select, true

from ..extensions import db
from .models import SUBMITTED, Answer, Attempt


@dataclass
class ItemStats:
    question: dict
    #: attempts that showed the question (all of them, unless the quiz draws its questions from a pool)
    shown: int = 0
    #: responses given (a question left blank has none)
    answered: int = 0
    facility: float | None = None
    discrimination: float | None = None
    choices: dict = field(default_factory=dict)

    @property
    def count(self) -> int:
        return self.answered


def _attempt_filter(quiz_version_id: int, cohort_id: int | None):
    conditions = [Attempt.quiz_version_id == quiz_version_id, Attempt.state == SUBMITTED, Attempt.is_pending.is_(False)]
    if cohort_id is not None:
        conditions.append(Attempt.cohort_id == cohort_id)
    return conditions


def _drawn_questions():
    """The question ids each attempt showed, as a table-valued function of the attempt's ``question_ids``."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.json_array_elements_text(Attempt.question_ids).table_valued("value").alias("drawn")
    return func.json_each(Attempt.question_ids).table_valued("value").alias("drawn")


#: a response that says nothing (what a blank field may save)
BLANK_RESPONSES = ("null", '""', "[]", "{}")


def item_statistics(version, cohort_id: int | None = None) -> tuple[int, list[ItemStats]]:
    """Statistics for every question of a quiz version, over the graded attempts made under ``cohort_id`` (every
    attempt when None); four aggregate queries in all. Per question: the attempts that showed it (``shown``: all
    of them unless the quiz draws from a pool), the responses given (``answered``); facility and discrimination
    over the attempts that showed it, a question left blank scoring 0."""
    conditions = _attempt_filter(version.id, cohort_id)
    attempts = db.session.scalar(select(func.count(Attempt.id)).where(*conditions))
    t = func.coalesce(Attempt.points, 0.0)
    drawn = _drawn_questions()
    shown = {
        row.question_id: row
        for row in db.session.execute(
            select(
                cast(drawn.c.value, String).label("question_id"),
                func.count().label("n"),
                func.sum(t).label("st"),
                func.sum(t * t).label("stt"),
            )
            .select_from(Attempt)
            .join(drawn, true())
            .where(*conditions)
            .group_by(cast(drawn.c.value, String))
        )
    }
    x = func.coalesce(Answer.points, 0.0)
    given = and_(Answer.response.is_not(None), cast(Answer.response, String).not_in(BLANK_RESPONSES))
    sums = {
        row.question_id: row
        for row in db.session.execute(
            select(
                Answer.question_id,
                func.count(Answer.id).label("rows"),
                func.sum(case((given, 1), else_=0)).label("answered"),
                func.sum(x).label("sx"),
                func.sum(x * x).label("sxx"),
                func.sum(x * t).label("sxt"),
                func.sum(t).label("st"),
                func.sum(t * t).label("stt"),
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
        answers, seen = sums.get(question["id"]), shown.get(question["id"])
        stats.shown = int(seen.n) if seen is not None else 0
        stats.answered = int(answers.answered or 0) if answers is not None else 0
        # An attempt that recorded no questions (made before they were recorded) still counts its answers.
        if answers is not None and answers.rows > stats.shown:
            stats.shown, seen = int(answers.rows), answers
        if seen is not None and stats.shown:
            n = stats.shown
            sx, sxx, sxt = (float(getattr(answers, k) or 0) for k in ("sx", "sxx", "sxt")) if answers else (0, 0, 0)
            st, stt = float(seen.st or 0), float(seen.stt or 0)
            maximum = float(question.get("points", 1))
            stats.facility = round(sx / n / maximum, 3) if maximum else None
            var_x = n * sxx - sx**2
            var_t = n * stt - st**2
            if var_x > 1e-12 and var_t > 1e-12:
                r = (n * sxt - sx * st) / math.sqrt(var_x * var_t)
                stats.discrimination = round(max(min(r, 1.0), -1.0), 3)
        results.append(stats)
    return attempts, results
