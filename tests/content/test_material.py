"""The shipped course material meets the programme's minimums (issue: the course material)."""

import re
from pathlib import Path

import pytest

from lms.content.loader import load_courses

ROOT = Path(__file__).resolve().parents[2]
COURSES, PROBLEMS = load_courses(ROOT / "courses")
MODULES = [
    (c.slug, m)
    for c in COURSES
    for m in c.modules
    if not (m.quiz and m.quiz["settings"]["role"] in ("pretest", "posttest"))
]


ASSESSMENTS = ("pretest", "posttest")


def _role(module):
    return module.quiz["settings"]["role"] if module.quiz else "graded"


def test_material_loads_without_problems():
    assert PROBLEMS == []
    lessons = {c.slug: len([m for m in c.modules if _role(m) not in ASSESSMENTS]) for c in COURSES}
    assert lessons == {"palermo-magistrates": 6, "victim-identification": 5}


@pytest.mark.parametrize("course", COURSES, ids=[c.slug for c in COURSES])
def test_each_track_has_a_pre_test_and_a_post_test_on_the_same_objectives(course):
    pre = [m for m in course.modules if _role(m) == "pretest"]
    post = [m for m in course.modules if _role(m) == "posttest"]
    assert len(pre) == len(post) == 1
    pre_questions, post_questions = pre[0].quiz["questions"], post[0].quiz["questions"]
    # parallel forms: one question per objective in each, the same kind of question, different facts
    assert len(pre_questions) == len(post_questions) >= 6
    assert sorted(q["objective"] for q in pre_questions) == sorted(q["objective"] for q in post_questions)
    assert len({q["objective"] for q in pre_questions}) == len(pre_questions)
    kinds = {q["objective"]: (q["type"], len(q.get("options", ()))) for q in pre_questions}
    assert {q["objective"]: (q["type"], len(q.get("options", ()))) for q in post_questions} == kinds
    assert not {q["prompt"]["fr"] for q in pre_questions} & {q["prompt"]["fr"] for q in post_questions}
    assert pre[0].quiz["settings"]["draw"] == post[0].quiz["settings"]["draw"]
    assert pre[0].position < min(m.position for m in course.modules if _role(m) == "graded")
    assert post[0].position > max(m.position for m in course.modules if _role(m) == "graded")


def test_tracks_target_their_audiences():
    audience = {c.slug: set(c.audience) for c in COURSES}
    assert audience["palermo-magistrates"] == {"magistrate-judge", "magistrate-prosecutor"}
    assert audience["victim-identification"] == {"social-worker"}


@pytest.mark.parametrize("course,module", MODULES, ids=[f"{c}/{m.slug}" for c, m in MODULES])
def test_module_minimums(course, module):
    for locale in ("fr", "ar"):
        text = module.texts[locale]
        # footnote definitions are the sources, not reading: they do not count
        words = len(re.sub(r"(?m)^\[\^[^\]]+\]:.*$", "", text.body).split())
        assert 1200 <= words <= 3000, f"{locale}: {words} words"
        # where the official Arabic text of the article quoted in French could not be read, the Arabic module says
        # so in a note instead of passing a translation off as the law (a pending snippet of _law/ is shown so too)
        unofficial = "ليست النص الرسمي" in text.body or re.search(r'!!! note "[^"]*\(نص غير رسمي', text.body)
        assert "!!! law" in text.body or unofficial, f"{locale}: no quoted law block"
        assert re.search(r'!!! case "[^"]*(fictif|fictive|متخيلة|افتراضية|خيالية)', text.body), (
            f"{locale}: no fictional case"
        )
        assert "!!! key" in text.body, f"{locale}: no key points"
        assert len(text.objectives) >= 3
    quiz = module.quiz
    assert quiz is not None, "no quiz"
    questions = quiz["questions"]
    assert len(questions) >= 8
    for question in questions:
        assert question["explanation"].get("fr") and question["explanation"].get("ar"), question["id"]
    types = {q["type"] for q in questions}
    assert {"single", "multiple", "truefalse", "matching"} <= types, types
    scenarios = [q for q in questions if len(q["prompt"]["fr"].split()) >= 25 or q["type"] == "matching"]
    assert len(scenarios) >= 2, "fewer than two scenario questions"
