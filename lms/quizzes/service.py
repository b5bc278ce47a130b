"""Attempts: start, save as the learner goes, submit once, finish when time is up.

Every rule that protects a learner's answers lives here: an answer is saved on the server at once; a
submitted attempt never changes; a double submission yields one graded attempt; answers saved after
the time limit (plus grace) are refused; an attempt left open past its time is finished with what was
saved in time.
"""

from __future__ import annotations

import functools
import secrets
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, bindparam, case, event, func, select, update
from sqlalchemy.exc import IntegrityError

from ..content.models import QuizVersion
from ..core.database import read_rows, write_transaction
from ..core.timeutil import utcnow
from ..extensions import db
from ..i18n import _
from . import grading, signals
from .models import IN_PROGRESS, SUBMITTED, Answer, Attempt, SaveKey


class QuizError(Exception):
    """A rule refused the action; ``str(error)`` is a translated message."""


OVERRIDABLE = ("pass_mark", "max_attempts", "time_limit_minutes")


def working_cohort(user_id: int, module_id: int) -> int | None:
    """The cohort under which ``user_id`` works on the quiz of ``module_id`` now (None: no cohort)."""
    for _receiver, cohort_id in signals.working_cohort.send(user_id, module_id=module_id):
        if cohort_id is not None:
            return cohort_id
    return None


def cohort_settings(version: QuizVersion, cohort_id: int | None) -> dict:
    """The quiz file's settings, with the overrides of ``cohort_id`` applied (none when it is None)."""
    base = version.definition["settings"]
    if cohort_id is None or not signals.quiz_settings.receivers:
        return base
    merged = dict(base)
    for _receiver, overrides in signals.quiz_settings.send(cohort_id, version=version):
        for key, value in (overrides or {}).items():
            if key in OVERRIDABLE:
                merged[key] = value
    return merged


def settings(version: QuizVersion, user_id: int | None = None) -> dict:
    """The quiz file's settings, with the overrides of the cohort the learner works under when ``user_id`` is
    given."""
    if user_id is None:
        return version.definition["settings"]
    return cohort_settings(version, working_cohort(user_id, version.module_id))


def attempt_settings(attempt: Attempt) -> dict:
    """The settings an attempt is ruled by: those of the cohort it was made under."""
    return cohort_settings(attempt.quiz_version, attempt.cohort_id)


def _same_cohort(cohort_id: int | None):
    return Attempt.cohort_id.is_(None) if cohort_id is None else Attempt.cohort_id == cohort_id


def questions_by_id(version: QuizVersion) -> dict[str, dict]:
    """The quiz version's questions by id."""
    return {q["id"]: q for q in version.definition["questions"]}


def attempt_questions(attempt: Attempt) -> list[dict]:
    """The questions of an attempt, in the order drawn for it."""
    by_id = questions_by_id(attempt.quiz_version)
    return [by_id[qid] for qid in attempt.question_ids if qid in by_id]


def user_attempts(user_id: int, module_id: int, cohort_id: int | None | type[Ellipsis] = ...) -> list[Attempt]:
    """The learner's attempts at a quiz; only those made under ``cohort_id`` when it is given (None: no cohort)."""
    statement = select(Attempt).where(Attempt.user_id == user_id, Attempt.module_id == module_id)
    if cohort_id is not ...:
        statement = statement.where(_same_cohort(cohort_id))
    return db.session.scalars(statement.order_by(Attempt.number)).all()


def open_attempt(user_id: int, module_id: int) -> Attempt | None:
    """The learner's attempt in progress on the module's quiz (None: none open)."""
    return db.session.scalar(
        select(Attempt).where(Attempt.user_id == user_id, Attempt.module_id == module_id, Attempt.state == IN_PROGRESS)
    )


def _deadline_passed(attempt: Attempt, now: datetime) -> bool:
    if attempt.deadline_at is None:
        return False
    grace = timedelta(minutes=attempt_settings(attempt).get("grace_minutes", 0))
    return now > attempt.deadline_at + grace


def start_attempt(user_id: int, version: QuizVersion, now: datetime | None = None) -> Attempt:
    """Resume the open attempt, or start a new one on ``version`` if attempts remain.

    A new attempt belongs to the cohort the learner works under now (``working_cohort``): its attempts are
    counted against that cohort's limit, ruled by its settings, and seen by its trainers only."""
    now = now or utcnow()
    current = open_attempt(user_id, version.module_id)
    if current is not None:
        if _deadline_passed(current, now):
            finish_attempt(current, now, by="timeout")
        else:
            return current
    cohort_id = working_cohort(user_id, version.module_id)
    quiz = cohort_settings(version, cohort_id)
    numbers = db.session.execute(
        select(func.count(Attempt.id), func.count(Attempt.id).filter(_same_cohort(cohort_id))).where(
            Attempt.user_id == user_id, Attempt.module_id == version.module_id
        )
    ).one()
    total, count = numbers
    if quiz["max_attempts"] and count >= quiz["max_attempts"]:
        raise QuizError(_("You have used all your attempts at this quiz."))
    seed = secrets.randbelow(2**31)
    attempt = Attempt(
        user_id=user_id,
        module_id=version.module_id,
        quiz_version_id=version.id,
        cohort_id=cohort_id,
        number=total + 1,
        seed=seed,
        question_ids=grading.draw_questions(
            version.definition["questions"], seed, quiz["shuffle_questions"], quiz["draw"]
        ),
        state=IN_PROGRESS,
        started_at=now,
        deadline_at=now + timedelta(minutes=quiz["time_limit_minutes"]) if quiz["time_limit_minutes"] else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Another tab started one at the same moment: use it.
        existing = open_attempt(user_id, version.module_id)
        if existing is None:
            raise
        return existing
    return attempt


@dataclass
class SaveResult:
    """What a save did, question by question: a save is "saved" only for the answers in ``stored``."""

    saved_at: datetime
    #: question id -> the sequence number its stored answer now carries (this save's, or the one already
    #: stored when it held the same response)
    stored: dict
    #: question ids whose answer was not stored: that question was saved since by a newer save, or by another
    #: window (a second tab, a phone) that this window had not seen
    refused: list
    #: the save carried a key already recorded: this is the first save's result, and nothing was written
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return not self.refused


def save_answers(
    attempt: Attempt, responses: dict, now: datetime | None = None, seq: int | None = None, bases: dict | None = None
) -> SaveResult:
    """Save the given responses (question id -> response).

    Refused as a whole once the attempt is submitted or its time (plus grace) is over. Otherwise decided
    answer by answer (``_write_answers``): ``seq`` is the window's save counter, ``bases`` the sequence
    number of each answer as that window last saw it."""
    now = now or utcnow()
    if attempt.state != IN_PROGRESS:
        raise QuizError(_("This attempt is already submitted: it can no longer be changed."))
    if _deadline_passed(attempt, now):
        finish_attempt(attempt, now, by="timeout")
        raise QuizError(_("The time for this attempt is over. It was submitted with the answers saved in time."))
    write_seq = _claim(attempt.id, seq)
    if write_seq is None:
        raise QuizError(_("This attempt is already submitted: it can no longer be changed."))
    allowed = set(attempt.question_ids)
    values = [(qid, response) for qid, response in responses.items() if qid in allowed]
    result = _write_answers(attempt.id, values, seq, write_seq, bases or {}, now)
    # The writes went around the ORM: what the session holds of this attempt and its answers is stale.
    db.session.expire(attempt, ["save_seq"])
    for held in list(db.session.identity_map.values()):
        if isinstance(held, Answer) and held.attempt_id == attempt.id:
            db.session.expire(held)
    return result


class NotYourAttempt(LookupError):
    """No attempt with that id belongs to the person saving (the route answers 404)."""


#: per database engine: quiz version id -> (its questions by id, its grace minutes). A quiz version never changes
#: once written (a changed quiz gets a new row): an autosave reads the attempt's version from here, not 30-45 KB
#: of definition from the database on every save. An edit through the ORM empties it (``_forget_definitions``).
_version_facts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def version_facts(version_id: int) -> tuple[dict, int]:
    """The questions by id of quiz version ``version_id`` and its grace minutes, read once per process."""
    engine = db.engine
    known = _version_facts.get(engine)
    if known is None:
        known = _version_facts[engine] = {}
    facts = known.get(version_id)
    if facts is None:
        definition = db.session.scalar(select(QuizVersion.definition).where(QuizVersion.id == version_id))
        facts = (
            {q["id"]: q for q in definition["questions"]},
            definition["settings"].get("grace_minutes", 0),
        )
        if len(known) >= 256:
            known.clear()
        known[version_id] = facts
    return facts


@event.listens_for(QuizVersion.definition, "set", propagate=True)
def _forget_definitions(*_args):
    _version_facts.clear()


def autosave(
    attempt_id: int,
    user_id: int,
    read,
    seq: int | None,
    now: datetime | None = None,
    key: str | None = None,
) -> tuple[SaveResult, list]:
    """``save_answers`` for the learner ``user_id``'s attempt ``attempt_id``, in as few statements as the engine
    allows: the conditional UPDATE that claims the attempt (still in progress, theirs; it locks it against every
    other save of the attempt) returns what the save needs of it (its quiz version, questions and deadline, and
    with a ``key`` the result recorded for it); one SELECT reads the stored answers of the questions sent and one
    upsert writes those that changed (``_write_answers``). On SQLite the read transaction (the user's row) ends
    first, so that the database's one write lock is held for the write only.

    ``read(by_id, question_ids)`` -> (responses, bases): the responses sent and the save number of each answer as
    the window last saw it, parsed with the attempt's questions. Returns the result and the attempt's question
    ids. Raises NotYourAttempt, or QuizError as ``save_answers`` does.

    ``key``: an idempotency key (a device sending answers it stored offline, each save once): a save whose key is
    recorded for the attempt returns the result recorded then and writes nothing; a new key is recorded with the
    result of its save, in the same transaction."""
    now = now or utcnow()
    if db.engine.dialect.name == "sqlite":
        # SQLite: the read transaction ends here, so that the write lock (one for the whole database) is held
        # for the write alone. PostgreSQL locks the attempt's row only, from the UPDATE on: one transaction.
        db.session.rollback()
    with write_transaction():
        row = db.session.execute(
            _autosave_claim(seq is None, bool(key)),
            {"attempt_id": attempt_id, "owner": user_id, "seq": seq, "key": key},
        ).first()
        if row is None:  # not theirs, or submitted: the full path (which says which), rarely
            return _closed_save(attempt_id, user_id, read, seq, now, key)
        claimed, version_id, question_ids = row[0], row[1], row[2]
        recorded = _recorded_result(row[4], row[5]) if key else None
        if recorded is not None:
            return recorded, question_ids
        by_id, grace = version_facts(version_id)
        responses, bases = read(by_id, question_ids)
        if row[3] is not None and now > row[3] + timedelta(minutes=grace):
            # Out of time: the claim is undone, and the full path finishes the attempt (once) and says so.
            db.session.rollback()
            return _closed_save(attempt_id, user_id, read, seq, now, key)
        allowed = set(question_ids)
        values = [(qid, response) for qid, response in responses.items() if qid in allowed]
        write_seq = claimed if seq is None else seq
        result = _write_answers(attempt_id, values, seq, write_seq, bases, now)
        if key:
            db.session.execute(
                _insert_key(db.engine.dialect.name),
                {
                    "attempt_id": attempt_id,
                    "key": key,
                    "result": {"stored": result.stored, "refused": result.refused},
                    "created_at": now,
                },
            )
        return result, question_ids


def finished_by(attempt_id: int) -> str | None:
    """How the attempt ended (learner, timeout; None: not ended)."""
    return db.session.scalar(select(Attempt.finished_by).where(Attempt.id == attempt_id))


def _closed_save(attempt_id: int, user_id: int, read, seq, now, key) -> tuple[SaveResult, list]:
    """An autosave whose claim found no attempt in progress of ``user_id`` (or one out of time): not theirs, a
    replayed key, or the refusal (finishing an attempt out of time, once)."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user_id:
        raise NotYourAttempt(attempt_id)
    recorded = _recorded(attempt_id, key) if key else None
    if recorded is not None:
        return recorded, attempt.question_ids
    responses, bases = read(questions_by_id(attempt.quiz_version), attempt.question_ids)
    return save_answers(attempt, responses, now=now, seq=seq, bases=bases), attempt.question_ids


def _recorded_result(result: dict | None, at: datetime | None) -> SaveResult | None:
    if result is None:
        return None
    return SaveResult(at, dict(result.get("stored") or {}), list(result.get("refused") or []), replayed=True)


def _recorded(attempt_id: int, key: str) -> SaveResult | None:
    """The result recorded for the save ``key`` of the attempt (None: no save with that key was applied)."""
    row = db.session.execute(
        select(SaveKey.result, SaveKey.created_at).where(SaveKey.attempt_id == attempt_id, SaveKey.key == key)
    ).first()
    return _recorded_result(*row) if row else None


@functools.cache
def _autosave_claim(counted: bool, keyed: bool):
    """The autosave's claim (``_claim_statement``) of the attempt ``:attempt_id`` of ``:owner``, returning what the
    save needs of the attempt, and with a key (``:key``) the result recorded for it and when, read by the claim
    itself (its RETURNING clause, after the attempt is locked: no other save of it runs until this one ends), so
    that a keyed save costs one statement more than a save without a key (recording the key), and a replayed one
    none. ``counted``: a save without a number (the counter goes up by one; else to ``:seq``). Built once per
    variant: building it cost a fifth of the request."""
    seq = bindparam("seq", type_=Integer)
    claim = update(Attempt).where(
        Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("owner"), Attempt.state == IN_PROGRESS
    )
    if counted:
        claim = claim.values(save_seq=Attempt.save_seq + 1)
    else:
        claim = claim.values(save_seq=case((Attempt.save_seq < seq, seq), else_=Attempt.save_seq))
    returned = [Attempt.save_seq, Attempt.quiz_version_id, Attempt.question_ids, Attempt.deadline_at]
    if keyed:
        recorded = (SaveKey.attempt_id == bindparam("attempt_id")) & (SaveKey.key == bindparam("key"))
        returned += [
            select(SaveKey.result).where(recorded).scalar_subquery(),
            select(SaveKey.created_at).where(recorded).scalar_subquery(),
        ]
    return claim.returning(*returned).execution_options(synchronize_session=False)


@functools.cache
def _insert_key(dialect: str):
    """INSERT a save key, doing nothing when it is there already (two sends of one save racing on PostgreSQL,
    whose second claim reads the keys as they were before the first committed)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(SaveKey.__table__).on_conflict_do_nothing()


def _claim(attempt_id: int, seq: int | None) -> int | None:
    """Lock the attempt for this save if it is still in progress, and raise its save counter to ``seq`` (or by
    one for a save without a number). Returns the sequence number the save's answers are stored with, or None
    when the attempt is no longer in progress. Every save of an attempt waits here for the one before it."""
    claimed = _claim_statement(attempt_id, seq).scalar()
    if claimed is None:
        return None
    return claimed if seq is None else seq


def _claim_statement(attempt_id: int, seq: int | None, *also):
    """Run the claim's conditional UPDATE, returning the new save counter and ``also``."""
    claim = update(Attempt).where(Attempt.id == attempt_id, Attempt.state == IN_PROGRESS)
    if seq is None:
        claim = claim.values(save_seq=Attempt.save_seq + 1)
    else:
        claim = claim.values(save_seq=case((Attempt.save_seq < seq, seq), else_=Attempt.save_seq))
    return db.session.execute(claim.returning(Attempt.save_seq, *also).execution_options(synchronize_session=False))


def _write_answers(attempt_id: int, values: list, seq: int | None, write_seq: int, bases: dict, now) -> SaveResult:
    """Store each answer, or refuse it, question by question (the attempt is claimed: no other save of it runs).

    An answer is refused when its question's stored answer differs from it and was saved with a number not
    older than this save's (a late save), or with another number than the one this window last saw (another
    window saved this question since). An answer equal to the stored one is stored already. A save without a
    number (``seq`` None: a script, an old page) is always applied."""
    stored: dict = {}
    refused: list = []
    if not values:
        return SaveResult(now, stored, refused)
    current = {
        qid: (response, held_seq)
        for qid, response, held_seq in read_rows(
            _stored_answers_statement(), {"attempt_id": attempt_id, "question_ids": [qid for qid, _r in values]}
        )
    }
    rows = []
    for qid, response in values:
        if qid in current:
            held, held_seq = current[qid]
            if held == response:
                stored[qid] = held_seq
                continue
            if seq is not None and (seq <= held_seq or bases.get(qid, held_seq) != held_seq):
                refused.append(qid)
                continue
        rows.append(_answer_row(attempt_id, qid, response, now, write_seq))
        stored[qid] = write_seq
    if rows:
        db.session.execute(_upsert_answers(db.engine.dialect.name), rows)
    return SaveResult(now, stored, refused)


@functools.cache
def _stored_answers_statement():
    """The stored answers of some questions of an attempt, built once (building it cost a third of the read)."""
    return select(Answer.question_id, Answer.response, Answer.seq).where(
        Answer.attempt_id == bindparam("attempt_id"), Answer.question_id.in_(bindparam("question_ids", expanding=True))
    )


def _answer_row(attempt_id: int, question_id: str, response, now: datetime, seq: int) -> dict:
    return {"attempt_id": attempt_id, "question_id": question_id, "response": response, "saved_at": now, "seq": seq}


@functools.cache
def _upsert_answers(dialect: str):
    """INSERT ... ON CONFLICT (attempt, question) DO UPDATE. The rows are only those whose response changed
    (``_write_answers`` compared them, the attempt claimed), so that ``saved_at`` keeps the time of the last
    change. Built once per dialect: building it cost more than running it."""
    table = Answer.__table__
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    statement = upsert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.attempt_id, table.c.question_id],
        set_={
            "response": statement.excluded.response,
            "saved_at": statement.excluded.saved_at,
            "seq": statement.excluded.seq,
        },
    )


def manual_points_of(attempt_id: int) -> dict:
    """Question id -> the points a trainer gave (an essay's grade, an override), for the questions they graded."""
    rows = db.session.execute(
        select(Answer.question_id, Answer.manual_points).where(
            Answer.attempt_id == attempt_id, Answer.manual_points.is_not(None)
        )
    )
    return {qid: points for qid, points in rows}


def last_saved_at(attempt_id: int) -> datetime | None:
    """When an answer of the attempt was last saved (None: none yet)."""
    return db.session.scalar(select(func.max(Answer.saved_at)).where(Answer.attempt_id == attempt_id))


def responses_of(attempt_id: int) -> dict:
    """The attempt's saved responses by question id."""
    return {
        a.question_id: a.response for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))
    }


def finish_attempt(attempt: Attempt, now: datetime | None = None, by: str = "learner") -> bool:
    """Submit and grade, exactly once. Returns False when the attempt was already submitted.

    The state change is a conditional UPDATE, so two tabs, a double click or a replayed POST race on
    the database and exactly one of them grades the attempt, on SQLite and PostgreSQL alike.
    """
    now = now or utcnow()
    claimed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state == IN_PROGRESS)
        .values(state=SUBMITTED, submitted_at=now, finished_by=by)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(attempt)
        return False
    db.session.refresh(attempt)
    _grade(attempt)
    return True


def _grade(attempt: Attempt) -> None:
    questions = attempt_questions(attempt)
    answers = {a.question_id: a for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))}
    responses = {qid: a.response for qid, a in answers.items()}
    manual = {qid: a.manual_points for qid, a in answers.items() if a.manual_points is not None}
    for question in questions:
        answer = answers.get(question["id"])
        if answer is not None:
            answer.points = grading.score_question(question, answer.response, answer.manual_points).points
    result = grading.score(questions, responses, manual)
    attempt.points, attempt.max_points = result.points, result.max_points
    attempt.percent = result.percent
    attempt.is_pending = result.pending
    pass_mark = attempt_settings(attempt)["pass_mark"]
    attempt.is_passed = None if result.pending else grading.passes(result.percent, pass_mark)


def finish_if_overdue(attempt: Attempt, now: datetime | None = None) -> bool:
    """Finish an open attempt whose time is over (the learner closed the page, for example)."""
    now = now or utcnow()
    if attempt.state == IN_PROGRESS and _deadline_passed(attempt, now):
        return finish_attempt(attempt, now, by="timeout")
    return False


def overdue_attempt_ids(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Open attempts whose time limit has passed (the grace is checked by ``finish_if_overdue``), oldest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Attempt.id)
            .where(Attempt.state == IN_PROGRESS, Attempt.deadline_at.is_not(None), Attempt.deadline_at < now)
            .order_by(Attempt.deadline_at, Attempt.id)
            .limit(limit)
        )
    )


@dataclass
class QuizStanding:
    attempts: list[Attempt]
    grade: float | None
    is_passed: bool
    attempts_left: int | None


def standing(user_id: int, version: QuizVersion, cohort_id: int | None | type[Ellipsis] = ...) -> QuizStanding:
    """The learner's standing on a quiz in the cohort they work under now (attempts made elsewhere do not count),
    or under ``cohort_id`` when it is given (None: outside any cohort)."""
    if cohort_id is ...:
        cohort_id = working_cohort(user_id, version.module_id)
    attempts = user_attempts(user_id, version.module_id, cohort_id)
    quiz = cohort_settings(version, cohort_id)
    done = [a for a in attempts if a.state == SUBMITTED and not a.is_pending and a.percent is not None]
    grade = grading.final_grade([a.percent for a in done], quiz["grading"])
    left = None if not quiz["max_attempts"] else max(quiz["max_attempts"] - len(attempts), 0)
    return QuizStanding(attempts, grade, grading.passes(grade, quiz["pass_mark"]), left)


#: when the right answers and explanations are shown (quiz.yaml ``review_after``); what is shown is ``review``
REVIEW_AFTER = ("each_attempt", "passed_or_last", "never")


def review_after(quiz: dict) -> str:
    """The quiz's review policy. Unset: after passing or the last attempt, so that attempt 2 cannot copy the
    answers shown after attempt 1; never for a pre-test, whose questions come back in the post-test."""
    policy = quiz.get("review_after")
    if policy in REVIEW_AFTER:
        return policy
    return "never" if quiz.get("role") == "pretest" else "passed_or_last"


@dataclass
class Review:
    #: what the result page shows: "score", "answers" (right answers) or "explanations" (answers and why)
    shows: str
    #: why more is not shown: None (shown as the quiz says), "later" (after passing or the last attempt), "never"
    withheld: str | None = None


def attempt_review(attempt: Attempt) -> Review:
    """What the learner may see of a submitted attempt: the quiz's ``review`` once its ``review_after`` policy
    allows it, else the score only. Passing and the last attempt are counted in the attempt's own cohort."""
    quiz = attempt_settings(attempt)
    shows = quiz.get("review", "explanations")
    if shows == "score":
        return Review("score")
    policy = review_after(quiz)
    if policy == "never":
        return Review("score", "never")
    if policy == "passed_or_last":
        own = standing(attempt.user_id, attempt.quiz_version, attempt.cohort_id)
        last_done = own.attempts_left == 0 and not any(a.state == IN_PROGRESS for a in own.attempts)
        if not (own.is_passed or last_done):
            return Review("score", "later")
    return Review(shows)


def parse_form(questions: list[dict], form) -> dict:
    """Responses from a submitted form, for the questions shown on that page only."""
    responses = {}
    for question in questions:
        qid, kind, name = question["id"], question["type"], f"q-{question['id']}"
        if kind == "single":
            value = form.get(name)
            valid = {o["id"] for o in question["options"]}
            responses[qid] = value if value in valid else None
        elif kind == "multiple":
            valid = {o["id"] for o in question["options"]}
            responses[qid] = sorted(v for v in form.getlist(name) if v in valid)
        elif kind == "truefalse":
            value = form.get(name)
            responses[qid] = {"true": True, "false": False}.get(value)
        elif kind == "matching":
            valid = {c["id"] for c in question["choices"]}
            pairs = {}
            for item in question["items"]:
                value = form.get(f"{name}-{item['id']}")
                if value in valid:
                    pairs[item["id"]] = value
            responses[qid] = pairs
        elif kind in ("short", "essay"):
            limit = 300 if kind == "short" else 20000
            responses[qid] = (form.get(name) or "")[:limit]
    return responses


def is_answered(question: dict, response) -> bool:
    """Whether ``response`` answers ``question`` (a matching question: every item matched)."""
    if response is None or response == "" or response == [] or response == {}:
        return False
    if question["type"] == "matching":
        return len(response) == len(question["items"])
    return True


def override_points(attempt: Attempt, question_id: str, points: float | None, reason: str, actor) -> None:
    """A trainer grades an essay or overrides a question's points (audited), then the attempt is regraded."""
    from ..audit.service import record

    if attempt.state != SUBMITTED:
        raise QuizError(_("Only a submitted attempt can be graded."))
    question = questions_by_id(attempt.quiz_version).get(question_id)
    if question is None or question_id not in attempt.question_ids:
        raise QuizError(_("This question is not part of the attempt."))
    if not reason.strip():
        raise QuizError(_("Give a reason for the change."))
    maximum = float(question.get("points", 1))
    if points is not None and not 0 <= points <= maximum:
        raise QuizError(_("Points must be between 0 and %(max)s.", max=maximum))
    answer = db.session.scalar(select(Answer).where(Answer.attempt_id == attempt.id, Answer.question_id == question_id))
    if answer is None:
        answer = Answer(attempt_id=attempt.id, question_id=question_id, response=None)
        db.session.add(answer)
        db.session.flush()
    before = {"points": answer.points, "manual_points": answer.manual_points, "percent": attempt.percent}
    answer.manual_points = points
    answer.comment = reason.strip()[:2000]
    _grade(attempt)
    record(
        "quiz.override",
        ("quiz_attempt", attempt.id),
        before=before,
        after={"question": question_id, "manual_points": points, "reason": answer.comment, "percent": attempt.percent},
        actor=actor,
    )


def regrade(attempt: Attempt, actor) -> None:
    """Score the attempt again from its saved answers and manual points; audited as ``quiz.regrade``."""
    from ..audit.service import record

    before = {"percent": attempt.percent}
    _grade(attempt)
    record("quiz.regrade", ("quiz_attempt", attempt.id), before=before, after={"percent": attempt.percent}, actor=actor)


def answers_of(attempt_id: int) -> dict[str, Answer]:
    """The attempt's saved answers by question id."""
    return {a.question_id: a for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))}
