"""The register's forms: one per movement kind. The services do the real checking; a form only parses."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from nyeri.accounts.models import User
from nyeri.prescriptions import catalogue
from nyeri.register.models import MovementKind
from nyeri.tenancy.models import Membership
from nyeri.tenancy.scope import Scope
from nyeri.tenancy.selectors import organization_member


def controlled_choices(scope: Scope, language: str) -> list[tuple[str, str]]:
    jurisdiction = scope.organization.jurisdiction
    # By the name shown (not by the catalogue's code).
    products = [
        (m.code, catalogue.label(m, language))
        for m in catalogue.for_jurisdiction(jurisdiction)
        if catalogue.is_controlled(m, jurisdiction)
    ]
    return [("", "---"), *sorted(products, key=lambda choice: choice[1].casefold())]


def member_choices(scope: Scope) -> list[tuple[str, str]]:
    members = (
        Membership.objects.filter(organization=scope.organization, is_active=True)
        .exclude(user=scope.user)
        .select_related("user")
        .order_by("user__full_name", "user__username")
    )
    return [("", "---")] + [(str(m.user_id), m.user.full_name or m.user.username) for m in members]


class _ProductForm(forms.Form):
    medication = forms.ChoiceField(label=_("Product"))
    quantity = forms.IntegerField(label=_("Quantity (units)"))

    def __init__(self, *args: object, scope: Scope, language: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.scope = scope
        self.fields["medication"].choices = controlled_choices(scope, language)  # type: ignore[attr-defined]


class ReceiptForm(_ProductForm):
    supplier = forms.CharField(label=_("Supplier"), max_length=200)
    document_number = forms.CharField(label=_("Invoice number"), max_length=100)
    batch_number = forms.CharField(label=_("Batch number"), max_length=100)
    expiry_date = forms.DateField(label=_("Expiry date"), widget=forms.DateInput(attrs={"type": "date"}))


class ReturnForm(_ProductForm):
    direction = forms.ChoiceField(
        label=_("Return"),
        choices=[
            (MovementKind.RETURN_FROM_PATIENT.value, MovementKind.RETURN_FROM_PATIENT.label),
            (MovementKind.RETURN_TO_SUPPLIER.value, MovementKind.RETURN_TO_SUPPLIER.label),
        ],
    )
    supplier = forms.CharField(label=_("Supplier (for a return to a supplier)"), max_length=200, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class DestructionForm(_ProductForm):
    witness_1 = forms.ChoiceField(label=_("First witness"))
    witness_2 = forms.ChoiceField(label=_("Second witness"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)

    def __init__(self, *args: object, scope: Scope, language: str, **kwargs: object) -> None:
        super().__init__(*args, scope=scope, language=language, **kwargs)
        people = member_choices(scope)
        self.fields["witness_1"].choices = people  # type: ignore[attr-defined]
        self.fields["witness_2"].choices = people  # type: ignore[attr-defined]

    def witness(self, field: str) -> User | None:
        value = self.cleaned_data.get(field)
        if not value:
            return None
        found = organization_member(self.scope, int(value))
        if found is None:
            raise ValidationError({field: _("A witness must be an active member of this organization.")})
        return found


class StockTakeForm(forms.Form):
    medication = forms.ChoiceField(label=_("Product"))
    counted_quantity = forms.IntegerField(label=_("Counted quantity (units)"))
    reason = forms.CharField(
        label=_("Reason for the difference"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )

    def __init__(self, *args: object, scope: Scope, language: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["medication"].choices = controlled_choices(scope, language)  # type: ignore[attr-defined]


class DispensingForm(forms.Form):
    prescription_item = forms.IntegerField(label=_("Prescription item"), widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=_("Quantity (units)"))


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the correction"), max_length=1000)


class FilterForm(forms.Form):
    medication = forms.CharField(label=_("Product"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", "---"), *MovementKind.choices])
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
