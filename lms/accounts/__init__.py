"""Accounts: users, roles, sign-in, invitations, password reset, profile, admin user list."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import cli, routes  # noqa: E402,F401
