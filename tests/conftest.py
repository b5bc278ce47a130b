"""Test fixtures: one isolated database per test (SQLite by default, PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import contextvars
import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, select, text

from lms import create_app
from lms.config import TestConfig
from lms.extensions import db as _db

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def worker_database_url(url: str | None, suffix: str = "") -> str | None:
    """``url`` with its database renamed for this pytest-xdist worker (``test`` -> ``test_gw0``; none without
    xdist) and ``suffix`` added (``_e2e``): parallel workers never share a PostgreSQL database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not (worker or suffix):
        return url
    target = make_url(url)
    name = target.database + (f"_{worker}" if worker else "") + suffix
    return target.set(database=name).render_as_string(hide_password=False)


def create_database(url: str):
    """(Re)create the PostgreSQL database of ``url``; return a function that drops it."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        admin.dispose()

    drop()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    return drop


TEST_DATABASE_URL = worker_database_url(os.environ.get("TEST_DATABASE_URL"))


def uses_test_database(item) -> bool:
    """Whether a test reaches the database that TEST_DATABASE_URL chooses: through ``app`` (and every fixture built
    on it) or the browser journeys' live server. Every other test builds its own SQLite app or none at all, and
    runs the same whatever TEST_DATABASE_URL says."""
    names = getattr(item, "fixturenames", ())
    return "migrated_template" in names or "live_server" in names or item.get_closest_marker("postgres") is not None


def pytest_collection_modifyitems(config, items):
    """With TEST_DATABASE_URL (the PostgreSQL run), only the tests that use the database run: the others are
    the same on either engine and the SQLite run has them."""
    if not TEST_DATABASE_URL:
        return
    same_anywhere = [item for item in items if not uses_test_database(item)]
    if same_anywhere:
        config.hook.pytest_deselected(items=same_anywhere)
        items[:] = [item for item in items if uses_test_database(item)]


def _upgrade(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """A database migrated once per session: a SQLite file to copy, or the PostgreSQL test database (under
    pytest-xdist, a database of each worker's own beside it, created here and dropped at the end)."""
    base = tmp_path_factory.mktemp("db-template")
    if TEST_DATABASE_URL:
        drop_database = create_database(TEST_DATABASE_URL) if os.environ.get("PYTEST_XDIST_WORKER") else None
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
        if drop_database:
            drop_database()
    else:
        path = base / "template.sqlite3"
        app = create_app(TestConfig(f"sqlite:///{path}", str(base / "instance")))
        _upgrade(app)
        with app.app_context():
            _db.engine.dispose()
        yield path


@pytest.fixture(scope="session")
def courses_template(migrated_template, tmp_path_factory):
    """The shipped courses synced once per session (about a second of CPU each time; 200+ tests use them):
    on SQLite a copy of the migrated file with the courses in it, on PostgreSQL the rows the sync wrote
    (restored into the emptied tables by ``app``). The ``courses`` fixture syncs again only when a test
    points COURSES_PATH elsewhere."""
    from lms.content.sync import sync_courses

    base = tmp_path_factory.mktemp("courses-template")
    if TEST_DATABASE_URL:
        app = create_app(TestConfig(TEST_DATABASE_URL, str(base / "instance")))
        with app.app_context():
            sync_courses(app.config["COURSES_PATH"])
            _db.session.commit()
            rows = {}
            with _db.engine.connect() as conn:
                for table in _db.metadata.sorted_tables:
                    found = [dict(row._mapping) for row in conn.execute(select(table))]
                    if found:
                        rows[table.name] = found
        _truncate_all(app)
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
        yield rows, app.config["COURSES_PATH"]
    else:
        path = base / "courses.sqlite3"
        shutil.copyfile(migrated_template, path)
        app = create_app(TestConfig(f"sqlite:///{path}", str(base / "instance")))
        with app.app_context():
            sync_courses(app.config["COURSES_PATH"])
            _db.session.commit()
            _db.session.remove()
            _db.engine.dispose()
        yield path, app.config["COURSES_PATH"]


def _restore_rows(app, rows: dict) -> None:
    """Insert the rows of ``courses_template`` into the emptied PostgreSQL tables and move each id sequence past
    them, as if the sync had just run."""
    with app.app_context(), _db.engine.begin() as conn:
        for table in _db.metadata.sorted_tables:
            if table.name not in rows:
                continue
            conn.execute(table.insert(), rows[table.name])
            column = table.autoincrement_column
            if column is not None:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), "
                        f'(SELECT max("{column.name}") FROM "{table.name}"))'
                    )
                )
    with app.app_context():
        _db.session.remove()


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
def app(migrated_template, tmp_path, request):
    instance = tmp_path / "instance"
    instance.mkdir()
    # a test that asks for the courses starts from a database that already holds them (see courses_template)
    synced = request.getfixturevalue("courses_template") if "courses" in request.fixturenames else None
    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(synced[0] if synced else migrated_template, path)
        url = f"sqlite:///{path}"
    app = create_app(TestConfig(url, str(instance)))
    # The process caches of course views and module texts are keyed by ids and versions of one database: each
    # test has its own (another test's "demo" course may have had the same id and version).
    from lms.certificates import service as certificates_service
    from lms.content import service as content_service

    content_service._COURSE_CACHE.clear()
    content_service._TEXT_CACHE.clear()
    certificates_service._QUIZ_SETTINGS.clear()
    if synced:
        if TEST_DATABASE_URL:
            _restore_rows(app, synced[0])
        app.extensions["tests.courses_synced_from"] = synced[1]
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


def pytest_unconfigure(config):
    """Never a silent skip: the run ends (after pytest's own counts) by saying how many browser journeys did not
    run and how to run them. Here, not in tests/e2e/conftest.py: under pytest-xdist the process that reports
    loads only this conftest."""
    terminalreporter = config.pluginmanager.get_plugin("terminalreporter")
    if terminalreporter is None:
        return
    from tests.e2e.conftest import ENABLE_COMMAND

    here = Path(__file__).parent / "e2e"
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if here in Path(str(report.fspath)).resolve().parents or Path(str(report.fspath)).resolve() == here
    ]
    if not skipped:
        return
    journeys = sum(1 for report in skipped if report.when != "collect")
    files = sum(1 for report in skipped if report.when == "collect")
    what = f"{journeys} browser journeys" if journeys else ""
    if files:
        what += (" and " if what else "") + f"{files} files of browser journeys"
    terminalreporter.write_sep("=", "browser journeys skipped", yellow=True, bold=True)
    terminalreporter.write_line(f"{what} did not run ({_reason(skipped)}).")
    terminalreporter.write_line(f"To run them: {ENABLE_COMMAND}")


def _reason(reports) -> str:
    from tests.e2e.conftest import SKIP_REASON

    longrepr = reports[0].longrepr
    return str(longrepr[2]).removeprefix("Skipped: ") if isinstance(longrepr, tuple) else SKIP_REASON


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


@pytest.fixture
def queued(app):
    """Tasks wait in a queue of this process instead of running where they are queued (the tests' default);
    ``queued.run()`` does them, as a consumer would."""
    from lms.core import queue

    app.config["QUEUE_URL"] = "memory"
    queue.init_app(app)

    class Queue:
        @staticmethod
        def size() -> int:
            return queue.huey.storage.queue_size()

        @staticmethod
        def run() -> int:
            from flask import has_app_context

            from lms.extensions import db as _db

            if has_app_context():
                _db.session.commit()  # the test's own transaction would hold SQLite's write lock
            with app.app_context():
                return queue.run_queued()

    yield Queue()
    app.config["QUEUE_URL"] = "immediate"
    queue.init_app(app)


def outbox(app) -> list[Path]:
    folder = Path(app.config["INSTANCE_PATH"]) / "outbox"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


@pytest.fixture
def courses(app, db):
    """The shipped courses, synced into the test database."""
    from lms.content.sync import sync_courses

    if app.extensions.get("tests.courses_synced_from") != app.config["COURSES_PATH"]:
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


# The trainer and the cohort (Rabat, taught in Arabic) of the cohorts and attendance tests; a module that needs
# others defines its own fixtures of these names.
@pytest.fixture
def trainer(make_user):
    return make_user(roles=("trainer",), email="trainer@example.org", name_latin="Youssef Trainer")


@pytest.fixture
def cohort(make_cohort, trainer):
    return make_cohort(
        trainer, jurisdiction="rabat", city="Rabat", venue="Institut supérieur de la magistrature", language="ar"
    )
