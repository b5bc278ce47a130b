"""Every table comes from a migration; the models and the migrations agree."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from lms import create_app
from lms.config import TestConfig
from lms.extensions import db


def test_upgrade_on_empty_database_then_no_autogenerate_diff(tmp_path):
    app = create_app(TestConfig(f"sqlite:///{tmp_path}/fresh.sqlite3", str(tmp_path / "instance")))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
            tables = set(inspect(connection).get_table_names())
        db.engine.dispose()
    assert diff == [], diff
    assert set(db.metadata.tables) <= tables


def test_migrated_database_matches_models(app, db):
    """The same check on the test database (PostgreSQL when TEST_DATABASE_URL is set)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], diff


def test_sqlite_pragmas(app, db):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
