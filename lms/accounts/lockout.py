"""Sign-in lock-outs: failed sign-ins counted per account and per address, in the database.

An account is locked after ``LOGIN_LIMIT_PER_ACCOUNT`` failures (5 in 15 minutes); an address after
``LOGIN_LIMIT_PER_IP`` (200 in 15 minutes: a workshop room of 30 behind one NAT address, each mistyping a few
times, stays well under it; see README). Both are moving windows. The counts are rows of ``sign_in_failure``,
so every process sees them (whatever the rate-limit storage), an admin sees who is locked out and lifts a
lock, and a trainer lifts the lock of a learner of their cohort. No ``request`` here.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from limits import parse
from sqlalchemy import delete, func, or_, select

from ..audit.service import record
from ..core.timeutil import utcnow
from ..extensions import db
from .models import SignInFailure, User
from .service import normalize_email

ACCOUNT_LIMIT = "LOGIN_LIMIT_PER_ACCOUNT"
ADDRESS_LIMIT = "LOGIN_LIMIT_PER_IP"


def limit(name: str) -> tuple[int, timedelta]:
    """(failures allowed, window) from a setting written as Flask-Limiter does: "5 per 15 minutes"."""
    item = parse(current_app.config[name])
    return item.amount, timedelta(seconds=item.get_expiry())


def enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def account_key(email: str) -> str:
    """What identifies the account typed: an HMAC of the address, so that a password typed in the e-mail field
    is not stored as typed."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(secret, b"sign-in:" + normalize_email(email).encode("utf-8"), hashlib.sha256).hexdigest()


def is_locked(email: str, address: str) -> bool:
    """Whether a sign-in with ``email`` from ``address`` is refused now (one query)."""
    if not enabled():
        return False
    account_max, account_window = limit(ACCOUNT_LIMIT)
    address_max, address_window = limit(ADDRESS_LIMIT)
    now = utcnow()
    by_account = (
        select(func.count(SignInFailure.id))
        .where(SignInFailure.account_key == account_key(email), SignInFailure.created_at > now - account_window)
        .scalar_subquery()
    )
    by_address = (
        select(func.count(SignInFailure.id))
        .where(SignInFailure.address == address, SignInFailure.created_at > now - address_window)
        .scalar_subquery()
    )
    account_count, address_count = db.session.execute(select(by_account, by_address)).one()
    return account_count >= account_max or address_count >= address_max


def record_failure(email: str, address: str) -> None:
    """Count a failed sign-in; forget those older than both windows (the table stays small)."""
    if not enabled():
        return
    now = utcnow()
    oldest = now - max(limit(ACCOUNT_LIMIT)[1], limit(ADDRESS_LIMIT)[1])
    db.session.execute(delete(SignInFailure).where(SignInFailure.created_at < oldest))
    user_id = select(User.id).where(User.email == normalize_email(email)).scalar_subquery()
    db.session.execute(
        SignInFailure.__table__.insert().values(
            account_key=account_key(email), user_id=user_id, address=(address or "")[:45], created_at=now
        )
    )


def locked_accounts(user_ids=None) -> list[tuple[User, int, datetime]]:
    """Accounts locked now, as (user, failures in the window, last failure); only ``user_ids`` (a select of
    user ids, e.g. a cohort's learners) when given."""
    account_max, window = limit(ACCOUNT_LIMIT)
    statement = (
        select(User, func.count(SignInFailure.id), func.max(SignInFailure.created_at))
        .join(SignInFailure, SignInFailure.user_id == User.id)
        .where(SignInFailure.created_at > utcnow() - window)
        .group_by(User.id)
        .having(func.count(SignInFailure.id) >= account_max)
        .order_by(func.max(SignInFailure.created_at).desc())
    )
    if user_ids is not None:
        statement = statement.where(User.id.in_(user_ids))
    return [tuple(row) for row in db.session.execute(statement).all()]


def busy_addresses() -> list[tuple[str, int, bool]]:
    """Addresses at half their limit or more, as (address, failures in the window, locked)."""
    address_max, window = limit(ADDRESS_LIMIT)
    count = func.count(SignInFailure.id)
    rows = db.session.execute(
        select(SignInFailure.address, count)
        .where(SignInFailure.created_at > utcnow() - window)
        .group_by(SignInFailure.address)
        .having(count >= max(1, address_max // 2))
        .order_by(count.desc())
    ).all()
    return [(address, failures, failures >= address_max) for address, failures in rows]


def lift_account(user: User, actor: User) -> int:
    """Forget the account's failed sign-ins (audited); returns how many there were."""
    failures = db.session.execute(
        delete(SignInFailure).where(
            or_(SignInFailure.account_key == account_key(user.email), SignInFailure.user_id == user.id)
        )
    ).rowcount
    record("user.sign_in_unlock", user, before={"failures": failures}, actor=actor)
    return failures


def lift_address(address: str, actor: User) -> int:
    """Forget the failed sign-ins from ``address`` (audited); returns how many there were."""
    failures = db.session.execute(delete(SignInFailure).where(SignInFailure.address == address)).rowcount
    record("sign_in.address_unlock", ("ip_address", address[:64]), before={"failures": failures}, actor=actor)
    return failures
