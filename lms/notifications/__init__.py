"""In-app notifications (the bell) and each person's choice of which kinds also come by e-mail."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def notification_count() -> int:
    """The signed-in person's unread notifications, shown by the header of a signed-in person's page (never for a
    visitor): a COUNT on the partial index loaded with the user in the same statement (``accounts.extras``), asked
    again only when this request changed it (``service.mark_read``, ``service.notify``)."""
    from flask_login import current_user

    from ..accounts import extras
    from .service import unread_count

    count = extras.loaded(current_user.id, UNREAD)
    if count is None:
        count = unread_count(current_user.id)
        extras.keep(current_user.id, UNREAD, count)
    return count


#: the name of the unread count among the values loaded with the user
UNREAD = "unread_notifications"


def register(app) -> None:
    from ..accounts import extras
    from .service import unread_subquery

    extras.register(UNREAD, unread_subquery)
    app.jinja_env.globals["notification_count"] = notification_count


from . import handlers, routes  # noqa: E402,F401
