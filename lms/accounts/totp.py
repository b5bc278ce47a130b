"""Two-factor sign-in with time-based one-time passwords (RFC 6238) and single-use recovery codes.

Required for trainers and admins (LMS_REQUIRE_TOTP, on by default), offered to learners.
"""

from __future__ import annotations

import hashlib
import secrets
import time

import pyotp

from ..audit.service import record
from ..core.timeutil import utcnow
from .models import User

ISSUER = "Tadrib"
RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def _clean(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).upper()


def _hash(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The 30-second step the code belongs to (this one or the neighbours, for clock drift), else None."""
    code = _clean(code)
    if len(code) != 6 or not code.isdigit():
        return None
    now = now if now is not None else time.time()
    totp = pyotp.TOTP(secret)
    step = int(now // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def needs_totp(user: User, required_roles: tuple[str, ...]) -> bool:
    return any(user.has_role(role) for role in required_roles)


def enable(user: User, secret: str, code: str) -> list[str] | None:
    """Confirm the first code and switch TOTP on; returns the recovery codes to show once, or None."""
    step = matching_step(secret, code)
    if step is None:
        return None
    codes = [f"{secrets.token_hex(2)}-{secrets.token_hex(2)}".upper() for _ in range(RECOVERY_CODES)]
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    user.recovery_codes = [_hash(c) for c in codes]
    record("user.totp_enable", user, actor=user)
    return codes


def disable(user: User, actor) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_codes = None
    record("user.totp_disable", user, actor=actor)


def verify(user: User, code: str) -> bool:
    """A current code not used before, or an unused recovery code (which is then spent)."""
    if not user.totp_secret:
        return False
    step = matching_step(user.totp_secret, code)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return False  # replay
        user.totp_last_step = step
        return True
    hashed = _hash(code)
    remaining = list(user.recovery_codes or [])
    if hashed in remaining:
        remaining.remove(hashed)
        user.recovery_codes = remaining
        record("user.recovery_code_used", user, after={"remaining": len(remaining)}, actor=user)
        return True
    return False
