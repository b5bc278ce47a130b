"""Learner quiz pages: the quiz, an attempt (one question per page or all), autosave, summary, result."""

from __future__ import annotations

import re

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user

from ..content import service as content
from ..content.models import Module, QuizVersion
from ..core.access import roles_required, signed_in
from ..core.database import reads_first
from ..core.forms import ConfirmForm, require_confirmation
from ..core.numbers import arg_number, form_number
from ..core.timeutil import utcnow
from ..core.work import unit_of_work
from ..extensions import db
from ..i18n import _, format_time, ngettext
from . import bp, service
from .models import IN_PROGRESS, Attempt
from .service import QuizError

#: an autosave's idempotency key: a UUID from the device, or any 1 to 64 letters, digits and hyphens
SAVE_KEY = re.compile(r"[A-Za-z0-9-]{1,64}")


def _version_or_404(quiz_id: int) -> QuizVersion:
    version = db.session.get(QuizVersion, quiz_id)
    if version is None:
        abort(404)
    module = db.session.get(Module, version.module_id)
    if module is None or not content.can_open(current_user, module.course):
        abort(403 if module else 404)
    return version


def _own_attempt(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


def _module_for(version: QuizVersion) -> Module:
    return db.session.get(Module, version.module_id)


@bp.get("/<int:quiz_id>")
@signed_in
def quiz(quiz_id: int):
    version = _version_or_404(quiz_id)
    if not version.is_current:
        current = content.current_quiz(version.module_id)
        if current is not None:
            return redirect(url_for("quizzes.quiz", quiz_id=current.id))
    open_one = service.open_attempt(current_user.id, version.module_id)
    if open_one is not None and service.finish_if_overdue(open_one):
        db.session.commit()
        open_one = None
    return render_template(
        "quizzes/quiz.html",
        version=version,
        module=_module_for(version),
        settings=service.settings(version, current_user.id),
        standing=service.standing(current_user.id, version),
        open_attempt=open_one,
        form=ConfirmForm(),
    )


@bp.post("/<int:quiz_id>/start")
@signed_in
def start(quiz_id: int):
    version = _version_or_404(quiz_id)
    require_confirmation()
    # A refusal keeps what was done before it (an open attempt finished for time).
    with unit_of_work(QuizError, on_error="commit") as work:
        attempt = service.start_attempt(current_user.id, version)
    if not work.ok:
        return redirect(url_for("quizzes.quiz", quiz_id=quiz_id))
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


def _view_mode() -> str:
    view = request.args.get("view")
    if view in ("one", "all"):
        session["quiz_view"] = view
    return session.get("quiz_view", "all")


def _page_questions(attempt: Attempt, mode: str, page: int):
    questions = service.attempt_questions(attempt)
    if mode == "all":
        return questions, 1, 1
    page = min(max(page, 1), max(len(questions), 1))
    return questions[page - 1 : page], page, len(questions)


@bp.get("/attempts/<int:attempt_id>")
@signed_in
def attempt(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if attempt.state != IN_PROGRESS or service.finish_if_overdue(attempt):
        db.session.commit()
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    return _attempt_page(attempt, arg_number("page", 1, low=1, strict=False))


def _attempt_page(attempt: Attempt, page: int, refused: dict | None = None, status: int = 200):
    """The attempt's questions as stored. ``refused``: question id -> the response this window sent that was not
    stored (another window saved that question since), shown so that the learner can copy it."""
    mode = _view_mode()
    shown, page, pages = _page_questions(attempt, mode, page)
    answers = service.answers_of(attempt.id)
    all_questions = service.attempt_questions(attempt)
    numbers = {q["id"]: n for n, q in enumerate(all_questions, start=1)}
    return render_template(
        "quizzes/attempt.html",
        attempt=attempt,
        module=_module_for(attempt.quiz_version),
        settings=service.attempt_settings(attempt),
        questions=shown,
        all_questions=all_questions,
        responses={qid: a.response for qid, a in answers.items()},
        # each answer's save number as this page shows it: a save from this page that finds another number
        # stored (another window saved that question since) is refused instead of overwriting it
        bases={qid: a.seq for qid, a in answers.items()},
        # this page's saves are numbered after every save stored so far
        next_seq=attempt.save_seq + 1,
        refused=[(numbers[q["id"]], q, refused[q["id"]]) for q in all_questions if q["id"] in (refused or {})],
        refused_message=_refused_message(attempt.question_ids, list(refused), page=True) if refused else None,
        saved_at=service.last_saved_at(attempt.id),
        mode=mode,
        page=page,
        pages=pages,
        form=ConfirmForm(),
        server_now=utcnow(),
        offline_plurals=_offline_plurals(),
    ), status


#: a number of each plural category of the Unicode plural rules (which the page's script picks with
#: Intl.PluralRules), so that a count said by the script reads as gettext would say it
PLURAL_SAMPLES = {"zero": 0, "one": 1, "two": 2, "few": 3, "many": 11, "other": 100}


def _offline_plurals() -> dict:
    """The sentences with a count that the page's script says about the answers stored on the device, each in
    the form of every plural category, with ``{n}`` where the count goes."""
    sentences = {
        "signin": lambda n: ngettext(
            "Your session has ended: sign in again to send %(count)s answer saved on this device.",
            "Your session has ended: sign in again to send %(count)s answers saved on this device.",
            n,
            count="{n}",
        ),
        "late": lambda n: ngettext(
            "%(count)s answer saved on this device was not counted: it reached the server after the time limit "
            "and its grace period.",
            "%(count)s answers saved on this device were not counted: they reached the server after the time "
            "limit and its grace period.",
            n,
            count="{n}",
        ),
    }
    return {name: {cat: say(n) for cat, n in PLURAL_SAMPLES.items()} for name, say in sentences.items()}


def _save_from_form(attempt: Attempt):
    by_id = service.questions_by_id(attempt.quiz_version)
    shown = [by_id[q] for q in request.form.getlist("shown") if q in by_id and q in attempt.question_ids]
    responses = service.parse_form(shown, request.form)
    seq = form_number("seq")
    result = service.save_answers(attempt, responses, seq=seq, bases=_bases(shown))
    return result, responses


def _bases(shown: list[dict]) -> dict:
    """The save number of each shown answer as the page last saw it (``base-<question id>``), when sent."""
    bases = {}
    for question in shown:
        value = form_number(f"base-{question['id']}")
        if value is not None:
            bases[question["id"]] = value
    return bases


def _refused_message(question_ids: list, refused: list, page: bool = False) -> str:
    """Which answers were not stored, and why, by their question numbers. ``page``: said by the page that a save
    without JavaScript returns, which shows what is stored and the answers that were not."""
    numbers = [n for n, qid in enumerate(question_ids, start=1) if qid in refused]
    if page:
        return ngettext(
            "Not saved: question %(numbers)s was changed in another window (another tab or device). This page "
            "now shows the answer saved there; your answer from this window is below so that you can copy it.",
            "Not saved: questions %(numbers)s were changed in another window (another tab or device). This page "
            "now shows the answers saved there; your answers from this window are below so that you can copy them.",
            len(numbers),
            numbers=", ".join(str(n) for n in numbers),
        )
    return ngettext(
        "Not saved: question %(numbers)s was changed in another window (another tab or device). Reload the "
        "page to see the answer saved there; your answer stays on this page so that you can copy it.",
        "Not saved: questions %(numbers)s were changed in another window (another tab or device). Reload the "
        "page to see the answers saved there; your answers stay on this page so that you can copy them.",
        len(numbers),
        numbers=", ".join(str(n) for n in numbers),
    )


@bp.post("/attempts/<int:attempt_id>/save")
@signed_in
def save(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    require_confirmation()
    # A refusal keeps what was done before it: the attempt may just have been finished for time.
    with unit_of_work(QuizError, on_error="commit", error_category="warning") as work:
        result, responses = _save_from_form(attempt)
    if not work.ok:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    page = form_number("page", 1, low=1, strict=False)
    if not result.ok:
        # Stay on this page: it now shows what is stored, and the answers that were not, to copy.
        db.session.refresh(attempt)
        return _attempt_page(attempt, page, {qid: responses[qid] for qid in result.refused}, status=409)
    action = request.form.get("action", "save")
    if action == "summary":
        return redirect(url_for("quizzes.summary", attempt_id=attempt.id))
    if action == "next":
        page += 1
    elif action == "prev":
        page -= 1
    elif action.startswith("goto-"):
        page = int(action[5:]) if action[5:].isdigit() else page
    flash(_("Your answers are saved."), "success")
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id, page=page))


@bp.post("/attempts/<int:attempt_id>/autosave")
@signed_in
@reads_first  # many learners save every few seconds: each holds the write lock for its write alone
def autosave(attempt_id: int):
    # An idempotency key (a device sending the answers it stored offline): each save is applied once.
    key = request.form.get("key")
    if key is not None and not SAVE_KEY.fullmatch(key):
        return jsonify(ok=False, message=_("This save could not be read. Reload the page.")), 400

    def read(by_id: dict, question_ids: list) -> tuple[dict, dict]:
        shown = [by_id[q] for q in request.form.getlist("shown") if q in by_id and q in question_ids]
        return service.parse_form(shown, request.form), _bases(shown)

    # The attempt is read by the save itself (its claim checks that it is this learner's and still open).
    try:
        result, question_ids = service.autosave(attempt_id, current_user.id, read, form_number("seq"), key=key)
    except service.NotYourAttempt:
        abort(404)
    except QuizError as error:
        db.session.commit()
        finished_by = service.finished_by(attempt_id)
        # "closed": why no answer can be saved any more ("time": the time limit and its grace are over).
        return jsonify(
            ok=False,
            message=str(error),
            closed="time" if finished_by == "timeout" else "submitted",
            redirect=url_for("quizzes.result", attempt_id=attempt_id),
        ), 409
    db.session.commit()
    if result.ok:
        message = _("Saved at %(time)s", time=format_time(result.saved_at, "short"))
    else:
        message = _refused_message(question_ids, result.refused)
    # "ok" only when every answer sent is stored; "stored" and "refused" say which, answer by answer.
    return jsonify(
        ok=result.ok,
        saved_at=result.saved_at.isoformat() + "Z",
        stored=result.stored,
        refused=result.refused,
        message=message,
    )


@bp.get("/attempts/<int:attempt_id>/summary")
@signed_in
def summary(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if attempt.state != IN_PROGRESS or service.finish_if_overdue(attempt):
        db.session.commit()
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    responses = service.responses_of(attempt.id)
    questions = service.attempt_questions(attempt)
    rows = [(i + 1, q, service.is_answered(q, responses.get(q["id"]))) for i, q in enumerate(questions)]
    return render_template(
        "quizzes/summary.html",
        attempt=attempt,
        module=_module_for(attempt.quiz_version),
        rows=rows,
        unanswered=sum(1 for _n, _q, done in rows if not done),
        saved_at=service.last_saved_at(attempt.id),
        form=ConfirmForm(),
    )


@bp.post("/attempts/<int:attempt_id>/submit")
@signed_in
def submit(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    require_confirmation()
    with unit_of_work() as work:
        if request.form.getlist("shown") and attempt.state == IN_PROGRESS:
            try:
                _save_from_form(attempt)
            except QuizError:
                pass  # finished for time: graded below on what was saved in time
        if service.finish_attempt(attempt, by="learner"):
            work.flash(_("Your attempt is submitted."))
        else:
            work.flash(_("This attempt was already submitted: it was graded once, and nothing changed."), "info")
    return redirect(url_for("quizzes.result", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>/result")
@signed_in
def result(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if attempt.state == IN_PROGRESS:
        if not service.finish_if_overdue(attempt):
            return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
        db.session.commit()
    version = attempt.quiz_version
    current = content.current_quiz(version.module_id)
    return render_template(
        "quizzes/result.html",
        attempt=attempt,
        module=_module_for(version),
        settings=service.attempt_settings(attempt),
        questions=service.attempt_questions(attempt),
        responses=service.responses_of(attempt.id),
        # a trainer's grade of an essay (or override of a question's points), as the attempt's score counts it
        manual=service.manual_points_of(attempt.id),
        review=service.attempt_review(attempt),
        standing=service.standing(current_user.id, current or version),
        quiz=service.settings(current or version, current_user.id),
        open_attempt=service.open_attempt(current_user.id, version.module_id),
        current=current,
        now=utcnow(),
        locale=str(get_locale()),
        form=ConfirmForm(),
    )


@bp.get("/<int:quiz_id>/export.gift")
@roles_required("trainer", "admin")
def export_gift(quiz_id: int):
    """The quiz as a Moodle GIFT file (both languages in multilang spans)."""
    from .gift import export_gift as to_gift

    version = db.session.get(QuizVersion, quiz_id)
    if version is None:
        abort(404)
    module = _module_for(version)
    body = to_gift(version.definition)
    response = current_app.response_class(body, mimetype="text/plain")
    response.headers["Content-Disposition"] = f"attachment; filename={module.slug}-v{version.version}.gift"
    return response
