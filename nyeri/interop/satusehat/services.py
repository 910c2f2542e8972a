"""Writes for SATUSEHAT: an organization's connection settings, a patient's IHS number."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.clinical.access import REGISTRATION_ROLES, access_patient
from nyeri.clinical.services import update_patient
from nyeri.interop.models import SatusehatEnvironment, SatusehatSettings
from nyeri.interop.satusehat import secrets
from nyeri.interop.satusehat.client import SatusehatClient
from nyeri.interop.satusehat.selectors import connection_for
from nyeri.tenancy.access import require_organization_administrator

if TYPE_CHECKING:
    from nyeri.accounts.models import User
    from nyeri.tenancy.scope import Scope

OBJECT_TYPE = "satusehat_settings"


def save_satusehat_settings(
    *,
    scope: Scope,
    acting_user: User,
    environment: str,
    satusehat_organization_id: str,
    client_id: str,
    client_secret: str = "",
) -> SatusehatSettings:
    """Create or change the organization's SATUSEHAT connection (administrators only, audited).

    A blank ``client_secret`` keeps the stored one (the page never shows it back). The
    secret is stored encrypted and never written to the audit trail.
    """
    require_organization_administrator(scope, object_type=OBJECT_TYPE, reason="SATUSEHAT settings")
    with transaction.atomic():
        row = SatusehatSettings.objects.select_for_update().filter(organization=scope.organization).first()
        created = row is None
        if row is None:
            row = SatusehatSettings(organization=scope.organization)
        row.environment = environment.strip()
        row.satusehat_organization_id = satusehat_organization_id.strip()
        row.client_id = client_id.strip()
        secret = client_secret.strip()
        if secret:
            row.client_secret_encrypted = secrets.encrypt(secret)
        elif created:
            raise ValidationError({"client_secret": _("Enter the client secret given by SATUSEHAT.")})
        if row.environment not in SatusehatEnvironment.values:
            raise ValidationError({"environment": _("Choose staging or production.")})
        row.full_clean(exclude=["organization"])
        row.save()
        changed = ["environment", "satusehat_organization_id", "client_id"] + (["client_secret"] if secret else [])
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            organization=scope.organization,
            object_type=OBJECT_TYPE,
            object_id=row.pk,
            reason=f"{row.environment}; fields: {', '.join(changed)}",
        )
    # A token of the old credentials is not used again.
    connection = connection_for(scope.organization)
    if connection is not None:
        cache.delete(connection.cache_key)
    return row


def link_patient_ihs_number(
    *, scope: Scope, acting_user: User, patient_id: int, client: SatusehatClient | None = None
) -> str | None:
    """Look the patient's NIK up in SATUSEHAT's Master Patient Index and keep their IHS number.

    The IHS number is written as an edit of the patient's record (kept in its history).
    Returns the IHS number, or None when SATUSEHAT knows no patient with this NIK (audited).
    ``Retryable`` and ``Refused`` (``nyeri.interop.satusehat.client``) pass through.
    """
    patient = access_patient(scope, patient_id, purpose="SATUSEHAT lookup", roles=REGISTRATION_ROLES)
    if not patient.nik:
        raise ValidationError({"nik": _("The patient has no NIK to look up in SATUSEHAT.")})
    if client is None:
        connection = connection_for(scope.organization)
        if connection is None:
            raise ValidationError(
                {"satusehat": _("SATUSEHAT is not set up for this organization; an administrator can set it up.")}
            )
        client = SatusehatClient(connection)
    ihs = client.patient_ihs_by_nik(patient.nik)
    if ihs is None:
        with transaction.atomic():
            record_event(
                actor=acting_user,
                action=AuditAction.SEARCH,
                outcome=AuditOutcome.FAILURE,
                organization=scope.organization,
                patient_id=patient.pk,
                object_type="patient",
                object_id=patient.pk,
                reason="SATUSEHAT: no patient with this NIK",
            )
        return None
    if ihs != patient.ihs_number:
        update_patient(
            scope=scope,
            acting_user=acting_user,
            patient_id=patient.pk,
            changes={"ihs_number": ihs},
            reason="SATUSEHAT Master Patient Index",
        )
    return ihs
