"""Per-learner summaries of a cohort: what the dashboard reads instead of every learner's progress, attempts and
marks. Written only by ``lms.reports.summaries`` (in the transaction of the write that changes them), read by
``lms.reports.dashboard``; ``flask reports rebuild-summaries`` recomputes them all.

What depends on the clock (which sessions are held, the share of the cohort's time elapsed) or on the cohort's
rules (attendance threshold, certificate requirements) is worked out at read time from these counts, so that
time passing or a session added rewrites no row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class LearnerSummary(db.Model):
    """One row per enrolment (cohort, learner)."""

    __tablename__ = "learner_summary"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    #: modules of the cohort's course (not archived) completed
    modules_completed: Mapped[int] = mapped_column(default=0)
    #: the latest completion among them (with modules_completed = every module: when they finished)
    completed_at: Mapped[datetime | None]
    #: quizzes that count for the certificate (all but the pre-test) passed, under the cohort's quiz settings
    quizzes_passed: Mapped[int] = mapped_column(default=0)
    #: 1 when a quiz other than the pre-test is attempted, none open, and its grade under the pass mark
    failing: Mapped[int] = mapped_column(default=0)
    #: the pre-test's and the post-test's grades (null: none graded yet, or the course has none)
    pre_grade: Mapped[float | None]
    post_grade: Mapped[float | None]
    #: marks present or late, and excused, over every session of the cohort (the dashboard takes away those of
    #: sessions not held yet)
    attended: Mapped[int] = mapped_column(default=0)
    excused: Mapped[int] = mapped_column(default=0)
    #: the latest of: a module completed, an attempt started or submitted, a mark taken (null: nothing yet)
    last_activity: Mapped[datetime | None]

    __table_args__ = (Index("ix_learner_summary_user_id", "user_id"),)


class LearnerQuizSummary(db.Model):
    """One row per (cohort, learner, quiz) the learner attempted under the cohort: the matrix's cells and the
    score charts."""

    __tablename__ = "learner_quiz_summary"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), primary_key=True)
    #: by the quiz's grading method, as quizzes.grading.final_grade computes it (null: none graded yet)
    grade: Mapped[float | None]
    #: the grade's bucket of the score chart (0 to 9, as charts.histogram_counts; null with the grade)
    bucket: Mapped[int | None]
    passed: Mapped[int] = mapped_column(default=0)
    #: an attempt in progress
    open: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_learner_quiz_summary_user_id", "user_id"),)
