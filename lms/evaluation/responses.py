"""A learner's answers to a survey and their action plan: checking what a form sent, writing a response, the plan.

``validate`` is pure (no database): it reads what a survey's form sent against the survey's stored definition and
returns the answers in their stored shape (see ``SurveyResponse.answers``) or the errors, keyed by item id.
``submit`` writes one response in the caller's transaction: the participation turned to "responded" by a
conditional UPDATE first (two tabs, two clicks: the second writes nothing), then the anonymous response.

The action plan (``ActionPlan``) is private: every function here takes the person it belongs to, never an id
that a page could choose.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import force_locale
from sqlalchemy import select

from ..cohorts.models import Cohort, Enrolment
from ..core.forms import clean_line, strip_bidi
from ..core.timeutil import display_zone
from ..extensions import db
from ..i18n import _, ngettext
from . import rules, service
from .models import OUTCOMES, PLAN_SIZE, ActionPlan, ActionPlanItem, SurveyResponse, SurveyRound
from .models import SurveyVersion as _SurveyVersion

SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 3000
#: an action of the plan, and what helped or stood in the way of one (at the follow-up)
ACTION_MAX = 500
REVIEW_TEXT_MAX = 1000

CHOICE_KINDS = ("single", "multiple")
TEXT_KINDS = ("short_text", "long_text")
SCALES = {"agree5": (1, 5), "scale10": (0, 10)}
KINDS = (*SCALES, *CHOICE_KINDS, *TEXT_KINDS)

#: control characters a free text never needs (a NUL would not even be stored by PostgreSQL); tabs and line
#: breaks stay in a long text
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class AlreadyAnswered(service.AlreadyAnswered):
    """The person has answered this round already (another tab, a second click): nothing was written. Its text
    is what they read (``unit_of_work`` shows it)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("You have already answered this survey. Your first answers are kept."))


# --- the form's field names (shared by the template and validate) --------------------------------------------


def field_name(item_id: str) -> str:
    return f"q-{item_id}"


def plan_field(position: int, part: str) -> str:
    """The field of the follow-up's review of action ``position``: ``outcome``, ``helped`` or ``obstacles``."""
    return f"plan-{position}-{part}"


def items(definition: dict):
    """Every item of a survey's definition, in order."""
    for section in definition.get("sections", ()):
        yield from section.get("items", ())


def max_length(item: dict) -> int:
    if item["kind"] == "short_text":
        return min(item.get("max_length") or SHORT_TEXT_MAX, SHORT_TEXT_MAX)
    return min(item.get("max_length") or LONG_TEXT_MAX, LONG_TEXT_MAX)


def clean_text(value: str, *, one_line: bool) -> str:
    """A free text as it is kept: no bidirectional or control characters (a one-line text no line break),
    Windows line breaks as one, no spaces at either end."""
    if one_line:
        return clean_line(value)
    value = strip_bidi(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", value).strip()


# --- checking a form --------------------------------------------------------------------------------------------


def validate(definition: dict, formdata, locale: str | None = None) -> tuple[dict, dict]:
    """(answers, errors) for what a survey's form sent (``formdata``: a ``MultiDict``, e.g. ``request.form``).

    ``answers`` in the stored shape (an unanswered optional item absent); ``errors``: ``{item id: message}`` in
    ``locale`` (the page's language when None). Nothing is trusted: a value outside the scale, an option the item
    does not offer, a text too long are refused, never kept in part."""
    answers: dict = {}
    errors: dict = {}
    with force_locale(locale) if locale else nullcontext():
        for item in items(definition):
            item_id = item["id"]
            if item.get("kind") not in KINDS:
                continue  # a kind this version does not know (the loader refuses it): never asked, never kept
            values = [v.strip() for v in formdata.getlist(field_name(item_id)) if isinstance(v, str)]
            values = [v for v in values if v]
            value, error = _read(item, values)
            if error:
                errors[item_id] = error
            elif value is None:
                if item.get("required"):
                    errors[item_id] = _missing(item)
            else:
                answers[item_id] = value
    return answers, errors


def _read(item: dict, values: list[str]):
    """(value or None, error or None) for one item."""
    kind = item["kind"]
    if kind in SCALES:
        if not values:
            return None, None
        low, high = SCALES[kind]
        if len(values) > 1:
            return None, _("Choose only one answer.")
        if not (values[0].isascii() and values[0].isdigit()) or not low <= int(values[0]) <= high:
            return None, _("Choose a value from %(low)d to %(high)d.", low=low, high=high)
        return int(values[0]), None
    if kind in CHOICE_KINDS:
        offered = [option["id"] for option in item.get("options", ())]
        if any(v not in offered for v in values):
            return None, _("Choose among the answers offered.")
        if kind == "single":
            if len(set(values)) > 1:
                return None, _("Choose only one answer.")
            return (values[0] if values else None), None
        chosen = set(values)
        return ([o for o in offered if o in chosen] or None), None
    if kind in TEXT_KINDS:
        text = "\n".join(values) if kind == "long_text" else " ".join(values)
        text = clean_text(text, one_line=kind == "short_text")
        if not text:
            return None, None
        limit = max_length(item)
        if len(text) > limit:
            return None, too_long(limit, len(text))
        return text, None
    return None, None


def too_long(limit: int, length: int) -> str:
    return ngettext(
        "Write at most %(num)d characters (this answer has %(length)d).",
        "Write at most %(num)d characters (this answer has %(length)d).",
        limit,
        length=length,
    )


def _missing(item: dict) -> str:
    kind = item["kind"]
    if kind == "multiple":
        return _("Choose at least one answer: this question is required.")
    if kind in TEXT_KINDS:
        return _("Write an answer: this question is required.")
    return _("Choose an answer: this question is required.")


# --- the follow-up: the review of the action plan ---------------------------------------------------------------


@dataclass
class Review:
    """What the learner says of one action of their plan at the follow-up."""

    position: int
    outcome: str
    helped: str | None
    obstacles: str | None


def validate_review(plan: ActionPlan | None, formdata, locale: str | None = None) -> tuple[list[Review], dict]:
    """(reviews, errors) of the follow-up's form for ``plan``'s actions: an outcome for each (required), what
    helped and what stood in the way (optional, ≤ ``REVIEW_TEXT_MAX``). Errors keyed by the outcome's field name."""
    reviews: list[Review] = []
    errors: dict = {}
    if plan is None:
        return reviews, errors
    with force_locale(locale) if locale else nullcontext():
        for item in plan.items:
            outcome = (formdata.get(plan_field(item.position, "outcome")) or "").strip()
            texts = {}
            for part in ("helped", "obstacles"):
                text = clean_text(formdata.get(plan_field(item.position, part)) or "", one_line=False)
                if len(text) > REVIEW_TEXT_MAX:
                    errors[plan_field(item.position, part)] = too_long(REVIEW_TEXT_MAX, len(text))
                texts[part] = text or None
            if outcome not in OUTCOMES:
                errors[plan_field(item.position, "outcome")] = _("Say whether you did it: done, partly or not yet.")
                continue
            reviews.append(Review(item.position, outcome, texts["helped"], texts["obstacles"]))
    return reviews, errors


def plan_counts(plan: ActionPlan | None) -> dict | None:
    """The follow-up's ``_plan``: how many actions, and how many of each outcome (None: no plan)."""
    if plan is None or not plan.items:
        return None
    counts = {"actions": len(plan.items), **{outcome: 0 for outcome in OUTCOMES}}
    for item in plan.items:
        if item.outcome in OUTCOMES:
            counts[item.outcome] += 1
    return counts


# --- writing a response -----------------------------------------------------------------------------------------


def week_of(now: datetime) -> date:
    """The Monday of the week of ``now`` (naive UTC) in local time (Casablanca): the only time a response keeps."""
    return rules.week_of(now, display_zone())


def current_version(survey_id: int) -> _SurveyVersion:
    return db.session.scalar(
        select(_SurveyVersion)
        .where(_SurveyVersion.survey_id == survey_id, _SurveyVersion.is_current.is_(True))
        .order_by(_SurveyVersion.version.desc())
        .limit(1)
    )


def submit(
    round: SurveyRound, user, answers: dict, now: datetime, reviews: list[Review] | None = None
) -> SurveyResponse:
    """Write ``user``'s ``answers`` to ``round`` in the caller's transaction (the caller commits).

    First the participation, by a conditional UPDATE (``responded`` false → true): none updated means the person
    answered already (or was not asked): ``AlreadyAnswered``, nothing written. Then, for the follow-up, the
    review of the action plan (``reviews``, on the plan's items) and its counts (``_plan``), and the response:
    the week, the profile's profession, jurisdiction and gender, the survey's current version; the person only
    for a survey marked ``named``."""
    if not service.mark_responded(round.id, user.id):
        raise AlreadyAnswered()
    version = current_version(round.survey_id)
    answers = {key: value for key, value in answers.items() if not key.startswith("_")}
    if round.role == "follow_up":
        plan = own_plan(user, round.cohort_id)
        if plan is not None:
            save_review(plan, reviews or [], now)
        counts = plan_counts(plan)
        if counts is not None:
            answers["_plan"] = counts
    named = bool(version.definition.get("named"))
    response = SurveyResponse(
        round_id=round.id,
        version_id=version.id,
        week=week_of(now),
        profession=user.profession,
        jurisdiction=user.jurisdiction,
        gender=user.gender,
        answers=answers,
        named=named,
        respondent_id=user.id if named else None,
    )
    db.session.add(response)
    db.session.flush()
    return response


# --- the action plan --------------------------------------------------------------------------------------------


class PlanLocked(Exception):
    """The plan can no longer be changed (the follow-up has opened)."""

    def __init__(self) -> None:
        super().__init__(_("Your action plan can no longer be changed: the follow-up survey has opened."))


def is_enrolled(user, cohort_id: int) -> bool:
    return (
        db.session.scalar(
            select(Enrolment.id).where(Enrolment.cohort_id == cohort_id, Enrolment.user_id == user.id).limit(1)
        )
        is not None
    )


def my_cohort(user, cohort_id: int) -> Cohort | None:
    """The cohort if ``user`` is enrolled in it (else None: the page answers 404)."""
    if not is_enrolled(user, cohort_id):
        return None
    return db.session.get(Cohort, cohort_id)


def own_plan(user, cohort_id: int) -> ActionPlan | None:
    """``user``'s own plan for the cohort: the only way any page reads a plan."""
    return db.session.scalar(select(ActionPlan).where(ActionPlan.user_id == user.id, ActionPlan.cohort_id == cohort_id))


def follow_up_round(cohort_id: int, now: datetime) -> SurveyRound | None:
    """The cohort's follow-up round once it has opened (None before)."""
    return db.session.scalar(
        select(SurveyRound)
        .where(SurveyRound.cohort_id == cohort_id, SurveyRound.role == "follow_up", SurveyRound.opens_at <= now)
        .order_by(SurveyRound.opens_at)
        .limit(1)
    )


def plan_editable(cohort_id: int, now: datetime) -> bool:
    """A plan is written and changed until the cohort's follow-up opens; then it is reviewed, no longer changed."""
    return follow_up_round(cohort_id, now) is None


def save_plan(user, cohort: Cohort, actions: list[str], now: datetime) -> ActionPlan | None:
    """Write ``user``'s plan for ``cohort``: the non-empty ``actions`` in order (at most ``PLAN_SIZE``, each already
    checked); none at all deletes the plan. ``PlanLocked`` once the follow-up has opened."""
    if not plan_editable(cohort.id, now):
        raise PlanLocked()
    actions = [a for a in actions if a][:PLAN_SIZE]
    plan = own_plan(user, cohort.id)
    if not actions:
        if plan is not None:
            db.session.delete(plan)
            db.session.flush()
        return None
    if plan is None:
        plan = ActionPlan(user_id=user.id, cohort_id=cohort.id, created_at=now, updated_at=now)
        db.session.add(plan)
    by_position = {item.position: item for item in plan.items}
    for position, text in enumerate(actions, start=1):
        item = by_position.pop(position, None)
        if item is None:
            plan.items.append(ActionPlanItem(position=position, text=text))
        elif item.text != text:
            item.text = text
    for item in by_position.values():
        plan.items.remove(item)
    plan.updated_at = now
    db.session.flush()
    return plan


def save_review(plan: ActionPlan, reviews: list[Review], now: datetime) -> None:
    by_position = {item.position: item for item in plan.items}
    for review in reviews:
        item = by_position.get(review.position)
        if item is not None:
            item.outcome, item.helped, item.obstacles = review.outcome, review.helped, review.obstacles
    plan.reviewed_at = now
    db.session.flush()


def plan_cohorts(user, now: datetime) -> list[tuple[Cohort, ActionPlan | None]]:
    """The cohorts whose action plan ``user`` writes or reads from ``/evaluation``: those they are enrolled in
    whose last day has come (local date), or whose plan they began already; the latest first."""
    today = now.replace(tzinfo=UTC).astimezone(display_zone()).date()
    rows = db.session.execute(
        select(Cohort, ActionPlan)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .outerjoin(ActionPlan, (ActionPlan.cohort_id == Cohort.id) & (ActionPlan.user_id == user.id))
        .where(Enrolment.user_id == user.id, Cohort.is_archived.is_(False))
        .where((Cohort.end_date <= today) | ActionPlan.id.is_not(None))
        .order_by(Cohort.end_date.desc(), Cohort.id.desc())
    ).all()
    return [(cohort, plan) for cohort, plan in rows]
