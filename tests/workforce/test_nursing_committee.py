"""The nursing committee (Komite Keperawatan, Permenkes 49/2013; docs/privileges.md): nurses'
privileges go through the same request -> recommendation -> grant flow, recommended by the
nursing committee; the catalogue names which committee reviews each privilege, and neither
committee can decide on the other's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.notifications.models import Notification, NotificationKind
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import PrivilegeRequestStatus
from nyeri.workforce.models import PrivilegeGrant, PrivilegeRequest
from nyeri.workforce.privileges import pdf, selectors, services
from nyeri.workforce.privileges.catalogue import catalogue_for, committee_for
from nyeri.workforce.privileges.watch import notify_recredentialing
from tests.conftest import log_in
from tests.procedures.conftest import (  # noqa: F401 - fixtures used by name
    MakeStaff,
    Staff,
    make_staff,
    nurse,
    physician,
    scope_of,
)
from tests.workforce.privileges_support import FLUORO, granted, requested, text_of

pytestmark = pytest.mark.django_db
PCA = "nursing_pain_assessment_pca"
ASSIST = "nursing_interventional_assist"


def test_the_catalogue_names_the_nursing_committee_for_nursing_privileges_with_its_source() -> None:
    found = catalogue_for("ID")
    assert found is not None
    nursing = committee_for("ID", PCA)
    assert nursing is not None
    assert nursing.role == Role.NURSING_COMMITTEE_MEMBER
    assert "Permenkes 49/2013" in nursing.source
    assert committee_for("ID", ASSIST) == nursing
    medical = committee_for("ID", FLUORO)
    assert medical is not None
    assert medical.role == Role.COMMITTEE_MEMBER
    entry = found.get(PCA)
    assert entry is not None
    assert entry.label("en") == "Pain assessment and PCA monitoring"
    assert "Permenkes 49/2013" in entry.source


def test_a_nurse_is_recommended_by_the_nursing_committee_and_granted_by_the_director(
    nurse: Staff,  # noqa: F811
    facility: Facility,
    nursing_committee: User,
    director: User,
) -> None:
    grant = granted(nurse, facility, nursing_committee, director, PCA, reasons="Competence assessed on the ward.")
    request = grant.request

    assert grant.privilege == PCA
    assert grant.person_id == nurse.person.pk
    rkk_en = text_of(pdf.rkk_pdf(scope_of(director), request, "en"))
    rkk_id = text_of(pdf.rkk_pdf(scope_of(director), request, "id"))
    spk_en = text_of(pdf.spk_pdf(scope_of(director), grant, "en"))
    spk_id = text_of(pdf.spk_pdf(scope_of(director), grant, "id"))
    assert "Nursing committee of" in rkk_en
    assert "Chair of the nursing committee" in rkk_en
    assert "Medical committee" not in rkk_en
    assert "Komite Keperawatan" in rkk_id
    assert "Pengkajian nyeri dan pemantauan PCA" in rkk_id
    assert "On the recommendation of the nursing committee" in spk_en
    assert "Komite Keperawatan" in spk_id


def test_the_committee_cannot_recommend_a_nursing_privilege_and_vice_versa(
    nurse: Staff,  # noqa: F811
    physician: Staff,  # noqa: F811
    facility: Facility,
    committee: User,
    nursing_committee: User,
) -> None:
    nursing_request = requested(nurse, facility, ASSIST)
    medical_request = requested(physician, facility, FLUORO)

    with translation.override("en"), pytest.raises(ActionRefused) as medical_refused:
        services.review_request(
            scope=scope_of(committee),
            acting_user=committee,
            request=nursing_request,
            recommend=True,
            reasons="Yes.",
        )
    with translation.override("id"), pytest.raises(ActionRefused) as nursing_refused:
        services.review_request(
            scope=scope_of(nursing_committee),
            acting_user=nursing_committee,
            request=medical_request,
            recommend=True,
            reasons="Ya.",
        )

    assert list(medical_refused.value.reasons) == [
        "Assisting interventional pain procedures is reviewed by the nursing committee: "
        "the medical committee cannot decide on it."
    ]
    assert list(nursing_refused.value.reasons) == [
        "Tindakan intervensi nyeri dengan panduan fluoroskopi ditinjau oleh Komite Medik: "
        "Komite Keperawatan tidak dapat memutuskannya."
    ]
    nursing_request.refresh_from_db()
    medical_request.refresh_from_db()
    assert nursing_request.status == medical_request.status == PrivilegeRequestStatus.REQUESTED
    denied = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="privilege_request")
    assert {e.object_id for e in denied} == {str(nursing_request.pk), str(medical_request.pk)}
    assert any("reviewed by the nursing committee" in e.reason for e in denied)


def test_each_committee_sees_only_its_own_privileges_waiting(
    nurse: Staff,  # noqa: F811
    physician: Staff,  # noqa: F811
    facility: Facility,
    committee: User,
    nursing_committee: User,
) -> None:
    nursing_request = requested(nurse, facility, PCA)
    medical_request = requested(physician, facility, FLUORO)

    assert list(selectors.waiting_for_committee(scope_of(nursing_committee))) == [nursing_request]
    assert list(selectors.waiting_for_committee(scope_of(committee))) == [medical_request]


def test_the_nursing_committee_recredentials_a_nurse_and_the_watch_warns_it_not_the_medical_committee(
    nurse: Staff,  # noqa: F811
    facility: Facility,
    committee: User,
    nursing_committee: User,
    director: User,
    org: Organization,
) -> None:
    grant = granted(nurse, facility, nursing_committee, director, PCA)

    assert notify_recredentialing(org, grant.recredential_on - timedelta(days=29)) == 2
    notices = Notification.objects.filter(kind=NotificationKind.PRIVILEGE_RECREDENTIALING)
    assert {n.recipient_id for n in notices} == {nurse.user.pk, nursing_committee.pk}
    with pytest.raises(ActionRefused):
        services.recredential(
            scope=scope_of(committee), acting_user=committee, grant=grant, outcome="renew", reasons="."
        )
    decision = services.recredential(
        scope=scope_of(nursing_committee),
        acting_user=nursing_committee,
        grant=grant,
        outcome="renew",
        reasons="Audit of PCA charts in range.",
    )
    assert decision.next_grant is not None


def test_the_nurse_path_through_the_pages(
    nurse: Staff,  # noqa: F811
    facility: Facility,
    committee: User,
    nursing_committee: User,
    director: User,
) -> None:
    own = log_in(Client(), nurse.user)
    response = own.post("/workforce/privileges/requests/", {"facility": facility.pk, "privilege": PCA})
    assert response.status_code == 302
    request = PrivilegeRequest.objects.get(person=nurse.person, privilege=PCA)

    medical = log_in(Client(), committee)
    assert b'data-testid="review-form"' not in medical.get(f"/workforce/privileges/requests/{request.pk}/").content
    medical.post(f"/workforce/privileges/requests/{request.pk}/review/", {"recommend": "yes", "reasons": "Yes."})
    request.refresh_from_db()
    assert request.status == PrivilegeRequestStatus.REQUESTED

    nursing = log_in(Client(), nursing_committee)
    index = nursing.get("/workforce/privileges/").content.decode()
    assert "Pain assessment and PCA monitoring" in index
    page = nursing.get(f"/workforce/privileges/requests/{request.pk}/").content.decode()
    assert "Reviewed by the nursing committee." in page
    assert 'data-testid="review-form"' in page
    nursing.post(f"/workforce/privileges/requests/{request.pk}/review/", {"recommend": "yes", "reasons": "Good."})
    request.refresh_from_db()
    assert request.status == PrivilegeRequestStatus.RECOMMENDED

    boss = log_in(Client(), director)
    response = boss.post(f"/workforce/privileges/requests/{request.pk}/grant/", {"years": "3"})
    grant = PrivilegeGrant.objects.get(request=request)
    assert response.status_code == 302
    rkk = boss.get(f"/workforce/privileges/requests/{request.pk}/rkk.pdf?lang=en")
    assert "Nursing committee of" in text_of(rkk.content)
    mine = own.get("/workforce/privileges/").content.decode()
    assert grant.number in mine or "Pain assessment and PCA monitoring" in mine
