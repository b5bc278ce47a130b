from __future__ import annotations

from flask import current_app
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..core.forms import BaseForm
from ..i18n import _, _l
from .passwords import MAX_LENGTH
from .service import gender_labels, jurisdictions, profession_labels, role_labels


def _jurisdiction_choices(locale: str) -> list[tuple[str, str]]:
    key = "ar" if locale == "ar" else "fr"
    return [("", _("— Not applicable —"))] + [(j["code"], j[key]) for j in jurisdictions()]


def _profession_choices() -> list[tuple[str, str]]:
    return [("", _("— Choose —"))] + list(profession_labels().items())


def _locale_choices() -> list[tuple[str, str]]:
    from ..i18n import LANGUAGE_NAMES

    return [(code, LANGUAGE_NAMES[code]) for code in current_app.config["LANGUAGES"]]


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class SetPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
    )
    submit = SubmitField(_l("Save the password"))


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])


class ProfileForm(BaseForm):
    name_latin = StringField(_l("Name (Latin script)"), validators=[DataRequired(), Length(max=120)])
    name_arabic = StringField(_l("Name (Arabic script)"), validators=[Optional(), Length(max=120)])
    profession = SelectField(_l("Profession"), validators=[Optional()])
    jurisdiction = SelectField(_l("Jurisdiction (court of appeal)"), validators=[Optional()])
    gender = RadioField(_l("Gender"), validators=[Optional()], default="")
    locale = SelectField(_l("Preferred language"))
    submit = SubmitField(_l("Save"))

    def profile_values(self) -> dict:
        """The profile fields as keyword arguments for ``service.create_user`` / ``update_profile``."""
        return {
            "name_arabic": self.name_arabic.data,
            "profession": self.profession.data,
            "jurisdiction": self.jurisdiction.data,
            "gender": self.gender.data,
            "locale": self.locale.data,
        }

    def __init__(self, *args, locale: str = "fr", **kwargs):
        super().__init__(*args, **kwargs)
        self.profession.choices = _profession_choices()
        self.jurisdiction.choices = _jurisdiction_choices(locale)
        self.gender.choices = [("", _("Prefer not to say"))] + list(gender_labels().items())
        self.locale.choices = _locale_choices()


class AdminUserForm(ProfileForm):
    email = EmailField(
        _l("E-mail address"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    role_learner = BooleanField(_l("Learner"), default=True)
    role_trainer = BooleanField(_l("Trainer"))
    role_admin = BooleanField(_l("Administrator"))
    submit = SubmitField(_l("Create and send the invitation"))

    def roles(self) -> set[str]:
        return {role for role in ("learner", "trainer", "admin") if getattr(self, f"role_{role}").data}


class AdminEditUserForm(ProfileForm):
    """An administrator's corrections to someone's account (no language: that one is the person's choice)."""

    email = EmailField(
        _l("E-mail address"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    submit = SubmitField(_l("Save the changes"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.locale

    def values(self) -> dict:
        return {
            "name_latin": self.name_latin.data,
            "name_arabic": self.name_arabic.data,
            "email": self.email.data,
            "profession": self.profession.data,
            "jurisdiction": self.jurisdiction.data,
            "gender": self.gender.data,
        }


class InviteLearnerForm(ProfileForm):
    email = EmailField(
        _l("E-mail address"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    submit = SubmitField(_l("Send the invitation"))


class RolesForm(BaseForm):
    role_learner = BooleanField(_l("Learner"))
    role_trainer = BooleanField(_l("Trainer"))
    role_admin = BooleanField(_l("Administrator"))
    submit = SubmitField(_l("Save the roles"))

    def roles(self) -> set[str]:
        return {role for role in ("learner", "trainer", "admin") if getattr(self, f"role_{role}").data}


class TotpForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    submit = SubmitField(_l("Continue"))


__all__ = [
    "LoginForm",
    "ForgotPasswordForm",
    "SetPasswordForm",
    "ChangePasswordForm",
    "ProfileForm",
    "AdminUserForm",
    "AdminEditUserForm",
    "InviteLearnerForm",
    "RolesForm",
    "role_labels",
]
