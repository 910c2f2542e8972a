"""The demo prescriptions: a realistic mix on top of the demo network, refusals audited."""

from __future__ import annotations

import pytest

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.audit.verify import verify_chain
from nyeri.clinical.models import Patient
from nyeri.demo import data
from nyeri.demo.prescriptions import seed_prescriptions
from nyeri.prescriptions.models import Prescription, PrescriptionStatus
from nyeri.tenancy.models import Facility, Organization

pytestmark = pytest.mark.django_db


def test_the_demo_prescriptions_cover_the_cases_and_the_refusals_are_audited() -> None:
    org = Organization.objects.get(slug=data.ORGANIZATION["slug"])
    facilities = {f.code: f for f in Facility.objects.filter(organization=org)}
    patients = list(Patient.objects.filter(organization=org).select_related("registered_at"))
    if not Prescription.objects.exists():  # until seed_demo calls it itself
        summary = seed_prescriptions(org_id=org.pk, facilities=facilities, patients=patients)
        assert summary.signed == Prescription.objects.exclude(signed_at=None).count()
        assert len(summary.refused) == 2
        assert summary.refused[0].startswith("dokter.umum: ")
        assert summary.refused[1].startswith("neurolog: ")

    signed = Prescription.objects.filter(status=PrescriptionStatus.SIGNED)
    assert signed.count() >= 20
    assert signed.filter(contains_controlled=True).count() >= 5
    warned = {code: [p for p in signed if code in p.warnings] for code in ("mme_justify", "opioid_benzodiazepine")}
    assert warned["mme_justify"]
    assert all(p.justification for p in warned["mme_justify"])
    assert warned["opioid_benzodiazepine"]
    assert signed.filter(items__medication_code="fentanyl-25mcgh-patch", mme_per_day=60).exists()
    assert all(p.prescriber_registration and p.prescriber_permit for p in signed)
    cancelled = Prescription.objects.get(status=PrescriptionStatus.CANCELLED)
    assert cancelled.reissued_as.status == PrescriptionStatus.SIGNED

    denied = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="prescription")
    reasons = [e.reason for e in denied]
    assert any("prescribe: credential_expired" in r for r in reasons)
    assert any("prescribe_controlled:" in r and "credential_missing" in r for r in reasons)
    assert verify_chain().ok
