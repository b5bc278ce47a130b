"""Database engine set-up: SQLite pragmas and immediate write transactions (RELIABILITY.md §4.1)."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 10_000


def is_write_request() -> bool:
    """Whether the current unit of work may write: POSTs, CLI commands, and GETs declared as writing.

    Read-only requests begin DEFERRED so that readers never queue behind one another; a write
    transaction begins IMMEDIATE, because a deferred transaction that reads then writes fails at
    once with "database is locked" when another process writes in between.
    """
    if not has_request_context():
        return True
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "writes_on_get", False))


def writes_on_get(view):
    """Mark a GET view that writes (e.g. records that a module was viewed)."""
    view.writes_on_get = True
    return view


def configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control away from the driver so that we issue BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if is_write_request() else "BEGIN")
