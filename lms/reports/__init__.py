"""Trainer dashboards, programme indicators, exports and charts."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from . import cli, routes  # noqa: E402,F401
