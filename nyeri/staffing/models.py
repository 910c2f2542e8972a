"""An organization's own staffing rules, one row per rule.

A row with the code of a rule of the jurisdiction's file replaces that rule for the
organization (or, with ``is_active`` false, switches it off); a row with a new code adds a
rule. Rows are written only by ``services.save_staffing_rule`` and removed only by
``services.reset_staffing_rule`` (back to the file's rule), both audited with the rule
before and after. The columns are those of ``schema.Rule``; the database holds what a row
alone can say (known role, kind, measure and equipment; positive amounts).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nyeri.facilities.models import EquipmentKind
from nyeri.staffing.kinds import Measure, RuleKind
from nyeri.tenancy.models import FacilityKind
from nyeri.tenancy.roles import Role


def _in(field: str, choices: type[models.TextChoices], *, blank: bool = False) -> Q:
    q = Q(**{f"{field}__in": [c.value for c in choices]})
    return q | Q(**{field: ""}) if blank else q


class StaffingRule(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=60)
    is_active = models.BooleanField(_("in use"), default=True)
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    kind = models.CharField(_("kind of rule"), max_length=20, choices=RuleKind.choices)
    measure = models.CharField(_("measure"), max_length=40, choices=Measure.choices, blank=True)
    equipment = models.CharField(_("equipment"), max_length=20, choices=EquipmentKind.choices, blank=True)
    amount = models.DecimalField(_("FTE"), max_digits=6, decimal_places=2)
    per = models.DecimalField(_("per volume of"), max_digits=9, decimal_places=2, null=True, blank=True)
    per_shift = models.BooleanField(_("per shift"), default=False)
    when_facility_kind = models.CharField(
        _("only for facilities of kind"), max_length=32, choices=FacilityKind.choices, blank=True
    )
    when_equipment = models.CharField(
        _("only with equipment in service"), max_length=20, choices=EquipmentKind.choices, blank=True
    )
    when_measure = models.CharField(_("only when measure"), max_length=40, choices=Measure.choices, blank=True)
    when_at_least = models.DecimalField(_("is at least"), max_digits=9, decimal_places=2, null=True, blank=True)
    label_en = models.CharField(_("description (English)"), max_length=300)
    label_id = models.CharField(_("description (Bahasa Indonesia)"), max_length=300)
    source = models.CharField(_("source"), max_length=300, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("staffing rule")
        verbose_name_plural = _("staffing rules")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="staffing_rule_code_unique_per_org"),
            models.CheckConstraint(condition=~Q(code=""), name="staffing_rule_code_required"),
            models.CheckConstraint(condition=_in("role", Role), name="staffing_rule_role_valid"),
            models.CheckConstraint(condition=_in("kind", RuleKind), name="staffing_rule_kind_valid"),
            models.CheckConstraint(condition=_in("measure", Measure, blank=True), name="staffing_rule_measure_valid"),
            models.CheckConstraint(
                condition=_in("equipment", EquipmentKind, blank=True), name="staffing_rule_equipment_valid"
            ),
            models.CheckConstraint(
                condition=_in("when_facility_kind", FacilityKind, blank=True), name="staffing_rule_when_kind_valid"
            ),
            models.CheckConstraint(
                condition=_in("when_equipment", EquipmentKind, blank=True), name="staffing_rule_when_equipment_valid"
            ),
            models.CheckConstraint(
                condition=_in("when_measure", Measure, blank=True), name="staffing_rule_when_measure_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="staffing_rule_amount_positive"),
            models.CheckConstraint(condition=Q(per__isnull=True) | Q(per__gt=0), name="staffing_rule_per_positive"),
            models.CheckConstraint(
                condition=Q(when_at_least__isnull=True) | Q(when_at_least__gte=0),
                name="staffing_rule_when_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="per_volume") | Q(per__isnull=False), name="staffing_rule_volume_has_per"
            ),
            models.CheckConstraint(
                condition=~Q(measure="equipment_in_service") | ~Q(equipment=""),
                name="staffing_rule_units_have_equipment",
            ),
        ]

    def __str__(self) -> str:
        return self.code
