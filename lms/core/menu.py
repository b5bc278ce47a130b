"""The main menu and asset URLs: computed once per (roles, language) and per file, not on every page."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app, has_request_context, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from ..i18n import _l

#: (endpoint, label, roles that see it; None = every signed-in user)
MENU = [
    ("content.dashboard", _l("My training"), None),
    ("content.catalogue", _l("Courses"), None),
    ("library.index", _l("Library"), None),
    ("certificates.mine", _l("My certificates"), ("learner",)),
    ("attendance.checkin_page", _l("Check in"), ("learner",)),
    ("evaluation.index", _l("My surveys"), ("learner",)),
    ("reports.trainer_home", _l("My cohorts"), ("trainer", "admin")),
    ("accounts.invite_learner", _l("Invite"), ("trainer",)),
    ("content.admin_courses", _l("Course content"), ("admin",)),
    ("accounts.admin_users", _l("Users"), ("admin",)),
    ("reports.programme", _l("Indicators"), ("admin",)),
    ("audit.log", _l("Audit log"), ("admin",)),
    ("notifications.admin_deliveries", _l("Mails not delivered"), ("admin",)),
]


def _menu_items(roles: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """(endpoint, url, label) for a set of roles in the current language and mount point, memoised per app."""
    cache = current_app.extensions.setdefault("tadrib_menu", {})
    key = (roles, str(get_locale() or "fr"), request.script_root)
    items = cache.get(key)
    if items is None:
        items = tuple(
            (endpoint, url_for(endpoint), str(label))
            for endpoint, label, allowed in MENU
            if endpoint in current_app.view_functions and (allowed is None or any(r in roles for r in allowed))
        )
        cache[key] = items
    return items


def main_menu() -> list[dict]:
    user = current_user._get_current_object()
    roles = tuple(role for role in ("learner", "trainer", "admin") if user.has_role(role))
    return [
        {"url": url, "label": label, "active": request.endpoint == endpoint}
        for endpoint, url, label in _menu_items(roles)
    ]


def asset_url(filename: str) -> str:
    """The URL of a static file with a content hash (``?v=``): browsers keep it a year and refetch when it
    changes (``TadribFlask.get_send_file_max_age``). Hashed once per file and mount point per process."""
    cache = current_app.extensions.setdefault("tadrib_assets", {})
    key = (filename, request.script_root if has_request_context() else "")
    url = cache.get(key)
    if url is None:
        path = Path(current_app.static_folder) / filename
        version = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        url = url_for("static", filename=filename, v=version)
        cache[key] = url
    return url
