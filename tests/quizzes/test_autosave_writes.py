"""Autosave reads first and writes in a short transaction of its own; a save that changes nothing keeps the time
of the last change; a multi-answer page is saved in one statement."""

from sqlalchemy import select

from lms.quizzes.models import Answer
from tests.factories import module_quiz, right_form, start_quiz


def test_autosave_reads_then_writes_briefly(client, judge, courses, db, sqlite_begins):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    questions = [q for q in quiz.definition["questions"] if q["type"] in ("single", "multiple", "truefalse")]
    form = {**right_form(questions), "csrf_token": client.csrf()}
    begins = sqlite_begins  # from here on (what set-up wrote before does not count)
    if begins is not None:
        begins.clear()
    response = client.raw.post(f"/quizzes/attempts/{attempt_id}/autosave", data=form)  # (post_form GETs a token first)
    assert response.status_code == 200 and response.get_json()["ok"]
    if begins is not None:  # the user, attempt and questions read in a deferred transaction, then the write
        assert begins == ["BEGIN", "BEGIN IMMEDIATE"], begins
    answers = {a.question_id: a for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))}
    assert set(answers) == {q["id"] for q in questions}
    first_saved = {qid: a.saved_at for qid, a in answers.items()}
    db.session.expire_all()

    # The same answers again: nothing changes, not even the time of the last change.
    assert client.post_form(f"/quizzes/attempts/{attempt_id}/autosave", form).get_json()["ok"]
    db.session.expire_all()
    again = {a.question_id: a for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))}
    assert {qid: a.saved_at for qid, a in again.items()} == first_saved

    # One answer changed: that one row changes.
    single = next(q for q in questions if q["type"] == "single")
    wrong = next(o["id"] for o in single["options"] if not o["correct"])
    assert client.post_form(
        f"/quizzes/attempts/{attempt_id}/autosave", {**form, f"q-{single['id']}": wrong}
    ).get_json()["ok"]
    db.session.expire_all()
    after = {a.question_id: a for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))}
    assert after[single["id"]].response == wrong and after[single["id"]].saved_at >= first_saved[single["id"]]
    assert all(after[qid].saved_at == first_saved[qid] for qid in after if qid != single["id"])


def test_a_question_not_in_the_attempt_is_never_saved(client, judge, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    response = client.post_form(
        f"/quizzes/attempts/{attempt_id}/autosave", {"shown": "not-a-question", "q-not-a-question": "a"}
    )
    assert response.status_code == 200
    assert db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id)).all() == []
