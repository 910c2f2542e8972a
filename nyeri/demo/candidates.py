"""Demo candidates: a dozen job seekers at different distances from eligibility.

``seed_candidates(now)`` is called by ``seed_demo``. Each candidate is a confirmed account
with no membership (they see only their own profile and career pathway); their credentials,
experience and hours are declarations (unverified). Log in as ``ayu.lestari@kandidat.example``
with the demo password: a nurse with 1,240 of the 2,000 hours the pain nursing
certification needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.candidates.models import CandidateProfile
from nyeri.candidates.services import declare_credential, declare_hours
from nyeri.demo.data import DEMO_PASSWORD
from nyeri.workforce.engine.periods import months_before

DEMO_CANDIDATE = "ayu.lestari@kandidat.example"


@dataclass(frozen=True)
class DemoCandidate:
    username: str
    full_name: str
    roles: tuple[str, ...]
    regency: tuple[str, str]
    # (kind, years ago issued, extra fields)
    credentials: tuple[tuple[str, int, dict[str, Any]], ...] = ()
    # months of declared hours (ending last month) and hours per month
    hours: tuple[int, int] = (0, 0)
    note: str = field(default="", compare=False)


BANDUNG = ("32.73", "Kota Bandung")
CIMAHI = ("32.77", "Kota Cimahi")
STR: tuple[str, int, dict[str, Any]] = ("registration", 6, {})

CANDIDATES = (
    DemoCandidate(
        DEMO_CANDIDATE,
        "Ayu Lestari, S.Kep., Ners",
        ("nurse",),
        BANDUNG,
        (STR, ("pain_nursing_certification", 1, {}), ("pain_training", 0, {"hours": Decimal(30)})),
        (31, 40),
        "nurse: 1,240 of 2,000 hours",
    ),
    DemoCandidate(
        "siti.rahma@kandidat.example",
        "Siti Rahma, S.Kep., Ners",
        ("nurse",),
        BANDUNG,
        (STR, ("pain_nursing_certification", 2, {}), ("pain_training", 0, {"hours": Decimal(32)})),
        (34, 62),
        "pain nurse: eligible",
    ),
    DemoCandidate(
        "budi.santoso@kandidat.example",
        "Budi Santoso, A.Md.Kep.",
        ("nurse",),
        CIMAHI,
        (("registration", 7, {"expires_in_years": -1}),),
        (6, 30),
        "nurse: STR expired",
    ),
    DemoCandidate(
        "dewi.anggraini@kandidat.example",
        "dr. Dewi Anggraini, Sp.N",
        ("pain_physician", "neurologist"),
        BANDUNG,
        (STR, ("education", 12, {"specialty": "general_medicine"}), ("residency", 4, {"specialty": "neurology"})),
        (0, 0),
        "pain physician: pain fellowship missing for blocks",
    ),
    DemoCandidate(
        "hendra.wijaya@kandidat.example",
        "dr. Hendra Wijaya, Sp.An-KMN",
        ("pain_physician", "anesthesiologist"),
        BANDUNG,
        (
            STR,
            ("residency", 8, {"specialty": "anesthesiology"}),
            ("fellowship", 3, {"specialty": "pain_management"}),
            ("background_check", 0, {"check_kind": "criminal_record"}),
        ),
    ),
    DemoCandidate(
        "fajar.nugroho@kandidat.example",
        "dr. Fajar Nugroho, Sp.An",
        ("anesthesiologist",),
        CIMAHI,
        (STR, ("residency", 5, {"specialty": "anesthesiology"})),
    ),
    DemoCandidate(
        "eko.prasetyo@kandidat.example",
        "Eko Prasetyo",
        ("medical_assistant",),
        BANDUNG,
        (
            ("work_experience", 3, {"employer_kind": "pain_clinic", "months": 24, "employer_name": "Klinik Sendi"}),
            ("work_experience", 1, {"employer_kind": "general_clinic", "months": 7, "employer_name": "Klinik Pratama"}),
        ),
        note="medical assistant: 7 of 12 months",
    ),
    DemoCandidate(
        "rina.marlina@kandidat.example",
        "Rina Marlina",
        ("medical_assistant",),
        CIMAHI,
        (("work_experience", 2, {"employer_kind": "hospital", "months": 14, "employer_name": "RS Cibabat"}),),
    ),
    DemoCandidate(
        "agus.setiawan@kandidat.example",
        "Agus Setiawan, A.Md.Rad.",
        ("radiographer",),
        BANDUNG,
        (("education", 3, {"specialty": "radiography"}),),
        note="radiographer: STR missing",
    ),
    DemoCandidate(
        "wulan.sari@kandidat.example",
        "apt. Wulan Sari, S.Farm.",
        ("pharmacist",),
        BANDUNG,
        (STR,),
    ),
    DemoCandidate("maya.putri@kandidat.example", "Maya Putri", ("nurse_assistant",), CIMAHI),
    DemoCandidate("yusuf.hidayat@kandidat.example", "Yusuf Hidayat", ("xray_assistant",), BANDUNG),
)


def _years_ago(today: date, years: int) -> date:
    return months_before(today, 12 * years)


@transaction.atomic
def seed_candidates(now: datetime) -> list[str]:
    """Create the demo candidates (skipping any that exist); return their usernames."""
    today = timezone.localtime(now).date()
    created = []
    for c in CANDIDATES:
        if User.objects.filter(username=c.username).exists():
            continue
        user = User.objects.create_user(
            username=c.username, email=c.username, password=DEMO_PASSWORD, full_name=c.full_name, language="id"
        )
        profile = CandidateProfile.objects.create(
            user=user,
            email_confirmed_at=now,
            city=c.regency[1],
            preferred_regency_code=c.regency[0],
            preferred_regency=c.regency[1],
        )
        for role in c.roles:
            profile.target_roles.create(role=role)
        for kind, years, extra in c.credentials:
            fields = dict(extra)
            expires_in = fields.pop("expires_in_years", None)
            issued = _years_ago(today, years) if years else months_before(today, 4)
            if expires_in is not None:
                fields["expires_on"] = months_before(today, -12 * expires_in)
            declare_credential(acting_user=user, profile=profile, kind=kind, issued_on=issued, **fields)
        count, per_month = c.hours
        for n in range(1, count + 1):
            declare_hours(
                acting_user=user, profile=profile, month=months_before(today, n), hours=Decimal(per_month), where="RSUD"
            )
        created.append(c.username)
    return created
