"""bench/load.py reads each submission's answer from the page it leads to: the message flashed, not any success
box (a passed quiz's result page says "You have passed this quiz" in one, which once read as a second grading)."""

import sys
from pathlib import Path

from tests.factories import module_quiz, right_form, start_quiz

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import load  # noqa: E402


def _said(page: bytes) -> bytes:
    found = load.FLASHES_RE.search(page)
    return found.group(1) if found else b""


def test_an_already_submitted_pass_reads_as_already(client, make_user, courses, db):
    make_user(email="judge@example.org", profession="magistrate-judge")
    quiz = module_quiz(db)  # every question auto-graded: answered right, it passes
    client.login("judge@example.org")
    attempt_id = start_quiz(client, quiz)
    client.post_form(
        f"/quizzes/attempts/{attempt_id}/save", {**right_form(quiz.definition["questions"]), "action": "save"}
    )
    first = client.post_form(f"/quizzes/attempts/{attempt_id}/submit", follow_redirects=True).data
    again = client.post_form(f"/quizzes/attempts/{attempt_id}/submit", follow_redirects=True).data
    assert b"You have passed this quiz." in first and b"You have passed this quiz." in again
    assert b'class="flash flash-success"' in _said(first) and b'class="flash flash-info"' not in _said(first)
    assert b'class="flash flash-info"' in _said(again) and b'class="flash flash-success"' not in _said(again)
