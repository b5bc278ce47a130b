"""Two windows on one attempt (two tabs, or a phone and a PC): an answer is "saved" only when it is stored.

Each window numbers its saves (``seq``) and sends, for each answer, the number it was stored with as that window
last saw it (``base-<question>``). A save of one question never makes another question's save fail; a window
that had not seen another window's save of a question is refused for that question, and told so."""

import re
import threading

from markupsafe import escape

from lms.quizzes import service
from lms.quizzes.models import Attempt
from tests.factories import module_quiz, start_quiz


class Window:
    """One browser tab on the attempt page, saving as quiz.js does (the numbers it sends, and what it learns)."""

    def __init__(self, client, attempt_id):
        self.client, self.attempt_id = client, attempt_id
        self.load()

    def load(self):
        page = self.client.get(f"/quizzes/attempts/{self.attempt_id}").get_data(as_text=True)
        self.seq = int(re.search(r'name="seq" value="(\d+)"', page).group(1))
        self.bases = {qid: int(v) for qid, v in re.findall(r'name="base-([^"]+)" value="(\d+)"', page)}
        self.shown = re.findall(r'name="shown" value="([^"]+)"', page)
        return page

    def autosave(self, answers: dict):
        """Send the changed answers only (question id -> form value), numbered after this window's last save."""
        self.seq += 1
        data = {"seq": str(self.seq), "shown": list(answers)}
        for qid, value in answers.items():
            data[f"q-{qid}"] = value
            data[f"base-{qid}"] = str(self.bases.get(qid, 0))
        response = self.client.post_form(f"/quizzes/attempts/{self.attempt_id}/autosave", data)
        body = response.get_json()
        for qid, seq in (body.get("stored") or {}).items():
            self.bases[qid] = seq
        return response, body

    def save_button(self, answers: dict, action="save"):
        """The page's Save button: the whole form, every shown question (what the page holds for the others)."""
        self.seq += 1
        data = {"seq": str(self.seq), "shown": self.shown, "action": action, "page": "1"}
        for qid in self.shown:
            data[f"base-{qid}"] = str(self.bases.get(qid, 0))
        for qid, value in answers.items():
            data[f"q-{qid}"] = value
        return self.client.post_form(f"/quizzes/attempts/{self.attempt_id}/save", data)


def _two_windows(app, client, quiz):
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    other = type(client)(app.test_client())
    other.raw.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    other.login("judge@example.org")
    assert start_quiz(other, quiz) == attempt_id
    return attempt_id, Window(client, attempt_id), Window(other, attempt_id)


def _singles(quiz):
    singles = [q for q in quiz.definition["questions"] if q["type"] == "single"]
    assert len(singles) >= 2
    return singles[0], singles[1]


def _options(question):
    right = next(o["id"] for o in question["options"] if o["correct"])
    wrong = [o["id"] for o in question["options"] if not o["correct"]]
    return right, wrong


def test_a_save_of_another_question_from_another_window_is_stored(app, client, judge, courses, db):
    """Both windows at the same number; A saves question 1 three times, B then saves question 2 with the number A
    used first. It was answered "saved" and nothing was stored: now it is stored."""
    quiz = module_quiz(db)
    attempt_id, a, b = _two_windows(app, client, quiz)
    assert a.seq == b.seq
    q1, q2 = _singles(quiz)
    right1, wrong1 = _options(q1)
    right2, _wrong2 = _options(q2)
    for value in (wrong1[0], wrong1[-1], right1):
        response, body = a.autosave({q1["id"]: value})
        assert response.status_code == 200 and body["ok"]
    response, body = b.autosave({q2["id"]: right2})
    assert response.status_code == 200 and body["ok"] and body["message"].startswith("Saved at")
    assert service.responses_of(attempt_id) == {q1["id"]: right1, q2["id"]: right2}  # (it was "saved", not stored)
    assert body["refused"] == [] and set(body["stored"]) == {q2["id"]}

    # B's Save button (its page still shows question 1 as it was when B opened it): question 2 is saved, and
    # question 1, which A changed since, is not overwritten by what B's page held; B is told so.
    page = b.save_button({q2["id"]: right2})
    assert page.status_code == 409
    text = page.get_data(as_text=True)
    number = _number(db, attempt_id, q1["id"])
    assert f"Not saved: question {number} was changed in another window" in text
    assert "Your answers are saved" not in text
    assert service.responses_of(attempt_id)[q1["id"]] == right1
    assert service.responses_of(attempt_id)[q2["id"]] == right2
    # The page shows what is stored now, and numbers the next save after it: saving again is stored.
    assert re.search(rf'name="q-{q1["id"]}" value="{right1}"\s+checked', text)
    b.seq = int(re.search(r'name="seq" value="(\d+)"', text).group(1)) - 1
    b.bases = {qid: int(v) for qid, v in re.findall(r'name="base-([^"]+)" value="(\d+)"', text)}
    again = b.save_button({q1["id"]: right1, q2["id"]: right2})
    assert again.status_code == 302
    assert "Your answers are saved" in b.client.get(again.headers["Location"]).get_data(as_text=True)


def _number(db, attempt_id, question_id):
    return db.session.get(Attempt, attempt_id).question_ids.index(question_id) + 1


def test_a_window_that_had_not_seen_another_windows_answer_is_refused_and_told(app, client, judge, courses, db):
    """B saves question 2 several times (its numbers run ahead of A's), then question 1, which A saved after B
    opened the page: B's answer is refused, not stored over A's, and B is told which question and why."""
    quiz = module_quiz(db)
    attempt_id, a, b = _two_windows(app, client, quiz)
    q1, q2 = _singles(quiz)
    right1, wrong1 = _options(q1)
    right2, wrong2 = _options(q2)
    response, body = a.autosave({q1["id"]: right1})
    assert body["ok"]
    for value in (wrong2[0], right2, wrong2[0], right2):
        assert b.autosave({q2["id"]: value})[1]["ok"]
    assert b.seq > a.seq
    response, body = b.autosave({q1["id"]: wrong1[0]})
    assert response.status_code == 200
    assert body["ok"] is False and body["refused"] == [q1["id"]] and body["stored"] == {}
    number = _number(db, attempt_id, q1["id"])
    assert f"Not saved: question {number} was changed in another window" in body["message"]
    assert "Saved at" not in body["message"]
    assert service.responses_of(attempt_id) == {q1["id"]: right1, q2["id"]: right2}

    # Sent with question 2 (a page without JavaScript sends every question): question 2 is stored, 1 is not.
    response, body = b.autosave({q1["id"]: wrong1[0], q2["id"]: wrong2[0]})
    assert body["ok"] is False and body["refused"] == [q1["id"]] and set(body["stored"]) == {q2["id"]}
    assert service.responses_of(attempt_id) == {q1["id"]: right1, q2["id"]: wrong2[0]}

    # The Save button without JavaScript: the page says which answer was not saved and shows it, to copy.
    page = b.save_button({q1["id"]: wrong1[0], q2["id"]: right2})
    text = page.get_data(as_text=True)
    assert page.status_code == 409 and f"Not saved: question {number} was changed" in text
    texts = next(o for o in q1["options"] if o["id"] == wrong1[0])["text"]
    wrong_text = str(escape(texts.get("en") or texts["fr"]))
    assert wrong_text in text.split('class="quiz-form"')[0]  # in the warning, above the form
    stored = service.responses_of(attempt_id)
    assert stored[q1["id"]] == right1 and stored[q2["id"]] == right2

    # A, which saw its own save, changes question 1 again: stored.
    assert a.autosave({q1["id"]: wrong1[0]})[1]["ok"]
    assert service.responses_of(attempt_id)[q1["id"]] == wrong1[0]
    # B reloads: it now sees A's answer, and its save of question 1 is stored.
    b.load()
    response, body = b.autosave({q1["id"]: right1})
    assert body["ok"] and service.responses_of(attempt_id)[q1["id"]] == right1


def test_one_window_autosave_then_save_button_is_stored(app, client, judge, courses, db):
    """One window: autosaves, then the Save button with the numbers the autosaves returned: every save stored;
    without JavaScript (page, Save, page, Save) as well."""
    quiz = module_quiz(db)
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    window = Window(client, attempt_id)
    q1, q2 = _singles(quiz)
    right1, wrong1 = _options(q1)
    right2, wrong2 = _options(q2)
    assert window.autosave({q1["id"]: wrong1[0]})[1]["ok"]
    assert window.autosave({q1["id"]: right1})[1]["ok"]
    saved = window.save_button({q1["id"]: right1, q2["id"]: right2})
    assert saved.status_code == 302
    stored = service.responses_of(attempt_id)
    assert stored[q1["id"]] == right1 and stored[q2["id"]] == right2
    for answers in ({q1["id"]: wrong1[0], q2["id"]: wrong2[0]}, {q1["id"]: right1, q2["id"]: right2}):
        window.load()
        window.seq -= 1  # a page without JavaScript sends the number it was given
        assert window.save_button(answers).status_code == 302
        stored = service.responses_of(attempt_id)
        assert {qid: stored[qid] for qid in answers} == answers


def test_two_windows_saving_at_the_same_moment(app, judge, courses, db):
    """Saves racing on the database (threads, as two workers): of two windows that saw question 1 at the same
    number, exactly one is stored and the other refused; saves of two different questions are both stored."""
    quiz = module_quiz(db)
    q1, q2 = _singles(quiz)
    right1, wrong1 = _options(q1)
    right2, _wrong2 = _options(q2)
    attempt = service.start_attempt(judge.id, quiz)
    db.session.flush()
    attempt_id = attempt.id
    db.session.commit()
    db.session.close()  # the test itself holds no transaction while the threads race

    def race(saves):
        barrier = threading.Barrier(len(saves))
        results = [None] * len(saves)

        def run(index, responses, seq, bases):
            with app.app_context():
                from lms.extensions import db as _db

                row = _db.session.get(Attempt, attempt_id)
                _ = row.quiz_version.definition, row.question_ids
                _db.session.commit()  # end the read transaction: the threads race on the claim
                barrier.wait()
                results[index], _ids = service.autosave(
                    attempt_id, row.user_id, lambda _by_id, _ids: (responses, bases), seq
                )
                _db.session.commit()
                _db.session.remove()

        threads = [threading.Thread(target=run, args=(i, *save)) for i, save in enumerate(saves)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        return results

    both = race([({q1["id"]: right1}, 1, {q1["id"]: 0}), ({q2["id"]: right2}, 1, {q2["id"]: 0})])
    assert [r.ok for r in both] == [True, True]
    assert service.responses_of(attempt_id) == {q1["id"]: right1, q2["id"]: right2}
    held = service.answers_of(attempt_id)[q1["id"]].seq
    db.session.close()

    one = race([({q1["id"]: wrong1[0]}, 5, {q1["id"]: held}), ({q1["id"]: wrong1[-1]}, 6, {q1["id"]: held})])
    assert sorted(r.ok for r in one) == [False, True]
    winner = wrong1[0] if one[0].ok else wrong1[-1]
    assert service.responses_of(attempt_id)[q1["id"]] == winner
    loser = one[1] if one[0].ok else one[0]
    assert loser.refused == [q1["id"]] and loser.stored == {}
