"""Core pages: home, health check, language switch."""

from __future__ import annotations

from flask import (
    current_app,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text

from ..extensions import csrf, db, limiter
from . import bp
from .access import public
from .forms import safe_next_url


@bp.get("/")
@public
def home():
    if current_user.is_authenticated:
        # Each role lands on its own work, the highest role first; "My training" stays in the menu.
        for endpoint in home_endpoints(current_user):
            if endpoint in current_app.view_functions:
                return redirect(url_for(endpoint))
    return render_template("core/home.html")


#: (role, its home page), highest role first: an admin lands on the programme, a trainer on today's sessions
#: and their cohorts, a learner on their training
ROLE_HOMES = (
    ("admin", "reports.programme"),
    ("trainer", "reports.trainer_home"),
    ("learner", "content.dashboard"),
)


def home_endpoints(user) -> list[str]:
    """The home pages of ``user``'s roles, highest first, then the learner's page (every signed-in user has one)."""
    endpoints = [endpoint for role, endpoint in ROLE_HOMES if user.has_role(role)]
    return endpoints + ["content.dashboard"]


@bp.get("/healthz")
@public
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not healthy"
        db.session.rollback()
        return jsonify(status="error", db="unreachable"), 503
    try:
        # A database that answers but was never migrated cannot serve a single page that reads it.
        db.session.execute(text("SELECT version_num FROM alembic_version"))
        db.session.rollback()
    except Exception:  # no such table: `flask db upgrade` was never run
        db.session.rollback()
        return jsonify(status="error", db="not migrated"), 503
    return jsonify(status="ok", db="ok", **_queue_health())


def _queue_health() -> dict:
    """The task queue, beside the web's own health: a queue that does not answer delays background work (mails
    wait in the database) but the site still serves, so /healthz stays 200 and says it. ``queue_waiting``
    growing from one look to the next means no consumer is running. Nothing with ``LMS_QUEUE_URL=immediate``
    (no queue: tasks run in the web process)."""
    from .queue import huey

    if huey.immediate:
        return {}
    try:  # the look of lms.core.queue.queue_health, keeping the count
        return {"queue": "ok", "queue_waiting": huey.storage.queue_size()}
    except Exception as error:  # noqa: BLE001 - any failure of the broker is reported, not raised
        return {"queue": "unreachable", "queue_error": type(error).__name__}


@bp.post("/language")
@public
def set_language():
    code = request.form.get("lang", "")
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated and current_user.locale != code:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next_url(request.form.get("next"), url_for("core.home")))


@bp.get("/privacy")
@public
def privacy():
    return render_template("core/privacy.html")


def get_locale() -> str:
    """``?locale=`` on a GET (that one response only), else the user's preference, else the session's choice,
    else Accept-Language, else French. The offline packs store each page once per language under
    ``<url>?locale=<lang>``: the parameter changes neither the session nor the profile."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background work: French unless force_locale says otherwise
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.method == "GET":
        asked = request.args.get("locale")
        if asked in languages:
            return asked
    try:
        user = current_user._get_current_object()  # once: each use of the proxy looks the user up again
        if user is not None and user.is_authenticated and user.locale in languages:
            return user.locale
    except Exception:  # noqa: S110 - user loading failed (database down): fall back to the session  # nosec B110
        pass
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


__all__ = ["bp", "csrf", "get_locale"]
