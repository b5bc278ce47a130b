"""Programme evaluation (Kirkpatrick levels 1 and 3): surveys after workshop sessions, at the end of a course and
months later, each learner's private action plan, anonymous but trackable responses, and their results."""

from flask import Blueprint

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")

from . import handlers, models, routes, service, tasks  # noqa: E402,F401
