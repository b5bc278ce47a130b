"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

from ..i18n import _

MIN_LENGTH = 10
MAX_LENGTH = 256


def hasher() -> PasswordHasher:
    config = current_app.config
    return _hasher(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID)


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, bool]:
    """Return ``(ok, needs_rehash)``. A missing or corrupted hash fails cleanly, never raises."""
    ph = hasher()
    if not stored_hash:
        _burn_time(ph, password)
        return False, False
    try:
        ph.verify(stored_hash, password)
    except VerifyMismatchError:
        return False, False
    except (InvalidHashError, VerificationError, ValueError):
        current_app.logger.warning("a stored password hash could not be read")
        return False, False
    try:
        return True, ph.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True, True


_DUMMY: dict[tuple, str] = {}


def _burn_time(ph: PasswordHasher, password: str) -> None:
    """Spend the time of a real verification, so unknown e-mails cannot be told apart by timing."""
    key = (ph.time_cost, ph.memory_cost, ph.parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = ph.hash("not-a-real-password-x")
    try:
        ph.verify(_DUMMY[key], password)
    except VerificationError:
        pass


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("lms").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problems(password: str, email: str | None = None) -> list[str]:
    """Translated reasons the password is refused (empty list when acceptable). Never trims or folds it."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) < 3:
        problems.append(_("This password is too common or too easy to guess."))
    if email and lowered in (email.lower(), email.split("@")[0].lower()):
        problems.append(_("The password must not be your e-mail address."))
    return problems
