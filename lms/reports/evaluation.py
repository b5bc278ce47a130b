"""Results of the evaluation surveys (issue #20): what the answers add up to, per item and per group.

Aggregated in Python from the JSON answers, in a fixed number of queries whatever the number of responses (one
query for the responses, a few for the rounds, their participation, sessions, trainers and versions).

Anonymity: a group of fewer than ``SMALL_GROUP`` responses (the whole selection, a breakdown's cell, an item's
answers) shows no figure, no chart and no free text; where one cell of a breakdown is hidden, the next smallest is
hidden too, so that it cannot be worked out from the total. Free texts are sorted, never in storage order.
Response rates are counts of people asked and of respondents (per round, per cohort), never who did not answer.
A survey marked ``named`` lists each response with the respondent's name, on the cohort's page only.

Items are matched by id across a survey's versions (and across the surveys of one role when several courses are
shown together); the texts are the current version's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, or_, select

from ..accounts import service as accounts
from ..accounts.models import User
from ..attendance.models import WorkshopSession
from ..cohorts.models import Cohort, cohort_trainer
from ..content.models import Course, SurveyVersion
from ..evaluation.models import ROLES, SMALL_GROUP, SurveyParticipation, SurveyResponse, SurveyRound
from ..extensions import db
from ..i18n import _

SCALES = {"agree5": range(1, 6), "scale10": range(0, 11)}
CHOICES = ("single", "multiple")
TEXTS = ("short_text", "long_text")
PLAN_KEYS = ("actions", "done", "partly", "not_yet")


def role_labels() -> dict[str, str]:
    return {
        "session": _("After each workshop session"),
        "course_end": _("End of the course"),
        "follow_up": _("Follow-up"),
    }


def agree_labels() -> list[str]:
    return [
        _("Strongly disagree"),
        _("Disagree"),
        _("Neither agree nor disagree"),
        _("Agree"),
        _("Strongly agree"),
    ]


def text_in(values, locale: str) -> str:
    """A {fr, ar, en} text in ``locale`` (French when missing)."""
    if isinstance(values, str):
        return values
    values = values or {}
    return values.get(locale) or values.get("fr") or values.get("ar") or ""


def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# --- definitions ------------------------------------------------------------------------------------------


def merge_definitions(definitions: list[dict]) -> dict:
    """One definition holding every item of ``definitions`` (the first wins: current versions first), matched by
    id: sections and items in the first definition's order, then those only the others have. Options of a
    choice item are merged the same way (an option removed since keeps its old text)."""
    sections: dict[str, dict] = {}
    items: dict[str, dict] = {}
    for definition in definitions:
        for section in definition.get("sections") or []:
            target = sections.get(section.get("id"))
            if target is None:
                target = sections[section.get("id")] = {
                    "id": section.get("id"),
                    "title": section.get("title") or {},
                    "items": [],
                }
            for item in section.get("items") or []:
                item_id = item.get("id")
                if not item_id or item_id.startswith("_"):
                    continue
                known = items.get(item_id)
                if known is None:
                    known = items[item_id] = {**item, "options": list(item.get("options") or [])}
                    target["items"].append(known)
                elif known.get("kind") == item.get("kind"):
                    ids = {o["id"] for o in known["options"]}
                    known["options"] += [o for o in item.get("options") or [] if o.get("id") not in ids]
    first = definitions[0] if definitions else {}
    return {
        "title": first.get("title") or {},
        "role": first.get("role"),
        "named": any(d.get("named") for d in definitions),
        "sections": [s for s in sections.values() if s["items"]],
    }


def numbered_items(definition: dict) -> list[tuple[int, dict, dict]]:
    """(number from 1, section, item) in the survey's order."""
    found, number = [], 0
    for section in definition.get("sections") or []:
        for item in section["items"]:
            number += 1
            found.append((number, section, item))
    return found


# --- one group's results (pure) ---------------------------------------------------------------------------


@dataclass
class Bar:
    key: str
    label: str
    count: int
    share: float | None


@dataclass
class ItemResult:
    number: int
    item: dict
    text: str
    kind: str
    #: how many responses answered it
    n: int
    masked: bool
    bars: list[Bar] = field(default_factory=list)
    mean: float | None = None
    #: scale10: share answering 9-10, share answering 0-6, and their difference (points)
    high: float | None = None
    low: float | None = None
    net: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class PlanSummary:
    """The follow-up's action plans, counted from the ``_plan`` of each response."""

    respondents: int = 0
    #: respondents who had a plan (at least one action)
    with_plan: int = 0
    #: of them, who did at least one action
    applied: int = 0
    actions: int = 0
    done: int = 0
    partly: int = 0
    not_yet: int = 0
    #: would give a smaller group by difference with a wider view (see ``transfer_indicators``)
    hidden: bool = False

    @property
    def masked(self) -> bool:
        return self.with_plan < SMALL_GROUP or self.hidden

    @property
    def applied_share(self) -> float | None:
        return None if self.masked else percent(self.applied, self.with_plan)

    def share(self, outcome: str) -> float | None:
        return None if self.masked else percent(getattr(self, outcome), self.actions)

    def add(self, plan) -> None:
        self.respondents += 1
        if not isinstance(plan, dict):
            return
        counts = {key: _whole(plan.get(key)) for key in PLAN_KEYS}
        if counts["actions"] <= 0:
            return
        self.with_plan += 1
        self.applied += counts["done"] > 0
        for key in PLAN_KEYS:
            setattr(self, key, getattr(self, key) + counts[key])


def _whole(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def plan_summary(plans: Iterable) -> PlanSummary:
    summary = PlanSummary()
    for plan in plans:
        summary.add(plan)
    return summary


@dataclass
class GroupResults:
    n: int
    masked: bool
    sections: list[tuple[dict, list[ItemResult]]]
    plans: PlanSummary | None = None


def _valid(kind: str, value):
    """The answer if it fits the item's kind (an answer to an older version's item of another kind is ignored)."""
    if kind in SCALES:
        return value if isinstance(value, int) and not isinstance(value, bool) and value in SCALES[kind] else None
    if kind == "single":
        return value if isinstance(value, str) and value else None
    if kind == "multiple":
        return list(dict.fromkeys(v for v in value if isinstance(v, str))) or None if isinstance(value, list) else None
    if kind in TEXTS:
        return value.strip() or None if isinstance(value, str) else None
    return None


def item_result(number: int, item: dict, values: list, locale: str) -> ItemResult:
    kind = item.get("kind", "")
    options = item.get("options") or []
    answered = [v for v in (_valid(kind, value) for value in values) if v is not None]
    n = len(answered)
    result = ItemResult(number, item, text_in(item.get("text"), locale), kind, n, n < SMALL_GROUP)
    if result.masked:
        return result
    if kind in SCALES:
        points = SCALES[kind]
        labels = item.get("labels")
        if kind == "agree5":
            names = (
                [text_in(label, locale) for label in labels]
                if isinstance(labels, list) and len(labels) == 5
                else agree_labels()
            )
        else:
            names = [str(p) for p in points]
        counts = {p: 0 for p in points}
        for value in answered:
            counts[value] += 1
        result.bars = [
            Bar(str(p), name, counts[p], percent(counts[p], n)) for p, name in zip(points, names, strict=True)
        ]
        result.mean = round(sum(answered) / n, 2)
        if kind == "scale10":
            high = sum(1 for v in answered if v >= 9)
            low = sum(1 for v in answered if v <= 6)
            result.high, result.low = percent(high, n), percent(low, n)
            result.net = round(result.high - result.low, 1)
    elif kind in CHOICES:
        counts: dict[str, int] = defaultdict(int)
        for value in answered:
            for choice in value if kind == "multiple" else [value]:
                counts[choice] += 1
        known = {o["id"] for o in options}
        result.bars = [
            Bar(o["id"], text_in(o.get("text"), locale), counts.get(o["id"], 0), percent(counts.get(o["id"], 0), n))
            for o in options
        ]
        unknown = sum(c for key, c in counts.items() if key not in known)
        if unknown:
            result.bars.append(Bar("", _("Other (an option no longer offered)"), unknown, percent(unknown, n)))
    elif kind in TEXTS:
        # Sorted, never in the order of storage (which could follow the order of answering).
        result.texts = sorted(answered, key=lambda t: (t.casefold(), t))
    return result


def group_results(
    definition: dict,
    answers: list[dict],
    locale: str,
    *,
    plans: bool = False,
    hidden: bool = False,
    hidden_items: frozenset | set = frozenset(),
) -> GroupResults:
    """The results of one group of responses (their ``answers``) against a (merged) definition. ``hidden``,
    ``hidden_items``: the group, or these items, would follow from a wider group shown elsewhere (``guard``)."""
    n = len(answers)
    if n < SMALL_GROUP or hidden:
        return GroupResults(n, True, [], None)
    by_section: dict[str, list[ItemResult]] = defaultdict(list)
    for number, section, item in numbered_items(definition):
        values = [a.get(item["id"]) for a in answers if a.get(item["id"]) is not None]
        result = item_result(number, item, values if item["id"] not in hidden_items else [], locale)
        if item["id"] in hidden_items:
            result.n = len([v for v in values if _valid(item.get("kind", ""), v) is not None])
        by_section[section["id"]].append(result)
    sections = [(s, by_section[s["id"]]) for s in definition.get("sections") or []]
    summary = plan_summary(a.get("_plan") for a in answers) if plans else None
    if summary is not None and "_plan" in hidden_items:
        summary.hidden = True
    return GroupResults(n, False, sections, summary)


# --- small groups and what follows from the others (pure) ----------------------------------------------------


def suppressed(counts: dict, already: Iterable = ()) -> set:
    """The cells of a partition to hide, given how many responses (or answers) each holds: every cell under
    SMALL_GROUP (an empty one needs no hiding), then, while the hidden cells add up to fewer than SMALL_GROUP
    (their sum follows from the total and the cells shown), the smallest cell shown."""
    hidden = set(already) | {k for k, n in counts.items() if 0 < n < SMALL_GROUP}
    total = sum(counts.get(k, 0) for k in hidden)
    shown = sorted(((n, index) for index, (k, n) in enumerate(counts.items()) if k not in hidden and n > 0))
    keys = list(counts)
    while 0 < total < SMALL_GROUP and shown:
        n, index = shown.pop(0)
        hidden.add(keys[index])
        total += n
    return hidden


def item_counts(definition: dict, answers: list[dict]) -> dict[str, int]:
    """How many of ``answers`` answer each item (answers that fit its kind)."""
    counts = {}
    for _number, _section, item in numbered_items(definition):
        kind = item.get("kind", "")
        counts[item["id"]] = sum(1 for a in answers if _valid(kind, a.get(item["id"])) is not None)
    return counts


def guard(definition: dict, cells: dict, key) -> tuple[bool, set[str]]:
    """Whether cell ``key`` of a partition ``cells`` ({key: [answers]}) of a wider group may be shown, and which of
    its items may not: a cell, or an item's answers in it, that the partition's rule hides (``suppressed``). A view
    narrowed by a filter is such a cell of the view without that filter: shown alone, a hidden cell would follow
    from the wider view minus the cells shown."""
    hidden = suppressed({k: len(a) for k, a in cells.items()})
    if key in hidden:
        return True, set()
    per_cell = {k: item_counts(definition, a) for k, a in cells.items()}
    items = set()
    for _number, _section, item in numbered_items(definition):
        if key in suppressed({k: c[item["id"]] for k, c in per_cell.items()}, hidden):
            items.add(item["id"])
    plans = {k: plan_summary(x.get("_plan") for x in a).with_plan for k, a in cells.items()}
    if any(plans.values()) and key in suppressed(plans, hidden):
        items.add("_plan")  # the follow-up's action plans
    return False, items


# --- breakdowns (pure) --------------------------------------------------------------------------------------


@dataclass
class Cell:
    key: object
    label: str
    n: int
    masked: bool
    #: item id -> mean (agree5 and scale10 items), None when the cell's answers to the item are hidden
    means: dict[str, float | None]


@dataclass
class Breakdown:
    kind: str
    title: str
    cells: list[Cell]


def _means(definition: dict, answers: list[dict], hidden_items: set) -> dict[str, float | None]:
    means = {}
    for _number, _section, item in numbered_items(definition):
        if item.get("kind") in SCALES:
            values = [v for v in (_valid(item["kind"], a.get(item["id"])) for a in answers) if v is not None]
            enough = len(values) >= SMALL_GROUP and item["id"] not in hidden_items
            means[item["id"]] = round(sum(values) / len(values), 2) if enough else None
    return means


def breakdown(
    kind: str,
    title: str,
    definition: dict,
    groups: dict,
    labels: dict,
    *,
    partition: bool = True,
    order: list | None = None,
) -> Breakdown:
    """Cells from ``groups`` ({key: [answers]}), labelled by ``labels`` ({key: label}), each hidden under
    SMALL_GROUP. In a ``partition`` (each response in one cell) the hidden cells must add up to SMALL_GROUP or
    more, else they would follow from the total: the smallest cells shown are hidden with them (``suppressed``),
    for the cells and for each item's answers. Cells by label, or in the ``order`` of keys."""
    if partition:
        hidden = suppressed({k: len(a) for k, a in groups.items()})
        per_cell = {k: item_counts(definition, a) for k, a in groups.items()}
        hidden_items = {k: set() for k in groups}
        for _number, _section, item in numbered_items(definition):
            if item.get("kind") in SCALES:
                for k in suppressed({k: c[item["id"]] for k, c in per_cell.items()}, hidden):
                    hidden_items[k].add(item["id"])
    else:
        hidden = {k for k, a in groups.items() if len(a) < SMALL_GROUP}
        hidden_items = {k: set() for k in groups}
    cells = [
        Cell(
            key,
            str(labels.get(key, key)),
            len(answers),
            key in hidden,
            {} if key in hidden else _means(definition, answers, hidden_items[key]),
        )
        for key, answers in groups.items()
    ]
    if order is None:
        cells.sort(key=lambda c: c.label.casefold())
    else:
        rank = {key: index for index, key in enumerate(order)}
        cells.sort(key=lambda c: rank.get(c.key, len(rank)))
    return Breakdown(kind, title, cells)


# --- loading -------------------------------------------------------------------------------------------------


@dataclass
class RoundInfo:
    round: SurveyRound
    cohort: Cohort
    session: WorkshopSession | None
    #: the trainers its responses count for: the session's trainer, else the cohort's trainers
    trainer_ids: set[int]
    asked: int = 0
    responded: int = 0

    @property
    def rate(self) -> float | None:
        return percent(self.responded, self.asked)


@dataclass
class Response:
    round_id: int
    profession: str | None
    jurisdiction: str | None
    gender: str | None
    answers: dict
    respondent_id: int | None


def _rounds(conditions, person: dict | None = None) -> list[RoundInfo]:
    """The rounds matching ``conditions`` with their cohort, session, trainers and participation counts (four
    queries whatever their number). ``person``: profession/jurisdiction/gender filters on the people asked."""
    rows = db.session.execute(
        select(SurveyRound, Cohort).join(Cohort, Cohort.id == SurveyRound.cohort_id).where(*conditions)
    ).all()
    if not rows:
        return []
    round_ids = [r.id for r, _c in rows]
    cohort_ids = sorted({c.id for _r, c in rows})
    session_ids = sorted({r.session_id for r, _c in rows if r.session_id})
    sessions = (
        {s.id: s for s in db.session.scalars(select(WorkshopSession).where(WorkshopSession.id.in_(session_ids)))}
        if session_ids
        else {}
    )
    trainers: dict[int, set[int]] = defaultdict(set)
    for cohort_id, user_id in db.session.execute(
        select(cohort_trainer.c.cohort_id, cohort_trainer.c.user_id).where(cohort_trainer.c.cohort_id.in_(cohort_ids))
    ):
        trainers[cohort_id].add(user_id)
    counts = select(
        SurveyParticipation.round_id,
        func.count(),
        func.sum(case((SurveyParticipation.responded.is_(True), 1), else_=0)),
    ).where(SurveyParticipation.round_id.in_(round_ids))
    if person and any(person.values()):
        counts = counts.join(User, User.id == SurveyParticipation.user_id)
        for name, value in person.items():
            if value:
                counts = counts.where(getattr(User, name) == value)
    rates = {
        rid: (asked, int(responded or 0))
        for rid, asked, responded in db.session.execute(counts.group_by(SurveyParticipation.round_id))
    }
    found = []
    for survey_round, cohort in rows:
        session = sessions.get(survey_round.session_id)
        ids = {session.trainer_id} if session is not None and session.trainer_id else set(trainers[cohort.id])
        asked, responded = rates.get(survey_round.id, (0, 0))
        found.append(RoundInfo(survey_round, cohort, session, ids, asked, responded))
    found.sort(key=lambda i: (i.round.opens_at, i.round.id))
    return found


def _responses(round_ids: list[int], person: dict | None = None) -> list[Response]:
    if not round_ids:
        return []
    statement = select(
        SurveyResponse.round_id,
        SurveyResponse.profession,
        SurveyResponse.jurisdiction,
        SurveyResponse.gender,
        SurveyResponse.answers,
        SurveyResponse.respondent_id,
    ).where(SurveyResponse.round_id.in_(round_ids))
    for name, value in (person or {}).items():
        if value:
            statement = statement.where(getattr(SurveyResponse, name) == value)
    return [Response(*row) for row in db.session.execute(statement)]


def _definition(survey_ids: set[int]) -> dict:
    """The surveys' versions merged: current versions first, newest first (one query)."""
    if not survey_ids:
        return merge_definitions([])
    versions = db.session.scalars(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id.in_(sorted(survey_ids)))
        .order_by(SurveyVersion.is_current.desc(), SurveyVersion.survey_id, SurveyVersion.version.desc())
    ).all()
    return merge_definitions([v.definition for v in versions])


def _people(ids: set[int]) -> dict[int, User]:
    ids = {i for i in ids if i}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(sorted(ids))))} if ids else {}


# --- what the pages show --------------------------------------------------------------------------------------


@dataclass
class Results:
    """A selection's results: its rounds (with rates), the merged definition, the group's results, breakdowns."""

    role: str
    rounds: list[RoundInfo]
    definition: dict
    results: GroupResults
    breakdowns: list[Breakdown]
    #: named surveys (cohort page only): [(person, [(item number, item text, answer text)])], by name
    named: list = field(default_factory=list)

    @property
    def asked(self) -> int:
        return sum(i.asked for i in self.rounds)

    @property
    def responded(self) -> int:
        return sum(i.responded for i in self.rounds)

    @property
    def rate(self) -> float | None:
        return percent(self.responded, self.asked)

    @property
    def scale_items(self) -> list[tuple[int, dict]]:
        return [(n, item) for n, _s, item in numbered_items(self.definition) if item.get("kind") in SCALES]


def session_label(session: WorkshopSession | None, locale: str) -> str:
    if session is None:
        return ""
    from ..i18n import format_date

    return f"{session.title} ({format_date(session.starts_at, 'medium', locale)})"


def _person_breakdowns(definition: dict, responses: list[Response], locale: str) -> list[Breakdown]:
    found = []
    for kind, title, labels in (
        ("profession", _("By profession"), accounts.profession_labels()),
        ("jurisdiction", _("By jurisdiction"), None),
        ("gender", _("By gender"), accounts.gender_labels()),
    ):
        groups: dict[str, list] = defaultdict(list)
        for r in responses:
            groups[getattr(r, kind) or "not-stated"].append(r.answers)
        names = {}
        for key in groups:
            if key == "not-stated":
                names[key] = _("not stated")
            elif labels is None:
                names[key] = accounts.jurisdiction_name(key, locale)
            else:
                names[key] = labels.get(key, key)
        found.append(breakdown(kind, title, definition, groups, names))
    return found


def _by_rounds(kind, title, definition, rounds, responses, key_of, label_of, partition=True) -> Breakdown:
    """A breakdown whose cells gather the responses of rounds (a session, a cohort, a course, a trainer)."""
    groups: dict = defaultdict(list)
    labels = {}
    by_round = {i.round.id: i for i in rounds}
    for r in responses:
        info = by_round[r.round_id]
        for key in key_of(info):
            groups[key].append(r.answers)
            labels[key] = label_of(info, key)
    order = None
    if kind == "session":  # in the order they were held
        order = [key for info in rounds for key in key_of(info)]
    return breakdown(kind, title, definition, groups, labels, partition=partition, order=order)


def _assemble(
    role,
    rounds,
    responses,
    locale,
    *,
    dimensions,
    named=False,
    course_titles=None,
    definition=None,
    hidden=False,
    hidden_items=frozenset(),
) -> Results:
    if definition is None:
        definition = _definition({i.round.survey_id for i in rounds})
    answers = [r.answers for r in responses]
    results = group_results(
        definition, answers, locale, plans=role == "follow_up", hidden=hidden, hidden_items=hidden_items
    )
    if hidden:  # a group that would follow from a wider one: no breakdown either
        dimensions = ()
    breakdowns = []
    trainer_names = {}
    if "trainer" in dimensions:
        people = _people(set().union(*(i.trainer_ids for i in rounds)) if rounds else set())
        trainer_names = {uid: u.name_latin for uid, u in people.items()}
    for dimension in dimensions:
        if dimension == "session":
            breakdowns.append(
                _by_rounds(
                    "session",
                    _("By session"),
                    definition,
                    rounds,
                    responses,
                    lambda i: [i.round.session_id] if i.round.session_id else [],
                    lambda i, _k: session_label(i.session, locale),
                )
            )
        elif dimension == "cohort":
            breakdowns.append(
                _by_rounds(
                    "cohort",
                    _("By cohort"),
                    definition,
                    rounds,
                    responses,
                    lambda i: [i.cohort.id],
                    lambda i, _k: i.cohort.title,
                )
            )
        elif dimension == "course":
            breakdowns.append(
                _by_rounds(
                    "course",
                    _("By course"),
                    definition,
                    rounds,
                    responses,
                    lambda i: [i.cohort.course_id],
                    lambda _i, key: (course_titles or {}).get(key, "—"),
                )
            )
        elif dimension == "trainer":
            breakdowns.append(
                _by_rounds(
                    "trainer",
                    _("By trainer"),
                    definition,
                    rounds,
                    responses,
                    lambda i: sorted(i.trainer_ids),
                    lambda _i, key: trainer_names.get(key, "—"),
                    partition=False,
                )
            )
    if not hidden:
        breakdowns += _person_breakdowns(definition, responses, locale)
    listed = []
    if named:
        listed = _named(definition, responses, locale)
    return Results(role, rounds, definition, results, breakdowns, listed)


def answer_text(item: dict, value, locale: str) -> str:
    """One answer as a person reads it (named surveys)."""
    kind = item.get("kind")
    value = _valid(kind, value)
    if value is None:
        return ""
    options = {o["id"]: text_in(o.get("text"), locale) for o in item.get("options") or []}
    if kind == "agree5":
        labels = item.get("labels")
        names = (
            [text_in(label, locale) for label in labels]
            if isinstance(labels, list) and len(labels) == 5
            else agree_labels()
        )
        return f"{value} · {names[value - 1]}"
    if kind == "scale10":
        return str(value)
    if kind == "single":
        return options.get(value, value)
    if kind == "multiple":
        return " ; ".join(options.get(v, v) for v in value)
    return value


def _named(definition: dict, responses: list[Response], locale: str) -> list:
    named = [r for r in responses if r.respondent_id]
    if not named:
        return []
    people = _people({r.respondent_id for r in named})
    listed = []
    for r in named:
        person = people.get(r.respondent_id)
        if person is None:
            continue
        lines = [
            (number, text_in(item.get("text"), locale), answer_text(item, r.answers.get(item["id"]), locale))
            for number, _section, item in numbered_items(definition)
        ]
        listed.append((person, [line for line in lines if line[2]]))
    listed.sort(key=lambda entry: (entry[0].name_latin.casefold(), entry[0].id))
    return listed


# --- the cohort's page ---------------------------------------------------------------------------------------


@dataclass
class CohortEvaluation:
    cohort: Cohort
    #: every round of the cohort, by role: {role: [RoundInfo]}
    rounds: dict[str, list[RoundInfo]]
    role: str | None
    session_id: int | None
    results: Results | None


def cohort_evaluation(
    cohort: Cohort, role: str | None, session_id: int | None, locale: str, *, programme_wide: bool = False
) -> CohortEvaluation:
    """The cohort's rounds and rates, and the results of one role's rounds (``session_id``: one session's).
    ``programme_wide``: the reader also sees the programme's results (an admin): the cohort is then a cell of all
    the cohorts' responses, hidden (or some of its items) when it would reveal a small group by difference."""
    rounds = _rounds([SurveyRound.cohort_id == cohort.id])
    by_role: dict[str, list[RoundInfo]] = {r: [i for i in rounds if i.round.role == r] for r in ROLES}
    by_role = {r: infos for r, infos in by_role.items() if infos}
    if role not in by_role:
        role = next((r for r in ("course_end", "session", "follow_up") if r in by_role), None)
    if role is None:
        return CohortEvaluation(cohort, by_role, None, None, None)
    selected = by_role[role]
    everything = _responses([i.round.id for i in selected])
    definition = _definition({i.round.survey_id for i in selected})
    hidden, hidden_items = False, set()
    if programme_wide:
        hidden, hidden_items = guard(definition, _cohort_cells(role), cohort.id)
    one_session = role == "session" and any(i.round.session_id == session_id for i in selected)
    if one_session:
        # One session: a cell of all the sessions together, hidden when it would follow from them.
        session_of = {i.round.id: i.round.session_id for i in selected}
        cells: dict = defaultdict(list)
        for r in everything:
            cells[session_of[r.round_id]].append(r.answers)
        session_hidden, session_items = guard(definition, cells, session_id)
        hidden, hidden_items = hidden or session_hidden, hidden_items | session_items
        selected = [i for i in selected if i.round.session_id == session_id]
        everything = [r for r in everything if session_of[r.round_id] == session_id]
    else:
        session_id = None
    dimensions = ("session", "trainer") if role == "session" and not one_session else ()
    results = _assemble(
        role,
        selected,
        everything,
        locale,
        dimensions=dimensions,
        named=True,
        definition=definition,
        hidden=hidden,
        hidden_items=hidden_items,
    )
    return CohortEvaluation(cohort, by_role, role, session_id, results)


def _cohort_cells(role: str) -> dict[int, list[dict]]:
    """Every response to the surveys of ``role``, by cohort (one query)."""
    cells: dict[int, list[dict]] = defaultdict(list)
    for cohort_id, answers in db.session.execute(
        select(SurveyRound.cohort_id, SurveyResponse.answers)
        .join(SurveyRound, SurveyRound.id == SurveyResponse.round_id)
        .where(SurveyRound.role == role)
    ):
        cells[cohort_id].append(answers)
    return cells


# --- the programme's page --------------------------------------------------------------------------------------


@dataclass
class EvaluationFilters:
    role: str = "course_end"
    start: date | None = None
    end: date | None = None
    course_id: int | None = None
    cohort_id: int | None = None
    trainer_id: int | None = None
    profession: str | None = None
    jurisdiction: str | None = None
    gender: str | None = None

    def person(self) -> dict:
        return {"profession": self.profession, "jurisdiction": self.jurisdiction, "gender": self.gender}


def programme_evaluation(filters: EvaluationFilters, locale: str) -> Results:
    """Every round of one role (all courses, or the filter's course) whose survey opened in the period, and their
    responses matching the filters. Each filter narrows a wider view (the same filters but that one): the
    narrowed view, or an item in it, is hidden when the partition of that wider view by the filter would hide it
    (``guard``), so that no small group follows from two views."""
    everything = _rounds([SurveyRound.role == filters.role], filters.person())
    by_round = {i.round.id: i for i in everything}
    start = datetime.combine(filters.start, time.min) if filters.start else None
    end = datetime.combine(filters.end + timedelta(days=1), time.min) if filters.end else None

    def in_period(info: RoundInfo) -> bool:
        return (start is None or info.round.opens_at >= start) and (end is None or info.round.opens_at < end)

    # name -> (test of a round, the round's key in a partition or None (then: in or out), the filter's value)
    round_tests: dict = {}
    if start or end:
        round_tests["period"] = (in_period, None, None)
    if filters.course_id:
        round_tests["course"] = (
            lambda i: i.cohort.course_id == filters.course_id,
            lambda i: i.cohort.course_id,
            filters.course_id,
        )
    if filters.cohort_id:
        round_tests["cohort"] = (lambda i: i.cohort.id == filters.cohort_id, lambda i: i.cohort.id, filters.cohort_id)
    if filters.trainer_id:
        round_tests["trainer"] = (lambda i: filters.trainer_id in i.trainer_ids, None, None)
    tests: dict = {
        name: (
            lambda r, test=test: test(by_round[r.round_id]),
            None if key is None else (lambda r, key=key: key(by_round[r.round_id])),
            value,
        )
        for name, (test, key, value) in round_tests.items()
    }
    for name, value in filters.person().items():
        if value:
            tests[name] = (
                lambda r, name=name, value=value: getattr(r, name) == value,
                lambda r, name=name: getattr(r, name),
                value,
            )
    rounds = [i for i in everything if all(test(i) for test, _key, _value in round_tests.values())]
    responses_all = _responses(list(by_round))
    responses = [r for r in responses_all if all(test(r) for test, _key, _value in tests.values())]
    definition = _definition({i.round.survey_id for i in rounds})
    hidden, hidden_items = False, set()
    for name, (test, key, value) in tests.items():
        wider = [r for r in responses_all if all(t(r) for n, (t, _k, _v) in tests.items() if n != name)]
        cells: dict = defaultdict(list)
        for r in wider:
            cells[test(r) if key is None else key(r)].append(r.answers)
        cell_hidden, items = guard(definition, cells, True if key is None else value)
        hidden = hidden or cell_hidden
        hidden_items |= items
    courses = (  # the courses' titles for the breakdown by course, in one query
        {
            c.id: c.text("title", locale)
            for c in db.session.scalars(
                select(Course).where(Course.id.in_(sorted({i.cohort.course_id for i in rounds})))
            )
        }
        if rounds
        else {}
    )
    dimensions = ["course", "cohort", "trainer"]
    if filters.cohort_id and filters.role == "session":
        dimensions.insert(0, "session")
    return _assemble(
        filters.role,
        rounds,
        responses,
        locale,
        dimensions=dimensions,
        course_titles=courses,
        definition=definition,
        hidden=hidden,
        hidden_items=hidden_items,
    )


def trainer_choices() -> list[User]:
    """The people who train a cohort or a session (the programme page's filter)."""
    return db.session.scalars(
        select(User)
        .where(
            or_(
                User.id.in_(select(cohort_trainer.c.user_id)),
                User.id.in_(select(WorkshopSession.trainer_id).where(WorkshopSession.trainer_id.is_not(None))),
            )
        )
        .order_by(User.name_latin)
    ).all()


# --- level-3 transfer indicators of the programme report -------------------------------------------------------


def transfer_indicators(filters, cohorts_in_scope) -> dict:
    """The follow-up surveys of the cohorts the programme report's ``filters`` cover (``cohorts_in_scope(filters)``:
    a select of cohort ids): people asked, respondents, response rate, and from the action plans' counts who
    applied what they planned (two queries). The plans' figures are hidden under SMALL_GROUP respondents with a
    plan, and when the report without one of its filters would give a smaller group by difference (``suppressed``
    over that filter's cells)."""
    rounds = select(SurveyRound.id).where(
        SurveyRound.role == "follow_up", SurveyRound.cohort_id.in_(cohorts_in_scope(filters))
    )
    asked_q = (
        select(func.count(), func.sum(case((SurveyParticipation.responded.is_(True), 1), else_=0)))
        .select_from(SurveyParticipation)
        .where(SurveyParticipation.round_id.in_(rounds))
    )
    if filters.profession or filters.jurisdiction:
        asked_q = asked_q.join(User, User.id == SurveyParticipation.user_id)
        if filters.profession:
            asked_q = asked_q.where(User.profession == filters.profession)
        if filters.jurisdiction:
            asked_q = asked_q.where(User.jurisdiction == filters.jurisdiction)
    asked, responded = db.session.execute(asked_q).one()
    # Every follow-up response of the period (the course, cohort, profession and jurisdiction filters left out),
    # with what each filter reads: the current group and the wider ones come from the same rows.
    widest = replace(filters, course_id=None, cohort_id=None)
    rows = db.session.execute(
        select(
            Cohort.course_id,
            SurveyRound.cohort_id,
            SurveyResponse.profession,
            SurveyResponse.jurisdiction,
            SurveyResponse.answers["_plan"],
        )
        .join(SurveyRound, SurveyRound.id == SurveyResponse.round_id)
        .join(Cohort, Cohort.id == SurveyRound.cohort_id)
        .where(SurveyRound.role == "follow_up", SurveyRound.cohort_id.in_(cohorts_in_scope(widest)))
    ).all()
    wanted = {
        index: value
        for index, value in enumerate((filters.course_id, filters.cohort_id, filters.profession, filters.jurisdiction))
        if value
    }

    def matches(row, leave_out=None) -> bool:
        return all(row[i] == value for i, value in wanted.items() if i != leave_out)

    summary = plan_summary(row[4] for row in rows if matches(row))
    for index, value in wanted.items():
        cells: dict = defaultdict(int)
        for row in rows:
            if matches(row, leave_out=index) and isinstance(row[4], dict) and _whole(row[4].get("actions")) > 0:
                cells[row[index]] += 1
        if value in suppressed(dict(cells)):
            summary.hidden = True
    return {
        "follow_up_asked": asked or 0,
        "follow_up_responded": int(responded or 0),
        "follow_up_rate": percent(int(responded or 0), asked or 0),
        "plans": summary,
    }


# --- charts and files ----------------------------------------------------------------------------------------------


def item_charts(results: Results | None, rtl: bool) -> dict[str, object]:
    """{item id: SVG bar chart} of every item shown with counts (the page shows the same counts as a table)."""
    from . import charts

    if results is None or results.results.masked:
        return {}
    drawn = {}
    for _section, items in results.results.sections:
        for item in items:
            if item.bars and not item.masked:
                drawn[item.item["id"]] = charts.bar_chart(
                    [(bar.label, bar.count) for bar in item.bars], item.text, maximum=max(item.n, 1), rtl=rtl
                )
    return drawn


def _not_shown() -> str:
    return _("fewer than %(num)d responses: not shown, to protect anonymity", num=SMALL_GROUP)


def results_table(results: Results | None, locale: str) -> tuple[list, list[list]]:
    """The results as one table for CSV and XLSX: response rates, then each item's aggregated figures (never a
    response's row). A group under SMALL_GROUP gives no figure, as on the page."""
    from ..i18n import format_date

    header = [_("Section"), _("Item"), _("Question"), _("Answer"), _("Count"), _("Share (%)")]
    rows: list[list] = []
    if results is None:
        return header, rows
    for info in results.rounds:
        what = session_label(info.session, locale) if info.session else info.cohort.title
        rows.append(
            [
                _("Response rate"),
                "",
                f"{what} · {format_date(info.round.opens_at, 'medium', locale)}",
                f"{info.responded} / {info.asked}",
                info.responded,
                "" if info.rate is None else info.rate,
            ]
        )
    rows.append(
        [
            _("Response rate"),
            "",
            _("All"),
            f"{results.responded} / {results.asked}",
            results.responded,
            "" if results.rate is None else results.rate,
        ]
    )
    group = results.results
    if group.masked:
        rows.append(["", "", "", _not_shown(), "", ""])
        return header, rows
    rows.append([_("Responses"), "", "", "", group.n, ""])
    for section, items in group.sections:
        title = text_in(section.get("title"), locale)
        for item in items:
            base = [title, item.number, item.text]
            if item.masked:
                rows.append([*base, _not_shown(), "", ""])
                continue
            for bar in item.bars:
                rows.append([*base, bar.label, bar.count, "" if bar.share is None else bar.share])
            if item.mean is not None:
                rows.append([*base, _("Mean"), item.mean, ""])
            if item.net is not None:
                rows.append([*base, _("Answers 9–10"), "", item.high])
                rows.append([*base, _("Answers 0–6"), "", item.low])
            for text in item.texts:
                rows.append([*base, text, "", ""])
            if item.kind in TEXTS:
                rows.append([*base, _("Answers"), item.n, ""])
    plans = group.plans
    if plans is not None:
        rows += plan_rows(plans)
    for part in results.breakdowns:
        rows.append(["", "", "", "", "", ""])
        for cell in part.cells:
            if cell.masked:
                rows.append([str(part.title), "", cell.label, _not_shown(), "", ""])
                continue
            rows.append([str(part.title), "", cell.label, _("Responses"), cell.n, ""])
            for number, item in results.scale_items:
                mean = cell.means.get(item["id"])
                rows.append([str(part.title), number, cell.label, _("Mean"), "" if mean is None else mean, ""])
    return header, rows


def plan_rows(plans: PlanSummary) -> list[list]:
    title = _("Action plans")
    if plans.masked:
        return [[title, "", "", _not_shown(), "", ""]]
    return [
        [title, "", _("Respondents with an action plan"), "", plans.with_plan, ""],
        [title, "", _("Applied at least one planned action"), "", plans.applied, plans.applied_share],
        [title, "", _("Actions planned"), "", plans.actions, ""],
        [title, "", _("Actions done"), "", plans.done, plans.share("done")],
        [title, "", _("Actions partly done"), "", plans.partly, plans.share("partly")],
        [title, "", _("Actions not done yet"), "", plans.not_yet, plans.share("not_yet")],
    ]
