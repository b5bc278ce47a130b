"""The end of a view that changes something: the unit of work.

A view that writes does the same four things every time: call the service; on a domain error (the service refusing:
``AccountError``, ``CertificateError``...) roll back and show the error; else commit, say it is saved, redirect.
``unit_of_work`` does the first three, in that order, so that "saved" is said only once the commit has succeeded::

    with unit_of_work(CertificateError) as work:
        certificate, created = service.issue(cohort, user, current_user)
        work.flash(_("Certificate %(serial)s issued.", serial=certificate.serial))
    return redirect(url_for("certificates.cohort_certificates", cohort_id=cohort.id))

A form re-rendered with the error under a field (instead of flashed), and a redirect only once saved::

    with unit_of_work(AccountError, field=form.email) as work:
        user = service.create_user(...)
        work.flash(_("Invitation sent to %(email)s.", email=user.email))
    if work.ok:
        return redirect(url_for("accounts.invite_learner"))
    return render_template("accounts/invite.html", form=form)

When the block ends:

- normally: the session is committed, then the messages given to ``work.flash`` are flashed and ``work.ok`` is true;
- by one of ``errors``: the session is rolled back (or committed, with ``on_error="commit"``: the work done before the
  error is kept, e.g. an attempt finished for time), the error's text is flashed (or added to ``field``'s errors),
  ``work.error`` holds it; the exception goes no further;
- by the database refusing the write (``IntegrityError``: a constraint, often a double submission or two people
  saving the same thing; ``OperationalError``: the database locked, busy or gone), in the block or at the commit:
  the session is rolled back, ``save_failed_message()`` is flashed (even with ``field``: never a false "saved",
  never half of the work written);
- by any other exception: it goes on, as without the helper (the error handlers roll back).

Messages flashed with ``work.flash`` are kept until the commit. A view that clears the Flask session after the commit
(signing in or out) flashes after clearing it instead, under ``if work.ok:``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Literal

from flask import current_app, flash
from sqlalchemy.exc import IntegrityError, OperationalError

from ..extensions import db
from ..i18n import _

#: What the database may answer to a write that a person should see as "not saved, try again" (not as a 500).
DATABASE_REFUSALS: tuple[type[Exception], ...] = (IntegrityError, OperationalError)


def save_failed_message() -> str:
    """What a person reads when the database refused the change: nothing of it was saved."""
    return _("Nothing was saved: the change collided with another one, or the database was busy. Try again.")


class UnitOfWork:
    """The state of one ``unit_of_work`` block: ``ok`` (committed, no error), ``error`` (the message shown, if any)."""

    def __init__(
        self,
        errors: tuple[type[Exception], ...],
        *,
        field=None,
        on_error: Literal["rollback", "commit"] = "rollback",
        error_category: str = "error",
    ) -> None:
        self.errors = errors
        self.field = field
        self.on_error = on_error
        self.error_category = error_category
        self.ok = False
        self.error: str | None = None
        self._messages: list[tuple[str, str]] = []

    def flash(self, message: str, category: str = "success") -> None:
        """Flash ``message`` once the work is committed (never if it is not)."""
        self._messages.append((message, category))

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> bool:
        if exc is None:
            if self._commit():
                self.ok = True
                for message, category in self._messages:
                    flash(message, category)
            return False
        if self.errors and isinstance(exc, self.errors):
            if self.on_error == "commit":
                if not self._commit():
                    return True
            else:
                db.session.rollback()
            self._refuse(str(exc))
            return True
        if isinstance(exc, DATABASE_REFUSALS):
            self._database_refused(exc)
            return True
        return False

    def _commit(self) -> bool:
        try:
            db.session.commit()
        except DATABASE_REFUSALS as error:
            self._database_refused(error)
            return False
        return True

    def _database_refused(self, error: Exception) -> None:
        db.session.rollback()
        current_app.logger.warning("write refused by the database, rolled back: %s", error)
        self.error = save_failed_message()
        flash(self.error, "error")

    def _refuse(self, message: str) -> None:
        self.error = message
        if self.field is not None:
            self.field.errors = [*self.field.errors, message]
        else:
            flash(message, self.error_category)


def unit_of_work(
    *errors: type[Exception],
    field=None,
    on_error: Literal["rollback", "commit"] = "rollback",
    error_category: str = "error",
) -> UnitOfWork:
    """A block whose writes are committed together at its end, "saved" said only after the commit (see the module's
    docstring). ``errors``: the domain errors shown to the person (their text, already translated); ``field``: a
    form field that shows them instead of a flash; ``on_error="commit"``: keep what was done before such an error;
    ``error_category``: the flash category of a domain error."""
    return UnitOfWork(errors, field=field, on_error=on_error, error_category=error_category)
