from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db

REVOCATION_REASONS = ("error", "fraud", "withdrawn", "other")


class Certificate(db.Model):
    """An issued training certificate. What it prints is kept as issued (a snapshot), so verification
    shows exactly what the paper says even if a profile changes later."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    #: 16 characters of a 32-letter alphabet: 80 random bits
    code: Mapped[str] = mapped_column(String(16), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: everything printed: names, course title, hours, dates, place, trainers, issuer
    printed: Mapped[dict] = mapped_column(JSON)
    #: sha256 of the template and stylesheet the stored PDF was rendered with
    template_hash: Mapped[str | None] = mapped_column(String(64))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(16))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (
        # One live certificate per person and cohort: issuing twice returns the same one.
        Index(
            "uq_certificate_live",
            "user_id",
            "cohort_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    @property
    def grouped_code(self) -> str:
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))
