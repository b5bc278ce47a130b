"""The notifications pages' forms."""

from __future__ import annotations

from wtforms import BooleanField, SubmitField

from ..core.forms import BaseForm
from ..i18n import _l
from . import rules


class PreferencesForm(BaseForm):
    """One e-mail checkbox per kind of ``rules.KINDS`` (fields named ``email_<kind>``, built by ``build``)."""

    submit = SubmitField(_l("Save my choices"))

    @classmethod
    def build(cls, choices: dict[str, bool], **kwargs) -> PreferencesForm:
        fields = {f"email_{name}": BooleanField(kind.label) for name, kind in rules.KINDS.items()}
        form_class = type("PreferencesFormFilled", (cls,), fields)
        form = form_class(**kwargs)
        if not form.is_submitted():
            for name, email in choices.items():
                getattr(form, f"email_{name}").data = email
        return form

    def kinds(self):
        """(kind name, Kind, its field), in the order of ``rules.KINDS``."""
        return [(name, kind, getattr(self, f"email_{name}")) for name, kind in rules.KINDS.items()]

    def choices(self) -> dict[str, bool]:
        return {name: bool(field.data) for name, _kind, field in self.kinds()}
