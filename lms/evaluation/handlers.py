"""What the evaluation domain plugs into the domains below it (their ``signals.py`` say what each signal is for).

Imported by ``lms/evaluation/__init__.py``: importing the package connects them.
"""

from ..content.signals import open_surveys
from .routes import open_for


@open_surveys.connect
def _open_surveys(user, now):
    """The learner's home shows a card when a survey waits for their answers."""
    return open_for(user, now)
