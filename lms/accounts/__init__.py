"""Accounts: users, roles, sign-in, invitations, password reset, profile, admin user list."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/account")

from . import cli, routes  # noqa: E402,F401
