"""What the evaluation domain plugs into the domains below it (their ``signals.py`` say what each signal is for).

Imported by ``lms/evaluation/__init__.py``: importing the package connects them.
"""

from ..accounts.signals import user_data_export, user_erasing
from ..certificates.signals import download_blocked
from ..content.signals import open_surveys
from . import service

# Erasing a person: their action plans, whether they were asked and answered, their name on named responses.
user_erasing.connect(service.erase_user)
# Their data export: action plans, surveys asked, named responses.
user_data_export.connect(service.export_data)


@download_blocked.connect
def _survey_first(user, certificate, cohort):
    """A cohort may ask for the end-of-course survey before the certificate's download."""
    if cohort is None or not service.download_waits_for_survey(user.id, cohort):
        return None
    round_ = service.ensure_round(cohort, "course_end")
    return ("survey", round_.id if round_ is not None else None)


@open_surveys.connect
def _open_surveys(user, now):
    """The learner's home shows a card when a survey waits for their answers."""
    from .routes import open_for

    return open_for(user, now)
