"""Whole numbers from the outside world (the URL, the query string, a form), bounded to what the database holds.

A number beyond the database's integer made the driver raise OverflowError (SQLite: beyond 64 bits) or
PostgreSQL refuse it (``integer`` is 32 bits: SQLAlchemy's ``Integer`` there), a 500 any signed-in person could
produce. One rule instead: in the URL (``<int:...>``) such a number matches no page (404); in the query string
or a form it is the default where one makes sense (``?page=``), otherwise a 400 that says why."""

from __future__ import annotations

import builtins

from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from ..i18n import _

#: the largest value of the schema's integer columns (ids, counters): PostgreSQL's ``integer`` is 32 bits
MAX_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """The app's ``int`` URL converter: as Werkzeug's, with ``max`` at most ``MAX_INT`` (no such row: 404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed=False):
        super().__init__(map, fixed_digits, min, MAX_INT if max is None else builtins.min(max, MAX_INT), signed)


class NumberOutOfRange(BadRequest):
    """400 with a translated message (the error page and a JSON answer show it)."""

    def __init__(self, name: str):
        super().__init__()
        self.field = name
        self.message = _("A number in this request is out of range. Go back and try again.")


def whole_number(
    raw, name: str = "", default: int | None = None, *, low: int = 0, high: int = MAX_INT, strict: bool = True
) -> int | None:
    """``raw`` (text) as a whole number in [low, high]. Absent or not a number: ``default``. Out of range: 400
    (NumberOutOfRange), or ``default`` when ``strict`` is false (a page number, say)."""
    text = (raw or "").strip() if isinstance(raw, str) else raw
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except (TypeError, ValueError):  # not a number, or more digits than Python reads (ValueError too)
        return default
    if low <= value <= high:
        return value
    if strict:
        raise NumberOutOfRange(name)
    return default


def arg_number(name: str, default: int | None = None, **bounds) -> int | None:
    """A whole number from the query string (``request.args``): see ``whole_number``."""
    return whole_number(request.args.get(name), name, default, **bounds)


def form_number(name: str, default: int | None = None, **bounds) -> int | None:
    """A whole number from the posted form (``request.form``): see ``whole_number``."""
    return whole_number(request.form.get(name), name, default, **bounds)
