from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..content.models import QuizVersion
from ..core.timeutil import utcnow
from ..extensions import db

IN_PROGRESS = "in_progress"
SUBMITTED = "submitted"


class Attempt(db.Model):
    """One attempt at a quiz. Pinned to the quiz version it started on; immutable once submitted."""

    __tablename__ = "quiz_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    #: the module the quiz belongs to: attempts count across the quiz's versions
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), index=True)
    quiz_version_id: Mapped[int] = mapped_column(ForeignKey("quiz_version.id"), index=True)
    #: the cohort the attempt was made under (null: no cohort): the work belongs to it, its trainers alone
    #: read and grade it, and it counts for that cohort's certificate only. Set at start by the cohorts domain
    #: (quizzes.signals.working_cohort); the table is the cohorts domain's, hence no relationship here.
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="SET NULL"), index=True)
    number: Mapped[int]
    #: seeds the question draw and the shuffling, so a reload shows the same order
    seed: Mapped[int]
    #: question ids in the order shown
    question_ids: Mapped[list] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: time limit end (null: no limit); answers saved after deadline + grace are refused
    deadline_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    #: how it ended: learner, timeout
    finished_by: Mapped[str | None] = mapped_column(String(16))
    points: Mapped[float | None]
    max_points: Mapped[float | None]
    percent: Mapped[float | None]
    is_passed: Mapped[bool | None]
    #: an essay awaits a trainer's grade
    is_pending: Mapped[bool] = mapped_column(default=False)
    #: the highest save sequence number seen: a page opened now numbers its saves after it, so that they are
    #: newer than every answer it shows (each answer keeps the number it was saved with: ``Answer.seq``)
    save_seq: Mapped[int] = mapped_column(default=0, server_default="0")

    quiz_version: Mapped[QuizVersion] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="attempt", lazy="raise_on_sql")

    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "number"),
        # At most one open attempt per person and quiz: two tabs pressing "start" get the same one.
        Index(
            "uq_quiz_attempt_open",
            "user_id",
            "module_id",
            unique=True,
            sqlite_where=text("state = 'in_progress'"),
            postgresql_where=text("state = 'in_progress'"),
        ),
    )


class Answer(db.Model):
    """The learner's latest response to one question of an attempt, saved as they go."""

    __tablename__ = "quiz_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict | list | str | bool | None] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the save sequence number of the save that stored this response: a save of this question carrying an
    #: older (or equal) number, or made by a window that had not seen this one, is refused, not applied
    seq: Mapped[int] = mapped_column(default=0, server_default="0")
    #: set at grading (automatic) or by a trainer (essay, override)
    points: Mapped[float | None]
    manual_points: Mapped[float | None]
    comment: Mapped[str | None] = mapped_column(Text)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")

    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)


class SaveKey(db.Model):
    """A save that carried an idempotency key (a device sending the answers it stored offline): what it did, so
    that the same save sent again (the answer lost on the way, a retry) returns the same result and writes
    nothing. Deleted with the attempt."""

    __tablename__ = "quiz_save_key"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: {"stored": {question id: seq}, "refused": [question id]}, as the first save answered
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
