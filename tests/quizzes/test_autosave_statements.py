"""What one autosave costs the database: every statement of the request, counted and named, so that a regression
(the attempt loaded again, the quiz definition read on every save, a read per answer) fails here.

An autosave is: the user's row (Flask-Login), the claim (a conditional UPDATE of the learner's own attempt still in
progress, which returns its quiz version, questions and deadline, and with a key the result recorded for that key),
the stored answers of the questions sent, and one upsert of the answers that changed; a keyed save records its key.
The quiz version's questions are read once per process (a version never changes)."""

import re

from tests.factories import module_quiz, start_quiz
from tests.quizzes.test_save_keys import _single, counted_saves


def _kinds(statements):
    """Each statement as "VERB table" (the user's row, the claim, ...)."""
    kinds = []
    for statement in statements:
        words = " ".join(statement.split())
        while "(" in words:  # subqueries out (the user's row brings the bell's count): the statement's own table
            words, found = re.subn(r"\([^()]*\)", "", words)
            if not found:
                break
        verb = words.split(" ", 1)[0].upper()
        if verb == "SELECT":
            table = words.upper().split(" FROM ", 1)[1].split(" ", 1)[0].lower()
        elif verb == "UPDATE":
            table = words.split(" ")[1]
        else:  # INSERT INTO table
            table = words.split(" ")[2]
        kinds.append(f"{verb} {table}")
    return kinds


def test_one_autosave_is_four_statements_and_a_keyed_one_five(client, judge, courses, db, count_queries):
    _attempt_id, _qid, right, wrong, counted = counted_saves(client, db, count_queries)

    def save(value, seq, base, key=None):
        return _kinds(counted(value, seq, base, key))

    claim_and_answers = ["SELECT user_account", "UPDATE quiz_attempt", "SELECT quiz_answer"]
    first = save(right, 3, 0)
    # The first save in this process reads the quiz version's questions (once per process and version).
    assert [k for k in first if k != "SELECT quiz_version"] == [*claim_and_answers, "INSERT quiz_answer"]
    assert first.count("SELECT quiz_version") <= 1
    # Every later save: four statements; the attempt is never loaded on its own, nor the quiz definition.
    assert save(wrong, 4, 3) == [*claim_and_answers, "INSERT quiz_answer"]
    # An unchanged answer writes nothing.
    assert save(wrong, 5, 4) == claim_and_answers
    # A keyed save: one statement more (recording the key); replayed, the claim answers it alone.
    assert save(right, 6, 4, key="k-1") == [*claim_and_answers, "INSERT quiz_answer", "INSERT quiz_save_key"]
    assert save(right, 6, 4, key="k-1") == ["SELECT user_account", "UPDATE quiz_attempt"]


def test_the_claim_is_of_the_learners_own_attempt(client, judge, make_user, courses, db, count_queries):
    """Folding the ownership check into the claim: another learner's save of the attempt claims nothing (404) and
    the attempt's save counter is unchanged."""
    from lms.quizzes.models import Attempt

    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    qid, right, _wrong = _single(quiz)
    before = db.session.get(Attempt, attempt_id).save_seq
    other = make_user(email="other@example.org")
    client.logout()
    client.login(other.email)
    response = client.post_form(
        f"/quizzes/attempts/{attempt_id}/autosave", {"shown": qid, f"q-{qid}": right, "seq": "50", f"base-{qid}": "0"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).save_seq == before
