"""Quizzes: question types, attempts saved as the learner goes, idempotent submission, scoring."""

from flask import Blueprint

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes")

from . import routes  # noqa: E402,F401
