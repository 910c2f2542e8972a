"""The register API: writes with field-named refusals, the engine's refusal, reads and the report files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.prescriptions.models import PrescriptionItem
from nyeri.tenancy.models import Facility
from tests.prescriptions.conftest import client_of

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def receipt(quantity: int = 60) -> dict[str, Any]:
    return {
        "medication": "morphine-10mg-tab",
        "quantity": quantity,
        "supplier": "PBF Kimia Farma",
        "document_number": "INV-9",
        "batch_number": "MO-1",
        "expiry_date": str(timezone.localdate() + timedelta(days=500)),
    }


def test_a_pharmacist_receives_and_dispenses_through_the_api(
    pharmacist: User, facility: Facility, morphine_item: PrescriptionItem
) -> None:
    client = client_of(pharmacist)
    base = f"/api/facilities/{facility.pk}/register"
    assert post(client, f"{base}/receipts", receipt()).status_code == 201
    done = post(client, f"{base}/dispensings", {"prescription_item_id": morphine_item.pk, "quantity": 28})
    assert done.status_code == 201
    assert done.json()["balance_after"] == 32
    too_many = post(client, f"{base}/dispensings", {"prescription_item_id": morphine_item.pk, "quantity": 1})
    assert too_many.status_code == 422
    assert [f["field"] for f in too_many.json()["error"]["fields"]] == ["quantity"]
    balances = client.get(f"{base}/balances").json()["items"]
    assert [(b["medication"], b["quantity"]) for b in balances] == [("morphine-10mg-tab", 32)]
    moves = client.get(f"{base}/movements", {"kind": "dispensing"}).json()["items"]
    assert [m["quantity"] for m in moves] == [28]
    report = client.get(f"{base}/report").json()
    assert report["reconciles"] is True
    assert report["lines"][0]["dispensed"] == 28
    csv = client.get(f"{base}/report.csv")
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    assert client.get(f"{base}/report.pdf").content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="register_report").count() == 2


def test_balances_and_movements_are_paged(pharmacist: User, facility: Facility) -> None:
    client = client_of(pharmacist)
    base = f"/api/facilities/{facility.pk}/register"
    written = [
        post(client, f"{base}/receipts", {**receipt(quantity), "medication": code}).json()
        for code, quantity in [("morphine-10mg-tab", 10), ("codeine-10mg-tab", 20), ("morphine-10mg-tab", 5)]
    ]
    first = client.get(f"{base}/balances", {"page_size": 1}).json()
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (2, 1, 2, 1)
    [second] = client.get(f"{base}/balances", {"page_size": 1, "page": 2}).json()["items"]
    assert {first["items"][0]["medication"], second["medication"]} == {"morphine-10mg-tab", "codeine-10mg-tab"}
    morphine = first["items"][0] if first["items"][0]["medication"] == "morphine-10mg-tab" else second
    assert (morphine["quantity"], morphine["strength"]) == (15, "10 mg")
    moves = client.get(f"{base}/movements", {"page_size": 2}).json()
    assert (moves["count"], moves["pages"]) == (3, 2)
    assert [m["id"] for m in moves["items"]] == [written[2]["id"], written[1]["id"]]
    [oldest] = client.get(f"{base}/movements", {"page_size": 2, "page": 2}).json()["items"]
    # A listed movement reads as the write answered it.
    assert oldest == written[0]
    morphine_only = client.get(f"{base}/movements", {"medication": "morphine-10mg-tab", "page_size": 1}).json()
    assert (morphine_only["count"], morphine_only["items"][0]["id"]) == (2, written[2]["id"])
    assert client.get(f"{base}/movements", {"page_size": 501}).status_code == 422


def test_bad_input_is_refused_naming_the_field(pharmacist: User, facility: Facility) -> None:
    client = client_of(pharmacist)
    base = f"/api/facilities/{facility.pk}/register"
    zero = post(client, f"{base}/receipts", receipt(quantity=0))
    assert zero.status_code == 422
    assert [f["field"] for f in zero.json()["error"]["fields"]] == ["quantity"]
    plain = post(client, f"{base}/receipts", {**receipt(), "medication": "ibuprofen-400mg-tab"})
    assert [f["field"] for f in plain.json()["error"]["fields"]] == ["medication"]
    post(client, f"{base}/receipts", receipt())
    me = post(
        client,
        f"{base}/destructions",
        {
            "medication": "morphine-10mg-tab",
            "quantity": 1,
            "witness_1_id": pharmacist.pk,
            "witness_2_id": 999999,
            "reason": "x",
        },
    )
    assert me.status_code == 422
    assert me.json()["error"]["fields"][0]["field"] == "witness_2"


def test_a_physician_may_not_write_or_read_the_register(physician: User, facility: Facility) -> None:
    client = client_of(physician)
    base = f"/api/facilities/{facility.pk}/register"
    assert post(client, f"{base}/receipts", receipt()).status_code == 403
    assert client.get(f"{base}/balances").status_code == 403


def test_another_organizations_facility_is_not_found(pharmacist: User, other_facility: Facility) -> None:
    assert client_of(pharmacist).get(f"/api/facilities/{other_facility.pk}/register/balances").status_code == 404
