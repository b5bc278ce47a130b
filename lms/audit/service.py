"""Recording audit events. ``record`` adds to the current session; the caller's commit writes both."""

from __future__ import annotations

from flask import has_request_context
from flask_login import current_user

from ..extensions import db
from .models import AuditEvent


def record(action: str, obj, before=None, after=None, actor=None, channel: str | None = None) -> AuditEvent:
    """Stage an audit event for ``obj`` (a model with ``id`` or a ``(type, id)`` pair).

    The event is added to the same session as the change, so both commit or neither does.
    """
    if isinstance(obj, tuple):
        object_type, object_id = obj
    else:
        object_type, object_id = obj.__tablename__, obj.id
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        actor_id=getattr(actor, "id", None),
        channel=channel or ("web" if has_request_context() else "cli"),
    )
    db.session.add(event)
    return event
