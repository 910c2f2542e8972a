"""The administrators' SATUSEHAT settings form (the secret is never shown back)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nyeri.interop.models import SatusehatEnvironment


class _DateInput(forms.DateInput):
    input_type = "date"


class SatusehatSettingsForm(forms.Form):
    environment = forms.ChoiceField(label=_("Environment"), choices=SatusehatEnvironment.choices)
    satusehat_organization_id = forms.CharField(
        label=_("SATUSEHAT organization ID"),
        max_length=64,
        help_text=_("The Organization ID SATUSEHAT gave the organization (for example 100026342)."),
    )
    client_id = forms.CharField(label=_("Client ID"), max_length=200)
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Stored encrypted. Leave empty to keep the saved secret."),
    )
    send_visits_from = forms.DateField(
        label=_("Send visits from"),
        required=False,
        widget=_DateInput(),
        help_text=_("Finished visits that ended before this day are not sent. Empty: all of them."),
    )

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
