"""The learner's evaluation pages: their surveys (to answer, answered), answering one, their action plans.

No route takes a person's id: every page is about the signed-in person's own rounds and plans (someone else's
round or a cohort they are not in answers 404).
"""

from __future__ import annotations

from typing import NamedTuple

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from ..attendance.models import WorkshopSession
from ..cohorts.models import Cohort
from ..content.models import Survey, SurveyVersion
from ..core.access import signed_in
from ..core.timeutil import utcnow
from ..core.work import save_failed_message, unit_of_work
from ..extensions import db
from ..i18n import _
from . import bp, responses
from .forms import ActionPlanForm, SurveyForm
from .models import SurveyParticipation, SurveyRound


def _locale() -> str:
    return str(get_locale() or "fr")


# --- stand-ins for the lead's service (swapped at merge for service.my_rounds / service.answerable) -------------


class MyRound(NamedTuple):
    round: SurveyRound
    survey: Survey
    version: SurveyVersion
    cohort: Cohort
    session: WorkshopSession | None
    responded: bool
    is_open: bool


def _my_rounds(user, now) -> list[MyRound]:
    """The person's rounds, open or answered, newest first (stand-in for ``service.my_rounds``)."""
    rows = db.session.execute(
        select(SurveyRound, Survey, SurveyVersion, Cohort, WorkshopSession, SurveyParticipation.responded)
        .join(SurveyParticipation, SurveyParticipation.round_id == SurveyRound.id)
        .join(Survey, Survey.id == SurveyRound.survey_id)
        .join(SurveyVersion, (SurveyVersion.survey_id == Survey.id) & SurveyVersion.is_current.is_(True))
        .join(Cohort, Cohort.id == SurveyRound.cohort_id)
        .outerjoin(WorkshopSession, WorkshopSession.id == SurveyRound.session_id)
        .where(SurveyParticipation.user_id == user.id, SurveyRound.opens_at <= now)
        .order_by(SurveyRound.opens_at.desc(), SurveyRound.id.desc())
    ).all()
    found = [MyRound(r, s, v, c, ws, bool(responded), r.is_open(now)) for r, s, v, c, ws, responded in rows]
    return [mine for mine in found if mine.responded or mine.is_open]


class Refused(Exception):
    """The round is the person's but cannot be answered now: ``reason`` is "answered" or "closed"."""

    def __init__(self, reason: str, round: SurveyRound) -> None:
        super().__init__(reason)
        self.reason = reason
        self.round = round


def _answerable(round_id: int) -> SurveyRound:
    """The round if the signed-in person may answer it now (stand-in for ``service.answerable``): 404 when it is
    not theirs (or does not exist), ``Refused`` when answered already or not open."""
    round = db.session.get(SurveyRound, round_id)
    participation = round and db.session.get(SurveyParticipation, (round.id, current_user.id))
    if participation is None:
        abort(404)
    if participation.responded:
        raise Refused("answered", round)
    if not round.is_open(utcnow()):
        raise Refused("closed", round)
    return round


def open_for(user, now) -> list[MyRound]:
    """The rounds ``user`` may answer now (the learner's home shows a card when there is one)."""
    return [mine for mine in _my_rounds(user, now) if mine.is_open and not mine.responded]


# --- pages -----------------------------------------------------------------------------------------------------


@bp.get("")
@signed_in
def index():
    now = utcnow()
    mine = _my_rounds(current_user, now)
    return render_template(
        "evaluation/index.html",
        to_answer=[m for m in mine if m.is_open and not m.responded],
        answered=[m for m in mine if m.responded],
        plans=responses.plan_cohorts(current_user, now),
        now=now,
    )


def _round_context(round: SurveyRound) -> dict:
    version = responses.current_version(round.survey_id)
    cohort = db.session.get(Cohort, round.cohort_id)
    session = db.session.get(WorkshopSession, round.session_id) if round.session_id else None
    return {"round": round, "definition": version.definition, "cohort": cohort, "session": session}


@bp.route("/rounds/<int:round_id>", methods=["GET", "POST"])
@signed_in
def answer(round_id: int):
    try:
        round = _answerable(round_id)
    except Refused as refused:
        context = _round_context(refused.round)
        return render_template("evaluation/unavailable.html", reason=refused.reason, now=utcnow(), **context)
    context = _round_context(round)
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
