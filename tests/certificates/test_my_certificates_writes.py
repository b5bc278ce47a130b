"""The "My certificates" page reads; it takes the write lock only when a certificate issues itself (SQLite)."""

from sqlalchemy import event, func, select

from lms.certificates.models import Certificate

from .test_service import _auto_issue, _complete_everything, world  # noqa: F401 (the fixture)


def _begins(db, request):
    """The BEGIN statements SQLite receives from now on (they go straight to the driver, not through SQLAlchemy)."""
    seen: list[str] = []
    if db.engine.dialect.name != "sqlite":
        return None

    def trace(dbapi_connection, _record, _proxy):
        dbapi_connection.set_trace_callback(lambda sql: seen.append(sql) if sql.startswith("BEGIN") else None)

    event.listen(db.engine, "checkout", trace)
    request.addfinalizer(lambda: event.remove(db.engine, "checkout", trace))
    return seen


def test_my_certificates_writes_only_when_a_certificate_issues_itself(client, db, world, request):  # noqa: F811
    _trainer, learner, cohort = world
    _auto_issue(db, cohort)
    client.login("judge@example.org")
    begins = _begins(db, request)
    assert "Not yet eligible" in client.get("/certificates").get_data(as_text=True)
    if begins is not None:
        assert begins and "BEGIN IMMEDIATE" not in begins, begins
    _complete_everything(db, learner.id, cohort)
    if begins is not None:
        begins.clear()
    assert "Your certificate is ready" in client.get("/certificates").get_data(as_text=True)
    if begins is not None:
        assert begins.count("BEGIN IMMEDIATE") == 1, begins
        begins.clear()
    assert "Your certificate is ready" not in client.get("/certificates").get_data(as_text=True)
    if begins is not None:
        assert "BEGIN IMMEDIATE" not in begins, begins
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
