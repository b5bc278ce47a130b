"""Scoring: pure functions of (questions, responses). No Flask, no database.

Responses by question type:
- single: an option id;  multiple: a list of option ids;  truefalse: True or False;
- matching: {item id: choice id};  short: a text;  essay: a text (graded by a trainer).
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

ARABIC_VARIANTS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ؤ": "و",
        "ئ": "ي",
        "ـ": None,  # tatweel
    }
)
ARABIC_DIACRITICS = re.compile(r"[\u064B-\u065F\u0670\u06D6-\u06ED]")


def normalize_text(text: str) -> str:
    """Fold case, accents, Arabic letter variants (أ/إ/آ/ا, ة/ه, ى/ي), diacritics and spaces."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = ARABIC_DIACRITICS.sub("", text).translate(ARABIC_VARIANTS)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in decomposed if not unicodedata.combining(c) or "\u0600" <= c <= "\u06ff")
    return " ".join(text.replace("\u200f", "").replace("\u200e", "").split())


@dataclass(frozen=True)
class QuestionScore:
    points: float
    max_points: float
    pending: bool = False

    @property
    def is_right(self) -> bool:
        return not self.pending and self.max_points > 0 and abs(self.points - self.max_points) < 1e-9


@dataclass(frozen=True)
class Score:
    points: float
    max_points: float
    pending: bool

    @property
    def percent(self) -> float:
        return round(100.0 * self.points / self.max_points, 2) if self.max_points else 0.0


def score_question(question: dict, response, manual_points: float | None = None) -> QuestionScore:
    """Points for one response, between 0 and the question's points."""
    maximum = float(question.get("points", 1))
    kind = question["type"]
    if kind == "essay":
        if manual_points is None:
            return QuestionScore(0.0, maximum, pending=bool(response))
        return QuestionScore(min(max(float(manual_points), 0.0), maximum), maximum)
    if manual_points is not None:  # a trainer's override
        return QuestionScore(min(max(float(manual_points), 0.0), maximum), maximum)
    if response is None or response == "" or response == [] or response == {}:
        return QuestionScore(0.0, maximum)
    if kind == "single":
        right = next((o["id"] for o in question["options"] if o.get("correct")), None)
        return QuestionScore(maximum if response == right else 0.0, maximum)
    if kind == "multiple":
        chosen = set(response if isinstance(response, (list, tuple, set)) else [response])
        right = {o["id"] for o in question["options"] if o.get("correct")}
        wrong = {o["id"] for o in question["options"] if not o.get("correct")}
        gained = len(chosen & right) / len(right) if right else 0.0
        lost = len(chosen & wrong) / len(wrong) if wrong else 0.0
        return QuestionScore(round(maximum * max(gained - lost, 0.0), 6), maximum)
    if kind == "truefalse":
        return QuestionScore(
            maximum if bool(response) == bool(question["answer"]) and isinstance(response, bool) else 0.0, maximum
        )
    if kind == "matching":
        items = question["items"]
        if not isinstance(response, dict) or not items:
            return QuestionScore(0.0, maximum)
        right = sum(1 for item in items if response.get(item["id"]) == item["match"])
        return QuestionScore(round(maximum * right / len(items), 6), maximum)
    if kind == "short":
        given = normalize_text(response)
        accepted = {normalize_text(a) for answers in question.get("answers", {}).values() for a in answers}
        return QuestionScore(maximum if given and given in accepted else 0.0, maximum)
    raise ValueError(f"unknown question type {kind!r}")


def score(questions: list[dict], responses: dict, manual: dict | None = None) -> Score:
    """Total over ``questions`` (the ones the attempt drew); order never matters."""
    manual = manual or {}
    total = maximum = 0.0
    pending = False
    for question in questions:
        result = score_question(question, responses.get(question["id"]), manual.get(question["id"]))
        total += result.points
        maximum += result.max_points
        pending = pending or result.pending
    return Score(round(total, 4), round(maximum, 4), pending)


def final_grade(percents: list[float], method: str) -> float | None:
    """The quiz grade from the attempts' percents (in attempt order) by the quiz's grading method."""
    if not percents:
        return None
    if method == "average":
        return round(sum(percents) / len(percents), 2)
    if method == "first":
        return percents[0]
    if method == "last":
        return percents[-1]
    return max(percents)


def passes(grade: float | None, pass_mark: float) -> bool:
    """The pass rule, in one place: a grade (a quiz's, or one attempt's percent) passes when it reaches the pass
    mark; no grade yet is no pass."""
    return grade is not None and grade >= pass_mark


#: a hundredth: final_grade rounds an average to two decimals
_CENT = Decimal("0.01")


def pass_threshold(pass_mark: float, method: str) -> float:
    """The least value that passes, for a SQL comparison (``value >= pass_threshold``) that must agree with
    ``passes(final_grade(percents, method), pass_mark)``: the pass mark itself, except for a quiz graded by the
    average, which SQL compares unrounded (its ROUND rounds the decimal form half up, Python's ``round`` the
    binary value half to even): then the least float whose rounding by final_grade reaches the pass mark."""
    if method != "average":
        return pass_mark
    # The least grade of two decimals that passes (66.7 passes as 66.70, the float it is)...
    least = Decimal(pass_mark).quantize(_CENT, rounding=ROUND_CEILING)
    if float(least - _CENT) >= pass_mark:
        least -= _CENT
    # ... and the least float that rounds to it: above the half-way point, or on it when the tie goes to an
    # even last digit.
    half = least - _CENT / 2
    value = float(half)
    if Decimal(value) < half or (Decimal(value) == half and int(least / _CENT) % 2):
        value = math.nextafter(value, math.inf)
    return value


def draw_questions(questions: list[dict], seed: int, shuffle: bool, draw: int | None) -> list[str]:
    """The ids of the questions an attempt shows, in order: seeded, so a reload shows the same order."""
    rng = random.Random(seed)  # noqa: S311 - an order, not a secret  # nosec B311
    ids = [q["id"] for q in questions]
    if draw is not None and draw < len(ids):
        # questions marked ``always`` (a case essay) are in every draw; the others fill the remaining places
        kept = [q["id"] for q in questions if q.get("always")]
        if kept:
            others = [i for i in ids if i not in set(kept)]
            ids = kept + rng.sample(others, max(min(draw - len(kept), len(others)), 0))
            if shuffle:
                rng.shuffle(ids)
        else:
            ids = rng.sample(ids, draw)
        if not shuffle:
            order = {q["id"]: i for i, q in enumerate(questions)}
            ids.sort(key=order.__getitem__)
    elif shuffle:
        rng.shuffle(ids)
    return ids


def option_order(option_ids: list[str], seed: int, question_id: str, shuffle: bool) -> list[str]:
    if not shuffle:
        return list(option_ids)
    rng = random.Random(f"{seed}:{question_id}")  # noqa: S311 - an order, not a secret  # nosec B311
    ids = list(option_ids)
    rng.shuffle(ids)
    return ids
