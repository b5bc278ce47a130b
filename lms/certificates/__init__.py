"""Certificates: eligibility, PDF rendering (WeasyPrint), public verification, revocation."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)

from . import cli, routes  # noqa: E402,F401
