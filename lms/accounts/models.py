from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.timeutil import utcnow
from ..extensions import db

PROFESSIONS = (
    "magistrate-judge",
    "magistrate-prosecutor",
    "social-worker",
    "clerk",
    "police",
    "other",
)
GENDERS = ("female", "male")


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-cased and stripped: unique whatever the case typed
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: argon2id; null until an invited person sets a password
    password_hash: Mapped[str | None] = mapped_column(String(255))
    name_latin: Mapped[str] = mapped_column(String(120))
    name_arabic: Mapped[str | None] = mapped_column(String(120))
    profession: Mapped[str | None] = mapped_column(String(32))
    jurisdiction: Mapped[str | None] = mapped_column(String(40))
    #: optional, used for programme indicators only
    gender: Mapped[str | None] = mapped_column(String(10))
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    is_learner: Mapped[bool] = mapped_column(default=True)
    is_trainer: Mapped[bool] = mapped_column(default=False)
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: bumped on logout and password change: every older session and remember cookie stops working
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: set when the person's data was erased on request (Law 09-08); the row stays for statistics
    erased_at: Mapped[datetime | None]
    #: time-based one-time passwords (RFC 6238): base32 secret, set once confirmed
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    #: the last 30-second step accepted, so a code cannot be replayed
    totp_last_step: Mapped[int | None]
    #: sha256 hashes of the unused recovery codes
    recovery_codes: Mapped[list | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_user_account_name_latin", "name_latin"),)

    def get_id(self) -> str:
        # The session version travels with the id, so an old cookie no longer matches after logout.
        return f"{self.id}:{self.session_version}"

    @property
    def roles(self) -> list[str]:
        return [role for role in ("learner", "trainer", "admin") if getattr(self, f"is_{role}")]

    def has_role(self, role: str) -> bool:
        return bool(getattr(self, f"is_{role}", False))

    @property
    def display_name(self) -> str:
        return self.name_latin

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserToken(db.Model):
    """A single-use, expiring token sent by e-mail (password reset, invitation). Only its hash is kept."""

    __tablename__ = "user_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class SignInFailure(db.Model):
    """A failed sign-in, kept for the lock-out window: counted per account and per address (LOGIN_LIMIT_*).

    In the database, so every process sees the same counts and an admin or a trainer can see and lift a lock.
    The typed e-mail is kept only as an HMAC (it may be a password typed in the wrong field); ``user_id`` names
    the account when the address is one. Rows older than the window are deleted."""

    __tablename__ = "sign_in_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: the client address (behind LMS_PROXY_FIX proxies, the forwarded one)
    address: Mapped[str] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (
        Index("ix_sign_in_failure_account_key_created_at", "account_key", "created_at"),
        Index("ix_sign_in_failure_address_created_at", "address", "created_at"),
    )
