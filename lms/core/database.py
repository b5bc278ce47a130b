"""Database engine set-up: SQLite pragmas and immediate write transactions (RELIABILITY.md §4.1)."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

from flask import current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's own busy handler alone
    fcntl = None

SQLITE_BUSY_TIMEOUT_MS = 10_000


def is_write_request() -> bool:
    """Whether the current unit of work may write: POSTs, CLI commands, and GETs declared as writing.

    Read-only requests begin DEFERRED so that readers never queue behind one another; a write
    transaction begins IMMEDIATE, because a deferred transaction that reads then writes fails at
    once with "database is locked" when another process writes in between.
    """
    if not has_request_context():
        return True
    if g.get("_tadrib_writing"):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "reads_first", False)


def reads_first(view):
    """Mark a POST view that reads in a deferred transaction and writes only inside ``write_transaction()``:
    the write lock (SQLite) or row locks (PostgreSQL) are held for the write alone, not for the whole request.
    The view must end its read transaction before writing and make its writes check what they depend on."""
    view.reads_first = True
    return view


@contextmanager
def write_transaction():
    """In a GET (or a ``reads_first`` POST) that has read and found something to write: the transactions begun
    inside are write transactions (IMMEDIATE on SQLite). End the read transaction first (``db.session.rollback()``), and
    read again inside what the write depends on: another request may have written in between.

    Most GETs write nothing; the rare one that must (a certificate that issues itself) pays for the write lock
    only when it writes, instead of on every view."""
    previous = g.get("_tadrib_writing", False)
    g._tadrib_writing = True
    try:
        yield
    finally:
        g._tadrib_writing = previous


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

    lock_path = None
    if fcntl is not None and engine.url.database not in (None, "", ":memory:"):
        lock_path = engine.url.database + ".writelock"

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Straight to the driver: the statement has no parameters and no result, and SQLAlchemy's execution
        # pipeline cost more than SQLite's BEGIN itself (a tenth of a one-query request).
        fairy = connection.connection
        if is_write_request():
            if lock_path is not None:
                _take_write_turn(fairy._connection_record, lock_path)
            fairy.dbapi_connection.execute("BEGIN IMMEDIATE")
        else:
            fairy.dbapi_connection.execute("BEGIN")

    if lock_path is not None:
        # Back in the pool means committed or rolled back: the next writer may go.
        event.listen(engine, "checkin", lambda _dbapi, record: _end_write_turn(record))
        event.listen(engine, "invalidate", lambda _dbapi, record, _error: _end_write_turn(record))


def _take_write_turn(record, lock_path: str) -> None:
    """Queue writers of every worker process on a file lock before BEGIN IMMEDIATE.

    SQLite makes a writer that finds the database locked sleep 1, 2, 5, 10, 15 ms and more between tries,
    so under contention workers sleep while the lock is free and the last comer often wins. Polling a
    file lock every half millisecond hands the turn over at once (bench/http_bench.py, 16 connections
    autosaving one attempt on 2 workers: 0.04 -> 0.08 of hello world's throughput, p99 35x -> 13x).
    The lock is a courtesy, never a requirement: after the busy timeout the transaction goes ahead and
    SQLite's own locking decides, so nothing can wait on it forever.
    """
    info = record.info
    if info.get("writelock_pid") != os.getpid():  # opened in this process (not inherited over a fork)
        info["writelock_fd"] = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        info["writelock_pid"] = os.getpid()
    fd = info["writelock_fd"]
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            info["writelock_held"] = True
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.0005)


def _end_write_turn(record) -> None:
    info = record.info
    if info.pop("writelock_held", False):
        fcntl.flock(info["writelock_fd"], fcntl.LOCK_UN)


# --- commands on a database that is not set up ----------------------------------------------------

NOT_INITIALISED = (
    "The database is not initialised (or not up to date). Run `make run` once, "
    "or `.venv/bin/flask db upgrade`, then run this command again."
)

#: PostgreSQL's SQLSTATEs for a missing table or column (a database never migrated, or behind the code)
_UNDEFINED_SQLSTATES = {"42P01", "42703"}


def is_missing_schema(error: BaseException | None) -> bool:
    """Whether ``error`` (or an exception it was raised from) says a table or column does not exist."""
    from sqlalchemy.exc import DBAPIError

    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DBAPIError):
            original = error.orig
            if getattr(original, "sqlstate", None) in _UNDEFINED_SQLSTATES:
                return True
            message = str(original)
            if message.startswith(("no such table", "no such column")):
                return True
        error = error.__cause__ or error.__context__
    return False


def guard_cli_command(command) -> None:
    """Make ``command`` (a click command or group, with all its subcommands) end with one line saying how to set
    the database up, exit status 1, instead of a SQLAlchemy traceback, when the database has no tables yet.

    Wrapped at the top-level command because ``flask`` invokes ``app.cli``'s commands itself, not ``app.cli``."""
    import click

    if getattr(command, "_tadrib_schema_guard", False):
        return
    invoke = command.invoke

    def guarded(ctx):
        try:
            return invoke(ctx)
        except (click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if is_missing_schema(error):
                raise click.ClickException(NOT_INITIALISED) from None
            raise

    command.invoke = guarded
    command._tadrib_schema_guard = True


def read_rows(statement, params: dict | None = None):
    """Run a SELECT of columns (no ORM entities) on the session's connection, in its transaction: the ORM's
    execution layer (compile state, ``do_orm_execute`` events) costs more than the statement itself on the pages
    read most (~35 µs of ~50 for a small one). What the session holds unwritten is flushed first, as
    ``session.execute`` would (autoflush), so that the read sees it."""
    from ..extensions import db

    session = db.session
    if session.new or session.deleted or session.dirty:
        session.flush()
    return session.connection().execute(statement, params or {})
