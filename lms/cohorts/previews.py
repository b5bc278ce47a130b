"""Import previews: between the preview and the confirmation, the uploaded file waits in ``<instance>/imports/``.

The file holds personal data (names, e-mail addresses) kept for one purpose, the import; so (Law 09-08):

- it is deleted when the trainer confirms or cancels the import, or sends another file for the same cohort;
- it expires after ``IMPORT_PREVIEW_HOURS`` (24 by default): expired previews are deleted whenever an import
  page is opened or a preview is read, and by ``flask cohorts purge-imports`` (run it daily from cron);
- ``flask users erase`` deletes every preview that lists the person's e-mail address (and any preview that
  can no longer be read); previews of other people stay until they are confirmed, cancelled or expire;
- ``flask backup`` copies the database only: previews are never in a backup.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from flask import current_app

from .importing import ImportFileError, parse_enrolment_file

DEFAULT_HOURS = 24
SUFFIXES = (".csv", ".xlsx")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def folder() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_age_seconds() -> float:
    return float(current_app.config.get("IMPORT_PREVIEW_HOURS", DEFAULT_HOURS)) * 3600


def _files() -> list[Path]:
    return [p for p in folder().iterdir() if p.is_file()]


def _delete(paths) -> int:
    count = 0
    for path in paths:
        try:
            path.unlink()
            count += 1
        except FileNotFoundError:  # another request deleted it first
            pass
    return count


def purge_expired(now: float | None = None) -> int:
    """Deletes the previews older than the limit; returns how many."""
    limit = (time.time() if now is None else now) - max_age_seconds()
    expired = []
    for path in _files():
        try:
            if path.stat().st_mtime < limit:
                expired.append(path)
        except FileNotFoundError:
            continue
    return _delete(expired)


def purge_all() -> int:
    return _delete(_files())


def _mine(cohort_id: int, user_id: int) -> list[Path]:
    prefix = f"{cohort_id}-{user_id}-"
    return [p for p in _files() if p.name.startswith(prefix)]


def save(cohort_id: int, user_id: int, data: bytes, suffix: str) -> str:
    """Keeps the file until the trainer decides (it replaces their earlier preview for the cohort)."""
    discard(cohort_id, user_id)
    token = secrets.token_urlsafe(16)
    path = folder() / f"{cohort_id}-{user_id}-{token}{suffix}"
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    return token


def find(cohort_id: int, user_id: int, token: str) -> Path | None:
    """The waiting file, unless it is unknown or has expired (expired ones are deleted first)."""
    purge_expired()
    if not TOKEN_RE.match(token or ""):
        return None
    for suffix in SUFFIXES:
        path = folder() / f"{cohort_id}-{user_id}-{token}{suffix}"
        if path.is_file():
            return path
    return None


def discard(cohort_id: int, user_id: int, token: str | None = None) -> int:
    """Deletes one preview (``token``) or all of a trainer's previews for a cohort."""
    if token is None:
        return _delete(_mine(cohort_id, user_id))
    path = find(cohort_id, user_id, token)
    return _delete([path]) if path else 0


def erase_email(email: str) -> int:
    """Deletes the previews that list ``email`` (and those that cannot be read any more)."""
    email = (email or "").strip().lower()
    doomed = []
    for path in _files():
        try:
            rows = parse_enrolment_file(path.name, path.read_bytes(), [])
        except (ImportFileError, OSError):
            doomed.append(path)
            continue
        if any(row.email == email for row in rows):
            doomed.append(path)
    return _delete(doomed)


def _erase_user(user) -> None:
    """Erasing a person (``accounts.signals.user_erasing``): the previews that list their address go."""
    erase_email(user.email)
