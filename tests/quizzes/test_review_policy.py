"""After a failed quiz: try again with the attempts left; the right answers are shown only when the quiz's
review policy allows it (quiz.yaml ``review_after``), matching answers as pairs, the summary with the questions."""

import html
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.content.loader import load_courses
from lms.content.models import Module, QuizVersion
from lms.quizzes import service
from lms.quizzes.models import Attempt
from tests.factories import right_form

ROOT = Path(__file__).resolve().parents[2]


def _quiz(db, slug="definition", **settings):
    module = db.session.scalar(select(Module).where(Module.slug == slug))
    quiz = db.session.scalar(select(QuizVersion).where(QuizVersion.module_id == module.id, QuizVersion.is_current))
    if settings:
        quiz.definition = {**quiz.definition, "settings": {**quiz.definition["settings"], **settings}}
        db.session.commit()
    return quiz


def _fail_once(client, quiz) -> int:
    response = client.post_form(f"/quizzes/{quiz.id}/start")
    attempt_id = int(re.search(r"/quizzes/attempts/(\d+)", response.headers["Location"]).group(1))
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit")  # nothing answered: 0 %
    return attempt_id


def _pass_once(client, quiz) -> int:
    response = client.post_form(f"/quizzes/{quiz.id}/start")
    attempt_id = int(re.search(r"/quizzes/attempts/(\d+)", response.headers["Location"]).group(1))
    data = right_form(quiz.definition["questions"])
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit", data)
    # A case essay waits for the trainer: graded here as the trainer would on the attempt review page.
    from lms.extensions import db

    attempt = db.session.get(Attempt, attempt_id)
    db.session.refresh(attempt)
    for q in quiz.definition["questions"]:
        if q["type"] == "essay" and q["id"] in attempt.question_ids:
            service.override_points(attempt, q["id"], float(q.get("points", 1)), "graded by the trainer", None)
    db.session.commit()
    return attempt_id


def test_failed_attempt_offers_a_retry_and_hides_the_answers_by_default(client, judge, courses, db):
    quiz = _quiz(db)  # max 3 attempts, review: explanations, no review_after: after passing or the last attempt
    assert "review_after" not in quiz.definition["settings"]
    client.login("judge@example.org")
    attempt_id = _fail_once(client, quiz)
    page = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Try again (2 attempts left)" in page
    assert "Attempts used: 1 of 3." in page and "You can try again now." in page
    assert f'action="/quizzes/{quiz.id}/start"' in page
    assert "Right answer" not in page and 'class="explanation"' not in page
    assert "will be shown once you pass this quiz or have used your last attempt" in page
    # Attempt 3 is the last: its result, and the earlier ones, show the answers and explanations.
    _fail_once(client, quiz)
    last = _fail_once(client, quiz)
    page = client.get(f"/quizzes/attempts/{last}/result").get_data(as_text=True)
    assert "Try again" not in page and "You have used all your attempts at this quiz." in page
    assert "Right answer" in page and 'class="explanation"' in page
    assert "Right answer" in client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)


def test_answers_shown_after_passing(client, judge, courses, db):
    quiz = _quiz(db)
    client.login("judge@example.org")
    failed = _fail_once(client, quiz)
    passed = _pass_once(client, quiz)
    page = client.get(f"/quizzes/attempts/{passed}/result").get_data(as_text=True)
    assert "You have passed this quiz." in page and "Right answer" in page and "Try again" not in page
    assert "Right answer" in client.get(f"/quizzes/attempts/{failed}/result").get_data(as_text=True)


def test_not_while_the_last_attempt_is_open(client, judge, courses, db):
    """With attempt 2 of 2 open, attempt 1's answers stay hidden: they could be copied into it."""
    quiz = _quiz(db, max_attempts=2)
    client.login("judge@example.org")
    first = _fail_once(client, quiz)
    client.post_form(f"/quizzes/{quiz.id}/start")
    page = client.get(f"/quizzes/attempts/{first}/result").get_data(as_text=True)
    assert "Right answer" not in page and "Continue your attempt" in page


@pytest.mark.parametrize(
    ("policy", "after_failure", "after_pass"),
    [("each_attempt", True, True), ("passed_or_last", False, True), ("never", False, False)],
)
def test_review_after_policy(client, judge, courses, db, policy, after_failure, after_pass):
    quiz = _quiz(db, review_after=policy)
    client.login("judge@example.org")
    failed = _fail_once(client, quiz)
    assert ("Right answer" in client.get(f"/quizzes/attempts/{failed}/result").get_data(as_text=True)) is after_failure
    passed = _pass_once(client, quiz)
    page = client.get(f"/quizzes/attempts/{passed}/result").get_data(as_text=True)
    assert ("Right answer" in page) is after_pass
    if policy == "never":
        assert "The right answers of this quiz are not shown." in page


def test_default_policy_by_role():
    assert service.review_after({"role": "graded"}) == "passed_or_last"
    assert service.review_after({"role": "posttest"}) == "passed_or_last"
    assert service.review_after({"role": "pretest"}) == "never"  # its questions come back in the post-test
    assert service.review_after({"role": "pretest", "review_after": "each_attempt"}) == "each_attempt"


def test_matching_answers_are_a_table_of_pairs_without_arrows_in_arabic(client, judge, courses, db):
    quiz = _quiz(db, review_after="each_attempt", draw=None)  # every question, so both matching ones
    client.login("judge@example.org")
    client.post_form("/language", {"lang": "ar"})
    attempt_id = _fail_once(client, quiz)
    drawn = set(db.session.get(Attempt, attempt_id).question_ids)  # the quiz draws from a pool
    matching = [q for q in quiz.definition["questions"] if q["type"] == "matching" and q["id"] in drawn]
    assert len(matching) == 2
    page = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    tables = re.findall(r'<table class="pairs">.*?</table>', page, re.S)
    assert len(tables) == len(matching), "each matching answer is a table of pairs"
    rows = re.findall(r'<tr class="(?:right|wrong)">', "".join(tables))
    assert len(rows) == sum(len(q["items"]) for q in matching)
    assert all(item["text"]["ar"] in html.unescape("".join(tables)) for q in matching for item in q["items"])
    assert "→" not in page


def test_summary_lists_the_questions_text(client, judge, courses, db):
    quiz = _quiz(db)
    client.login("judge@example.org")
    response = client.post_form(f"/quizzes/{quiz.id}/start")
    attempt_id = int(re.search(r"/quizzes/attempts/(\d+)", response.headers["Location"]).group(1))
    page = client.get(f"/quizzes/attempts/{attempt_id}/summary").get_data(as_text=True)
    attempt = db.session.get(Attempt, attempt_id)
    first = next(q for q in quiz.definition["questions"] if q["id"] == attempt.question_ids[0])
    assert first["prompt"]["en" if "en" in first["prompt"] else "fr"][:30] in html.unescape(page)
    assert page.count('class="summary-prompt"') == len(attempt.question_ids)


def _course_with_quiz(tmp_path, extra: str) -> Path:
    tree = tmp_path / "courses"
    course = tree / "palermo-magistrates"
    course.mkdir(parents=True)
    source = ROOT / "courses" / "palermo-magistrates"
    shutil.copy(source / "course.yaml", course / "course.yaml")
    module = course / "02-definition"
    shutil.copytree(source / "02-definition", module)
    text = (module / "quiz.yaml").read_text(encoding="utf-8")
    (module / "quiz.yaml").write_text(text.replace("review: explanations\n", f"review: explanations\n{extra}"))
    return tree


@pytest.mark.parametrize("value", ["each_attempt", "passed_or_last", "never"])
def test_checker_accepts_the_review_policies(tmp_path, value):
    sources, problems = load_courses(str(_course_with_quiz(tmp_path, f"review_after: {value}\n")))
    assert not [p for p in problems if "review_after" in str(p)]
    quiz = sources[0].modules[0].quiz
    assert quiz["settings"]["review_after"] == value


def test_checker_refuses_an_unknown_review_policy(tmp_path):
    _sources, problems = load_courses(str(_course_with_quiz(tmp_path, "review_after: sometimes\n")))
    messages = [str(p) for p in problems]
    assert any("'review_after' must be each_attempt | passed_or_last | never" in m for m in messages), messages


def test_an_unset_policy_leaves_the_quiz_unchanged(tmp_path):
    """No default is written into the quiz: every shipped quiz keeps its hash (no new version at sync)."""
    sources, _problems = load_courses(str(_course_with_quiz(tmp_path, "")))
    assert "review_after" not in sources[0].modules[0].quiz["settings"]


def test_plain_text_matching_arrow_points_the_way_of_reading(app):
    """Where a matching answer is one line of text (lists, exports), the arrow points from the item to its
    match in the page's direction: → in French, ← in Arabic."""
    from flask_babel import force_locale

    from lms.quizzes.display import describe_response

    question = {
        "type": "matching",
        "items": [{"id": "i1", "text": {"fr": "acte", "ar": "الفعل"}, "match": "a"}],
        "choices": [{"id": "a", "text": {"fr": "recrutement", "ar": "التجنيد"}}],
    }
    with app.test_request_context():
        with force_locale("fr"):
            assert describe_response(question, {"i1": "a"}) == "acte → recrutement"
        with force_locale("ar"):
            assert describe_response(question, {"i1": "a"}) == "الفعل ← التجنيد"
