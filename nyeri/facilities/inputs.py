"""A facility's measurable facts, as one immutable value: size, opening hours, equipment.

The derived services and the staffing plan are computed from a ``FacilityInputs`` and not
from the database directly, so that a proposed change (one more ultrasound unit, a second
procedure room) is evaluated by the very same code on a modified copy, without saving
anything (``with_changes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from django.db.models import Count

from nyeri.facilities.models import Equipment, EquipmentKind, EquipmentStatus, FacilityProfile, OpeningHours
from nyeri.tenancy.models import Facility


@dataclass(frozen=True)
class FacilityInputs:
    facility_id: int
    facility_kind: str
    # False when the facility has no profile yet (every size is then 0).
    described: bool
    consultation_rooms: int = 0
    procedure_rooms: int = 0
    recovery_beds: int = 0
    planned_visits_per_week: int = 0
    sedation_room_days_per_week: int = 0
    opening_days_per_week: int = 0
    opening_minutes_per_week: int = 0
    # Units in service per equipment kind.
    in_service: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # Units not in service per kind and status (under maintenance, retired): for explanations.
    not_in_service: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @property
    def opening_hours_per_week(self) -> Decimal:
        return Decimal(self.opening_minutes_per_week) / 60

    @property
    def procedure_room_days_per_week(self) -> int:
        return self.procedure_rooms * self.opening_days_per_week

    def units_in_service(self, kind: str) -> int:
        return self.in_service.get(kind, 0)

    def room(self, name: str) -> int:
        value = getattr(self, name)
        assert isinstance(value, int)
        return value

    def with_changes(
        self,
        *,
        equipment_added: Mapping[str, int] | None = None,
        **sizes: int,
    ) -> FacilityInputs:
        """A copy with ``equipment_added`` units (negative: taken out of service) and new ``sizes``."""
        in_service = dict(self.in_service)
        for kind, delta in (equipment_added or {}).items():
            in_service[kind] = max(0, in_service.get(kind, 0) + delta)
        changes: dict[str, Any] = {"in_service": MappingProxyType(in_service), **sizes}
        return replace(self, **changes)


def load_inputs(facility: Facility) -> FacilityInputs:
    """The facility's current facts (3 queries: profile, opening hours, equipment counts)."""
    profile = FacilityProfile.objects.filter(facility=facility).first()
    hours = list(OpeningHours.objects.filter(profile__facility=facility).values_list("opens", "closes"))
    minutes = sum((c.hour * 60 + c.minute) - (o.hour * 60 + o.minute) for o, c in hours)
    in_service: dict[str, int] = {}
    not_in_service: dict[str, dict[str, int]] = {}
    rows = Equipment.objects.filter(facility=facility).values_list("kind", "status").annotate(n=Count("pk"))
    for kind, status, n in rows.order_by():
        if status == EquipmentStatus.IN_SERVICE:
            in_service[kind] = n
        else:
            not_in_service.setdefault(kind, {})[status] = n
    sizes = {}
    if profile is not None:
        sizes = {
            "consultation_rooms": profile.consultation_rooms,
            "procedure_rooms": profile.procedure_rooms,
            "recovery_beds": profile.recovery_beds,
            "planned_visits_per_week": profile.planned_visits_per_week,
            "sedation_room_days_per_week": profile.sedation_room_days_per_week,
        }
    return FacilityInputs(
        facility_id=facility.pk,
        facility_kind=facility.kind,
        described=profile is not None,
        opening_days_per_week=len(hours),
        opening_minutes_per_week=minutes,
        in_service=MappingProxyType({k.value: in_service[k.value] for k in EquipmentKind if k.value in in_service}),
        not_in_service=not_in_service,
        **sizes,
    )
