"""Trainer views of quiz results: a cohort's results, one attempt with its answers (grade, override),
and item statistics per quiz."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..content.models import Module, QuizVersion
from ..core.access import roles_required
from ..extensions import db
from ..i18n import _
from ..quizzes import service as quizzes
from ..quizzes.models import Attempt
from ..quizzes.stats import item_statistics
from . import bp, service
from .routes import _cohort


def _course_quizzes(cohort) -> list[tuple[Module, QuizVersion]]:
    rows = db.session.execute(
        select(Module, QuizVersion)
        .join(QuizVersion, QuizVersion.module_id == Module.id)
        .where(Module.course_id == cohort.course_id, Module.is_archived.is_(False), QuizVersion.is_current.is_(True))
        .order_by(Module.position)
    ).all()
    return [(m, q) for m, q in rows]


@bp.get("/cohorts/<int:cohort_id>/results")
@roles_required("trainer", "admin")
def results(cohort_id: int):
    cohort = _cohort(cohort_id)
    people = service.learners(cohort)
    quizzes_ = _course_quizzes(cohort)
    module_ids = [m.id for m, _q in quizzes_]
    attempts = (
        db.session.scalars(
            select(Attempt)
            .where(
                Attempt.cohort_id == cohort.id,
                Attempt.user_id.in_([u.id for u in people]),
                Attempt.module_id.in_(module_ids),
            )
            .order_by(Attempt.number)
        ).all()
        if people and module_ids
        else []
    )
    table: dict[tuple[int, int], list[Attempt]] = {}
    for attempt in attempts:
        table.setdefault((attempt.user_id, attempt.module_id), []).append(attempt)
    from ..core.forms import ConfirmForm

    return render_template(
        "cohorts/results.html",
        cohort=cohort,
        people=people,
        quizzes=quizzes_,
        table=table,
        overrides=cohort.quiz_settings or {},
        form=ConfirmForm(),
    )


def _attempt_in_cohort(cohort, attempt_id: int) -> Attempt:
    """An attempt made under ``cohort`` (ownership in the query: an attempt the learner made in another cohort,
    or on their own, is not found here, even if they are enrolled in this one too)."""
    attempt = db.session.scalar(select(Attempt).where(Attempt.id == attempt_id, Attempt.cohort_id == cohort.id))
    if attempt is None:
        abort(404)
    return attempt


@bp.route("/cohorts/<int:cohort_id>/attempts/<int:attempt_id>", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def attempt_review(cohort_id: int, attempt_id: int):
    from ..accounts.models import User
    from ..core.forms import ConfirmForm

    cohort = _cohort(cohort_id)
    attempt = _attempt_in_cohort(cohort, attempt_id)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        raw = (request.form.get("points") or "").strip().replace(",", ".")
        try:
            points = None if raw == "" else float(raw)
            quizzes.override_points(
                attempt, request.form.get("question", ""), points, request.form.get("reason", ""), current_user
            )
        except ValueError:
            db.session.rollback()
            flash(_("Points must be a number."), "error")
        except quizzes.QuizError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Grade saved; the attempt is regraded."), "success")
        return redirect(url_for("cohorts.attempt_review", cohort_id=cohort.id, attempt_id=attempt.id))
    return render_template(
        "cohorts/attempt_review.html",
        cohort=cohort,
        attempt=attempt,
        learner=db.session.get(User, attempt.user_id),
        questions=quizzes.attempt_questions(attempt),
        answers=quizzes.answers_of(attempt.id),
        form=ConfirmForm(),
    )


@bp.get("/cohorts/<int:cohort_id>/quizzes/<int:quiz_id>/statistics")
@roles_required("trainer", "admin")
def item_stats(cohort_id: int, quiz_id: int):
    cohort = _cohort(cohort_id)
    version = db.session.get(QuizVersion, quiz_id)
    module = db.session.get(Module, version.module_id) if version else None
    if version is None or module is None or module.course_id != cohort.course_id:
        abort(404)
    scope = request.args.get("scope", "cohort")
    everyone = scope == "all" and current_user.is_admin
    count, items = item_statistics(version, cohort_id=None if everyone else cohort.id)
    return render_template(
        "cohorts/item_stats.html", cohort=cohort, version=version, module=module, count=count, items=items, scope=scope
    )


@bp.post("/cohorts/<int:cohort_id>/quiz-settings/<module_slug>")
@roles_required("trainer", "admin")
def quiz_settings(cohort_id: int, module_slug: str):
    """The trainer adapts a quiz for this cohort: pass mark, attempts, time limit (blank: as in the file)."""
    from ..core.forms import ConfirmForm

    cohort = _cohort(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if module_slug not in {m.slug for m, _q in _course_quizzes(cohort)}:
        abort(404)

    def number(name):
        raw = (request.form.get(name) or "").strip()
        return int(raw) if raw else None

    try:
        values = {key: number(key) for key in ("pass_mark", "max_attempts", "time_limit_minutes")}
        service.set_quiz_settings(cohort, module_slug, values, current_user)
    except ValueError:
        db.session.rollback()
        flash(_("Type whole numbers."), "error")
    except service.CohortError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Quiz settings saved for this cohort."), "success")
    return redirect(url_for("cohorts.results", cohort_id=cohort.id) + "#quiz-settings")
