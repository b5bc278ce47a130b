"""What the cohorts domain plugs into the domains below it (their ``signals.py`` say what each signal is for).

Imported by ``lms/cohorts/__init__.py``: importing the package connects them.
"""

from ..accounts.signals import user_data_export, user_erasing
from ..content.signals import course_access
from ..quizzes.signals import quiz_settings, working_cohort
from . import previews, service

# Enrolled learners open their cohort's course even when it is not meant for their profession.
course_access.connect(service.enrolled_course_ids)
# Erasing a person: the import previews that list them.
user_erasing.connect(previews._erase_user)
# Their data export: the cohorts they are enrolled in.
user_data_export.connect(service.export_cohorts)
# A quiz attempt belongs to the cohort the learner works under, whose trainers may adapt the quiz's settings.
working_cohort.connect(service.working_cohort_id)
quiz_settings.connect(service._cohort_quiz_overrides)
