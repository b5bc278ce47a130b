from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts import service as accounts
from ..accounts.names import display_name
from ..core.forms import BaseForm, plausible_date
from ..i18n import _, _l


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CohortForm(BaseForm):
    course = SelectField(_l("Course"), coerce=int)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    start_date = DateField(_l("Start date"), validators=[DataRequired(), plausible_date])
    end_date = DateField(_l("End date"), validators=[DataRequired(), plausible_date])
    mode = SelectField(_l("Mode"))
    jurisdiction = SelectField(_l("Jurisdiction (court of appeal)"), validators=[Optional()])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    city_ar = StringField(_l("City (Arabic script)"), validators=[Optional(), Length(max=100)])
    venue_ar = StringField(_l("Venue (Arabic script)"), validators=[Optional(), Length(max=200)])
    language = SelectField(_l("Language of printed documents"))
    trainers = MultiCheckboxField(_l("Trainers"), coerce=int)
    require_modules = BooleanField(_l("All modules must be completed"), default=True)
    require_quizzes = BooleanField(_l("All quizzes must be passed"), default=True)
    attendance_percent = IntegerField(
        _l("Minimum attendance (%)"), validators=[Optional(), NumberRange(min=0, max=100)], default=80
    )
    excused_absences = RadioField(_l("Excused absences"), default="not_counted")
    auto_issue = BooleanField(_l("Issue each certificate as soon as the learner meets the rule"), default=False)
    survey_before_certificate = BooleanField(
        _l("Ask for the end-of-course survey before the certificate can be downloaded"), default=False
    )
    follow_up_months = IntegerField(
        _l("Follow-up survey (months after the last day)"),
        validators=[Optional(), NumberRange(min=0, max=24)],
        default=3,
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, courses=(), trainers=(), jurisdictions=(), locale="fr", **kwargs):
        super().__init__(*args, **kwargs)
        self.course.choices = [(c.id, c.text("title", locale)) for c in courses]
        self.trainers.choices = [(t.id, display_name(t, locale)) for t in trainers]
        self.mode.choices = [("in_person", _("In person")), ("online", _("Online")), ("blended", _("Blended"))]
        key = "ar" if locale == "ar" else "fr"
        self.jurisdiction.choices = [("", _("— Not applicable —"))] + [(j["code"], j[key]) for j in jurisdictions]
        self.language.choices = [("fr", "Français"), ("ar", "العربية")]
        self.excused_absences.choices = [
            ("not_counted", _("are not held against the learner (left out of the sessions that count)")),
            ("absent", _("count as absences")),
        ]

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_("The end date is before the start date."))


class ImportForm(BaseForm):
    file = FileField(
        _l("Spreadsheet (CSV or XLSX)"),
        validators=[FileRequired(), FileAllowed(["csv", "xlsx", "txt"], _l("Send a .csv or .xlsx file."))],
    )
    submit = SubmitField(_l("Preview"))


class WalkInForm(BaseForm):
    """Someone who came without being enrolled (the cohort's page and the roll call)."""

    name_latin = StringField(_l("Name (Latin script)"), validators=[DataRequired(), Length(max=120)])
    name_arabic = StringField(_l("Name (Arabic script)"), validators=[Optional(), Length(max=120)])
    profession = SelectField(_l("Profession"), validators=[Optional()])
    jurisdiction = SelectField(_l("Jurisdiction (court of appeal)"), validators=[Optional()])
    email = EmailField(_l("E-mail address (optional)"), validators=[Optional(), Email(check_deliverability=False)])
    submit = SubmitField(_l("Add and enrol"))


class MessageForm(BaseForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=150)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=5000)])
    next = StringField(validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Send the e-mail"))


def walk_in_form(locale: str) -> WalkInForm:
    """The walk-in form, its professions and jurisdictions listed in the page's language."""
    form = WalkInForm(prefix="walkin")
    form.profession.choices = [("", _("— Choose —"))] + list(accounts.profession_labels().items())
    key = "ar" if locale == "ar" else "fr"
    form.jurisdiction.choices = [("", _("— Not applicable —"))] + [
        (j["code"], j[key]) for j in accounts.jurisdictions()
    ]
    return form
