"""The one import point for translation: ``from lms.i18n import _, _l, ngettext``."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

__all__ = ["_", "_l", "ngettext", "RTL_LOCALES", "LANGUAGE_NAMES"]

RTL_LOCALES = frozenset({"ar"})
# Each language named in itself, as a switcher must show it.
LANGUAGE_NAMES = {"fr": "Français", "ar": "العربية", "en": "English"}
