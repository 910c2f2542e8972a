"""The SKP activity form: parsing only; the rules live in the service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nyeri.workforce.credentials.forms import ACCEPT, BLANK, evidence_help
from nyeri.workforce.skp.policy import SkpPolicy
from nyeri.workforce.skp.selectors import SettingRow
from nyeri.workforce.skp.services import TITLE_MAX


class SkpActivityForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"))
    title = forms.CharField(label=_("Activity"), max_length=TITLE_MAX, help_text=_("The course, seminar, service..."))
    provider = forms.CharField(label=_("Organiser"), max_length=TITLE_MAX, required=False)
    credits = forms.DecimalField(label=_("Credits (SKP)"), max_digits=6, decimal_places=2)
    done_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    certificate_number = forms.CharField(
        label=_("Certificate number"),
        max_length=100,
        required=False,
        help_text=_("As on the certificate or the national SKP platform. Needed when no file is attached."),
    )
    evidence = forms.FileField(label=_("Certificate"), required=False, widget=forms.FileInput(attrs={"accept": ACCEPT}))

    def __init__(self, *args: Any, policy: SkpPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = BLANK + [(c.code, c.label()) for c in policy.categories]
        self.fields["evidence"].help_text = evidence_help()


class SkpSettingsForm(forms.Form):
    """One optional number per figure an administrator may set (empty: the policy data's)."""

    def __init__(self, *args: Any, rows: Sequence[SettingRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in rows:
            self.fields[row.code] = forms.DecimalField(
                label=row.label, required=False, max_digits=6, decimal_places=2, initial=row.own
            )
