"""The demo controlled-drug register, written through the register's services.

Call after the prescriptions seeder (it dispenses the demo's signed controlled prescriptions)::

    from nyeri.demo.register import seed_register
    seed_register(org.pk, facilities, now)

At each facility where a pharmacist may keep the register (the engine's ``dispense_controlled``):

- receipts of every controlled product prescribed there, at the start of each of the two
  previous months, from a pharmaceutical wholesaler, with invoice, batch and expiry;
- one destruction with two witnesses in the previous month (a damaged strip);
- the dispensing of every signed controlled prescription item written there (now).

Every month's report of every facility then reconciles (tests/demo/test_register.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.prescriptions.models import PrescriptionItem, PrescriptionStatus
from nyeri.register import services
from nyeri.tenancy.models import Facility, Membership
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope

SUPPLIER = "PT Kimia Farma Trading & Distribution (PBF)"
MONTHS_BACK = 2
WITNESS_ROLES = (Role.NURSE, Role.PAIN_PHYSICIAN, Role.ANESTHESIOLOGIST, Role.ADMINISTRATOR)


@dataclass
class RegisterSummary:
    receipts: int = 0
    dispensings: int = 0
    destructions: int = 0
    # Facilities without a pharmacist who may keep the register (their prescriptions are not dispensed).
    skipped: list[str] = field(default_factory=list)


def _month_start(day: date, back: int) -> date:
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


def _pharmacist(org_id: int, facility: Facility) -> tuple[User, Scope] | None:
    """A pharmacist whom the engine lets keep ``facility``'s register."""
    members = (
        Membership.objects.filter(organization_id=org_id, is_active=True, roles__role=Role.PHARMACIST)
        .select_related("user")
        .order_by("pk")
    )
    for membership in members:
        scope = resolve_scope(membership.user, org_id)
        if scope is None or not scope.covers_facility(facility.pk):
            continue
        if services.privilege(scope, facility).allowed:
            return membership.user, scope
    return None


def _witnesses(org_id: int, pharmacist: User) -> tuple[User, User]:
    found = (
        Membership.objects.filter(organization_id=org_id, is_active=True, roles__role__in=WITNESS_ROLES)
        .exclude(user=pharmacist)
        .select_related("user")
        .order_by("pk")
        .distinct()
    )
    users = list(dict.fromkeys(m.user for m in found))[:2]
    assert len(users) == 2, "the demo needs two witnesses"
    return users[0], users[1]


def seed_register(org_id: int, facilities: dict[str, Facility], now: datetime | None = None) -> RegisterSummary:
    now = now or timezone.now()
    today = timezone.localdate(now)
    summary = RegisterSummary()
    items = (
        PrescriptionItem.objects.filter(
            organization_id=org_id, prescription__status=PrescriptionStatus.SIGNED, prescription__signed_at__lte=now
        )
        .exclude(controlled_class="")
        .select_related("prescription")
        .order_by("prescription__signed_at", "pk")
    )
    by_facility: dict[int, list[PrescriptionItem]] = defaultdict(list)
    for found in items:
        by_facility[found.prescription.facility_id].append(found)

    for code, facility in sorted(facilities.items()):
        keeper = _pharmacist(org_id, facility)
        if keeper is None:
            summary.skipped.append(code)
            continue
        pharmacist, scope = keeper
        mine = by_facility.get(facility.pk, [])
        needed: dict[str, int] = defaultdict(int)
        for found in mine:
            needed[found.medication_code] += found.quantity
        if not needed:
            needed["morphine-10mg-tab"] = 0
        first_product = sorted(needed)[0]
        for back in range(MONTHS_BACK, 0, -1):
            start = _month_start(today, back)
            for product, amount in sorted(needed.items()):
                # Half again what is prescribed, over the two months, in boxes of ten.
                quantity = max(10 * math.ceil(amount * 0.75 / 10), 30)
                services.record_receipt(
                    scope=scope,
                    acting_user=pharmacist,
                    facility=facility,
                    medication=product,
                    quantity=quantity,
                    supplier=SUPPLIER,
                    document_number=f"FKT/{start:%Y%m}/{facility.pk:02d}{summary.receipts + 1:03d}",
                    batch_number=f"{product[:4].upper()}{start:%y%m}",
                    expiry_date=start + timedelta(days=2 * 365),
                    occurred_at=_at(start, 9),
                )
                summary.receipts += 1
        # A strip damaged in the previous month, destroyed before two witnesses.
        first, second = _witnesses(org_id, pharmacist)
        services.record_destruction(
            scope=scope,
            acting_user=pharmacist,
            facility=facility,
            medication=first_product,
            quantity=5,
            witness_1=first,
            witness_2=second,
            reason="Kemasan strip rusak (basah) saat penyimpanan; dimusnahkan disaksikan dua orang.",
            occurred_at=_at(_month_start(today, 1) + timedelta(days=14), 14),
        )
        summary.destructions += 1
        for found in mine:
            services.dispense(
                scope=scope, acting_user=pharmacist, facility=facility, item=found, quantity=found.quantity
            )
            summary.dispensings += 1
    return summary


__all__ = ["RegisterSummary", "seed_register"]
