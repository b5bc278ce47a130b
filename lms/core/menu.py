"""The main menu: one list, filtered by the user's roles and by which endpoints the app has."""

from flask import current_app, request, url_for
from flask_login import current_user

from ..i18n import _l

#: (endpoint, label, roles that see it; None = every signed-in user)
MENU = [
    ("content.dashboard", _l("My training"), None),
    ("content.catalogue", _l("Courses"), None),
    ("certificates.mine", _l("My certificates"), ("learner",)),
    ("cohorts.checkin_page", _l("Check in"), ("learner",)),
    ("reports.trainer_home", _l("My cohorts"), ("trainer", "admin")),
    ("accounts.invite_learner", _l("Invite"), ("trainer",)),
    ("content.admin_courses", _l("Course content"), ("admin",)),
    ("accounts.admin_users", _l("Users"), ("admin",)),
    ("reports.programme", _l("Indicators"), ("admin",)),
    ("accounts.admin_audit", _l("Audit log"), ("admin",)),
]


def main_menu() -> list[dict]:
    items = []
    for endpoint, label, roles in MENU:
        if endpoint not in current_app.view_functions:
            continue
        if roles and not any(current_user.has_role(role) for role in roles):
            continue
        items.append({"url": url_for(endpoint), "label": label, "active": request.endpoint == endpoint})
    return items
