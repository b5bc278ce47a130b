"""Certificates: eligibility, PDF rendering (WeasyPrint), public verification, revocation."""

from flask import Blueprint

bp = Blueprint("certificates", __name__, url_prefix="/certificates")

from ..content.signals import learner_standings  # noqa: E402
from . import cli, routes, service, tasks  # noqa: E402,F401

# The learner's home, course and module pages show where they stand against the certificate's one rule.
learner_standings.connect(service.learner_standings)
