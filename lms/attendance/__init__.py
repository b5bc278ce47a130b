"""Attendance: workshop sessions, roll call, self check-in, sign-in sheets, attendance exports and warnings,
calendars, and the attendance rule (``rules.py``)."""

from flask import Blueprint

bp = Blueprint("attendance", __name__, url_prefix="/attendance")

from . import handlers, routes  # noqa: E402,F401
