"""Values loaded with the signed-in person, in the same statement as their row.

Every signed-in request loads its user (``routes.load_user``); a higher domain that shows something of theirs on
every page (the bell's unread count) registers a correlated scalar subquery here instead of asking its own query
per page. The values are for this request only (``flask.g``), read with ``loaded(name)``; a domain that changes
one during the request (notifications marked read) calls ``forget(name)`` and asks again.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import g
from sqlalchemy import ColumnElement

#: name -> builder of a scalar subquery correlated to ``User.id`` (called once, when the statement is built)
EXTRAS: dict[str, Callable[[], ColumnElement]] = {}

_MISSING = object()


def register(name: str, build: Callable[[], ColumnElement]) -> None:
    """Load ``build()``'s value with every signed-in user (at start-up, before the first request)."""
    EXTRAS[name] = build
    from .routes import _user_by_id

    _user_by_id.cache_clear()  # the statement is built again with it


def remember(user_id: int, values: dict) -> None:
    """The values loaded with ``user_id``'s row (replacing those of anyone loaded before in this request)."""
    g._tadrib_user_extras = (user_id, values)


def loaded(user_id: int, name: str, default=None):
    """The value loaded with ``user_id`` for this request (``default`` when not loaded, forgotten, or loaded for
    someone else: the person of a pending two-factor step)."""
    held = g.get("_tadrib_user_extras")
    if held is None or held[0] != user_id:
        return default
    values = held[1]
    value = values.get(name, _MISSING)
    return default if value is _MISSING else value


def keep(user_id: int, name: str, value) -> None:
    """Hold a value asked again during the request (after ``forget``), for the rest of it."""
    held = g.get("_tadrib_user_extras")
    if held is None or held[0] != user_id:
        held = g._tadrib_user_extras = (user_id, {})
    held[1][name] = value


def forget(name: str) -> None:
    held = g.get("_tadrib_user_extras")
    if held is not None:
        held[1].pop(name, None)
