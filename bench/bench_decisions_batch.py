"""decisions_batch: the requirements engine deciding for a whole facility at once.

The question a staffing dashboard asks: *who may do what here, today?* for every person
working at a facility and every action of the jurisdiction's policy pack, in one call of
``decide_many`` (Person queryset of the facility, the 20 actions of the ID pack).

The data set is built in a fresh throw-away database per engine (a temporary SQLite file;
PostgreSQL database ``nyeri_bench_decisions``, dropped and re-created): PEOPLE people at one
facility in Kota Bandung (plus OTHERS at a second facility, so that the facility filter
matters), with the credentials a real roster has: an STR for nearly everyone (a few foreign
nationals with an expiring one, a few still waiting for verification), a SIP mostly valid
for this facility, some expired, some issued by another regency or for another place;
residencies, pain fellowships and board certifications for physicians, controlled-drug
authorisations, background checks (some outdated), pain training, exam certificates and
verified hours entries for nurses, work experience for medical assistants.

Rows (all at the same fixed moment, so every run decides the same thing):

- ``decide_many_median_s`` / ``decide_many_max_s``: RUNS timed runs after one warm-up;
  target TARGET_S on both databases (enforced);
- ``floor_fetch_median_s``: the same rows fetched with raw SQL and nothing else (roles,
  facility links, credentials): what any evaluation must at least pay; information;
- ``floor_hours_sums_median_s``: verified hours summed per person over 36 months in raw
  SQL (what a batch of certification progress adds; the pack's actions need none);
- ``single_decision_queries``: queries of one ``decide`` (target: at most 5).

Environment: BENCH_PEOPLE (10000), BENCH_OTHERS (1000), BENCH_RUNS (5),
BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/nyeri_bench_decisions; the database
named there is dropped and re-created), BENCH_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import statistics
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from databases import on_both_databases
from sizes import size

PEOPLE = size("BENCH_PEOPLE", 10000, 500)
OTHERS = size("BENCH_OTHERS", 1000, 10)
RUNS = size("BENCH_RUNS", 5, 1)
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench_decisions")
TARGET_S = 2.0
SINGLE_DECISION_MAX_QUERIES = 5
AT = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
TODAY = AT.date()
HERE_REGENCY = "32.73"  # Kota Bandung
OTHER_REGENCY = "32.77"  # Kota Cimahi

# Roles of a large pain network's roster, with their share of the people.
ROLE_WEIGHTS = {
    "pain_physician": 4,
    "anesthesiologist": 6,
    "neurologist": 2,
    "psychiatrist": 1,
    "physiatrist": 2,
    "general_practitioner": 3,
    "nurse": 40,
    "nurse_assistant": 8,
    "medical_assistant": 8,
    "radiographer": 7,
    "xray_assistant": 3,
    "medical_technician": 3,
    "pharmacist": 6,
    "credentialing_officer": 2,
    "administrator": 5,
}
PHYSICIANS = {
    "pain_physician",
    "anesthesiologist",
    "neurologist",
    "psychiatrist",
    "physiatrist",
    "general_practitioner",
}
LICENSED = PHYSICIANS | {
    "nurse",
    "nurse_assistant",
    "radiographer",
    "xray_assistant",
    "medical_technician",
    "pharmacist",
}
RESIDENCY = {
    "anesthesiologist": "anesthesiology",
    "neurologist": "neurology",
    "psychiatrist": "psychiatry",
    "physiatrist": "physical_medicine",
}


# --- Building the data set ----------------------------------------------------------------


class _Builder:
    """Model instances for bulk_create, generated from a fixed seed."""

    def __init__(self, org: Any, here: Any, there: Any) -> None:
        from nyeri.workforce.models import Credential, HoursEntry, Person, PersonFacility, PersonRole

        self.models = (Person, PersonRole, PersonFacility, Credential, HoursEntry)
        self.org, self.here, self.there = org, here, there
        self.rng = random.Random(20261125)  # a reproducible data set, not a secret
        self.roles: list[Any] = []
        self.links: list[Any] = []
        self.credentials: list[Any] = []
        self.hours: list[Any] = []
        self.serial = 0

    def _day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    def _credential(self, person: Any, kind: str, **fields: Any) -> None:
        credential_model = self.models[3]
        self.serial += 1
        values: dict[str, Any] = {
            "organization": self.org,
            "person": person,
            "kind": kind,
            "status": "verified",
            "issuer": "Konsil Kesehatan Indonesia",
            "number": f"{kind[:3].upper()}-{self.serial:07d}",
            "issued_on": self._day(date(2012, 1, 1), date(2024, 12, 31)),
        }
        values.update(fields)
        self.credentials.append(credential_model(**values))

    def person(self, person: Any, role: str, facility: Any) -> None:
        _, person_role, person_facility, _, _ = self.models
        rng = self.rng
        self.roles.append(person_role(organization=self.org, person=person, role=role))
        self.links.append(person_facility(organization=self.org, person=person, facility=facility))
        if facility is self.here and rng.random() < 0.05:  # some also work at the other facility
            self.links.append(person_facility(organization=self.org, person=person, facility=self.there))
        if role not in LICENSED:
            if role == "medical_assistant":
                self._credential(
                    person,
                    "work_experience",
                    issuer="RSUD Kota Bandung",
                    employer_kind=rng.choice(["hospital", "general_clinic", "pain_clinic"]),
                    months=rng.randrange(3, 60),
                )
            return
        self._licences(person, facility)
        if role in PHYSICIANS:
            self._physician(person, role)
        if role == "nurse":
            self._nurse(person, facility)
        if rng.random() < (0.8 if role in PHYSICIANS else 0.4):
            self._background_check(person)

    def _licences(self, person: Any, facility: Any) -> None:
        rng = self.rng
        # STR: for life for citizens; foreign nationals 2 years; a few waiting for verification.
        roll = rng.random()
        if roll < 0.03:
            issued = self._day(date(2023, 1, 1), date(2026, 6, 30))
            self._credential(person, "registration", issued_on=issued, expires_on=issued + timedelta(days=730))
        elif roll < 0.05:
            self._credential(person, "registration", status="submitted")
        elif roll < 0.055:
            self._credential(person, "registration", status="revoked")
        elif roll < 0.99:
            self._credential(person, "registration")
        # SIP: 5 years per practice place; mostly valid here, some lapsed or misissued.
        roll = rng.random()
        issued = self._day(date(2021, 12, 1), date(2026, 10, 31))
        sip = {
            "issuer": "DPMPTSP Kota Bandung",
            "facility": facility,
            "issuer_regency_code": facility.regency_code,
            "issued_on": issued,
            "expires_on": issued + timedelta(days=5 * 365),
        }
        if roll < 0.06:  # lapsed
            issued = self._day(date(2018, 1, 1), date(2021, 10, 31))
            sip.update(issued_on=issued, expires_on=issued + timedelta(days=5 * 365), status="expired")
        elif roll < 0.09:  # issued by another regency's office
            sip.update(issuer="DPMPTSP Kota Cimahi", issuer_regency_code=OTHER_REGENCY)
        elif roll < 0.11:  # only for the other facility
            sip.update(facility=self.there if facility is self.here else self.here)
        elif roll < 0.13:
            sip.update(status="submitted")
        elif roll < 0.135:  # granted, valid from next month
            issued = TODAY + timedelta(days=rng.randrange(1, 60))
            sip.update(issued_on=issued, expires_on=issued + timedelta(days=5 * 365))
        elif roll < 0.14:
            return
        self._credential(person, "practice_permit", **sip)
        if rng.random() < 0.15:  # an older SIP, lapsed and renewed
            old = self._day(date(2014, 1, 1), date(2016, 12, 31))
            self._credential(
                person, "practice_permit", **{**sip, "issued_on": old, "expires_on": old + timedelta(days=5 * 365)}
            )

    def _physician(self, person: Any, role: str) -> None:
        rng = self.rng
        self._credential(person, "education", issuer="Fakultas Kedokteran", title="dr.")
        specialty = RESIDENCY.get(role)
        if role == "pain_physician":
            specialty = rng.choice(["anesthesiology", "neurology", "physical_medicine"])
        if specialty:
            self._credential(person, "residency", specialty=specialty, issuer="Kolegium")
        if role in {"pain_physician", "anesthesiologist"} and rng.random() < 0.5:
            self._credential(person, "fellowship", specialty="pain_management", issuer="Kolegium Anestesiologi")
        if role == "anesthesiologist" and rng.random() < 0.8:
            self._credential(person, "board_certification", specialty="anesthesiology", issuer="Kolegium")
        if rng.random() < 0.6:
            self._credential(person, "controlled_authorisation", issuer="Komite Medik")

    def _background_check(self, person: Any) -> None:
        rng = self.rng
        self._credential(
            person,
            "background_check",
            issuer="Polrestabes Bandung",
            issued_on=self._day(date(2024, 6, 1), date(2026, 11, 1)),
            check_kind="criminal_record",
            check_result="passed" if rng.random() < 0.95 else rng.choice(["pending", "failed"]),
            valid_months=12,
        )

    def _nurse(self, person: Any, facility: Any) -> None:
        rng = self.rng
        for _ in range(rng.randrange(0, 3)):
            self._credential(
                person,
                "pain_training",
                issuer="Pelatihan Nyeri",
                issued_on=self._day(date(2022, 1, 1), date(2026, 10, 31)),
                hours=Decimal(rng.choice([8, 12, 16, 24])),
            )
        if rng.random() < 0.2:
            self._credential(
                person,
                "pain_nursing_certification",
                issuer="Ujian Keperawatan Nyeri",
                issued_on=(exam := self._day(date(2023, 1, 1), date(2026, 10, 31))),
                exam_passed_on=exam,
            )
        hours_model = self.models[4]
        for _ in range(rng.randrange(10, 60)):
            self.hours.append(
                hours_model(
                    organization=self.org,
                    person=person,
                    facility=facility,
                    worked_on=self._day(date(2023, 1, 1), TODAY),
                    hours=Decimal(rng.choice([4, 6, 8, 8, 12])),
                    source="manual",
                    status="verified" if rng.random() < 0.9 else "submitted",
                )
            )


def _build(people: int, others: int) -> Any:
    from django.db import transaction

    from nyeri.tenancy.models import Facility, Organization
    from nyeri.workforce.models import Credential, HoursEntry, Person, PersonFacility, PersonRole

    org = Organization.objects.create(name="Jaringan Nyeri Bench", slug="bench", kind="clinic_operator")
    here = Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Bandung",
        code="bandung",
        kind="pain_clinic",
        province="Jawa Barat",
        regency="Kota Bandung",
        regency_code=HERE_REGENCY,
    )
    there = Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Cimahi",
        code="cimahi",
        kind="pain_clinic",
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code=OTHER_REGENCY,
    )
    builder = _Builder(org, here, there)
    roles, weights = zip(*ROLE_WEIGHTS.items(), strict=True)
    with transaction.atomic():
        persons = Person.objects.bulk_create(
            [
                Person(organization=org, full_name=f"Orang {n:05d}", citizenship="citizen")
                for n in range(people + others)
            ],
            batch_size=2000,
        )
        for n, person in enumerate(persons):
            role = builder.rng.choices(roles, weights)[0]
            builder.person(person, role, here if n < people else there)
        PersonRole.objects.bulk_create(builder.roles, batch_size=2000)
        PersonFacility.objects.bulk_create(builder.links, batch_size=2000)
        Credential.objects.bulk_create(builder.credentials, batch_size=2000)
        HoursEntry.objects.bulk_create(builder.hours, batch_size=2000)
    print(
        f"   data: {len(persons)} people, {len(builder.roles)} roles, {len(builder.links)} facility links, "
        f"{len(builder.credentials)} credentials, {len(builder.hours)} hours entries",
        flush=True,
    )
    return here


# --- Measuring (in a child process per database) ----------------------------------------------


def _floor_fetch(facility_id: int) -> int:
    """The rows an evaluation needs, fetched with raw SQL into tuples: nothing cheaper exists."""
    from django.db import connection

    here = "SELECT person_id FROM workforce_personfacility WHERE facility_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT person_id, role FROM workforce_personrole WHERE person_id IN ({here})", [facility_id])
        n = len(cursor.fetchall())
        cursor.execute(
            f"SELECT person_id, facility_id FROM workforce_personfacility WHERE person_id IN ({here})", [facility_id]
        )
        n += len(cursor.fetchall())
        cursor.execute(
            "SELECT id, person_id, kind, status, issued_on, expires_on, specialty, facility_id, issuer_regency_code,"
            " exam_passed_on, hours, check_kind, check_result, valid_months, employer_kind, months"
            f" FROM workforce_credential WHERE person_id IN ({here}) AND status <> 'rejected'",
            [facility_id],
        )
        n += len(cursor.fetchall())
    return n


def _floor_hours(facility_id: int) -> int:
    from django.db import connection

    from nyeri.workforce.engine.periods import months_before

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT person_id, SUM(hours) FROM workforce_hoursentry"
            " WHERE person_id IN (SELECT person_id FROM workforce_personfacility WHERE facility_id = %s)"
            " AND status = 'verified' AND worked_on > %s AND worked_on <= %s GROUP BY person_id",
            [facility_id, months_before(TODAY, 36), TODAY],
        )
        return len(cursor.fetchall())


def _timed(fn: Any, runs: int) -> tuple[list[float], Any]:
    fn()  # warm-up: caches of the engine, the database's buffers
    times = []
    result = None
    for _ in range(runs):
        # Free the previous run's result first, so that a run is not charged for it.
        result = None
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def _measure(url: str, people: int, others: int, runs: int) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from nyeri.workforce.engine import decide, decide_many
    from nyeri.workforce.models import Person
    from nyeri.workforce.policy.loader import pack_for

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    facility = _build(people, others)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"   built in {time.perf_counter() - started:.1f}s", flush=True)
    actions = list(pack_for("ID").actions)
    at_facility = Person.objects.filter(facility_links__facility=facility)

    def batch() -> Any:
        return decide_many(at_facility, actions, facility, at=AT)

    times, decisions = _timed(batch, runs)
    allowed = sum(d.allowed for d in decisions.values())
    print(f"   decide_many runs: {', '.join(f'{t:.3f}s' for t in times)}; {allowed} of {len(decisions)} allowed")
    floor_times, fetched = _timed(lambda: _floor_fetch(facility.pk), runs)
    hours_times, _ = _timed(lambda: _floor_hours(facility.pk), runs)
    someone = next(pid for (pid, action), d in decisions.items() if action == "prescribe_controlled" and d.allowed)
    with CaptureQueriesContext(connection) as queries:
        decide(someone, "prescribe_controlled", facility, at=AT)
    return {
        "vendor": connection.vendor,
        "times": times,
        "floor": floor_times,
        "hours": hours_times,
        "rows_fetched": fetched,
        "people": len({pid for pid, _ in decisions}),
        "actions": len(actions),
        "decisions": len(decisions),
        "allowed": allowed,
        "single_queries": len(queries),
    }


def _in_child(url: str) -> dict[str, Any]:
    # A fresh process per database: Django's settings (and connection) are chosen once.
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measure, (url, PEOPLE, OTHERS, RUNS))


def _rows(database: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    common = {
        "name": "decisions_batch",
        "database": database,
        "people": m["people"],
        "actions": m["actions"],
        "decisions": m["decisions"],
    }
    median, worst = statistics.median(m["times"]), max(m["times"])
    return [
        {
            **common,
            "metric": "decide_many_median_s",
            "value": round(median, 3),
            "unit": "s",
            "target": TARGET_S,
            "met": median <= TARGET_S,
            "note": f"{len(m['times'])} runs after a warm-up; {m['allowed']} of {m['decisions']} decisions allowed",
        },
        {
            **common,
            "metric": "decide_many_max_s",
            "value": round(worst, 3),
            "unit": "s",
            "target": TARGET_S,
            "met": worst <= TARGET_S,
        },
        {
            **common,
            "metric": "floor_fetch_median_s",
            "value": round(statistics.median(m["floor"]), 3),
            "unit": "s",
            "target": None,
            "met": True,
            "note": f"raw SQL, {m['rows_fetched']} rows of roles, facility links and credentials",
        },
        {
            **common,
            "metric": "floor_hours_sums_median_s",
            "value": round(statistics.median(m["hours"]), 3),
            "unit": "s",
            "target": None,
            "met": True,
            "note": "raw SQL; needed by certifications (hours windows), not by the pack's actions",
        },
        {
            **common,
            "metric": "single_decision_queries",
            "value": m["single_queries"],
            "unit": "queries",
            "target": SINGLE_DECISION_MAX_QUERIES,
            "met": m["single_queries"] <= SINGLE_DECISION_MAX_QUERIES,
        },
    ]


def run() -> list[dict[str, Any]]:
    return on_both_databases(
        POSTGRES_URL, measure=_in_child, rows=_rows, what=f"{PEOPLE} people here, {OTHERS} elsewhere, {RUNS} runs"
    )
