"""What other domains plug into the accounts domain (blinker signals, connected by the higher domains' packages).

Every signal is sent with the person (a ``User``) as sender; a receiver is called ``receiver(user)``.
"""

from blinker import Namespace

_signals = Namespace()

user_erasing = _signals.signal("user-erasing")
"""A person is being erased (Law 09-08): each domain removes what it holds that identifies them.

Sent by ``accounts.service.erase_user`` before the account's own identity (e-mail, names) is removed, in the same
transaction, so a receiver may still read ``user.email``. Receivers return nothing; they stage their changes in
the session (the caller commits). Connected in ``lms/cohorts/handlers.py`` (import previews) and
``lms/attendance/handlers.py`` (attendance notes)."""

user_data_export = _signals.signal("user-data-export")
"""A person asks for the data held about them (their export page).

Sent by ``accounts.service.export_user_data``. Each receiver returns a dict of sections (``{name: data}``, data
that JSON can encode) added to the export; the sections of all receivers are merged. Connected in
``lms/cohorts/handlers.py`` (cohorts) and ``lms/attendance/handlers.py`` (attendance)."""
