"""Programme evaluation: the occasions to answer a survey, who was asked and whether they answered, the answers
(apart, with nothing that leads back to a person), and each learner's private action plan.

Anonymous but trackable (issue #20). ``survey_participation`` says that a person was asked and whether they
answered, never what; ``survey_response`` holds what was answered, never by whom:

- no column of ``survey_response`` names a person, except ``respondent_id`` of a survey marked ``named`` in
  ``courses/`` (a CHECK constraint keeps it NULL otherwise), and nothing the two tables share but the round;
- no exact time: a response keeps the Monday of its week (``week``), the participation no time at all;
- no order: a response's key is 128 random bits, and both tables are stored by their key (SQLite ``WITHOUT
  ROWID``: a table scan follows the key, not the order of insertion; the participation's key is the round and
  the person, written when they are invited);
- profession, jurisdiction and gender are copied for the breakdowns, and every view and export hides a group of
  fewer than ``SMALL_GROUP`` responses (free text included).

``tests/evaluation/test_anonymity.py`` inspects the schema and the data.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..content.models import Survey, SurveyVersion
from ..core.timeutil import utcnow
from ..extensions import db

#: results of a group with fewer responses than this are not shown (counts, charts and free text)
SMALL_GROUP = 5

ROLES = ("session", "course_end", "follow_up")


def _response_key() -> str:
    return secrets.token_hex(16)


class SurveyRound(db.Model):
    """One occasion to answer one survey: the end of a workshop session (``session_id`` set), the end of a
    cohort's course, or its follow-up. Made by the periodic task when it opens; invitations and the one reminder
    to non-respondents are stamped on it."""

    __tablename__ = "survey_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"))
    #: "cohort:<id>" or "session:<id>": one round per survey and subject (a NULL session would not be unique)
    subject: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))
    opens_at: Mapped[datetime]
    #: None: open for good (the end-of-course survey, which a certificate may wait for)
    closes_at: Mapped[datetime | None]
    invited_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey: Mapped[Survey] = relationship()

    __table_args__ = (UniqueConstraint("survey_id", "subject"),)

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now and (self.closes_at is None or now < self.closes_at)


class SurveyParticipation(db.Model):
    """That ``user_id`` was asked in a round and whether they answered; never what, never when."""

    __tablename__ = "survey_participation"

    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    responded: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        Index("ix_survey_participation_user", "user_id"),
        {"sqlite_with_rowid": False},
    )


class SurveyResponse(db.Model):
    """What one person answered in one round, without who (see the module's docstring)."""

    __tablename__ = "survey_response"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_response_key)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"))
    #: the Monday of the week it was answered (Casablanca time): the only time kept
    week: Mapped[date]
    #: copied from the profile at the time, for the breakdowns (masked under SMALL_GROUP)
    profession: Mapped[str | None] = mapped_column(String(32))
    jurisdiction: Mapped[str | None] = mapped_column(String(40))
    gender: Mapped[str | None] = mapped_column(String(10))
    #: {item id: value}: 1-5, 0-10, an option id, a list of option ids, or text; "_plan": the follow-up's
    #: counts of the action plan's outcomes {"actions": n, "done": n, "partly": n, "not_yet": n}
    answers: Mapped[dict] = mapped_column(JSON)
    named: Mapped[bool] = mapped_column(default=False)
    #: set only for a survey marked "named" in courses/ (the learner is told before they answer)
    respondent_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    version: Mapped[SurveyVersion] = relationship()

    __table_args__ = (
        CheckConstraint("named OR respondent_id IS NULL", name="anonymous_has_no_respondent"),
        {"sqlite_with_rowid": False},
    )


PLAN_SIZE = 3
OUTCOMES = ("done", "partly", "not_yet")


class ActionPlan(db.Model):
    """A learner's action plan for one cohort: up to three concrete actions, written at the end of the course,
    reviewed at the follow-up. Private: only its author reads it (no route takes a person's id); only counts of
    outcomes leave it, in the anonymous follow-up response."""

    __tablename__ = "action_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None]

    items: Mapped[list[ActionPlanItem]] = relationship(
        order_by="ActionPlanItem.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (UniqueConstraint("user_id", "cohort_id"),)


class ActionPlanItem(db.Model):
    __tablename__ = "action_plan_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    #: at the follow-up: one of OUTCOMES
    outcome: Mapped[str | None] = mapped_column(String(16))
    helped: Mapped[str | None] = mapped_column(Text)
    obstacles: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("plan_id", "position"),)

