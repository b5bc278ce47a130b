"""Commands on a database that was never migrated say how to set it up, exit 1, and print no traceback."""

import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

from lms import create_app
from lms.config import TestConfig

COMMANDS = [
    ["reports", "programme", "--from", "2027-01-01", "--to", "2027-12-31"],
    ["users", "export-data", "judge@example.org"],
    ["users", "erase", "judge@example.org", "--yes"],
    ["users", "create-admin", "--email", "a@example.org", "--name", "A", "--password", "a long passphrase"],
    ["certificates", "issue", "--cohort", "1"],
    # demo load needs the tables as well: it says so instead of "demo data not loaded: (sqlite3...)".
    ["demo", "load"],
    ["demo", "load", "--if-empty"],
    ["courses", "sync"],
    ["mail", "send"],
]


@pytest.fixture
def empty_app(tmp_path):
    """An app on an empty SQLite file: a fresh checkout before ``make run``."""
    return create_app(TestConfig(f"sqlite:///{tmp_path}/empty.sqlite3", str(tmp_path / "instance")))


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args[:3]))
def test_command_on_empty_database_says_how_to_set_it_up(empty_app, args):
    result = empty_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "database is not initialised" in result.output
    assert "flask db upgrade" in result.output and "make run" in result.output
    assert "Traceback" not in result.output and "sqlite3" not in result.output and "SELECT" not in result.output


@pytest.mark.parametrize(
    "args",
    [["courses", "check"], ["quizzes", "export-gift", "--course", "palermo-magistrates", "--module", "definition"]],
    ids=lambda args: " ".join(args[:2]),
)
def test_commands_that_need_no_database_still_work(empty_app, args):
    """The guard reacts to a missing table, it does not check the database first: file-only commands run."""
    assert empty_app.test_cli_runner().invoke(args=args).exit_code == 0


def test_command_works_once_migrated(empty_app):
    from flask_migrate import upgrade

    with empty_app.app_context():
        upgrade()
    result = empty_app.test_cli_runner().invoke(args=["users", "export-data", "judge@example.org"])
    assert result.exit_code == 1 and "no account for judge@example.org" in result.output


def test_other_database_errors_are_not_disguised(empty_app):
    """Only a missing table or column is reported as "not initialised"; anything else keeps its error."""
    from lms.core.database import is_missing_schema

    class Undefined(Exception):
        sqlstate = "42P01"  # PostgreSQL: relation "user_account" does not exist

    class Deadlock(Exception):
        sqlstate = "40P01"

    assert is_missing_schema(ProgrammingError("SELECT 1", {}, Undefined('relation "user_account" does not exist')))
    assert is_missing_schema(OperationalError("SELECT 1", {}, Exception("no such column: cohort.quiz_settings")))
    assert not is_missing_schema(OperationalError("SELECT 1", {}, Deadlock("deadlock detected")))
    assert not is_missing_schema(OperationalError("SELECT 1", {}, Exception("database is locked")))
    assert not is_missing_schema(ValueError("no such table"))
