"""Form base class and shared helpers."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from flask import abort
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from ..i18n import _, _l
from .timeutil import utcnow

#: Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and the
#: direction marks (U+200E, U+200F, U+061C). In a name or a title they only ever serve to disguise it
#: ("evil\u202eName gnp.exe" prints as "evil" + "exe.png emaN"): the pages and documents isolate user text
#: themselves (<bdi>, dir="auto", unicode-bidi: isolate), so a name never needs one.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_NO_BIDI = dict.fromkeys(map(ord, BIDI_CONTROLS))
#: Line breaks and other control characters (C0, DEL, C1, line and paragraph separators): a one-line text
#: (a name, a title, a place) has none; one would start a new line in a calendar file or a CSV.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def strip_bidi(value):
    """``value`` without bidirectional control characters (anything but a string is returned unchanged)."""
    return value.translate(_NO_BIDI) if isinstance(value, str) else value


def clean_line(value):
    """A one-line user text as it is kept: no bidirectional controls, every run of control characters (CR,
    LF, tab...) one space, no spaces at either end. The filter of every one-line text field of the forms
    (see ``BaseForm``) and of the enrolment import; anything but a string is returned unchanged."""
    if not isinstance(value, str):
        return value
    return _CONTROLS.sub(" ", value.translate(_NO_BIDI)).strip()


#: The dates a cohort, a session or a report may have: from 2000 to ten years ahead. A date outside is a typo
#: (year 1 for 2025), and would cost: a dashboard draws the cohort's time from its start.
EARLIEST_DATE = date(2000, 1, 1)
YEARS_AHEAD = 10


def latest_date(today: date | None = None) -> date:
    """The last plausible date: ten years from today (28 February for a 29 February)."""
    today = today or utcnow().date()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def is_plausible_date(day: date, today: date | None = None) -> bool:
    return EARLIEST_DATE <= day <= latest_date(today)


def clamp_date(day: date, today: date | None = None) -> date:
    """``day`` brought into the plausible range (a report filter typed as year 1 reads from 2000)."""
    return min(max(day, EARLIEST_DATE), latest_date(today))


def implausible_date_message() -> str:
    from flask_babel import format_date

    return _(
        "Enter a date between %(start)s and %(end)s.",
        start=format_date(EARLIEST_DATE, "long"),
        end=format_date(latest_date(), "long"),
    )


def plausible_date(form, field) -> None:
    """WTForms validator of every date a person types (cohorts, sessions): see ``EARLIEST_DATE``."""
    if field.data is not None and not is_plausible_date(field.data):
        raise ValidationError(implausible_date_message())


class BaseForm(FlaskForm):
    """All forms derive from this: CSRF protected through Flask-WTF. Every one-line text field is cleaned
    with ``clean_line`` and every multi-line one with ``strip_bidi`` (passwords are kept exactly as typed)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                cleaner = strip_bidi if issubclass(field_class, TextAreaField) else clean_line
                options["filters"] = (*unbound_field.kwargs.get("filters", ()), cleaner)
            return unbound_field.bind(form=form, **options)


class ConfirmForm(BaseForm):
    """A form with nothing but its CSRF token, for POST-only actions (logout, deactivate, resend)."""

    submit = SubmitField(_l("Confirm"))


def safe_next_url(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after login or a language switch (no open redirect)."""
    if not target:
        return default
    target = target.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default  # a CR/LF would end up in the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def require_confirmation() -> None:
    """A POST that only confirms an action (a button and its CSRF token): 400 unless the token is valid."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
