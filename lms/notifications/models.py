"""Notifications and per-person preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db


class Notification(db.Model):
    """One thing said to one person in the app, in their language at the time it was made."""

    __tablename__ = "notification"
    __table_args__ = (
        # the bell's COUNT on every page: only the unread rows are in it (read_at too, so that it covers the query)
        Index(
            "ix_notification_user_unread",
            "user_id",
            "read_at",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
        # a person's notifications page, newest first
        Index("ix_notification_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: a key of ``rules.KINDS``
    kind: Mapped[str] = mapped_column(String(40))
    #: what makes it the same notification (``workshop-eve:<session>:<user>``): made once however often asked
    key: Mapped[str] = mapped_column(String(191), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    #: a path inside the site (``/attendance/sessions/4``), never an outside address
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]


class NotificationPreference(db.Model):
    """A person's choice for one kind: e-mail on or off (the notification in the app is always made).
    No row: the kind's default (``rules.KINDS``)."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[bool] = mapped_column(default=True)
