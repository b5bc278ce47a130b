"""The shipped quizzes: one defensible keyed answer per question, explained in every language; pre- and post-tests
that measure a gain (same objectives, same pool size); a case essay with a grading guide in each magistrates'
module; pools larger than the draw, so that two attempts differ. And the checks `courses check` makes of them."""

from collections import Counter
from pathlib import Path

import pytest

from lms.content.loader import load_courses

ROOT = Path(__file__).resolve().parents[2]
COURSES, PROBLEMS = load_courses(ROOT / "courses")
QUIZZES = [(c, m) for c in COURSES for m in c.modules if m.quiz]
IDS = [f"{c.slug}/{m.folder}" for c, m in QUIZZES]
TRUE_WORD = {"fr": ("Vrai", "Faux"), "ar": ("صحيح", "خطأ"), "en": ("True", "False")}


def _locales(module):
    """The languages of the module: fr and ar always, en when the module has an English text."""
    return {"fr", "ar"} | set(module.texts)


def test_the_shipped_courses_load_without_problems():
    assert [str(p) for p in PROBLEMS] == []


@pytest.mark.parametrize(("course", "module"), QUIZZES, ids=IDS)
def test_every_question_has_one_keyed_answer_set_explained_in_every_language(course, module):
    for question in module.quiz["questions"]:
        qid, kind = question["id"], question["type"]
        options = question.get("options", [])
        right = [o for o in options if o["correct"]]
        if kind == "single":
            assert len(right) == 1, qid
        if kind == "multiple":  # at least one right and one wrong: never "tick everything"
            assert right and len(right) < len(options), qid
        if kind in ("single", "multiple"):
            assert len({o["text"]["fr"] for o in options}) == len(options), f"{qid}: two options say the same"
        if kind == "truefalse":  # the explanation opens on the keyed answer, in every language
            for locale, text in question["explanation"].items():
                assert text.startswith(TRUE_WORD[locale][0 if question["answer"] else 1]), (qid, locale)
        for locale in ("fr", "ar"):
            assert question["prompt"].get(locale), (qid, locale)
            assert question["explanation"].get(locale), (qid, locale)
            for option in options:
                assert option["text"].get(locale), (qid, option["id"], locale)


@pytest.mark.parametrize("course", COURSES, ids=[c.slug for c in COURSES])
def test_pre_and_post_tests_are_pools_of_equal_size_on_the_same_objectives(course):
    roles = {m.quiz["settings"]["role"]: m for m in course.modules if m.quiz}
    pre, post = roles["pretest"].quiz, roles["posttest"].quiz
    assert len(pre["questions"]) == len(post["questions"])
    assert Counter(q["objective"] for q in pre["questions"]) == Counter(q["objective"] for q in post["questions"])
    assert pre["settings"]["draw"] == post["settings"]["draw"]
    # application, not recall: every question is a case to solve
    for question in pre["questions"] + post["questions"]:
        assert question["prompt"]["fr"].startswith("Cas fictif"), question["id"]
        assert question["prompt"]["ar"].startswith("حالة متخيلة"), question["id"]


def test_each_magistrates_module_asks_one_case_essay_with_a_grading_guide():
    course = next(c for c in COURSES if c.slug == "palermo-magistrates")
    graded = [m for m in course.modules if m.quiz and m.quiz["settings"]["role"] == "graded"]
    assert len(graded) == 6
    for module in graded:
        essays = [q for q in module.quiz["questions"] if q["type"] == "essay"]
        assert len(essays) == 1, module.folder
        essay = essays[0]
        assert essay.get("always") is True, module.folder  # asked in every attempt, whatever the draw
        assert essay["rubric"]["fr"].startswith("Sur 5 points") and essay["points"] == 5, module.folder
        assert essay["rubric"]["ar"], module.folder
        assert "fictif" in essay["prompt"]["fr"] and "متخيل" in essay["prompt"]["ar"], module.folder


@pytest.mark.parametrize(("course", "module"), QUIZZES, ids=IDS)
def test_module_quizzes_draw_from_a_larger_pool(course, module):
    settings = module.quiz["settings"]
    if settings["role"] != "graded":
        return
    assert settings["draw"] is not None and settings["draw"] < len(module.quiz["questions"]), module.folder


# --- what `courses check` says ------------------------------------------------------------------------------

FRONT = '---\ntitle: "{title}"\nminutes: 5\nobjectives:\n  - "{title}"\n---\n\nTexte.\n'


def _question(qid, objective=None, options=(("a", True), ("b", False))):
    lines = [f"  - id: {qid}", "    type: multiple"]
    if objective:
        lines.append(f"    objective: {objective}")
    lines += ['    prompt: {fr: "Cas fictif", ar: "حالة متخيلة"}', "    options:"]
    for oid, correct in options:
        flag = ", correct: true" if correct else ""
        lines.append(f'      - {{id: {oid}{flag}, text: {{fr: "{oid}", ar: "{oid}"}}}}')
    lines.append('    explanation: {fr: "E", ar: "ش"}')
    return "\n".join(lines)


def _course(tmp_path, pre, post, graded=None):
    root = tmp_path / "courses"
    course = root / "demo"
    course.mkdir(parents=True)
    (course / "course.yaml").write_text(
        'title: {fr: "Démo", ar: "تجربة"}\nsummary: {fr: "Démo", ar: "تجربة"}\naudience: [other]\nhours: 1\n',
        encoding="utf-8",
    )
    for folder, header, questions in (
        ("00-pre", "role: pretest", pre),
        ("01-lesson", graded[0] if graded else "", graded[1] if graded else None),
        ("02-post", "role: posttest", post),
    ):
        (course / folder).mkdir()
        for locale in ("fr", "ar"):
            (course / folder / f"{locale}.md").write_text(FRONT.format(title=folder), encoding="utf-8")
        if questions:
            body = f'title: {{fr: "Q", ar: "س"}}\n{header}\nquestions:\n' + "\n".join(questions) + "\n"
            (course / folder / "quiz.yaml").write_text(body, encoding="utf-8")
    _courses, problems = load_courses(root)
    return [str(p) for p in problems]


def test_check_passes_parallel_pre_and_post_tests(tmp_path):
    pre = [_question("p1", "qualify"), _question("p2", "measure")]
    post = [_question("q1", "measure"), _question("q2", "qualify")]
    assert _course(tmp_path, pre, post) == []


def test_check_fails_pools_of_different_sizes_or_objectives(tmp_path):
    pre = [_question("p1", "qualify"), _question("p2", "measure")]
    post = [_question("q1", "qualify"), _question("q2", "qualify"), _question("q3", "jurisdiction")]
    problems = _course(tmp_path, pre, post)
    assert (
        "courses/demo/02-post/quiz.yaml:1: the post-test pool has 3 questions and the pre-test pool (00-pre) 2: "
        "make them equal" in problems
    )
    assert (
        "courses/demo/02-post/quiz.yaml:1: objective 'qualify': 1 question(s) in the pre-test, 2 in the post-test: "
        "map both to the same objectives" in problems
    )
    assert any("objective 'measure': 1 question(s) in the pre-test, 0" in p for p in problems)
    assert any("objective 'jurisdiction': 0 question(s) in the pre-test, 1" in p for p in problems)


def test_check_fails_a_pre_or_post_test_question_without_objective(tmp_path):
    problems = _course(tmp_path, [_question("p1")], [_question("q1", "qualify")])
    assert any(
        p.startswith("courses/demo/00-pre/quiz.yaml:4: question 'p1': a pretest question needs an 'objective'")
        for p in problems
    ), problems


def test_check_fails_a_multiple_response_question_where_every_option_is_right(tmp_path):
    everything = _question("m1", options=(("a", True), ("b", True)))
    graded = ("draw: null", [everything, _question("m2")])
    problems = _course(tmp_path, [_question("p1", "x")], [_question("q1", "x")], graded)
    assert any("question 'm1': a multiple-response question needs at least one wrong option" in p for p in problems)
    assert not any("'m2'" in p for p in problems)


def test_check_fails_a_draw_that_leaves_no_place_beside_the_always_asked_questions(tmp_path):
    essay = (
        "  - id: case\n    type: essay\n    always: true\n"
        '    prompt: {fr: "Cas fictif", ar: "حالة متخيلة"}\n'
        '    rubric: {fr: "Sur 5 points", ar: "من 5 نقط"}\n'
        '    explanation: {fr: "E", ar: "ش"}'
    )
    graded = ("draw: 1", [essay, _question("m2")])
    problems = _course(tmp_path, [_question("p1", "x")], [_question("q1", "x")], graded)
    assert any("'draw' is 1 but 1 questions are asked always: draw more than that" in p for p in problems), problems


def test_check_fails_an_essay_without_a_grading_guide(tmp_path):
    essay = (
        '  - id: case\n    type: essay\n    prompt: {fr: "Cas fictif", ar: "حالة متخيلة"}\n'
        '    explanation: {fr: "E", ar: "ش"}'
    )
    problems = _course(tmp_path, [_question("p1", "x")], [_question("q1", "x")], ("", [essay]))
    assert any("'rubric' is required (with 'fr' and 'ar')" in p for p in problems), problems


@pytest.mark.parametrize("course", COURSES, ids=[c.slug for c in COURSES])
def test_the_summary_counts_the_modules_the_course_ships(course):
    words = {"fr": ["Cinq", "Six", "Sept", "Huit"], "en": ["Five", "Six", "Seven", "Eight"]}
    count = len(course.modules)
    assert course.summary["fr"].startswith(words["fr"][count - 5] + " modules"), course.summary["fr"][:20]
    assert course.summary["en"].startswith(words["en"][count - 5] + " modules"), course.summary["en"][:20]
    assert course.summary["ar"].split()[0] == {7: "سبع", 8: "ثماني"}[count]
