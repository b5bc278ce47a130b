"""Form base class and shared helpers."""

from urllib.parse import urlsplit

from flask_wtf import FlaskForm


class BaseForm(FlaskForm):
    """All forms derive from this: CSRF protected through Flask-WTF."""


def safe_next_url(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after login or a language switch (no open redirect)."""
    if not target:
        return default
    target = target.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default  # a CR/LF would end up in the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
