"""Learner quiz pages: the quiz, an attempt (one question per page or all), autosave, summary, result."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import format_time, get_locale
from flask_login import current_user

from ..accounts.forms import ConfirmForm
from ..content import service as content
from ..content.models import Module, QuizVersion
from ..core.access import roles_required, signed_in
from ..core.database import reads_first
from ..core.timeutil import utcnow
from ..extensions import db
from ..i18n import _
from . import bp, service
from .models import IN_PROGRESS, Attempt
from .service import QuizError


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


@bp.get("/quizzes/<int:quiz_id>")
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


@bp.post("/quizzes/<int:quiz_id>/start")
@signed_in
def start(quiz_id: int):
    version = _version_or_404(quiz_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        attempt = service.start_attempt(current_user.id, version)
    except QuizError as error:
        db.session.commit()
        flash(str(error), "error")
        return redirect(url_for("quizzes.quiz", quiz_id=quiz_id))
    db.session.commit()
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
    mode = _view_mode()
    shown, page, pages = _page_questions(attempt, mode, request.args.get("page", 1, type=int))
    return render_template(
        "quizzes/attempt.html",
        attempt=attempt,
        module=_module_for(attempt.quiz_version),
        settings=service.attempt_settings(attempt),
        questions=shown,
        all_questions=service.attempt_questions(attempt),
        responses=service.responses_of(attempt.id),
        saved_at=service.last_saved_at(attempt.id),
        mode=mode,
        page=page,
        pages=pages,
        form=ConfirmForm(),
    )


def _save_from_form(attempt: Attempt):
    by_id = service.questions_by_id(attempt.quiz_version)
    shown = [by_id[q] for q in request.form.getlist("shown") if q in by_id and q in attempt.question_ids]
    seq = request.form.get("seq", type=int)
    return service.save_answers(attempt, service.parse_form(shown, request.form), seq=seq)


@bp.post("/attempts/<int:attempt_id>/save")
@signed_in
def save(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        _save_from_form(attempt)
    except QuizError as error:
        db.session.commit()  # the attempt may just have been finished for time
        flash(str(error), "warning")
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    db.session.commit()
    action = request.form.get("action", "save")
    page = request.form.get("page", 1, type=int)
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
    attempt = _own_attempt(attempt_id)
    by_id = service.questions_by_id(attempt.quiz_version)
    shown = [by_id[q] for q in request.form.getlist("shown") if q in by_id and q in attempt.question_ids]
    try:
        saved = service.autosave(attempt, service.parse_form(shown, request.form), request.form.get("seq", type=int))
    except QuizError as error:
        db.session.commit()
        return jsonify(ok=False, message=str(error), redirect=url_for("quizzes.result", attempt_id=attempt_id)), 409
    db.session.commit()
    return jsonify(
        ok=True, saved_at=saved.isoformat() + "Z", message=_("Saved at %(time)s", time=format_time(saved, "short"))
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
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.getlist("shown") and attempt.state == IN_PROGRESS:
        try:
            _save_from_form(attempt)
        except QuizError:
            pass  # finished for time: graded below on what was saved in time
    if service.finish_attempt(attempt, by="learner"):
        flash(_("Your attempt is submitted."), "success")
    else:
        flash(_("This attempt was already submitted: it was graded once, and nothing changed."), "info")
    db.session.commit()
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
        review=service.attempt_review(attempt),
        standing=service.standing(current_user.id, current or version),
        quiz=service.settings(current or version, current_user.id),
        open_attempt=service.open_attempt(current_user.id, version.module_id),
        current=current,
        now=utcnow(),
        locale=str(get_locale()),
        form=ConfirmForm(),
    )


@bp.get("/quizzes/<int:quiz_id>/export.gift")
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
