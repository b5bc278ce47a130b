"""Attempts end to end through the browser client: no answer lost, one grade per attempt, time limits."""

import re
import shutil
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from lms.content.models import QuizVersion
from lms.quizzes import service
from lms.quizzes.models import Answer, Attempt
from tests.factories import module_quiz, right_form, start_quiz

ROOT = Path(__file__).resolve().parents[2]


def test_take_and_pass_quiz(client, judge, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    assert client.get(f"/quizzes/{quiz.id}").status_code == 200
    attempt_id = start_quiz(client, quiz)
    page = client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count('class="question"') == len(quiz.definition["questions"])
    data = right_form(quiz.definition["questions"])
    data["action"] = "summary"
    assert client.post_form(f"/quizzes/attempts/{attempt_id}/save", data).status_code == 302
    summary = client.get(f"/quizzes/attempts/{attempt_id}/summary").get_data(as_text=True)
    assert "Every question is answered" in summary
    done = client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    assert done.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}/result")
    result = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "<strong>100%</strong>" in result and "Passed" in result
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.is_passed and attempt.percent == 100


def test_answers_survive_reload_and_a_new_session(app, client, judge, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    question = next(q for q in quiz.definition["questions"] if q["type"] == "single")
    right = next(o["id"] for o in question["options"] if o["correct"])
    response = client.post_form(
        f"/quizzes/attempts/{attempt_id}/autosave", {"shown": question["id"], f"q-{question['id']}": right}
    )
    assert response.status_code == 200 and response.get_json()["ok"]
    # Another device: a new browser, signed in again, resumes the same attempt with the answer.
    other = type(client)(app.test_client())
    other.raw.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    other.login("judge@example.org")
    assert start_quiz(other, quiz) == attempt_id
    page = other.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert re.search(rf'name="q-{question["id"]}" value="{right}"\s+checked', page)
    assert "Saved at" in page


def test_shuffle_is_stable_across_reloads(client, judge, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    first = client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    second = client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    order = lambda html: re.findall(r'name="shown" value="([^"]+)"', html)  # noqa: E731
    assert order(first) == order(second) and len(order(first)) > 1


def test_double_submission_gives_one_graded_attempt(client, judge, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    token = client.csrf()
    first = client.raw.post(f"/quizzes/attempts/{attempt_id}/submit", data={"csrf_token": token})
    replay = client.raw.post(
        f"/quizzes/attempts/{attempt_id}/submit", data={"csrf_token": token}, follow_redirects=True
    )
    assert first.status_code == 302 and replay.status_code == 200
    assert "already submitted" in replay.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
    # A submitted attempt cannot be changed.
    late = client.post_form(f"/quizzes/attempts/{attempt_id}/autosave", {"shown": "x"})
    assert late.status_code == 409


def test_concurrent_submissions_grade_once(app, judge, courses, db):
    """Two threads submit the same attempt at the same moment: one grades, the other is told."""
    quiz = module_quiz(db)
    attempt = service.start_attempt(judge.id, quiz)
    db.session.flush()
    attempt_id = attempt.id
    db.session.commit()
    db.session.close()  # the test itself holds no transaction while the threads race
    barrier = threading.Barrier(2)
    outcomes = []

    def submit():
        with app.app_context():
            from lms.extensions import db as _db

            row = _db.session.get(Attempt, attempt_id)
            _ = row.quiz_version.definition
            _db.session.commit()  # end the read transaction: both threads now race on the UPDATE
            barrier.wait()
            outcomes.append(service.finish_attempt(row))
            _db.session.commit()
            _db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == [False, True]
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).state == "submitted"


def test_two_tabs_starting_share_one_attempt(client, judge, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    assert start_quiz(client, quiz) == start_quiz(client, quiz)
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_max_attempts(client, judge, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    for _ in range(quiz.definition["settings"]["max_attempts"]):
        attempt_id = start_quiz(client, quiz)
        client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    refused = client.post_form(f"/quizzes/{quiz.id}/start", follow_redirects=True)
    assert "used all your attempts" in refused.get_data(as_text=True)


def test_time_limit_enforced_by_server(client, judge, courses, db):
    quiz = module_quiz(db)
    quiz.definition = {
        **quiz.definition,
        "settings": {**quiz.definition["settings"], "time_limit_minutes": 10, "grace_minutes": 1},
    }
    db.session.commit()
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    question = next(q for q in quiz.definition["questions"] if q["type"] == "single")
    right = next(o["id"] for o in question["options"] if o["correct"])
    client.post_form(
        f"/quizzes/attempts/{attempt_id}/autosave", {"shown": question["id"], f"q-{question['id']}": right}
    )
    # The clock moves past the deadline and the grace period: the learner left the page open.
    attempt = db.session.get(Attempt, attempt_id)
    attempt.started_at -= timedelta(minutes=30)
    attempt.deadline_at -= timedelta(minutes=30)
    db.session.commit()
    late = client.post_form(
        f"/quizzes/attempts/{attempt_id}/autosave", {"shown": question["id"], f"q-{question['id']}": "zz"}
    )
    assert late.status_code == 409
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == "submitted" and attempt.finished_by == "timeout"
    answer = db.session.scalar(select(Answer).where(Answer.attempt_id == attempt_id))
    assert answer.response == right and answer.points == question["points"]
    assert attempt.points == question["points"]


def test_overdue_attempt_is_finished_automatically_on_any_visit(client, judge, courses, db):
    quiz = module_quiz(db)
    quiz.definition = {
        **quiz.definition,
        "settings": {**quiz.definition["settings"], "time_limit_minutes": 5, "grace_minutes": 0},
    }
    db.session.commit()
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    question = next(q for q in quiz.definition["questions"] if q["type"] == "single")
    right = next(o["id"] for o in question["options"] if o["correct"])
    client.post_form(f"/quizzes/attempts/{attempt_id}/save", {"shown": question["id"], f"q-{question['id']}": right})
    attempt = db.session.get(Attempt, attempt_id)
    attempt.deadline_at -= timedelta(minutes=10)
    db.session.commit()
    assert client.get(f"/quizzes/{quiz.id}").status_code == 200
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == "submitted" and attempt.points == question["points"]


def test_attempt_keeps_its_quiz_version_after_sync(app, client, judge, courses, db, tmp_path, runner):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    tree = tmp_path / "courses"
    shutil.copytree(ROOT / "courses", tree)
    path = tree / "palermo-magistrates" / "07-post-test" / "quiz.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("pass_mark: 70", "pass_mark: 90"), encoding="utf-8")
    assert runner.invoke(args=["courses", "sync", str(tree)]).exit_code == 0
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.quiz_version_id == quiz.id
    assert client.get(f"/quizzes/attempts/{attempt_id}").status_code == 200
    client.post_form(
        f"/quizzes/attempts/{attempt_id}/save", {**right_form(quiz.definition["questions"]), "action": "save"}
    )
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.is_passed and attempt.quiz_version.definition["settings"]["pass_mark"] == 70


def test_one_question_per_page_without_javascript(client, judge, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    page = client.get(f"/quizzes/attempts/{attempt_id}?view=one").get_data(as_text=True)
    assert page.count('class="question"') == 1
    shown = re.search(r'name="shown" value="([^"]+)"', page).group(1)
    response = client.post_form(f"/quizzes/attempts/{attempt_id}/save", {"shown": shown, "page": "1", "action": "next"})
    assert response.headers["Location"].endswith("page=2")


def test_other_learners_cannot_see_an_attempt(app, client, judge, make_user, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    make_user(email="other@example.org", profession="magistrate-judge")
    other = type(client)(app.test_client())
    other.login("other@example.org")
    for url in (
        f"/quizzes/attempts/{attempt_id}",
        f"/quizzes/attempts/{attempt_id}/summary",
        f"/quizzes/attempts/{attempt_id}/result",
    ):
        assert other.get(url).status_code == 404
    assert other.post_form(f"/quizzes/attempts/{attempt_id}/submit").status_code == 404


def test_social_worker_cannot_take_magistrates_quiz(client, make_user, courses, db):
    make_user(email="sw@example.org", profession="social-worker")
    client.login("sw@example.org")
    quiz = module_quiz(db)
    assert client.get(f"/quizzes/{quiz.id}").status_code == 403
    assert client.post_form(f"/quizzes/{quiz.id}/start").status_code == 403


def test_review_policy_score_only(client, judge, courses, db):
    quiz = module_quiz(db)
    quiz.definition = {**quiz.definition, "settings": {**quiz.definition["settings"], "review": "score"}}
    db.session.commit()
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    page = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Right answer" not in page


def test_arabic_quiz_page(client, judge, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    client.post_form("/language", {"lang": "ar"})
    attempt_id = start_quiz(client, quiz)
    page = client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert 'dir="rtl"' in page and quiz.definition["questions"][0]["prompt"]["ar"][:20] in page


def test_a_late_autosave_never_overwrites_a_newer_save(client, judge, courses, db):
    """An autosave still in flight when the learner pressed Save arrives last: it is ignored."""
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    question = next(q for q in quiz.definition["questions"] if q["type"] == "single")
    right = next(o["id"] for o in question["options"] if o["correct"])
    wrong = next(o["id"] for o in question["options"] if not o["correct"])
    name = f"q-{question['id']}"
    client.post_form(
        f"/quizzes/attempts/{attempt_id}/save", {"shown": question["id"], name: right, "seq": "2", "action": "save"}
    )
    late = client.post_form(
        f"/quizzes/attempts/{attempt_id}/autosave", {"shown": question["id"], name: wrong, "seq": "1"}
    )
    assert late.status_code == 200
    assert service.responses_of(attempt_id)[question["id"]] == right
    newer = client.post_form(
        f"/quizzes/attempts/{attempt_id}/autosave", {"shown": question["id"], name: wrong, "seq": "3"}
    )
    assert newer.status_code == 200 and service.responses_of(attempt_id)[question["id"]] == wrong


def test_quiz_definition_is_parsed_once_and_an_edit_is_never_served_stale(app, courses, db):
    """ParsedOnceJSON: the same stored text gives the same parsed object; a changed text is parsed again."""
    quiz = module_quiz(db)
    quiz_id = quiz.id
    db.session.commit()
    db.session.expunge_all()
    first = db.session.get(QuizVersion, quiz_id).definition
    db.session.expunge_all()
    again = db.session.get(QuizVersion, quiz_id).definition
    if db.engine.dialect.name == "sqlite":  # psycopg hands back parsed JSON: nothing to cache
        assert again is first
    edited = {**first, "settings": {**first["settings"], "pass_mark": 99}}
    db.session.get(QuizVersion, quiz_id).definition = edited
    db.session.commit()
    db.session.expunge_all()
    assert db.session.get(QuizVersion, quiz_id).definition["settings"]["pass_mark"] == 99


def test_a_learner_never_sees_the_grading_guide_of_a_case_essay(client, judge, courses, db):
    """The rubric of an essay is for the trainer (attempt review); the learner's attempt and result pages never
    show it, even with the explanations shown after submitting."""
    quiz = module_quiz(db, "definition")
    # Explanations after each attempt (the default waits for a pass or the last attempt).
    quiz.definition = {**quiz.definition, "settings": {**quiz.definition["settings"], "review_after": "each_attempt"}}
    db.session.commit()
    essay = next(q for q in quiz.definition["questions"] if q["type"] == "essay")
    rubric = essay["rubric"]["fr"][:60]
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    attempt = db.session.get(Attempt, attempt_id)
    assert essay["id"] in attempt.question_ids and len(attempt.question_ids) == quiz.definition["settings"]["draw"]
    page = client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert essay["prompt"]["fr"][:40].replace("'", "&#39;") in page and rubric not in page
    client.post_form(
        f"/quizzes/attempts/{attempt_id}/save",
        {"shown": essay["id"], f"q-{essay['id']}": "Qualification…", "action": "save"},
    )
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    result = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert quiz.definition["settings"]["review"] == "explanations"
    assert essay["explanation"]["fr"][:30] in result.replace("&#39;", "'") and rubric not in result


def test_the_learner_sees_the_trainers_grade_of_a_case_essay(client, judge, courses, db, make_user):
    """Once a trainer grades the essay, the learner's result counts it and its review shows the points given,
    not "awaiting grading" beside a grade that already includes them."""
    from lms.accounts.models import User

    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    quiz = module_quiz(db, "definition")
    essay = next(q for q in quiz.definition["questions"] if q["type"] == "essay")
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    attempt = db.session.get(Attempt, attempt_id)
    drawn = [q for q in quiz.definition["questions"] if q["id"] in attempt.question_ids]
    data = right_form(drawn)
    data[f"q-{essay['id']}"] = "Qualification, articles, mesures de protection."
    data["action"] = "save"
    client.post_form(f"/quizzes/attempts/{attempt_id}/save", data)
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    pending = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "awaits a trainer" in pending and '<p class="result' not in pending  # no grade yet

    attempt = db.session.get(Attempt, attempt_id)
    service.override_points(attempt, essay["id"], 4.0, "Articles incomplets", db.session.get(User, trainer.id))
    db.session.commit()
    result = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Passed" in result
    assert "awaiting grading" not in result
    assert "partly right" in result and "(4 / 5)" in result
