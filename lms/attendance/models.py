"""Workshop sessions of a cohort and the attendance marks taken in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..cohorts.models import Cohort
from ..core.timeutil import utcnow
from ..extensions import db

STATUSES = ("present", "late", "excused", "absent")
METHODS = ("trainer", "checkin", "paper")


class WorkshopSession(db.Model):
    """An in-person (or online) workshop slot of a cohort. Times are stored in UTC."""

    __tablename__ = "workshop_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place: Mapped[str | None] = mapped_column(String(200))
    #: module slugs covered
    modules: Mapped[list] = mapped_column(JSON, default=list)
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: per-session secret from which check-in codes are derived (no in-memory state)
    checkin_secret: Mapped[str] = mapped_column(String(64))
    is_checkin_open: Mapped[bool] = mapped_column(default=False)
    #: arriving this many minutes after the start counts as late
    late_after_minutes: Mapped[int] = mapped_column(default=15)

    cohort: Mapped[Cohort] = relationship()
    trainer: Mapped[User | None] = relationship()


class Attendance(db.Model):
    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    #: trainer, checkin or paper
    method: Mapped[str] = mapped_column(String(10), default="trainer")
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("session_id", "user_id"),)
