"""Every table comes from a migration; the models and the migrations agree."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from lms import create_app
from lms.config import TestConfig
from lms.extensions import db, include_name


def test_upgrade_on_empty_database_then_no_autogenerate_diff(tmp_path):
    app = create_app(TestConfig(f"sqlite:///{tmp_path}/fresh.sqlite3", str(tmp_path / "instance")))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True, "include_name": include_name}
            )
            diff = compare_metadata(context, db.metadata)
            tables = set(inspect(connection).get_table_names())
        db.engine.dispose()
    assert diff == [], diff
    assert set(db.metadata.tables) <= tables


def test_migrated_database_matches_models(app, db):
    """The same check on the test database (PostgreSQL when TEST_DATABASE_URL is set)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], diff


def test_sqlite_pragmas(app, db):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def _insert(connection, table: str, **values) -> None:
    """A row with ``values``; every other NOT NULL column without a default gets a placeholder of its type."""
    from sqlalchemy import text

    for _cid, name, kind, notnull, default, _pk in connection.exec_driver_sql(f"PRAGMA table_info({table})"):
        if notnull and default is None and name not in values and name != "id":
            kind = kind.upper()
            values[name] = (
                0
                if ("INT" in kind or "BOOL" in kind or "FLOAT" in kind)
                else ("2027-01-01" if ("DATE" in kind) else ("{}" if "JSON" in kind else "x"))
            )
    columns = ", ".join(values)
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + k for k in values)})"), values)


def test_0009_gives_existing_attempts_the_cohort_they_were_made_in(tmp_path):
    """Attempts made before attempts recorded their cohort get the cohort whose dates contain their start."""
    from flask_migrate import upgrade as upgrade_to
    from sqlalchemy import text

    app = create_app(TestConfig(f"sqlite:///{tmp_path}/old.sqlite3", str(tmp_path / "instance")))
    with app.app_context():
        upgrade_to(revision="0008")
        with db.engine.begin() as c:
            _insert(c, "user_account", id=1, email="a@example.org")
            _insert(c, "course", id=1, slug="c")
            _insert(c, "module", id=1, course_id=1, slug="m")
            _insert(c, "quiz_version", id=1, module_id=1)
            for cohort_id, start, end in ((1, "2027-01-01", "2027-02-01"), (2, "2027-03-01", "2027-04-01")):
                _insert(c, "cohort", id=cohort_id, course_id=1, start_date=start, end_date=end)
                _insert(c, "enrolment", cohort_id=cohort_id, user_id=1, enrolled_at=start + " 00:00:00")
            for attempt_id, started in ((1, "2027-01-15 10:00:00"), (2, "2027-03-10 10:00:00")):
                _insert(
                    c,
                    "quiz_attempt",
                    id=attempt_id,
                    user_id=1,
                    module_id=1,
                    quiz_version_id=1,
                    number=attempt_id,
                    question_ids="[]",
                    started_at=started,
                )
        upgrade_to()
        with db.engine.connect() as c:
            rows = dict(c.execute(text("SELECT id, cohort_id FROM quiz_attempt")).all())
        db.engine.dispose()
    assert rows == {1: 1, 2: 2}


def test_0016_keeps_the_cohorts_enrolments_and_attempts(tmp_path):
    """The reminder switches are added to the cohort table in place: copying it (SQLite's batch mode) would drop
    the old table, deleting its enrolments and emptying its attempts' cohort."""
    from flask_migrate import upgrade as upgrade_to
    from sqlalchemy import text

    app = create_app(TestConfig(f"sqlite:///{tmp_path}/old.sqlite3", str(tmp_path / "instance")))
    with app.app_context():
        upgrade_to(revision="0015")
        with db.engine.begin() as c:
            _insert(c, "user_account", id=1, email="a@example.org")
            _insert(c, "course", id=1, slug="c")
            _insert(c, "module", id=1, course_id=1, slug="m")
            _insert(c, "quiz_version", id=1, module_id=1)
            _insert(c, "cohort", id=1, course_id=1, start_date="2027-01-01", end_date="2027-02-01")
            _insert(c, "enrolment", cohort_id=1, user_id=1, enrolled_at="2027-01-01 00:00:00")
            _insert(
                c,
                "quiz_attempt",
                id=1,
                user_id=1,
                module_id=1,
                quiz_version_id=1,
                cohort_id=1,
                number=1,
                question_ids="[]",
                started_at="2027-01-15 10:00:00",
            )
        upgrade_to()
        with db.engine.connect() as c:
            enrolments = c.execute(text("SELECT count(*) FROM enrolment")).scalar()
            attempt_cohort = c.execute(text("SELECT cohort_id FROM quiz_attempt")).scalar()
            switches = c.execute(
                text("SELECT remind_workshops, remind_quizzes, warn_low_attendance_weekly FROM cohort")
            ).one()
        db.engine.dispose()
    assert (enrolments, attempt_cohort, tuple(switches)) == (1, 1, (1, 1, 0))
