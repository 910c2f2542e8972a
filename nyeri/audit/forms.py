from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.selectors import AuditFilters, members_of
from nyeri.tenancy.models import Organization


class _DateInput(forms.DateInput):
    # The browser's date picker sends and expects ISO dates, whatever the language.
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.username})" if obj.full_name else obj.username


class _PeriodForm(forms.Form):
    """A period of whole days, both ends optional and inclusive."""

    date_from = forms.DateField(label=_("From"), required=False, widget=_DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=_DateInput())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


class AuditReportForm(_PeriodForm):
    """The report's filters (all optional), read from the query string."""

    user = MemberChoiceField(label=_("User"), queryset=User.objects.none(), required=False, empty_label=_("Anyone"))
    patient = forms.IntegerField(label=_("Patient id"), required=False, min_value=1)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("Any action")), *AuditAction.choices])
    denied = forms.BooleanField(
        label=_("Denied attempts only"),
        required=False,
        help_text=_("Refusals, “not found” answers to an identifier, failed logins and second factors."),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the organization's own members: another organization's user id is an
        # invalid choice, not a way to read their activity.
        self.fields["user"].queryset = members_of(organization)  # type: ignore[attr-defined]

    def filters(self) -> AuditFilters:
        """The cleaned filters (call after ``is_valid()``)."""
        data = self.cleaned_data
        user: User | None = data.get("user")
        return AuditFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            actor_id=user.pk if user is not None else None,
            patient_id=data.get("patient"),
            action=data.get("action") or "",
            denied=bool(data.get("denied")),
        )


class SecurityReportForm(_PeriodForm):
    """The installation security report's filters (all optional)."""

    typed_name = forms.CharField(label=_("User name as typed"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("Any action")), *AuditAction.choices])
    denied = forms.BooleanField(label=_("Denied attempts only"), required=False)

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            action=data.get("action") or "",
            denied=bool(data.get("denied")),
            typed_name=(data.get("typed_name") or "").strip(),
        )
