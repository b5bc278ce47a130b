"""Append-only audit log. Written in the same transaction as the change it records; read by admins on its page."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from . import routes  # noqa: E402,F401
