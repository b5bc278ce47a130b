"""The "My certificates" page reads; it takes the write lock only when a certificate issues itself (SQLite)."""

from sqlalchemy import func, select

from lms.certificates.models import Certificate
from tests.factories import auto_issue, complete_everything


def test_my_certificates_writes_only_when_a_certificate_issues_itself(client, db, world, sqlite_begins):
    _trainer, learner, cohort = world
    auto_issue(db, cohort)
    client.login("judge@example.org")
    begins = sqlite_begins  # from here on (what set-up wrote before does not count)
    if begins is not None:
        begins.clear()
    assert "Not yet eligible" in client.get("/certificates").get_data(as_text=True)
    if begins is not None:
        assert begins and "BEGIN IMMEDIATE" not in begins, begins
    complete_everything(db, learner.id, cohort)
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
