"""Trainer dashboards, programme indicators, exports and charts."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from . import cli, routes, summaries  # noqa: E402,F401  (summaries: the session's events that keep them)
