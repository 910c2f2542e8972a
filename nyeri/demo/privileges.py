"""Demo clinical privileges at the hospital (docs/privileges.md): the hospital requires
"interventional pain procedures under fluoroscopy"; the pain physician holds it since
nearly three years (due for re-credentialing in 45 days, the watch warns); the
anesthesiologist was just granted it and is under focused review (the first cases need a
proctor); the neurologist's request waits for the committee; the nurse holds "pain
assessment and PCA monitoring", recommended by the nursing committee. All through the
services, as the committee members and the director would do it.

Seeded after the care: the procedures already recorded came before the requirement.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nyeri.accounts.models import User
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.models import Person, PrivilegeRequest
from nyeri.workforce.privileges import services

FLUORO = "fluoroscopy_interventional"
NURSING_PCA = "nursing_pain_assessment_pca"
# The pain physician's grant ends this many days after the demo is loaded.
DUE_IN_DAYS = 45


def _scope(user: User, org_id: int) -> Scope:
    scope = resolve_scope(user, org_id)
    assert scope is not None
    return scope


def seed_privileges(*, org_id: int, facilities: dict[str, Facility]) -> None:
    hospital = facilities["rsud-bandung"]
    admin, committee, director = (User.objects.get(username=u) for u in ("admin", "komite", "direktur"))
    services.require_privileges(scope=_scope(admin, org_id), acting_user=admin, facility=hospital, privileges=[FLUORO])
    today = local_date(hospital)

    def request(username: str, privilege: str) -> PrivilegeRequest:
        user = User.objects.get(username=username)
        person = Person.objects.get(organization_id=org_id, user=user)
        return services.request_privilege(
            scope=_scope(user, org_id), acting_user=user, person=person, facility=hospital, privilege=privilege
        )

    def grant(username: str, reasons: str, privilege: str = FLUORO, by: User = committee, **kwargs: Any) -> None:
        asked = request(username, privilege)
        services.review_request(
            scope=_scope(by, org_id), acting_user=by, request=asked, recommend=True, reasons=reasons
        )
        services.grant_privilege(scope=_scope(director, org_id), acting_user=director, request=asked, **kwargs)

    # Due for re-credentialing: three years from just under three years ago (focused review long done).
    grant(
        "dokter.nyeri",
        "Sp.An, KMN; 400 fluoroscopy-guided procedures documented at his previous hospital.",
        starts_on=today - timedelta(days=3 * 365 - DUE_IN_DAYS),
        focused_review=False,
    )
    # Under focused review: granted today, the first 5 cases need a proctor.
    grant("anestesi", "Sp.An; fluoroscopy training completed; focused review of 5 cases.")
    # Waiting for the committee: the neurologist asks to prescribe narcotics golongan II.
    request("neurolog", "narcotics_ii")
    # The nurse, recommended by the nursing committee (Komite Keperawatan), not the medical one.
    grant(
        "perawat",
        "Pain assessment and PCA pump monitoring assessed on the ward; pain training certificate on file.",
        privilege=NURSING_PCA,
        by=User.objects.get(username="komite.keperawatan"),
    )
