"""Clinical privileges (docs/privileges.md): the documents, the watch, re-credentialing, the
door, the API. The clinic's side (procedures refused, focused review, lapse) is in
tests/procedures/test_privileges.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.notifications.models import Notification, NotificationKind
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from nyeri.workforce.door import check
from nyeri.workforce.engine import decide
from nyeri.workforce.kinds import PrivilegeGrantStatus, Specialty
from nyeri.workforce.models import PrivilegeRequest
from nyeri.workforce.privileges import pdf, services
from nyeri.workforce.privileges.watch import notify_recredentialing
from tests.conftest import MakeMember, log_in
from tests.procedures.conftest import (  # noqa: F401 - fixtures used by name
    MakeStaff,
    Staff,
    admin,
    make_staff,
    physician,
    scope_of,
)
from tests.workforce.privileges_support import FLUORO, granted, requested, text_of

pytestmark = pytest.mark.django_db
API = "/api/workforce/privileges"


def test_the_rkk_and_spk_read_in_indonesian_and_english_with_the_engines_check(
    physician: Staff,  # noqa: F811
    facility: Facility,
    committee: User,
    director: User,
) -> None:
    grant = granted(physician, facility, committee, director)
    scope = scope_of(director)

    rkk_en = text_of(pdf.rkk_pdf(scope, grant.request, "en"))
    rkk_id = text_of(pdf.rkk_pdf(scope, grant.request, "id"))
    spk_en = text_of(pdf.spk_pdf(scope, grant, "en"))
    spk_id = text_of(pdf.spk_pdf(scope, grant, "id"))

    assert "Clinical privileges recommended (RKK)" in rkk_en
    assert "Interventional pain procedures under fluoroscopy" in rkk_en
    assert "Works at this facility: met" in rkk_en
    assert "File complete." in rkk_en
    assert "Rincian kewenangan klinis yang direkomendasikan (RKK)" in rkk_id
    assert "Tindakan intervensi nyeri dengan panduan fluoroskopi" in rkk_id
    assert "terpenuhi" in rkk_id
    assert "Clinical appointment letter (SPK)" in spk_en
    assert grant.number in spk_en
    assert "Surat penugasan klinis (SPK)" in spk_id
    with translation.override("id"):
        assert f"{grant.ends_on.day} " in spk_id
    assert str(grant.ends_on.year) in spk_id
    reads = AuditEvent.objects.filter(action=AuditAction.READ, object_type="person", object_id=str(physician.person.pk))
    assert reads.count() == 2  # the file, read for each document


def test_the_watch_warns_the_holder_and_the_committee_at_sixty_days_once(
    physician: Staff,  # noqa: F811
    facility: Facility,
    committee: User,
    director: User,
    org: Organization,
) -> None:
    grant = granted(physician, facility, committee, director)
    day = grant.recredential_on - timedelta(days=58)

    assert notify_recredentialing(org, day) == 2
    assert notify_recredentialing(org, day) == 0
    notices = Notification.objects.filter(kind=NotificationKind.PRIVILEGE_RECREDENTIALING).order_by("recipient_id")
    assert {n.recipient_id for n in notices} == {physician.user.pk, committee.pk}
    assert all(":recredential:60:" in n.dedupe_key for n in notices)
    # Not yet at 90 days out: nothing; at 29 days: the 30-day notice.
    assert notify_recredentialing(org, grant.recredential_on - timedelta(days=95)) == 0
    assert notify_recredentialing(org, grant.recredential_on - timedelta(days=29)) == 2
    from nyeri.notifications.messages import render_message

    own = notices.get(recipient=physician.user, dedupe_key__contains=":recredential:60:")
    assert render_message(own, "en").startswith(
        "Your clinical privilege “Interventional pain procedures under fluoroscopy” is due for re-credentialing on"
    )


def test_renewal_supersedes_the_grant_and_withdrawal_makes_the_engine_refuse_naming_it(
    physician: Staff,  # noqa: F811
    facility: Facility,
    committee: User,
    director: User,
    admin: User,  # noqa: F811
) -> None:
    services.require_privileges(scope=scope_of(admin), acting_user=admin, facility=facility, privileges=[FLUORO])
    grant = granted(physician, facility, committee, director)
    decision = services.recredential(
        scope=scope_of(committee), acting_user=committee, grant=grant, outcome="renew", reasons="OPPE within range."
    )
    grant.refresh_from_db()
    assert grant.status == PrivilegeGrantStatus.SUPERSEDED
    renewed = decision.next_grant
    assert renewed is not None
    assert renewed.renews_id == grant.pk
    assert renewed.fppe_cases == 0
    assert decide(physician.person.pk, "perform_fluoroscopy_guided", facility).allowed

    services.recredential(
        scope=scope_of(committee), acting_user=committee, grant=renewed, outcome="withdraw", reasons="Complications."
    )

    refused = decide(physician.person.pk, "perform_fluoroscopy_guided", facility)
    assert [u.code for u in refused.unmet] == ["privilege_withdrawn"]
    assert refused.unmet[0].message("en") == (
        "The clinical privilege “Interventional pain procedures under fluoroscopy” was withdrawn."
    )
    assert AuditEvent.objects.filter(object_type="privilege_grant", action=AuditAction.UPDATE).count() == 2


def test_a_restriction_needs_its_text_and_restarts_focused_review(
    physician: Staff,  # noqa: F811
    facility: Facility,
    committee: User,
    director: User,
) -> None:
    grant = granted(physician, facility, committee, director, focused_review=False)
    assert grant.fppe_cases == 0
    with pytest.raises(ValidationError) as missing:
        services.recredential(
            scope=scope_of(committee), acting_user=committee, grant=grant, outcome="restrict", reasons="Two cases."
        )
    assert "restriction" in missing.value.message_dict

    decision = services.recredential(
        scope=scope_of(committee),
        acting_user=committee,
        grant=grant,
        outcome="restrict",
        reasons="Two dural punctures.",
        restriction="Lumbar levels only.",
    )

    assert decision.next_grant is not None
    assert decision.next_grant.restriction == "Lumbar levels only."
    assert decision.next_grant.fppe_cases == 5


def test_only_a_committee_member_reviews_and_never_their_own_request(
    physician: Staff,  # noqa: F811
    facility: Facility,
    committee: User,
    director: User,
    make_staff: MakeStaff,  # noqa: F811
) -> None:
    request = requested(physician, facility)
    with pytest.raises(ActionRefused):
        services.review_request(
            scope=scope_of(director), acting_user=director, request=request, recommend=True, reasons="Yes."
        )
    member_doctor = make_staff(Role.PAIN_PHYSICIAN, "dr_komite", residency=Specialty.ANESTHESIOLOGY)
    from nyeri.tenancy.models import MembershipRole

    membership = member_doctor.user.memberships.get()
    MembershipRole.objects.create(
        organization=membership.organization, membership=membership, role=Role.COMMITTEE_MEMBER
    )
    own = requested(member_doctor, facility)
    with translation.override("en"), pytest.raises(ActionRefused) as refused:
        services.review_request(
            scope=scope_of(member_doctor.user),
            acting_user=member_doctor.user,
            request=own,
            recommend=True,
            reasons="Me.",
        )
    assert "your own clinical privilege" in refused.value.message
    with pytest.raises(ValidationError) as empty:
        services.review_request(
            scope=scope_of(committee), acting_user=committee, request=request, recommend=False, reasons="  "
        )
    assert "reasons" in empty.value.message_dict


def test_the_door_refuses_a_narcotic_ii_prescriber_without_the_privilege_where_required(
    physician: Staff,  # noqa: F811
    facility: Facility,
    admin: User,  # noqa: F811
) -> None:
    assert check(physician.scope, ["prescribe", "prescribe_narcotic_ii"], facility, no_record="-").allowed
    services.require_privileges(
        scope=scope_of(admin), acting_user=admin, facility=facility, privileges=["narcotics_ii"]
    )

    with translation.override("en"):
        verdict = check(physician.scope, ["prescribe", "prescribe_narcotic_ii"], facility, no_record="-")

    assert not verdict.allowed
    assert verdict.reasons == ("No clinical privilege “Prescribing narcotics golongan II” granted at this facility.",)
    assert "prescribe_narcotic_ii: privilege_missing" in verdict.basis


def post(client: Client, path: str, payload: dict[str, Any]) -> Any:
    return client.post(path, payload, content_type="application/json")


def test_the_api_takes_a_request_to_a_grant_and_refuses_a_second_grant(
    physician: Staff,  # noqa: F811
    facility: Facility,
    committee: User,
    director: User,
    other_org: Organization,
    make_member: MakeMember,
) -> None:
    doctor = log_in(Client(), physician.user)
    created = post(doctor, f"{API}/requests", {"privilege": FLUORO, "facility_id": facility.pk})
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]
    assert created.json()["status"] == "requested"

    early = post(log_in(Client(), director), f"{API}/requests/{request_id}/grant", {"years": 3})
    assert early.status_code == 403
    assert "has not recommended" in early.json()["error"]["message"]

    reviewed = post(
        log_in(Client(), committee), f"{API}/requests/{request_id}/review", {"recommend": True, "reasons": "Complete."}
    )
    assert reviewed.status_code == 200
    assert reviewed.json()["status"] == "recommended"
    head = log_in(Client(), director)
    grant = post(head, f"{API}/requests/{request_id}/grant", {"years": 3})
    assert grant.status_code == 201, grant.content
    body = grant.json()
    today = local_date(facility)
    assert body["starts_on"] == today.isoformat()
    assert body["fppe_cases"] == 5
    again = post(head, f"{API}/requests/{request_id}/grant", {"years": 3})
    assert again.status_code == 403

    spk = head.get(f"{API}/grants/{body['id']}/spk.pdf?lang=en")
    assert spk.status_code == 200
    assert spk["Content-Type"] == "application/pdf"
    assert body["number"] in text_of(spk.content)
    outsider = log_in(Client(), make_member(other_org, Role.DIRECTOR, username="direktur_lain"))
    assert outsider.get(f"{API}/requests/{request_id}").status_code == 404
    assert outsider.get(f"{API}/grants/{body['id']}/spk.pdf").status_code == 404


def test_a_request_with_unmet_prerequisites_is_a_403_listing_each_reason(
    make_staff: MakeStaff,  # noqa: F811
    facility: Facility,
) -> None:
    gp = make_staff(Role.GENERAL_PRACTITIONER, "dr_umum")
    response = post(log_in(Client(), gp.user), f"{API}/requests", {"privilege": FLUORO, "facility_id": facility.pk})

    assert response.status_code == 403
    fields = response.json()["error"]["fields"]
    assert len(fields) == 2
    assert {f["field"] for f in fields} == {"privilege"}
    assert not PrivilegeRequest.objects.exists()
