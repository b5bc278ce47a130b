"""A database that answers but was never migrated: health check and pages say so (503), never a 500."""

from types import SimpleNamespace

from sqlalchemy.exc import ProgrammingError

from lms import create_app
from lms.config import TestConfig
from lms.core.errors import _missing_table


def _unmigrated(tmp_path):
    app = create_app(TestConfig(f"sqlite:///{tmp_path}/empty.sqlite3", str(tmp_path / "inst")))
    app.config["WTF_CSRF_ENABLED"] = False
    return app.test_client()


def test_healthz_says_not_migrated(tmp_path):
    response = _unmigrated(tmp_path).get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "db": "not migrated"}


def test_a_page_that_reads_the_database_answers_503_not_500(tmp_path):
    client = _unmigrated(tmp_path)
    response = client.post("/account/login", data={"email": "someone@example.ma", "password": "wrong password"})
    assert response.status_code == 503
    assert "Service indisponible" in response.get_data(as_text=True)


def test_postgresql_undefined_table_is_recognised():
    undefined = ProgrammingError("SELECT 1 FROM users", {}, SimpleNamespace(sqlstate="42P01"))
    other = ProgrammingError("SELECT nonsense", {}, SimpleNamespace(sqlstate="42601"))
    assert _missing_table(undefined)
    assert not _missing_table(other)
