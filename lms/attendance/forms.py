"""Forms of the attendance pages: a workshop session, the learner's check-in, a cohort's reminders."""

from __future__ import annotations

from wtforms import BooleanField, DateField, HiddenField, IntegerField, StringField, SubmitField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..cohorts.forms import MultiCheckboxField
from ..core.forms import BaseForm, plausible_date
from ..i18n import _l


class SessionForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    day = DateField(_l("Date"), validators=[DataRequired(), plausible_date])
    start = TimeField(_l("Start time"), validators=[DataRequired()])
    end = TimeField(_l("End time"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    modules = MultiCheckboxField(_l("Modules covered"))
    late_after_minutes = IntegerField(
        _l("Late after (minutes)"), validators=[Optional(), NumberRange(min=0, max=240)], default=15
    )
    submit = SubmitField(_l("Save the session"))


class CheckinForm(BaseForm):
    code = StringField(_l("Code shown on the screen"), validators=[DataRequired(), Length(max=20)])
    session = StringField(validators=[Optional(), Length(max=12)])
    #: a signed record of a QR code scanned before signing in (see attendance.routes.checkin_page)
    scan = HiddenField(validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Check in"))


class RemindersForm(BaseForm):
    """Which reminders the queue sends for a cohort (``Cohort.remind_*``, ``warn_low_attendance_weekly``)."""

    remind_workshops = BooleanField(_l("The day before each workshop session, to the learners and the trainers"))
    remind_quizzes = BooleanField(_l("A week before the end, to each learner who has a quiz not passed yet"))
    warn_low_attendance_weekly = BooleanField(
        _l("Every Monday, to the learners below the attendance threshold (as the button on the cohort's page)")
    )
    submit = SubmitField(_l("Save the reminders"))
