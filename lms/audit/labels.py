"""Readable, translated names of audit actions."""

from ..i18n import _l

LABELS = {
    "user.create": _l("Account created"),
    "user.invite": _l("Invitation sent"),
    "user.invite_accepted": _l("Invitation accepted"),
    "user.password": _l("Password changed"),
    "user.password_reset": _l("Password reset"),
    "user.roles": _l("Roles changed"),
    "user.activate": _l("Account reactivated"),
    "user.deactivate": _l("Account deactivated"),
    "user.profile": _l("Profile updated"),
}


def audit_label(action: str) -> str:
    return str(LABELS.get(action, action))
