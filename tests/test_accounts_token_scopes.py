"""API tokens carry scopes (one table, nyeri/accounts/token_scopes.py) and always expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import timezone

from nyeri.accounts.models import ApiToken, User
from nyeri.accounts.services import create_api_token, revoke_api_token
from nyeri.accounts.token_scopes import ALL_SCOPES, LEGACY_SCOPES, TokenScope, token_allows
from nyeri.api.root import api
from nyeri.audit.models import AuditAction, AuditOutcome
from tests.accounts_fixtures import events

pytestmark = pytest.mark.django_db

OPERATION_METHODS = {"get", "post", "put", "patch", "delete"}


def token_for(user: User, *scopes: str) -> dict[str, str]:
    _token, raw = create_api_token(acting_user=user, name="script", expires_in_days=None, scopes=scopes)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


# --- The table ------------------------------------------------------------------------


def test_every_documented_operation_is_reachable_by_some_scope_except_signing() -> None:
    """A new router must be placed in the table: unknown paths are refused by default."""
    unreachable = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        concrete = path.replace("{", "").replace("}", "")
        for method in set(operations) & OPERATION_METHODS:
            if not token_allows(ALL_SCOPES, method, concrete):
                unreachable.append(f"{method.upper()} {path}")
    # Creating a token with a token is refused too (it would outlive its own revocation).
    assert sorted(unreachable) == ["POST /api/prescriptions/{prescription_id}/sign", "POST /api/tokens"]


@pytest.mark.parametrize(
    ("scopes", "method", "path", "allowed"),
    [
        ((TokenScope.CLINICAL_READ,), "GET", "/api/patients/3", True),
        ((TokenScope.CLINICAL_READ,), "POST", "/api/patients", False),
        ((TokenScope.CLINICAL_WRITE,), "POST", "/api/patients", True),
        ((TokenScope.CLINICAL_WRITE,), "GET", "/api/workforce/people", False),
        ((TokenScope.WORKFORCE,), "GET", "/api/workforce/people", True),
        ((TokenScope.WORKFORCE,), "GET", "/api/patients", False),
        ((TokenScope.WORKFORCE,), "GET", "/api/patientsX", False),
        ((TokenScope.CLINICAL_WRITE,), "GET", "/fhir/R4/Patient", False),
        ((TokenScope.FHIR_EXPORT,), "GET", "/fhir/R4/$export", True),
        ((TokenScope.FHIR_EXPORT,), "DELETE", "/fhir/R4/$export-status/abc", True),
        ((TokenScope.FHIR_EXPORT,), "GET", "/api/patients", False),
        ((TokenScope.FHIR_EXPORT,), "GET", "/api/me", True),
        ((TokenScope.FHIR_EXPORT,), "POST", "/api/tokens", False),
        (ALL_SCOPES, "GET", "/api/nothing-here", False),
    ],
)
def test_the_table_allows_each_scope_its_paths_and_methods_only(
    scopes: tuple[str, ...], method: str, path: str, allowed: bool
) -> None:
    assert token_allows(scopes, method, path) is allowed


def test_no_scope_allows_signing_a_prescription() -> None:
    assert not token_allows(ALL_SCOPES, "POST", "/api/prescriptions/12/sign")
    assert not token_allows(ALL_SCOPES, "POST", "/api/prescriptions/12/sign/")
    assert token_allows(ALL_SCOPES, "POST", "/api/prescriptions/12/cancel")


# --- Enforced on requests -------------------------------------------------------------


def test_a_read_only_token_reads_but_a_write_is_403_with_the_envelope_and_audited(client: Client, nurse: User) -> None:
    auth = token_for(nurse, TokenScope.CLINICAL_READ)
    assert client.get("/api/patients", **auth).status_code == 200
    refused = client.post("/api/patients", {"name": "X"}, content_type="application/json", **auth)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert refused.json()["error"]["message"] == "Cakupan token API ini tidak mengizinkan permintaan ini."
    [event] = events(AuditAction.PERMISSION_DENIED)
    assert (event.actor_id, event.outcome, event.object_type) == (nurse.pk, AuditOutcome.DENIED, "api_token")
    assert "POST /api/patients" in event.reason


def test_a_workforce_token_cannot_read_clinical_records(client: Client, nurse: User) -> None:
    auth = token_for(nurse, TokenScope.WORKFORCE)
    assert client.get("/api/patients", **auth).status_code == 403
    # Let through by the table: whatever the nurse's role then answers, it is not the scope's no.
    client.get("/api/workforce/people", **auth)
    refusals = [e.reason for e in events(AuditAction.PERMISSION_DENIED) if e.object_type == "api_token"]
    assert [reason.rsplit(": ", 1)[1] for reason in refusals] == ["GET /api/patients"]


def test_a_clinical_token_is_refused_by_fhir_and_an_export_token_is_let_in(client: Client, nurse: User) -> None:
    refused = client.get("/fhir/R4/Patient", **token_for(nurse, TokenScope.CLINICAL_WRITE))
    assert refused.status_code == 403
    assert refused.json()["resourceType"] == "OperationOutcome"
    assert len(events(AuditAction.PERMISSION_DENIED)) == 1
    assert client.get("/fhir/R4/Patient", **token_for(nurse, TokenScope.FHIR_EXPORT)).status_code == 200


def test_revocation_takes_effect_on_the_very_next_request(client: Client, nurse: User) -> None:
    _token, raw = create_api_token(acting_user=nurse, name="script", expires_in_days=None, scopes=ALL_SCOPES)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/patients", **auth).status_code == 200
    assert client.get("/fhir/R4/Patient", **auth).status_code == 200
    revoke_api_token(acting_user=nurse, token=ApiToken.objects.get(user=nurse))
    assert client.get("/api/patients", **auth).status_code == 401
    assert client.get("/fhir/R4/Patient", **auth).status_code == 401


# --- Creation -------------------------------------------------------------------------


def test_a_token_expires_after_the_default_days_unless_told_otherwise(nurse: User) -> None:
    with override_settings(API_TOKEN_DEFAULT_DAYS=7):
        token, _raw = create_api_token(acting_user=nurse, name="a", expires_in_days=None, scopes=ALL_SCOPES)
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    token, _raw = create_api_token(acting_user=nurse, name="b", expires_in_days=None, scopes=ALL_SCOPES)
    assert timedelta(days=89, hours=23) < token.expires_at - timezone.now() <= timedelta(days=90)


@pytest.mark.parametrize(
    ("days", "scopes", "field"),
    [
        (366, ALL_SCOPES, "expires_in_days"),
        (0, ALL_SCOPES, "expires_in_days"),
        (1, (), "scopes"),
        (1, ("x",), "scopes"),
    ],
)
def test_creation_names_the_bad_field_and_writes_nothing(
    nurse: User, days: int, scopes: tuple[str, ...], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        create_api_token(acting_user=nurse, name="a", expires_in_days=days, scopes=scopes)
    assert field in refused.value.message_dict
    assert not ApiToken.objects.exists()


def test_the_api_refuses_a_token_request_without_scopes(nurse_client: Client) -> None:
    response = nurse_client.post("/api/tokens", {"name": "ci", "scopes": []}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "scopes"


def test_the_page_stores_the_chosen_scopes_and_the_default_expiry(nurse_client: Client, nurse: User) -> None:
    form = nurse_client.get("/accounts/tokens/new/")
    assert form.context["form"]["expires_in_days"].value() == 90
    response = nurse_client.post(
        "/accounts/tokens/new/", {"name": "Ekspor", "expires_in_days": "90", "scopes": ["fhir:export", "workforce"]}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=nurse)
    assert token.scopes == ["fhir:export", "workforce"]
    profile = nurse_client.get("/accounts/profile/").content.decode()
    # The nurse reads Indonesian.
    assert "FHIR: baca, cari, dan ekspor massal, Tenaga kerja, penjadwalan staf, dan rekrutmen" in profile


def test_the_page_refuses_a_token_without_scopes(nurse_client: Client) -> None:
    response = nurse_client.post("/accounts/tokens/new/", {"name": "x", "expires_in_days": "5"})
    assert response.status_code == 200
    assert response.context["form"].errors["scopes"]
    assert not ApiToken.objects.exists()


# --- The migration of existing tokens -------------------------------------------------


def test_tokens_made_before_scopes_get_the_legacy_scopes_and_at_most_90_days(nurse: User) -> None:
    from importlib import import_module

    migration = import_module("nyeri.accounts.migrations.0003_api_token_scopes_and_expiry")
    far, _ = create_api_token(acting_user=nurse, name="far", expires_in_days=300, scopes=[TokenScope.FHIR_EXPORT])
    near, _ = create_api_token(acting_user=nurse, name="near", expires_in_days=5, scopes=[TokenScope.FHIR_EXPORT])
    migration.scope_and_expire_existing_tokens(apps, None)
    far.refresh_from_db()
    near.refresh_from_db()
    assert far.scopes == near.scopes == list(LEGACY_SCOPES)
    assert timedelta(days=89, hours=23) < far.expires_at - timezone.now() <= timedelta(days=90)
    assert near.expires_at - timezone.now() <= timedelta(days=5)
