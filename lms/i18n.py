"""The one import point for translation: ``from lms.i18n import _, _l, ngettext``."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

__all__ = [
    "_",
    "_l",
    "ngettext",
    "RTL_LOCALES",
    "LANGUAGE_NAMES",
    "format_date",
    "format_datetime",
    "format_locale",
    "format_number",
    "format_percent",
    "format_time",
]

RTL_LOCALES = frozenset({"ar"})
# Each language named in itself, as a switcher must show it.
LANGUAGE_NAMES = {"fr": "Français", "ar": "العربية", "en": "English"}


# --- numbers, dates and times in the page's language ----------------------------------------------
#
# One set of functions, used by templates (filters ``percent``, ``number``, ``date``, ``datetime``, ``time``,
# registered in lms/__init__.py), by PDFs, CSV headers and e-mails alike. Arabic pages are formatted with
# Babel's ``ar_MA`` locale, as Moroccan usage writes them: month names "شتنبر", "دجنبر" (not the Mashriq
# "سبتمبر", "ديسمبر"), Latin digits (CLDR's default numbering system for ar_MA is ``latn``: Moroccan courts,
# the Official Bulletin and the press write 0-9, not the Eastern Arabic ٠-٩), a decimal comma like French,
# and a percent sign wrapped in left-to-right marks, so that "54,2%" never turns into "% 54.2" in a
# right-to-left line.

FORMAT_LOCALES = {"ar": "ar_MA"}


def format_locale(locale=None) -> str:
    """The Babel locale that formats numbers and dates for a UI locale (``"ar"`` → ``"ar_MA"``)."""
    if locale is None:
        from flask_babel import get_locale

        locale = get_locale() or "fr"
    code = str(locale)
    return FORMAT_LOCALES.get(code, code)


def _number_pattern(kind: str, locale: str, digits: int, fixed: bool):
    import copy

    from babel import Locale

    formats = Locale.parse(locale).percent_formats if kind == "percent" else Locale.parse(locale).decimal_formats
    pattern = copy.copy(formats[None])
    pattern.frac_prec = (digits if fixed else 0, digits)
    return pattern


def _signed(text: str, value, signed: bool, locale: str) -> str:
    if signed and value > 0:
        from babel.numbers import get_plus_sign_symbol

        return get_plus_sign_symbol(locale) + text
    return text


def format_number(value, digits: int = 2, fixed: bool = False, signed: bool = False, locale=None) -> str:
    """``1234.5`` → "1 234,5" (fr), "1.234,5" (ar); ``fixed`` keeps trailing zeros ("0,00"); ``signed``
    writes "+" before a positive number (a gain). ``None`` gives "—"."""
    if value is None or value == "":
        return "—"
    from decimal import Decimal

    locale = format_locale(locale)
    text = _number_pattern("decimal", locale, digits, fixed).apply(Decimal(str(value)), locale)
    return _signed(text, value, signed, locale)


def format_percent(value, digits: int = 1, fixed: bool = False, signed: bool = False, locale=None) -> str:
    """A percentage given in points (``39.7``, not ``0.397``): "39,7 %" (fr), "39,7‎%‎" (ar). ``None`` → "—"."""
    if value is None or value == "":
        return "—"
    from decimal import Decimal

    locale = format_locale(locale)
    text = _number_pattern("percent", locale, digits, fixed).apply(Decimal(str(value)) / 100, locale)
    return _signed(text, value, signed, locale)


def _user_zone():
    from flask import has_request_context

    if not has_request_context():
        from .core.timeutil import display_zone

        return display_zone()
    from flask_babel import get_timezone

    return get_timezone()


#: Arabic dates name the month, "4 دجنبر 2026" (ar_MA's short and medium forms are numbers and slashes)
_ARABIC_DATE = {"medium": "d MMMM y", "short": "d MMMM y"}


def _local(value):
    """A datetime (naive means UTC) in the display time zone."""
    import datetime as dt

    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(_user_zone())


def format_date(value, fmt: str = "medium", locale=None) -> str:
    """A date (or the local day of a UTC datetime): "20 sept. 2026" / "20 شتنبر 2026"."""
    if not value:
        return ""
    import datetime as dt

    from babel import dates

    if isinstance(value, dt.datetime):
        value = _local(value).date()
    locale = format_locale(locale)
    return dates.format_date(value, _ARABIC_DATE.get(fmt, fmt) if locale == "ar_MA" else fmt, locale=locale)


def format_datetime(value, fmt: str = "medium", locale=None) -> str:
    """A UTC datetime (naive values are UTC) in the display time zone."""
    if not value:
        return ""
    from babel import dates

    locale = format_locale(locale)
    if locale == "ar_MA" and fmt in _ARABIC_DATE:
        # "4 دجنبر 2026، 09:05": the month by name, as in the text around it (ar_MA's numeric date, 04/12/2026
        # with right-to-left marks, turns around in a line that mixes scripts).
        local = _local(value)
        day = dates.format_date(local.date(), _ARABIC_DATE[fmt], locale=locale)
        return f"{day}، {format_time(local, locale=locale)}"
    return dates.format_datetime(value, fmt, tzinfo=_user_zone(), locale=locale)


def format_time(value, fmt: str = "short", locale=None) -> str:
    """Hours and minutes ("09:05"); a datetime is first put in the display time zone."""
    if not value:
        return ""
    import datetime as dt

    from babel import dates

    if isinstance(value, dt.datetime):
        return dates.format_time(value, fmt, tzinfo=_user_zone(), locale=format_locale(locale))
    return dates.format_time(value, fmt, locale=format_locale(locale))


def register_formatting(app) -> None:
    """The filters (and globals) every template formats numbers and dates with."""
    functions = {
        "percent": format_percent,
        "number": format_number,
        "date": format_date,
        "datetime": format_datetime,
        "time": format_time,
    }
    app.jinja_env.filters.update(functions)
    app.jinja_env.globals.update({f"format_{name}": function for name, function in functions.items()})
