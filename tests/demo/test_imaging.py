"""The demo imaging: in-house results, an MRI referred outside, klinik-sumedang's fluoroscopy-guided
blocks referred to rsud-bandung (accepted and done), on top of the whole demo."""

from __future__ import annotations

import pytest

from nyeri.audit.verify import verify_chain
from nyeri.imaging.models import ImagingOrder, ImagingResult, Referral

pytestmark = pytest.mark.django_db


def test_the_demo_refers_the_clinics_fluoroscopy_guided_blocks_to_the_hospital() -> None:
    # seed_demo wrote the imaging (nyeri/demo/imaging.py) after the procedures.
    results = ImagingResult.objects.select_related("order__facility")
    assert {(r.order.modality, r.order.facility.code) for r in results} == {
        ("xray", "rsud-bandung"),
        ("ultrasound", "klinik-cimahi"),
    }
    mri = Referral.objects.get(imaging_order__modality="mri")
    assert mri.to_facility is None
    assert mri.outside_name
    assert mri.status == "done"
    blocks = Referral.objects.filter(procedure__isnull=False).select_related(
        "from_facility", "to_facility", "procedure"
    )
    sumedang = [r for r in blocks if r.from_facility.code == "klinik-sumedang"]
    assert sumedang
    for referral in sumedang:
        assert referral.to_facility is not None
        assert referral.to_facility.code == "rsud-bandung"
        assert referral.status == "done"
        assert referral.procedure is not None
        assert referral.procedure.guidance == "fluoroscopy"
        # The referring clinic's record is closed with the referral: performed elsewhere.
        assert referral.procedure.status == "elsewhere"
    assert ImagingOrder.objects.filter(status="done").count() == 3
    assert verify_chain().ok
