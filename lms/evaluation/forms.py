"""The evaluation pages' forms: a survey's (its CSRF token; the items are read by ``responses.validate``, as the
survey's definition says) and the action plan's."""

from __future__ import annotations

from wtforms import SubmitField, TextAreaField
from wtforms.validators import ValidationError

from ..core.forms import BaseForm
from ..i18n import _l
from .models import PLAN_SIZE
from .responses import ACTION_MAX, clean_text, too_long


def _action_length(form, field) -> None:
    """At most ``ACTION_MAX`` characters as kept (a line break counts once, as the browser counts it)."""
    length = len(clean_text(field.data or "", one_line=False))
    if length > ACTION_MAX:
        raise ValidationError(too_long(ACTION_MAX, length))


class SurveyForm(BaseForm):
    """A survey's answers: the fields are the definition's items (``responses.field_name``), checked by
    ``responses.validate``; this form carries the CSRF token and the button."""

    submit = SubmitField(_l("Send my answers"))


class ActionPlanForm(BaseForm):
    """Up to ``PLAN_SIZE`` actions, each ``ACTION_MAX`` characters at most; an empty one is left out."""

    action_1 = TextAreaField(_l("Action 1"), validators=[_action_length])
    action_2 = TextAreaField(_l("Action 2"), validators=[_action_length])
    action_3 = TextAreaField(_l("Action 3"), validators=[_action_length])
    submit = SubmitField(_l("Save my action plan"))

    def action_fields(self):
        return [getattr(self, f"action_{n}") for n in range(1, PLAN_SIZE + 1)]

    def actions(self) -> list[str]:
        return [clean_text(f.data or "", one_line=False) for f in self.action_fields()]
