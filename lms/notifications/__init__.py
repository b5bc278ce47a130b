"""In-app notifications (the bell) and each person's choice of which kinds also come by e-mail."""

from flask import Blueprint, g

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def notification_count() -> int:
    """The signed-in person's unread notifications: one COUNT on the partial index per page, asked only by the
    header of a signed-in person's page (never for a visitor), and only once however often it is shown."""
    from flask_login import current_user

    from .service import unread_count

    count = g.get("_tadrib_unread")
    if count is None:
        count = g._tadrib_unread = unread_count(current_user.id)
    return count


def register(app) -> None:
    app.jinja_env.globals["notification_count"] = notification_count


from . import handlers, routes  # noqa: E402,F401
