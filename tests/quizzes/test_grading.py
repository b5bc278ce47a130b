"""Scoring is a pure function, tested by example and by property."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from lms.quizzes.grading import (
    draw_questions,
    final_grade,
    normalize_text,
    pass_threshold,
    passes,
    score,
    score_question,
)

SINGLE = {"id": "s", "type": "single", "points": 1, "options": [{"id": "a", "correct": True}, {"id": "b"}, {"id": "c"}]}
MULTIPLE = {
    "id": "m",
    "type": "multiple",
    "points": 2,
    "options": [{"id": "a", "correct": True}, {"id": "b", "correct": True}, {"id": "c"}, {"id": "d"}],
}
TRUEFALSE = {"id": "t", "type": "truefalse", "points": 1, "answer": False}
MATCHING = {
    "id": "x",
    "type": "matching",
    "points": 3,
    "choices": [{"id": "act"}, {"id": "means"}, {"id": "purpose"}],
    "items": [{"id": "i1", "match": "act"}, {"id": "i2", "match": "means"}, {"id": "i3", "match": "purpose"}],
}
SHORT = {
    "id": "h",
    "type": "short",
    "points": 1,
    "answers": {"fr": ["Loi 27-14"], "ar": ["القانون رقم 27.14", "إتجار"]},
}
ESSAY = {"id": "e", "type": "essay", "points": 5}
QUESTIONS = [SINGLE, MULTIPLE, TRUEFALSE, MATCHING, SHORT, ESSAY]
RIGHT = {
    "s": "a",
    "m": ["a", "b"],
    "t": False,
    "x": {"i1": "act", "i2": "means", "i3": "purpose"},
    "h": "loi 27-14",
}


def test_single():
    assert score_question(SINGLE, "a").points == 1
    assert score_question(SINGLE, "b").points == 0
    assert score_question(SINGLE, None).points == 0


def test_multiple_partial_credit_never_below_zero():
    assert score_question(MULTIPLE, ["a", "b"]).points == 2
    assert score_question(MULTIPLE, ["a"]).points == 1
    assert score_question(MULTIPLE, ["a", "c"]).points == 0.0  # +1 right, -1 wrong
    assert score_question(MULTIPLE, ["a", "b", "c"]).points == 1
    assert score_question(MULTIPLE, ["c", "d"]).points == 0
    assert score_question(MULTIPLE, ["a", "b", "c", "d"]).points == 0  # choosing everything earns nothing


def test_truefalse():
    assert score_question(TRUEFALSE, False).points == 1
    assert score_question(TRUEFALSE, True).points == 0
    assert score_question(TRUEFALSE, None).points == 0


def test_matching_partial():
    assert score_question(MATCHING, {"i1": "act", "i2": "means", "i3": "purpose"}).points == 3
    assert score_question(MATCHING, {"i1": "act", "i2": "purpose"}).points == 1


def test_short_answer_normalisation():
    for given_answer in ["  LOI 27-14 ", "loi 27-14", "Loí 27-14", "القانون رقم 27.14", "اتجار", "أتجار", "إتجـار"]:
        assert score_question(SHORT, given_answer).points == 1, given_answer
    assert score_question(SHORT, "loi 27-15").points == 0
    assert normalize_text("مدرسة") == normalize_text("مدرسه")
    assert normalize_text("Él  ÉTÉ") == "el ete"


def test_essay_pending_until_graded():
    pending = score_question(ESSAY, "my analysis")
    assert pending.pending and pending.points == 0
    graded = score_question(ESSAY, "my analysis", manual_points=4)
    assert not graded.pending and graded.points == 4
    assert score_question(ESSAY, "x", manual_points=99).points == 5


def test_total_and_grading_methods():
    total = score(QUESTIONS, RIGHT, {"e": 5})
    assert total.points == total.max_points == 13 and total.percent == 100
    assert final_grade([40, 80, 60], "highest") == 80
    assert final_grade([40, 80, 60], "average") == 60
    assert final_grade([40, 80, 60], "first") == 40
    assert final_grade([40, 80, 60], "last") == 60
    assert final_grade([], "highest") is None


def test_a_grade_passes_from_the_pass_mark_on():
    assert passes(70.0, 70) and passes(100.0, 70) and not passes(69.99, 70)
    assert not passes(None, 0)  # no grade yet is no pass
    assert passes(0.0, 0)


@settings(max_examples=500)
@given(
    st.one_of(
        st.integers(0, 100),
        st.integers(0, 10000).map(lambda hundredths: hundredths / 100),
        st.floats(0, 100),
        st.sampled_from([0.125, 50.125, 66.7]),
    ),
    st.sampled_from(["highest", "average", "first", "last"]),
)
def test_pass_threshold_is_the_least_value_that_passes(pass_mark, method):
    """The SQL compares a grade (an average unrounded) with pass_threshold: the least float that passes."""
    least = pass_threshold(pass_mark, method)
    grade = lambda value: final_grade([value], method)  # noqa: E731
    assert passes(grade(least), pass_mark)
    assert not passes(grade(math.nextafter(least, -math.inf)), pass_mark)


def _response_strategy(question):
    kind = question["type"]
    if kind == "single":
        return st.one_of(st.none(), st.sampled_from([o["id"] for o in question["options"]]), st.text(max_size=3))
    if kind == "multiple":
        return st.lists(st.sampled_from([o["id"] for o in question["options"]] + ["zz"]), unique=True)
    if kind == "truefalse":
        return st.one_of(st.none(), st.booleans())
    if kind == "matching":
        return st.dictionaries(
            st.sampled_from(["i1", "i2", "i3", "i9"]), st.sampled_from(["act", "means", "purpose", "?"])
        )
    return st.text(max_size=20)


RESPONSES = st.fixed_dictionaries({q["id"]: _response_strategy(q) for q in QUESTIONS})


@settings(max_examples=300, deadline=None)
@given(RESPONSES, st.randoms())
def test_score_bounded_and_order_independent(responses, rng):
    total = score(QUESTIONS, responses)
    assert 0 <= total.points <= total.max_points
    shuffled = list(QUESTIONS)
    rng.shuffle(shuffled)
    assert score(shuffled, responses) == total


@settings(max_examples=100, deadline=None)
@given(st.randoms())
def test_full_right_answers_score_the_maximum_in_any_order(rng):
    auto = [q for q in QUESTIONS if q["type"] != "essay"]
    rng.shuffle(auto)
    total = score(auto, RIGHT)
    assert total.points == total.max_points and total.percent == 100


@given(st.integers(min_value=0, max_value=2**31), st.booleans(), st.one_of(st.none(), st.integers(1, 6)))
def test_draw_is_seeded_and_complete(seed, shuffle, draw):
    first = draw_questions(QUESTIONS, seed, shuffle, draw)
    assert first == draw_questions(QUESTIONS, seed, shuffle, draw)
    assert len(set(first)) == len(first) == (draw if draw and draw < len(QUESTIONS) else len(QUESTIONS))
    assert set(first) <= {q["id"] for q in QUESTIONS}


@given(st.integers(min_value=0, max_value=2**31), st.booleans(), st.integers(2, 6))
def test_a_question_marked_always_is_in_every_draw(seed, shuffle, draw):
    """A case essay marked ``always`` is asked in every attempt; the draw fills the other places at random."""
    questions = [{**q, "always": True} if q["type"] == "essay" else q for q in QUESTIONS]
    essay = next(q["id"] for q in questions if q.get("always"))
    drawn = draw_questions(questions, seed, shuffle, draw)
    assert drawn == draw_questions(questions, seed, shuffle, draw)
    assert essay in drawn and len(set(drawn)) == len(drawn) == min(draw, len(questions))
    if not shuffle:
        order = [q["id"] for q in questions]
        assert drawn == sorted(drawn, key=order.index)


def test_the_draw_without_always_questions_is_unchanged():
    """Attempts drawn before ``always`` existed are drawn the same way (same seed, same questions, same order)."""
    import random

    ids = [q["id"] for q in QUESTIONS]
    for seed in range(50):
        assert draw_questions(QUESTIONS, seed, True, 3) == random.Random(seed).sample(ids, 3)  # noqa: S311
