"""A worker killed in the middle of an autosave or of a submission loses nothing already saved, leaves no
half-written attempt, and the learner resumes the same attempt (SIGKILL: no cleanup code runs)."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import select

from lms.content.models import Module, QuizVersion
from lms.quizzes import service
from lms.quizzes.models import Attempt

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from lms import create_app
    from lms.config import TestConfig
    from lms.extensions import db
    from lms.quizzes import service
    from lms.quizzes.models import Attempt

    url, instance, attempt_id, step, question, answer = sys.argv[1:7]
    app = create_app(TestConfig(url, instance))
    with app.app_context():
        attempt = db.session.get(Attempt, int(attempt_id))
        if step == "autosave":
            service.save_answers(attempt, {question: answer})
        else:
            service.finish_attempt(attempt)
        db.session.flush()  # the write is sent to the database, the transaction is still open
        print("written", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies here, before any commit
    """
)


def _kill_during(app, attempt_id, step, question="", answer=""):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            app.config["SQLALCHEMY_DATABASE_URI"],
            app.config["INSTANCE_PATH"],
            str(attempt_id),
            step,
            question,
            answer,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    assert "written" in result.stdout


@pytest.mark.slow
def test_killed_worker_loses_nothing_saved_and_the_attempt_resumes(app, client, db, courses, make_user):
    make_user(email="judge@example.org", profession="magistrate-judge")
    module = db.session.scalar(select(Module).where(Module.slug == "definition"))
    quiz = db.session.scalar(select(QuizVersion).where(QuizVersion.module_id == module.id, QuizVersion.is_current))
    quiz_id, questions = quiz.id, quiz.definition["questions"]
    client.login("judge@example.org")
    start = client.post_form(f"/quizzes/{quiz_id}/start")
    attempt_id = int(start.headers["Location"].rsplit("/", 1)[1])
    drawn = set(db.session.get(Attempt, attempt_id).question_ids)  # the module quiz draws from a pool
    # Which questions the pool draws varies: answer the first drawn one with a single right answer.
    first = next(q for q in questions if q["id"] in drawn and q["type"] in ("single", "truefalse"))
    second = next(q for q in questions if q["id"] in drawn and q["id"] != first["id"])
    if first["type"] == "single":
        right = sent = next(o["id"] for o in first["options"] if o["correct"])
    else:
        right, sent = first["answer"], "true" if first["answer"] else "false"
    saved = client.post_form(
        f"/quizzes/attempts/{attempt_id}/autosave", {"shown": first["id"], f"q-{first['id']}": sent}
    )
    assert saved.status_code == 200
    db.session.commit()
    db.session.close()

    # 1. Killed in the middle of an autosave: the unfinished write vanishes, the saved answer stays.
    _kill_during(app, attempt_id, "autosave", second["id"], "an unfinished answer")
    assert service.responses_of(attempt_id) == {first["id"]: right}
    db.session.close()  # the test holds no lock while the next worker runs

    # 2. Killed in the middle of the submission: the attempt is still open, not half graded.
    _kill_during(app, attempt_id, "submit")
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == "in_progress" and attempt.points is None and attempt.submitted_at is None
    db.session.close()

    # 3. The learner comes back (another worker): the same attempt, its answer, then one graded submission.
    assert client.get(f"/quizzes/attempts/{attempt_id}").status_code == 200
    again = client.post_form(f"/quizzes/{quiz_id}/start")
    assert again.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}")
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == "submitted" and attempt.points == first["points"]
    assert db.session.scalar(select(Attempt.id).where(Attempt.user_id == attempt.user_id).limit(2).offset(1)) is None
