"""Tadrib: a learning-management platform for judicial training on trafficking in human beings."""

from __future__ import annotations

import importlib
import logging
import os
import secrets
from pathlib import Path

from flask import Flask, g, request

from .config import PROJECT_ROOT, Config
from .extensions import babel, csrf, db, limiter, login_manager, migrate

#: the modules that declare background tasks (``@task``, ``@periodic_task``)
TASK_MODULES = (
    "lms.core.mail",
    "lms.core.jobs",
    "lms.accounts.tasks",
    "lms.notifications.tasks",
    "lms.quizzes.tasks",
    "lms.cohorts.tasks",
    "lms.attendance.tasks",
    "lms.certificates.tasks",
    "lms.evaluation.tasks",
    "lms.reports.tasks",
)


def create_app(config: Config | None = None) -> Flask:
    config = config or Config()
    if str(config.SQLALCHEMY_DATABASE_URI).startswith("sqlite"):
        # A local file has no connection to go stale: pinging it would cost a query per request.
        config.SQLALCHEMY_ENGINE_OPTIONS = {**config.SQLALCHEMY_ENGINE_OPTIONS, "pool_pre_ping": False}
    app = TadribFlask(
        __name__,
        instance_path=config.INSTANCE_PATH,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_object(config)
    _check_base_url(app)
    from .core.numbers import BoundedIntConverter

    # Every <int:...> in a route: a number beyond the database's integers is no page (404), not a 500.
    app.url_map.converters["int"] = BoundedIntConverter
    # Templates keep their indentation for people; pages lose it for the wire (smaller on slow links).
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.add_extension("lms.core.templating.DedentExtension")
    from .core.templating import memoised_url_for

    app.jinja_env.globals["url_for"] = memoised_url_for(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _check_instance_writable(app)

    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)

    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    _configure_logging(app)
    return app


class TadribFlask(Flask):
    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Versioned asset URLs (``asset_url``, ``?v=<content hash>``) never change content: cache them a year."""
        if request and request.args.get("v"):
            return 365 * 24 * 3600
        return super().get_send_file_max_age(filename)


def _check_base_url(app: Flask) -> None:
    """Certificates print the verification address: in production it must be the public one, never a guess."""
    from flask.helpers import get_debug_flag

    if app.config.get("BASE_URL") or app.testing or app.debug or get_debug_flag() or app.config.get("DEMO"):
        return
    raise RuntimeError(
        "LMS_BASE_URL is not set. Set it to the public address of this site (e.g. https://tadrib.example.ma): "
        "certificates print it in their verification link and QR code. (`make run` sets it for the demo.)"
    )


def _check_instance_writable(app: Flask) -> None:
    # A name of its own per process: gunicorn boots its workers at once, and with one shared name a worker
    # removed the file another had just written, which then failed to boot (found by CI's scan).
    probe = Path(app.instance_path) / f".write-test-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        probe.write_text("ok", encoding="utf-8")
        probe.unlink(missing_ok=True)
    except OSError as error:
        raise RuntimeError(
            f"The instance folder {app.instance_path} is not writable ({error.strerror}). "
            "Set LMS_INSTANCE_PATH to a writable folder."
        ) from error


def _init_extensions(app: Flask) -> None:
    from .core.database import configure_sqlite
    from .core.routes import get_locale

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    from .core.timeutil import display_zone

    babel.init_app(
        app, locale_selector=get_locale, timezone_selector=display_zone, default_translation_directories="translations"
    )
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    limiter.init_app(app)
    from .core import queue

    queue.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from . import (
        accounts,
        attendance,
        audit,
        certificates,
        cohorts,
        content,
        core,
        demo,
        evaluation,
        library,
        notifications,
        offline,
        quizzes,
        reports,
        search,
    )
    from .accounts import cli as accounts_cli
    from .cohorts import cli as cohorts_cli
    from .content import cli as content_cli

    app.register_blueprint(core.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(content.bp)
    app.register_blueprint(quizzes.bp)
    app.register_blueprint(cohorts.bp)
    app.register_blueprint(attendance.bp)
    app.register_blueprint(certificates.bp)
    app.register_blueprint(evaluation.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(library.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(offline.bp)
    from .core.legacy_urls import register_legacy_urls

    register_legacy_urls(app)  # the addresses of before each URL named its package: 308 to the new ones
    app.cli.add_command(accounts_cli.cli)
    app.cli.add_command(cohorts_cli.cli)
    app.cli.add_command(content_cli.cli)
    app.cli.add_command(certificates.cli.cli)
    app.cli.add_command(reports.cli.cli)
    app.cli.add_command(search.cli.cli)
    from .core.backup import backup_command
    from .quizzes import cli as quizzes_cli

    app.cli.add_command(backup_command)

    app.cli.add_command(quizzes_cli.cli)
    app.cli.add_command(demo.cli)
    from .core import mail

    app.cli.add_command(mail.cli)
    from .core import queue

    app.cli.add_command(queue.cli)
    # Every domain's tasks, so that a consumer started from this app knows them all.
    for module in TASK_MODULES:
        importlib.import_module(module)
    from .core.database import guard_cli_command

    for name, command in app.cli.commands.items():
        if name != "db":  # Flask-Migrate's: ``db upgrade`` is what sets the database up
            guard_cli_command(command)
    # Import models so that migrations and create_all see every table.
    from .attendance import models as _attendance_models  # noqa: F401
    from .audit import models as _audit_models  # noqa: F401
    from .certificates import models as _certificate_models  # noqa: F401
    from .cohorts import models as _cohort_models  # noqa: F401
    from .content import models as _content_models  # noqa: F401
    from .evaluation import models as _evaluation_models  # noqa: F401
    from .notifications import models as _notification_models  # noqa: F401
    from .quizzes import display as quiz_display
    from .quizzes import models as _quiz_models  # noqa: F401
    from .reports import models as _report_models  # noqa: F401
    from .search import models as _search_models  # noqa: F401

    quiz_display.register(app)
    from .accounts import names

    names.register(app)
    notifications.register(app)


def _register_hooks(app: Flask) -> None:
    from flask_babel import get_locale as babel_locale

    from .accounts.service import jurisdiction_name, profession_labels, role_labels
    from .audit.labels import audit_label
    from .core.access import enforce_access
    from .core.errors import register_error_handlers
    from .core.fragments import chrome_fragment, slot
    from .core.menu import asset_url, main_menu
    from .core.security import refuse_nul_bytes, set_security_headers
    from .i18n import LANGUAGE_NAMES, RTL_LOCALES, register_formatting

    app.jinja_env.globals.update(
        main_menu=main_menu,
        chrome_fragment=chrome_fragment,
        slot=slot,
        asset_url=asset_url,
        role_labels=role_labels,
        profession_labels=profession_labels,
        jurisdiction_name=lambda code: jurisdiction_name(code, str(babel_locale() or "fr")),
        audit_label=audit_label,
        has_endpoint=lambda endpoint: endpoint in app.view_functions,
    )
    register_formatting(app)
    from .core.forms import strip_bidi

    app.jinja_env.filters["nobidi"] = strip_bidi  # user text in printed documents (sign-in sheets)
    from markupsafe import Markup

    # a person's or a cohort's name inside a translated sentence (mails): its own direction, whatever the language
    app.jinja_env.filters["bdi"] = lambda value: Markup("<bdi>{}</bdi>").format(value)

    from .accounts.routes import require_two_factor

    app.before_request(refuse_nul_bytes)
    app.before_request(enforce_access)
    app.before_request(require_two_factor)

    @app.before_request
    def _resolve_locale():
        # Resolved while the signed-in user is fresh: resolved after a commit, it would reload the user in a
        # second transaction (on SQLite a second write lock per autosave).
        user = g.get("_login_user")
        if user is not None and user.is_authenticated:
            babel_locale()

    app.after_request(set_security_headers)
    register_error_handlers(app)

    from flask_babel import get_translations
    from flask_login import current_user
    from flask_wtf.csrf import generate_csrf
    from jinja2.ext import _make_new_ngettext

    from .core.templating import constant_gettext

    def csrf_token() -> str:
        """One CSRF token per request, however many forms a page has (the language switch, sign-out, the
        page's own): Flask-WTF's ``generate_csrf`` reads the config, the session and ``g`` again on each call."""
        token = g.get("_tadrib_csrf_token")
        if token is None:
            token = g._tadrib_csrf_token = generate_csrf()
        return token

    app.jinja_env.globals["csrf_token"] = csrf_token
    # ``layout_context`` below gives templates the user as a plain object and this ``csrf_token``: the context
    # processors of Flask-Login (the ``current_user`` proxy, resolved again on every use) and Flask-WTF (its own
    # ``csrf_token``) would only be overridden, one more call each per page.
    app.template_context_processors[None] = [
        processor
        for processor in app.template_context_processors[None]
        if getattr(processor, "__module__", "") not in ("flask_login.utils", "flask_wtf.csrf")
    ]

    @app.context_processor
    def layout_context():
        locale = str(babel_locale() or "fr")
        translations = get_translations()
        return {
            "current_locale": locale,
            "text_direction": "rtl" if locale in RTL_LOCALES else "ltr",
            "language_names": LANGUAGE_NAMES,
            "nav_next": request.full_path.rstrip("?") if request else "/",
            # Resolved once per page instead of once per use: the proxy and Flask-Babel's per-call lookups
            # were a fifth of a page's time (bench/http_bench.py).
            "current_user": current_user._get_current_object(),
            "gettext": constant_gettext(translations),
            "ngettext": _make_new_ngettext(translations.ngettext),
            "csrf_token": csrf_token,
        }


def _configure_logging(app: Flask) -> None:
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if app.config.get("REQUEST_LOG"):
        _request_log(app)


def _request_log(app: Flask) -> None:
    """One JSON line per request: time, method, path, status, duration, user id. No query strings, no
    form data, no names: nothing personal beyond the numeric user id."""
    import json
    import time

    from flask import g
    from sqlalchemy import inspect as sa_inspect

    logger = logging.getLogger("tadrib.requests")

    @app.before_request
    def _start_timer():
        g._started = time.perf_counter()

    @app.after_request
    def _log(response):
        started = getattr(g, "_started", None)
        # The user as already loaded by the request, if it was: logging never costs a query.
        state = sa_inspect(g.get("_login_user"), raiseerr=False)
        user_id = state.identity[0] if state is not None and state.identity else None
        logger.info(
            json.dumps(
                {
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                    "user": user_id,
                    "endpoint": request.endpoint,
                }
            )
        )
        return response
