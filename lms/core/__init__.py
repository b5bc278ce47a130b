"""Shared pieces: access rules, database set-up, security headers, errors, mail, forms. Imports no domain."""

from flask import Blueprint

bp = Blueprint("core", __name__)

from . import routes  # noqa: E402,F401
