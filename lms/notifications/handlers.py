"""What the notifications domain plugs into the domains below it (their ``signals.py`` say what each signal is for).

Imported by ``lms/notifications/__init__.py``: importing the package connects them.
"""

from ..accounts.signals import user_data_export, user_erasing
from . import service

# Erasing a person: their notifications and their e-mail choices.
user_erasing.connect(service.erase_user)
# Their data export: the same.
user_data_export.connect(service.export_data)
