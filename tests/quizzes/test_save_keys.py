"""Autosaves with an idempotency key (a device sending the answers it kept offline): each save is applied once.

A key the attempt knows returns the result recorded the first time and writes nothing; a new key writes and is
recorded, in the same transaction, for one statement more than a save without a key."""

from datetime import timedelta

from sqlalchemy import delete, func, select

from lms.quizzes.models import Answer, Attempt, SaveKey
from tests.factories import module_quiz, start_quiz


def _single(quiz):
    question = next(q for q in quiz.definition["questions"] if q["type"] == "single")
    right = next(o["id"] for o in question["options"] if o["correct"])
    wrong = next(o["id"] for o in question["options"] if not o["correct"])
    return question["id"], right, wrong


def _save(client, attempt_id, qid, value, seq, base, key=None):
    data = {"shown": qid, f"q-{qid}": value, "seq": str(seq), f"base-{qid}": str(base)}
    if key is not None:
        data["key"] = key
    return client.post_form(f"/quizzes/attempts/{attempt_id}/autosave", data)


def _answers(db, attempt_id):
    db.session.expire_all()
    return {
        a.question_id: (a.response, a.seq)
        for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))
    }


def _keys(db, attempt_id=None):
    statement = select(SaveKey.key)
    if attempt_id is not None:
        statement = statement.where(SaveKey.attempt_id == attempt_id)
    return sorted(db.session.scalars(statement))


def test_a_replayed_key_returns_the_first_result_and_writes_nothing(client, judge, courses, db, count_queries):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    qid, right, wrong = _single(quiz)
    first = _save(client, attempt_id, qid, right, seq=5, base=0, key="k-1")
    assert first.status_code == 200 and first.get_json()["ok"]
    assert first.get_json()["stored"] == {qid: 5}
    assert _answers(db, attempt_id) == {qid: (right, 5)}
    assert _keys(db, attempt_id) == ["k-1"]
    saved_at = db.session.scalar(select(Answer.saved_at).where(Answer.attempt_id == attempt_id))

    # The same save again (its answer was lost on the way), even with another response in it: the first result.
    token = client.csrf()
    with count_queries() as counter:
        again = client.raw.post(
            f"/quizzes/attempts/{attempt_id}/autosave",
            data={"shown": qid, f"q-{qid}": wrong, "seq": "5", f"base-{qid}": "0", "key": "k-1", "csrf_token": token},
        )
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    writes = [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "DELETE"))]
    assert writes == [], writes
    updates = [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1 and "quiz_attempt" in updates[0]  # the claim alone, which reads the key
    assert not any("quiz_answer" in s and "quiz_save_key" not in s for s in updates)
    assert _answers(db, attempt_id) == {qid: (right, 5)}
    assert db.session.scalar(select(Answer.saved_at).where(Answer.attempt_id == attempt_id)) == saved_at
    assert db.session.scalar(select(func.count()).select_from(SaveKey)) == 1


def counted_saves(client, db, count_queries):
    """The judge (signed in) starts an attempt on the module quiz: ``(attempt id, question, right, wrong, save)``,
    where ``save(value, seq, base, key=None)`` autosaves one answer (accepted) and returns the statements it ran."""
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    qid, right, wrong = _single(quiz)
    token = client.csrf()

    def save(value, seq, base, key=None):
        data = {"shown": qid, f"q-{qid}": value, "seq": str(seq), f"base-{qid}": str(base), "csrf_token": token}
        if key:
            data["key"] = key
        with count_queries() as counter:
            response = client.raw.post(f"/quizzes/attempts/{attempt_id}/autosave", data=data)
        assert response.status_code == 200 and response.get_json()["ok"], response.get_json()
        return counter.statements

    return attempt_id, qid, right, wrong, save


def test_a_keyed_save_costs_one_statement_more(client, judge, courses, db, count_queries):
    attempt_id, qid, right, wrong, save = counted_saves(client, db, count_queries)

    def statements(value, seq, base, key=None):
        return len(save(value, seq, base, key))

    statements(wrong, 2, 0)  # the first save in the process reads the quiz version's questions (once)
    plain = statements(right, 3, 2)
    keyed = statements(wrong, 4, 3, key="abc")
    replayed = statements(wrong, 4, 3, key="abc")
    assert keyed == plain + 1
    assert replayed < plain  # the claim answers it: no answer read, none written, no key written
    assert _answers(db, attempt_id) == {qid: (wrong, 4)}


def test_an_old_key_replayed_after_a_newer_save_does_not_overwrite(client, judge, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    qid, right, wrong = _single(quiz)
    old = _save(client, attempt_id, qid, wrong, seq=2, base=0, key="old")
    assert old.get_json()["stored"] == {qid: 2}
    assert _save(client, attempt_id, qid, right, seq=3, base=2, key="new").get_json()["ok"]
    replay = _save(client, attempt_id, qid, wrong, seq=2, base=0, key="old")
    assert replay.status_code == 200 and replay.get_json() == old.get_json()
    assert _answers(db, attempt_id) == {qid: (right, 3)}
    # The same old save under a key never seen (not a replay): refused as a late save, nothing overwritten.
    late = _save(client, attempt_id, qid, wrong, seq=2, base=0, key="other")
    assert late.get_json()["refused"] == [qid] and not late.get_json()["ok"]
    assert _answers(db, attempt_id) == {qid: (right, 3)}
    assert _keys(db, attempt_id) == ["new", "old", "other"]


def test_chained_bases_are_accepted_in_order(client, judge, courses, db):
    """Offline changes of one question: each entry's base is the previous entry's number."""
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    qid, right, wrong = _single(quiz)
    other = [q for q in quiz.definition["questions"] if q["type"] == "single"][1]
    options = [o["id"] for o in other["options"]]
    mid = other["id"]
    entries = [
        (qid, wrong, 2, 0),
        (mid, options[0], 3, 0),
        (qid, right, 4, 2),
        (qid, wrong, 5, 4),
        (mid, options[1], 6, 3),
        (qid, right, 7, 5),
    ]
    for n, (question, value, seq, base) in enumerate(entries):
        body = _save(client, attempt_id, question, value, seq=seq, base=base, key=f"e-{n}").get_json()
        assert body["ok"] and body["stored"] == {question: seq}, body
    assert _answers(db, attempt_id) == {qid: (right, 7), mid: (options[1], 6)}
    assert len(_keys(db, attempt_id)) == len(entries)


def test_a_key_of_one_learner_is_not_usable_on_another_learners_attempt(app, client, judge, make_user, courses, db):
    quiz = module_quiz(db)
    make_user(email="other@example.org", profession="magistrate-judge")
    client.login("judge@example.org")
    first = start_quiz(client, quiz)
    qid, right, wrong = _single(quiz)
    mine = _save(client, first, qid, right, seq=2, base=0, key="shared-key")
    assert mine.get_json()["ok"]

    other = type(client)(app.test_client())
    other.login("other@example.org")
    second = start_quiz(other, quiz)
    # On the first learner's attempt: not found, as any save there.
    assert _save(other, first, qid, wrong, seq=9, base=2, key="shared-key").status_code == 404
    assert _save(other, first, qid, wrong, seq=9, base=2, key="another").status_code == 404
    # On their own attempt the same key is theirs alone: a new save, not the first learner's result.
    own = _save(other, second, qid, wrong, seq=2, base=0, key="shared-key")
    assert own.status_code == 200 and own.get_json()["stored"] == {qid: 2}
    assert _answers(db, first) == {qid: (right, 2)}
    assert _answers(db, second) == {qid: (wrong, 2)}
    assert _keys(db, first) == ["shared-key"] and _keys(db, second) == ["shared-key"]
    # And the first learner's own key on the second learner's attempt: not found either.
    assert _save(client, second, qid, right, seq=3, base=2, key="shared-key").status_code == 404
    assert _answers(db, second) == {qid: (wrong, 2)}


def test_a_malformed_key_is_refused_and_nothing_is_written(client, judge, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    qid, right, _wrong = _single(quiz)
    for key in ("", "a" * 65, "has space", "slash/", "é"):
        response = _save(client, attempt_id, qid, right, seq=2, base=0, key=key)
        assert response.status_code == 400, key
        assert response.get_json()["ok"] is False and response.get_json()["message"]
    assert _answers(db, attempt_id) == {} and _keys(db) == []
    assert _save(client, attempt_id, qid, right, seq=2, base=0, key="a" * 64).status_code == 200


def test_the_refusal_message_is_translated(client, make_user, courses, db):
    make_user(email="fr@example.org", profession="magistrate-judge", locale="fr")
    quiz = module_quiz(db)
    client.login("fr@example.org")
    attempt_id = start_quiz(client, quiz)
    qid, right, _wrong = _single(quiz)
    message = _save(client, attempt_id, qid, right, seq=2, base=0, key="bad key").get_json()["message"]
    assert message and message != "This save could not be read. Reload the page."


def test_after_the_time_limit_a_known_key_keeps_its_result_and_a_new_one_is_refused_for_time(
    client, judge, courses, db
):
    quiz = module_quiz(db)
    quiz.definition = {
        **quiz.definition,
        "settings": {**quiz.definition["settings"], "time_limit_minutes": 10, "grace_minutes": 1},
    }
    db.session.commit()
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    qid, right, wrong = _single(quiz)
    first = _save(client, attempt_id, qid, right, seq=2, base=0, key="in-time")
    assert first.get_json()["ok"]
    attempt = db.session.get(Attempt, attempt_id)
    attempt.started_at -= timedelta(minutes=30)
    attempt.deadline_at -= timedelta(minutes=30)
    db.session.commit()
    # Its answer was lost on the way: sent again after the time, it is still the save that counted.
    replay = _save(client, attempt_id, qid, right, seq=2, base=0, key="in-time")
    assert replay.status_code == 200 and replay.get_json() == first.get_json()
    late = _save(client, attempt_id, qid, wrong, seq=3, base=2, key="too-late")
    assert late.status_code == 409
    assert late.get_json()["closed"] == "time" and late.get_json()["redirect"].endswith(f"/{attempt_id}/result")
    assert _answers(db, attempt_id)[qid][0] == right
    assert _keys(db, attempt_id) == ["in-time"]


def test_a_submitted_attempt_says_it_is_closed(client, judge, courses, db):
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    qid, right, _wrong = _single(quiz)
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    response = _save(client, attempt_id, qid, right, seq=2, base=0, key="after")
    assert response.status_code == 409 and response.get_json()["closed"] == "submitted"
    assert _keys(db, attempt_id) == []


def test_the_keys_go_with_the_attempt_and_the_person(client, judge, courses, db):
    from lms.accounts.models import User

    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    qid, right, wrong = _single(quiz)
    assert _save(client, attempt_id, qid, right, seq=2, base=0, key="one").get_json()["ok"]
    client.logout()
    db.session.execute(delete(Attempt).where(Attempt.id == attempt_id))
    db.session.commit()
    assert _keys(db) == []

    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    assert _save(client, attempt_id, qid, wrong, seq=2, base=0, key="two").get_json()["ok"]
    client.logout()
    db.session.execute(delete(User).where(User.email == "judge@example.org"))
    db.session.commit()
    assert _keys(db) == []
