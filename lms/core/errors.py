"""Friendly, translated error pages. An expired CSRF token keeps what the user typed."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..extensions import db

# Fields never echoed back into a page.
SECRET_FIELDS = ("password", "csrf_token", "token", "code", "otp")


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _same_origin() -> bool:
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return False
    return urlsplit(origin).netloc == request.host


def handle_csrf_error(error: CSRFError):
    db.session.rollback()
    kept = []
    # Only a same-origin form gets its input offered back: a forged cross-site POST gets a plain error.
    if _same_origin() and request.method == "POST":
        for key in request.form:
            if any(secret in key.lower() for secret in SECRET_FIELDS):
                continue
            for value in request.form.getlist(key):
                kept.append((key, value))
    if _wants_json():
        return jsonify(error="csrf", message=error.description), 400
    return render_template("errors/csrf.html", kept=kept, action=request.path), 400


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    if _wants_json() or request.path == "/healthz":
        return jsonify(error=code, message=getattr(error, "message", None) or error.name), code
    template = f"errors/{code}.html" if code in (400, 401, 403, 404, 405, 413, 429, 503) else "errors/generic.html"
    return render_template(template, error=error, code=code), code


def handle_unexpected(error: Exception):
    db.session.rollback()
    from flask import current_app

    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    try:
        return render_template("errors/500.html", code=500), 500
    except Exception:  # the error page itself failed (e.g. database down): answer plainly
        return "Internal server error / Erreur interne / خطأ داخلي", 500


def handle_db_unavailable(error: Exception):
    from flask import current_app, g

    try:
        db.session.rollback()
    except Exception:  # noqa: S110 - the connection is gone: nothing to roll back  # nosec B110
        pass
    # Render the error page as for a visitor: loading the user would hit the database again.
    g._login_user = current_app.login_manager.anonymous_user()

    if _missing_table(error):
        current_app.logger.error("database not migrated (run `flask db upgrade`): %s", error)
    else:
        current_app.logger.error("database unavailable: %s", error)
    if _wants_json():
        return jsonify(error=503, message="database unavailable"), 503
    try:
        return render_template("errors/503.html", code=503), 503
    except Exception:
        return "Service unavailable / Service indisponible / الخدمة غير متاحة", 503


def _missing_table(error: Exception) -> bool:
    """A table the code reads does not exist: the database was never migrated (or is behind the code)."""
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) == "42P01" or "no such table" in str(orig or error)


def handle_programming_error(error: Exception):
    """PostgreSQL says "undefined table" as a ProgrammingError: the same 503 as SQLite's missing table."""
    if _missing_table(error):
        return handle_db_unavailable(error)
    raise error


def register_error_handlers(app):
    from sqlalchemy.exc import OperationalError, ProgrammingError

    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(OperationalError, handle_db_unavailable)
    app.register_error_handler(ProgrammingError, handle_programming_error)
    if not app.debug:
        app.register_error_handler(Exception, handle_unexpected)
