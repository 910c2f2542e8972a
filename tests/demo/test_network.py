from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.verify import verify_chain
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import AssessmentScore, Patient
from nyeri.clinical.outcomes.responders import Point, ResponderLevel, change_from_baseline
from nyeri.demo.candidates import DEMO_CANDIDATE
from nyeri.demo.data import DEMO_ACCOUNTS, DEMO_PASSWORD
from nyeri.tenancy.models import Facility, MembershipRole, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.engine import certification_progress, decide
from nyeri.workforce.kinds import CredentialStatus
from nyeri.workforce.models import Credential, Person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def test_seed_demo_builds_the_network_with_one_login_per_role_and_is_safe_to_run_twice(seeded: str) -> None:
    assert "Demo data loaded" in seeded
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert Organization.objects.count() == 1
    facilities = Facility.objects.all()
    assert sorted(f.kind for f in facilities) == ["hospital_pain_unit", "pain_clinic", "pain_clinic"]
    assert len({f.regency_code for f in facilities}) == 3
    assert {r.role for r in MembershipRole.objects.all()} == {r.value for r in Role}
    assert {role for _, _, role, _ in DEMO_ACCOUNTS} == set(Role)
    assert 24 <= Patient.objects.count() <= 60
    assert all(len(p.nik) in (0, 16) for p in Patient.objects.all())
    assert "already present" in out.getvalue()
    assert DEMO_CANDIDATE in out.getvalue()
    for username, *_ in DEMO_ACCOUNTS:
        assert username in out.getvalue()
        assert User.objects.get(username=username).has_usable_password()


def test_seed_demo_is_deterministic() -> None:
    # The same seed gives the same people on every machine (values recorded from a run).
    first = list(Patient.objects.order_by("pk").values_list("mrn", "full_name", "nik")[:2])
    assert first == [
        ("RM-KLI-00001", "Fitri Kusnadi", "3211014802869119"),
        ("RM-KLI-00002", "Jajang Sopian", "3273012001601815"),
    ]


def test_seed_demo_writes_an_intact_audit_chain() -> None:
    assert verify_chain().ok


def test_each_demo_account_logs_in_and_reaches_its_dashboard() -> None:
    for username, _name, role, _codes in DEMO_ACCOUNTS:
        client = Client()
        response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD}, follow=True)
        assert response.status_code == 200, username
        final_path = response.redirect_chain[-1][0]
        if role == Role.ADMINISTRATOR:
            # Administrators must enrol a second factor before anything else.
            assert final_path.startswith("/accounts/second-factor/setup/"), username
        else:
            assert final_path.startswith("/facilities/"), username
            assert response.context["facility"].name in response.content.decode()


def test_the_demo_workforce_covers_every_case_the_engine_explains() -> None:
    facilities = {f.code: f for f in Facility.objects.select_related("organization")}

    def decision(username: str, action: str, code: str) -> tuple[bool, list[str]]:
        person = Person.objects.get(user__username=username)
        found = decide(person.pk, action, facilities[code])
        return found.allowed, [u.code for u in found.unmet]

    assert decision("dokter.umum", "prescribe", "klinik-sumedang") == (False, ["credential_expired"])
    assert decision("rehabmedik", "prescribe", "klinik-cimahi") == (False, ["permit_other_place"])
    assert decision("neurolog", "prescribe_controlled", "rsud-bandung") == (
        False,
        ["credential_missing", "check_pending"],
    )
    assert decision("dokter.nyeri", "prescribe_controlled", "rsud-bandung") == (True, [])
    assert decision("anestesi", "give_sedation", "rsud-bandung") == (True, [])
    assert decision("perawat", "record_assessment", "rsud-bandung") == (True, [])
    assert decision("radiografer", "operate_equipment:c_arm", "rsud-bandung") == (True, [])
    nurse = Person.objects.get(user__username="perawat")
    progress = certification_progress(nurse.pk, "pain_nursing", jurisdiction="ID")
    hours = next(item for item in progress.items if item.requirement.kind == "hours")
    assert hours.have is not None
    assert 800 <= hours.have <= 1200
    assert not progress.complete
    assert Credential.objects.filter(status=CredentialStatus.SUBMITTED).exists()


def test_the_demo_patients_improve_stay_the_same_or_get_worse_over_a_year() -> None:
    levels: list[ResponderLevel | None] = []
    worse = 0
    for patient in Patient.objects.all():
        points = [
            Point(at, value)
            for at, value in AssessmentScore.objects.filter(
                assessment__patient=patient, assessment__instrument_code="nrs", score_code="total"
            )
            .order_by("assessment__recorded_at")
            .values_list("assessment__recorded_at", "value")
        ]
        assert len(points) >= 6, patient.mrn  # a year of visits
        change = change_from_baseline(points)
        assert change is not None
        levels.append(change.level)
        worse += change.reduction is not None and change.reduction < 0
        assert Diagnosis.objects.filter(patient=patient).exclude(icd11_category="").exists()
    assert levels.count(ResponderLevel.SUBSTANTIAL) >= 5
    assert levels.count(ResponderLevel.NONE) >= 10
    assert worse >= 4


def test_the_demo_candidates_have_applied_and_one_was_hired_through_the_pipeline() -> None:
    from nyeri.hiring.models import Application, Stage

    stages = dict(Application.objects.values_list("candidate__user__username", "stage"))
    assert stages[DEMO_CANDIDATE] == Stage.RECEIVED
    assert stages["siti.rahma@kandidat.example"] == Stage.OFFER
    assert stages["budi.santoso@kandidat.example"] == Stage.REJECTED
    assert stages["rina.marlina@kandidat.example"] == Stage.HIRED
    rina = Person.objects.get(user__username="rina.marlina@kandidat.example")
    queued = Credential.objects.filter(person=rina, status=CredentialStatus.SUBMITTED)
    assert list(queued.values_list("kind", flat=True)) == ["work_experience"]
    # The officer of the demo sees the ranked applications of the hospital's nurse posting.
    client = Client()
    client.post("/accounts/login/", {"username": "kredensial", "password": DEMO_PASSWORD})
    siti = Application.objects.get(candidate__user__username="siti.rahma@kandidat.example")
    page = client.get(f"/hiring/postings/{siti.posting_id}/").content.decode()
    assert f'data-application="{siti.pk}"' in page


def test_the_demo_has_a_credential_checked_at_its_source_and_an_skp_ledger_part_way() -> None:
    from decimal import Decimal

    from nyeri.tenancy.scope import resolve_scope
    from nyeri.workforce.models import SourceVerification
    from nyeri.workforce.skp.selectors import person_progress

    checked = SourceVerification.objects.select_related("credential__person__user").get(
        credential__person__user__username="dokter.nyeri"
    )
    assert (checked.source, checked.method, checked.before_source_recording) == (
        "kki_str_register",
        "online_register",
        False,
    )
    assert checked.attestation
    assert checked.verified_by is not None
    assert checked.verified_by.username == "kredensial"
    assert checked.credential.submitted_by_id == checked.credential.person.user_id
    officer = resolve_scope(User.objects.get(username="kredensial"))
    assert officer is not None
    progress = person_progress(officer, checked.credential.person)
    assert progress is not None
    assert progress.period is not None
    assert progress.needed == Decimal("250")
    assert Decimal("70") <= progress.total < progress.needed
