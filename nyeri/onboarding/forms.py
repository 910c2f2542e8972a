from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import Citizenship


class AccessFields(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    facilities = forms.ModelMultipleChoiceField(
        label=_("Facilities"),
        queryset=Facility.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: every facility of the organization."),
    )

    def __init__(self, *args: Any, facilities: list[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["facilities"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Facility.objects.filter(pk__in=[f.pk for f in facilities]).order_by("name")


class InviteForm(AccessFields):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))
    nik = forms.CharField(
        label=_("NIK"), max_length=16, required=False, help_text=_("Optional: the 16-digit national identity number.")
    )
    citizenship = forms.ChoiceField(label=_("Citizenship"), choices=Citizenship.choices, initial=Citizenship.CITIZEN)
    language = forms.ChoiceField(
        label=_("Language of the e-mail"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE
    )

    field_order = ["full_name", "email", "nik", "citizenship", "language", "roles", "facilities"]


class AccessForm(AccessFields):
    pass


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class AcceptForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "off"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The two passwords are not the same."))
        return data
