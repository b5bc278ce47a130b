"""The kinds of notification: what each is, and whether it comes by e-mail unless the person says otherwise."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Kind:
    label: object  # a lazy string: shown on the preferences page
    description: object
    email_by_default: bool = True


KINDS: dict[str, Kind] = {
    "workshop_reminder": Kind(
        _l("Workshop reminders"), _l("The day before a workshop session you take part in or run.")
    ),
    "quiz_reminder": Kind(
        _l("Quiz reminders"), _l("A quiz you have not passed yet, a week before your training ends.")
    ),
    "low_attendance": Kind(
        _l("Attendance warnings"), _l("When your attendance falls below what the certificate requires.")
    ),
    "survey_invitation": Kind(
        _l("Evaluation surveys"),
        _l("An invitation to give your opinion on a workshop or your training, and one reminder if you have not."),
    ),
    "certificate_issued": Kind(_l("Certificates"), _l("When a certificate is issued to you.")),
    "job_finished": Kind(
        _l("Background work finished"),
        _l("When work you started (issuing a cohort's certificates, a large report) is done."),
        email_by_default=False,
    ),
}


def wants_email(kind: str, choice: bool | None) -> bool:
    """Whether a notification of ``kind`` also goes by e-mail, given the person's stored choice (None: none)."""
    if choice is not None:
        return choice
    return KINDS[kind].email_by_default
