"""Test fixtures: one isolated database per test (SQLite by default, PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import contextvars
import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from lms import create_app
from lms.config import TestConfig
from lms.extensions import db as _db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _upgrade(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """A database migrated once per session: a SQLite file to copy, or the PostgreSQL test database."""
    base = tmp_path_factory.mktemp("db-template")
    if TEST_DATABASE_URL:
        engine = create_engine(TEST_DATABASE_URL)
        _drop_everything(engine)
        app = create_app(TestConfig(TEST_DATABASE_URL, str(base / "instance")))
        _upgrade(app)
        yield TEST_DATABASE_URL
        # A test run leaves no tables behind in that database.
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
        _drop_everything(engine)
        engine.dispose()
    else:
        path = base / "template.sqlite3"
        app = create_app(TestConfig(f"sqlite:///{path}", str(base / "instance")))
        _upgrade(app)
        with app.app_context():
            _db.engine.dispose()
        yield path


def _drop_everything(engine) -> None:
    with engine.begin() as conn:
        for table in inspect(conn).get_table_names():
            conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
        conn.execute(text("DROP FUNCTION IF EXISTS audit_event_append_only() CASCADE"))


def _truncate_all(app) -> None:
    with app.app_context():
        _db.session.remove()
        names = [t.name for t in _db.metadata.sorted_tables]
        with _db.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(migrated_template, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(migrated_template, path)
        url = f"sqlite:///{path}"
    app = create_app(TestConfig(url, str(instance)))
    from lms.extensions import limiter

    limiter.reset()
    yield app
    if TEST_DATABASE_URL:
        _truncate_all(app)
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db


class _IsolatedClient:
    """Runs each request outside the test's app context, as a real server would.

    Flask reuses an app context a test has pushed, and with it ``g`` (where Flask-Login and Flask-WTF
    cache the user and the CSRF token) and the database session: requests from two "browsers" would
    share them. Each request here runs in an empty ``contextvars`` context instead; the test's own
    session is committed first, so the app sees the test's data and SQLite holds no lock for it.
    """

    def __init__(self, flask_client):
        self._client = flask_client

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if name not in ("get", "post", "put", "delete", "patch", "head", "open"):
            return attr

        def call(*args, **kwargs):
            from flask import has_app_context

            if has_app_context():
                _db.session.commit()
            return contextvars.Context().run(attr, *args, **kwargs)

        return call


class Client:
    """A test client that knows how to fetch a CSRF token like a browser would."""

    def __init__(self, flask_client):
        self.raw = _IsolatedClient(flask_client)

    def __getattr__(self, name):
        return getattr(self.raw, name)

    def csrf(self) -> str:
        page = self.raw.get("/privacy").get_data(as_text=True)
        match = CSRF_RE.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post_form(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf())
        return self.raw.post(url, data=data, **kwargs)

    def login(self, email, password="correct horse battery", remember=False):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return self.post_form("/account/login", data)

    def logout(self):
        return self.post_form("/account/logout")


@pytest.fixture
def client(app):
    flask_client = app.test_client()
    # Assertions read English messages (the source language); French and Arabic have their own tests.
    flask_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return Client(flask_client)


@pytest.fixture
def refuse_commit(db, monkeypatch):
    """Call it to make the database refuse the commit of every request from then on, as a constraint would: the
    request's rows are written (flushed), then refused (``IntegrityError``). The test's own commits go through."""
    from flask import has_request_context
    from sqlalchemy.exc import IntegrityError

    commit = _db.session.commit

    def refused():
        if not has_request_context():
            return commit()
        _db.session.flush()
        raise IntegrityError("COMMIT", {}, Exception("UNIQUE constraint failed"))

    return lambda: monkeypatch.setattr(_db.session, "commit", refused)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(app):
    """Factory: ``make_user(roles=("trainer",), email=...)`` -> committed User with password PASSWORD."""
    from lms.accounts import service

    counter = {"n": 0}

    def factory(roles=("learner",), email=None, password=PASSWORD, **fields):
        counter["n"] += 1
        fields.setdefault("locale", "en")
        from contextlib import nullcontext

        from flask import has_app_context

        # Share the test's app context (and so its database session) when it has one pushed.
        with nullcontext() if has_app_context() else app.app_context():
            user = service.create_user(
                email or f"user{counter['n']}@example.org",
                fields.pop("name_latin", f"User {counter['n']}"),
                password=password,
                roles=tuple(roles),
                **fields,
            )
            _db.session.commit()
            _db.session.refresh(user)
            _db.session.expunge(user)
            return user

    return factory


def outbox(app) -> list[Path]:
    folder = Path(app.config["INSTANCE_PATH"]) / "outbox"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


@pytest.fixture
def courses(app, db):
    """The shipped courses, synced into the test database."""
    from lms.content.sync import sync_courses

    sync_courses(app.config["COURSES_PATH"])
    _db.session.commit()
    return app.config["COURSES_PATH"]


class QueryCounter:
    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            self.statements.append(statement)

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def sqlite_begins(db, request):
    """The BEGIN statements SQLite receives (``BEGIN`` or ``BEGIN IMMEDIATE``: they go straight to
    the driver, not through SQLAlchemy's events); None on PostgreSQL. Clear it where the test starts counting."""
    if _db.engine.dialect.name != "sqlite":
        return None
    seen: list[str] = []

    def trace(dbapi_connection, _record, _proxy):
        dbapi_connection.set_trace_callback(lambda sql: seen.append(sql) if sql.startswith("BEGIN") else None)

    from sqlalchemy import event

    event.listen(_db.engine, "checkout", trace)
    request.addfinalizer(lambda: event.remove(_db.engine, "checkout", trace))
    return seen


@pytest.fixture
def count_queries(db):
    return lambda: QueryCounter(_db.engine)


@pytest.fixture
def make_cohort(app, db, courses):
    """Factory: ``make_cohort(trainer, course="palermo-magistrates", **fields)`` -> a committed cohort whose
    trainer is ``trainer`` (a User or its detached copy from ``make_user``)."""
    from datetime import date

    from sqlalchemy import select

    from lms.accounts.models import User
    from lms.cohorts import service as cohorts
    from lms.content.models import Course

    def factory(trainer, course="palermo-magistrates", **fields):
        owner = _db.session.get(User, trainer.id)
        values = {
            "title": "Rabat 2027",
            "start_date": date(2027, 1, 10),
            "end_date": date(2027, 3, 1),
            "mode": "in_person",
            "language": "fr",
            **fields,
        }
        cohort = cohorts.save_cohort(
            None,
            owner,
            course=_db.session.scalar(select(Course).where(Course.slug == course)),
            trainers=[owner],
            **values,
        )
        _db.session.commit()
        return cohort

    return factory


@pytest.fixture
def weasyprint_log(caplog, monkeypatch):
    """A function returning WeasyPrint's log messages (WARNING and above) of this test. The migrations'
    ``fileConfig`` disables every logger that exists when it runs, WeasyPrint's included: it is enabled again
    here, or a refused stylesheet (logged, and the page printed unstyled) would go unseen."""
    import logging

    monkeypatch.setattr(logging.getLogger("weasyprint"), "disabled", False)
    caplog.set_level(logging.WARNING, logger="weasyprint")
    return lambda: [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
