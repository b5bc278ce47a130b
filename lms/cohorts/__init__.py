"""Cohorts, enrolment (CSV/XLSX import), workshop sessions, attendance and self check-in."""

from flask import Blueprint

bp = Blueprint("cohorts", __name__)

from . import handlers, results, routes  # noqa: E402,F401
