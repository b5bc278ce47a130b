"""What the attendance domain plugs into the domains below it (their ``signals.py`` say what each signal is for).

Imported by ``lms/attendance/__init__.py``: importing the package connects them.
"""

from ..accounts.signals import user_data_export, user_erasing
from ..cohorts.signals import cohort_overview, walk_in_merging
from ..content.signals import next_workshop
from . import service

# Erasing a person: the notes trainers wrote about their attendance.
user_erasing.connect(service.erase_notes)
# Their data export: their attendance.
user_data_export.connect(service.export_data)
# A walk-in merged into a full account keeps their attendance.
walk_in_merging.connect(service.merge_marks)


@cohort_overview.connect
def _cohort_page(cohort, now):
    """The cohort's page: its sessions with their counts, and each learner's attendance (with why they are
    flagged)."""
    sessions, rows, info = service.attendance_report(cohort, now=now)
    return {"sessions": sessions, "rows": rows, "info": info, "explain": service.explain_attendance}


@next_workshop.connect
def _next_workshop(user, now):
    """The learner's home shows their next workshop."""
    return service.next_session_for(user.id, now)
