from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..content.models import Course
from ..core.timeutil import utcnow
from ..extensions import db

MODES = ("in_person", "online", "blended")

cohort_trainer = Table(
    "cohort_trainer",
    db.metadata,
    Column("cohort_id", Integer, ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)


class Cohort(db.Model):
    """A group of learners following one course together, with its trainers and workshop sessions."""

    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date]
    end_date: Mapped[date]
    jurisdiction: Mapped[str | None] = mapped_column(String(40))
    city: Mapped[str | None] = mapped_column(String(100))
    venue: Mapped[str | None] = mapped_column(String(200))
    #: the city and venue in Arabic script (Arabic pages and the Arabic half of certificates; else the Latin ones)
    city_ar: Mapped[str | None] = mapped_column(String(100))
    venue_ar: Mapped[str | None] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(16), default="in_person")
    #: language of printed material (sign-in sheets, certificates)
    language: Mapped[str] = mapped_column(String(5), default="fr")
    #: the course's completion rule, possibly overridden: {"modules", "quizzes_passed", "attendance_percent"}
    completion: Mapped[dict] = mapped_column(JSON)
    #: a trainer's per-cohort quiz settings: {module slug: {"pass_mark", "max_attempts", "time_limit_minutes"}}
    quiz_settings: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    #: how an excused absence counts for attendance: "not_counted" (left out) or "absent" (see attendance.rules)
    excused_absences: Mapped[str] = mapped_column(String(16), default="not_counted", server_default="not_counted")
    #: reminders sent by the queue's periodic tasks (the trainer switches each kind off or on per cohort): the day
    #: before each workshop session, the quizzes not passed a week before the end, the weekly low-attendance e-mail
    remind_workshops: Mapped[bool] = mapped_column(default=True, server_default="1")
    remind_quizzes: Mapped[bool] = mapped_column(default=True, server_default="1")
    warn_low_attendance_weekly: Mapped[bool] = mapped_column(default=False, server_default="0")
    #: programme evaluation: the follow-up survey (and action plan review) opens so many months after the last
    #: day (0: no follow-up); when on, a learner answers the end-of-course survey before downloading the
    #: certificate (it is still issued when they meet the completion rule)
    follow_up_months: Mapped[int] = mapped_column(default=3, server_default="3")
    survey_before_certificate: Mapped[bool] = mapped_column(default=False, server_default="0")
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    trainers: Mapped[list[User]] = relationship(secondary=cohort_trainer, order_by="User.name_latin")

    def city_in(self, locale: str) -> str | None:
        """The city in the script of ``locale`` (Arabic when given, else the Latin name)."""
        return (self.city_ar if locale == "ar" else None) or self.city or self.city_ar

    def venue_in(self, locale: str) -> str | None:
        return (self.venue_ar if locale == "ar" else None) or self.venue or self.venue_ar

    def session_place(self, session_place: str | None, locale: str) -> str:
        """Where a session takes place, for people: the session's own place when it has one other than the
        cohort's venue (typed in one script), else the cohort's venue and city in the page's script."""
        if session_place and session_place.strip() not in (self.venue or "", self.venue_ar or ""):
            return session_place
        venue, city = self.venue_in(locale) or "", self.city_in(locale) or ""
        if city and city in venue:  # "Cour d'appel de Casablanca, salle de formation" names its city already
            city = ""
        return ("، " if locale == "ar" else ", ").join(part for part in (venue, city) if part)


class Enrolment(db.Model):
    __tablename__ = "enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: manual, import, walk-in
    source: Mapped[str] = mapped_column(String(16), default="manual")

    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)
