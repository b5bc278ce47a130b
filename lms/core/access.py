"""Authorisation, checked in one place.

Every view declares who may reach it with one of the decorators below; ``enforce_access`` runs before
each request and refuses any view that declared nothing (fail closed). Object-level rules (a trainer's
own cohorts) live in the services and are checked there as well.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

PUBLIC = "public"
SIGNED_IN = "signed-in"
ROLES = ("learner", "trainer", "admin")


def public(view):
    view.access = PUBLIC
    return view


def signed_in(view):
    view.access = SIGNED_IN
    return view


def roles_required(*roles: str):
    """Any of ``roles`` grants access (a user may hold several)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {unknown}")

    def decorator(view):
        view.access = frozenset(roles)
        return view

    return decorator


def access_rule(endpoint: str):
    """The declared rule of an endpoint (used by the authorisation matrix test)."""
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def enforce_access():
    if request.endpoint is None:  # 404 / 405: let Flask answer
        return None
    rule = access_rule(request.endpoint)
    if rule is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(403)
    if rule == PUBLIC:
        return None
    user = current_user._get_current_object()
    if not user.is_authenticated:
        if request.method == "GET":
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        abort(401)
    if rule == SIGNED_IN:
        return None
    if not any(user.has_role(role) for role in rule):
        abort(403)
    return None


def same_user_or_role(*roles: str):
    """Decorator helper for views with a ``user_id`` argument: the user themself, or one of ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            uid = kwargs.get("user_id")
            if uid != current_user.id and not any(current_user.has_role(r) for r in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
