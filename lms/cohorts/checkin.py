"""Self check-in codes: derived from a per-session secret and the time window. Pure functions.

Any app process computes the same code for the same window, so nothing is kept in memory. A code is
short, typeable and unambiguous (no 0/O, 1/I/L); the previous window's code is still accepted for a
few seconds after the change (clock skew, slow typing).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 5
WINDOW_SECONDS = 60
PREVIOUS_WINDOW_GRACE_SECONDS = 20


def window_of(moment: datetime) -> int:
    return int(moment.timestamp()) // WINDOW_SECONDS


def code_for(secret: str, window: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), str(window).encode("ascii"), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def current_code(secret: str, now: datetime) -> str:
    return code_for(secret, window_of(now))


def seconds_left(now: datetime) -> int:
    return WINDOW_SECONDS - int(now.timestamp()) % WINDOW_SECONDS


def normalize_code(typed: str) -> str:
    """What people type, folded: lower case, spaces and dashes are accepted."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


def is_valid(secret: str, typed: str, now: datetime) -> bool:
    code = normalize_code(typed)
    if len(code) != LENGTH:
        return False
    window = window_of(now)
    if hmac.compare_digest(code, code_for(secret, window)):
        return True
    into_window = int(now.timestamp()) % WINDOW_SECONDS
    return into_window < PREVIOUS_WINDOW_GRACE_SECONDS and hmac.compare_digest(code, code_for(secret, window - 1))


def windows_ago(secret: str, typed: str, now: datetime, lookback: int = 240) -> int | None:
    """How many windows ago ``typed`` was the code (0: the current one), looking back ``lookback`` windows;
    None when it never was. Tells an expired code (say so, and what to do) from a mistyped one."""
    code = normalize_code(typed)
    if len(code) != LENGTH:
        return None
    window = window_of(now)
    for back in range(lookback + 1):
        if hmac.compare_digest(code, code_for(secret, window - back)):
            return back
    return None
