"""Cohorts: enrolment (one person, CSV/XLSX import, walk-ins), messages to learners, per-cohort quiz settings and
the trainer's quiz results."""

from flask import Blueprint

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts")

from . import handlers, routes  # noqa: E402,F401
