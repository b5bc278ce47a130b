"""The unit of work: committed then "saved", or rolled back and the error shown; never a false "saved"."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages, session
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from wtforms import Form, StringField

from lms.accounts.models import User
from lms.core.work import save_failed_message, unit_of_work


class DomainError(Exception):
    pass


def _user(email: str) -> User:
    return User(email=email, name_latin="Karim Idrissi")


def _emails(db) -> set[str]:
    db.session.rollback()  # read what is committed, not what the test's session holds
    return set(db.session.scalars(select(User.email)))


@pytest.fixture
def request_ctx(app, db):
    with app.test_request_context("/", method="POST"):
        yield


def test_commits_then_flashes(db, request_ctx):
    with unit_of_work(DomainError) as work:
        db.session.add(_user("one@example.org"))
        work.flash("Saved.")
        work.flash("Also this.", "info")
        assert "_flashes" not in session  # nothing said before the commit
    assert work.ok and work.error is None
    assert get_flashed_messages(with_categories=True) == [("success", "Saved."), ("info", "Also this.")]
    assert "one@example.org" in _emails(db)


def test_domain_error_rolls_back_and_is_flashed(db, request_ctx):
    with unit_of_work(DomainError) as work:
        db.session.add(_user("one@example.org"))
        db.session.flush()
        work.flash("Saved.")
        raise DomainError("Refused, with reason.")
    assert not work.ok and work.error == "Refused, with reason."
    assert get_flashed_messages(with_categories=True) == [("error", "Refused, with reason.")]
    assert "one@example.org" not in _emails(db)


def test_domain_error_goes_under_a_field_instead(db, request_ctx):
    class EmailForm(Form):
        email = StringField()

    form = EmailForm()
    form.validate()
    with unit_of_work(DomainError, field=form.email) as work:
        raise DomainError("Taken.")
    assert not work.ok and form.email.errors == ["Taken."]
    assert get_flashed_messages() == []


def test_on_error_commit_keeps_the_work_before_the_error(db, request_ctx):
    with unit_of_work(DomainError, on_error="commit", error_category="warning") as work:
        db.session.add(_user("kept@example.org"))
        work.flash("Saved.")
        raise DomainError("Finished for time.")
    assert not work.ok
    assert get_flashed_messages(with_categories=True) == [("warning", "Finished for time.")]
    assert "kept@example.org" in _emails(db)


def test_an_error_it_was_not_told_of_goes_on(db, request_ctx):
    with pytest.raises(RuntimeError), unit_of_work(DomainError) as work:
        work.flash("Saved.")
        raise RuntimeError("a bug")
    assert get_flashed_messages() == [] and not work.ok


def test_a_constraint_refused_at_commit_rolls_everything_back_and_says_so(app, db, make_user):
    make_user(email="taken@example.org")
    with app.test_request_context("/", method="POST"), force_locale("fr"):
        with unit_of_work(DomainError) as work:
            db.session.add(_user("new@example.org"))
            db.session.add(_user("taken@example.org"))  # unique e-mail: refused when committed
            work.flash("Saved.")
        flashed = get_flashed_messages(with_categories=True)
        assert not work.ok
        assert flashed == [("error", save_failed_message())]
        assert flashed[0][1].startswith("Rien n’a été enregistré")  # translated
    emails = _emails(db)
    assert "new@example.org" not in emails  # no half of the work written
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "taken@example.org")) == 1


def test_a_database_busy_at_commit_is_not_saved(db, request_ctx, monkeypatch):
    def busy():
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    with unit_of_work() as work:
        db.session.add(_user("one@example.org"))
        work.flash("Saved.")
        monkeypatch.setattr(db.session, "commit", busy)
    monkeypatch.undo()
    assert not work.ok and work.error == save_failed_message()
    assert get_flashed_messages(with_categories=True) == [("error", save_failed_message())]
    assert "one@example.org" not in _emails(db)


def test_a_database_refusal_after_a_domain_error_with_on_error_commit(db, request_ctx, monkeypatch):
    def busy():
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    with unit_of_work(DomainError, on_error="commit") as work:
        db.session.add(_user("one@example.org"))
        monkeypatch.setattr(db.session, "commit", busy)
        raise DomainError("Finished for time.")
    monkeypatch.undo()
    assert not work.ok
    assert get_flashed_messages(with_categories=True) == [("error", save_failed_message())]
    assert "one@example.org" not in _emails(db)


def test_a_route_whose_commit_is_refused_answers_with_the_error_not_a_500(client, db, make_user, monkeypatch):
    """The admin's "Roles saved." is never said when the roles were not saved (nor the audit event kept)."""
    from lms.accounts import service
    from lms.audit.models import AuditEvent
    from lms.extensions import db as session_db

    make_user(roles=("admin",), email="admin@example.org")
    target = make_user(email="learner@example.org")
    set_roles = service.set_roles

    def set_roles_then_collide(user, roles, actor):
        set_roles(user, roles, actor)
        session_db.session.add(_user("admin@example.org"))  # refused by the unique e-mail at the commit

    monkeypatch.setattr(service, "set_roles", set_roles_then_collide)
    client.login("admin@example.org")
    response = client.post_form(
        f"/account/users/{target.id}/roles", {"role_learner": "y", "role_trainer": "y"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was saved" in page and "Roles saved." not in page
    db.session.rollback()
    assert db.session.get(User, target.id).is_trainer is False
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.roles")) == 0
