"""The learner's evaluation pages: their surveys (to answer, answered), answering one, their action plans.

No route takes a person's id: every page is about the signed-in person's own rounds and plans (someone else's
round or a cohort they are not in answers 404).
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import User
from ..attendance.models import WorkshopSession
from ..cohorts.models import Cohort
from ..core.access import signed_in
from ..core.database import write_transaction
from ..core.timeutil import utcnow
from ..core.work import save_failed_message, unit_of_work
from ..extensions import db
from ..i18n import _
from . import bp, responses, service
from .forms import ActionPlanForm, SurveyForm
from .models import SurveyParticipation, SurveyRound


def _locale() -> str:
    return str(get_locale() or "fr")


def open_for(user, now) -> list[service.MyRound]:
    """The rounds ``user`` may answer now (the learner's home shows a card when there is one). Reads only: the
    rounds a late enrolment adds are made when the person opens ``/evaluation``."""
    return [
        mine
        for mine in service.my_rounds(user, now, prepare=False, pending_only=True)
        if mine.is_open and not mine.responded
    ]


def _prepared_rounds(user, now) -> list[service.MyRound]:
    """The person's rounds, after making the ones they may be missing (``service.my_rounds`` prepares: a learner
    enrolled after a round opened, an end-of-course survey a certificate lets them answer early). A GET that
    may write: the write lock only for it (see ``core.database.write_transaction``)."""
    if not service.needs_preparing(current_user):
        return service.my_rounds(current_user, now, prepare=False)
    user_id = current_user.id
    db.session.rollback()
    with write_transaction():
        user = db.session.get(User, user_id)
        mine = service.my_rounds(user, now)
        db.session.commit()
    return mine


# --- pages -----------------------------------------------------------------------------------------------------


@bp.get("")
@signed_in
def index():
    now = utcnow()
    mine = _prepared_rounds(current_user, now)
    return render_template(
        "evaluation/index.html",
        to_answer=[m for m in mine if m.is_open and not m.responded],
        answered=[m for m in mine if m.responded],
        plans=responses.plan_cohorts(current_user, now),
        now=now,
    )


def _round_context(mine: service.MyRound) -> dict:
    return {
        "round": mine.round,
        "definition": mine.version.definition,
        "cohort": mine.cohort,
        "session": mine.session,
    }


def _unavailable(round_id: int, reason: str, mine: service.MyRound | None):
    """The page of a round of the person's that cannot be answered now: answered already, closed, not open yet."""
    if mine is None:  # its survey was withdrawn from the course: closed, with what the round still says
        round = db.session.get(SurveyRound, round_id)
        version = responses.current_version(round.survey_id)
        cohort = db.session.get(Cohort, round.cohort_id)
        context = {"round": round, "definition": version.definition if version else {}, "cohort": cohort}
        context["session"] = db.session.get(WorkshopSession, round.session_id) if round.session_id else None
    else:
        context = _round_context(mine)
    return render_template("evaluation/unavailable.html", reason=reason, now=utcnow(), **context)


@bp.route("/rounds/<int:round_id>", methods=["GET", "POST"])
@signed_in
def answer(round_id: int):
    try:
        mine = service.answerable(round_id, current_user, utcnow())
    except service.NotAsked:
        abort(404)  # not theirs, or no such round: as if it did not exist
    except service.AlreadyAnswered as error:
        return _unavailable(round_id, "answered", error.args[0] if error.args else None)
    except service.Closed as error:
        return _unavailable(round_id, "closed", error.args[0] if error.args else None)
    round = mine.round
    context = _round_context(mine)
    definition = context["definition"]
    plan = responses.own_plan(current_user, round.cohort_id) if round.role == "follow_up" else None
    form = SurveyForm()
    errors: dict = {}
    values = request.form if request.method == "POST" else None
    if form.validate_on_submit():
        answers, errors = responses.validate(definition, request.form, _locale())
        reviews, review_errors = responses.validate_review(plan, request.form, _locale())
        errors.update(review_errors)
        if not errors:
            with unit_of_work(responses.AlreadyAnswered, error_category="warning") as work:
                responses.submit(round, current_user, answers, utcnow(), reviews=reviews)
                work.flash(_("Thank you, your answers are saved."))
            if work.ok and round.role == "course_end":
                return redirect(url_for("evaluation.action_plan", cohort_id=round.cohort_id))
            if work.ok or work.error != save_failed_message():  # saved, or answered already (another tab)
                return redirect(url_for("evaluation.index"))
            # the database refused the write: the form again, the answers kept, to send again
    return render_template(
        "evaluation/answer.html",
        form=form,
        errors=errors,
        values=values,
        plan=plan,
        field_name=responses.field_name,
        plan_field=responses.plan_field,
        max_length=responses.max_length,
        review_max=responses.REVIEW_TEXT_MAX,
        kinds=responses.KINDS,
        **context,
    ), (400 if errors else 200)


@bp.route("/cohorts/<int:cohort_id>/action-plan", methods=["GET", "POST"])
@signed_in
def action_plan(cohort_id: int):
    cohort = responses.my_cohort(current_user, cohort_id)
    if cohort is None:
        abort(404)
    now = utcnow()
    plan = responses.own_plan(current_user, cohort.id)
    editable = responses.plan_editable(cohort.id, now)
    form = ActionPlanForm()
    if editable and form.validate_on_submit():
        with unit_of_work(responses.PlanLocked) as work:
            saved = responses.save_plan(current_user, cohort, form.actions(), now)
            work.flash(_("Your action plan is saved.") if saved else _("Your action plan is empty."))
        if work.ok:
            return redirect(url_for("evaluation.action_plan", cohort_id=cohort.id))
    elif request.method == "GET" and plan is not None:
        for item, field in zip(plan.items, form.action_fields(), strict=False):
            field.data = item.text
    follow_up = None if editable else responses.follow_up_round(cohort.id, now)
    follow_up_pending = bool(
        follow_up
        and follow_up.is_open(now)
        and db.session.scalar(
            select(SurveyParticipation.responded).where(
                SurveyParticipation.round_id == follow_up.id, SurveyParticipation.user_id == current_user.id
            )
        )
        is False
    )
    return render_template(
        "evaluation/action_plan.html",
        cohort=cohort,
        plan=plan,
        form=form,
        editable=editable,
        follow_up=follow_up,
        follow_up_pending=follow_up_pending,
        action_max=responses.ACTION_MAX,
    )
