"""What the API benchmarks share: a clinic with a licensed nurse holding an API token, patients
with pain histories, and the production server (gunicorn with ``gunicorn.conf.py``) started
on the loopback address with the floor views of ``floor_urls`` beside Nyeri's own.

Imported by ``bench_api_history`` and ``bench_api_throughput`` in their child processes,
after ``django.setup()`` for the data functions.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Clinic:
    organization: Any
    facility: Any
    nurse: Any
    token: str


def build_clinic(slug: str) -> Clinic:
    """An organization, a facility and a nurse whose STR and SIP let her record assessments there."""
    from nyeri.accounts.models import User
    from nyeri.accounts.services import create_api_token
    from nyeri.tenancy.models import Facility, Membership, MembershipRole, Organization
    from nyeri.workforce.kinds import Citizenship, CredentialKind, CredentialStatus
    from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole

    org = Organization.objects.create(name="Klinik Nyeri Bench", slug=slug, kind="clinic_operator")
    facility = Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Bandung",
        code="bdg",
        kind="pain_clinic",
        province="Jawa Barat",
        regency="Kota Bandung",
        regency_code="32.73",
    )
    nurse = User.objects.create_user(username="perawat", password="bench-password-1", full_name="Siti Bench")
    membership = Membership.objects.create(organization=org, user=nurse)
    MembershipRole.objects.create(organization=org, membership=membership, role="nurse")
    person = Person.objects.create(
        organization=org, user=nurse, full_name="Siti Bench", citizenship=Citizenship.CITIZEN
    )
    PersonRole.objects.create(organization=org, person=person, role="nurse")
    PersonFacility.objects.create(organization=org, person=person, facility=facility)
    common = {"organization": org, "person": person, "status": CredentialStatus.VERIFIED, "issued_on": date(2024, 1, 1)}
    Credential.objects.create(**common, kind=CredentialKind.REGISTRATION, issuer="Konsil Kesehatan", number="STR-1")
    Credential.objects.create(
        **common,
        kind=CredentialKind.PRACTICE_PERMIT,
        facility=facility,
        issuer="DPMPTSP Kota Bandung",
        issuer_regency_code=facility.regency_code,
        number="SIP-1",
        expires_on=date.today() + timedelta(days=3 * 365),
    )
    _token, secret = create_api_token(acting_user=nurse, name="bench", expires_in_days=None)
    return Clinic(org, facility, nurse, secret)


def new_patient(clinic: Clinic, n: int) -> Any:
    from nyeri.clinical.models import Patient

    return Patient.objects.create(
        organization=clinic.organization,
        registered_at=clinic.facility,
        mrn=f"RM-{n:06d}",
        full_name=f"Pasien Bench {n}",
        birth_date=date(1968, 5, 17),
        sex="female",
    )


def record_history(clinic: Clinic, patient: Any, count: int) -> None:
    """``count`` assessments through the recording service (NRS and PEG, some with body
    sites), one a day over the last ``count`` days: what a clinic's own history looks like."""
    from django.utils import timezone

    from nyeri.clinical.assessments.services import BodySiteIn, record_assessment
    from nyeri.tenancy.scope import resolve_scope

    scope = resolve_scope(clinic.nurse)
    assert scope is not None
    rng = random.Random(count)  # reproducible, not a secret
    now = timezone.now()
    for n in range(count):
        if n % 4 == 3:
            instrument, answers = "peg", {"pain_average": rng.randrange(11), "enjoyment": 5, "general_activity": 6}
        else:
            instrument, answers = "nrs", {"intensity": rng.randrange(11)}
        record_assessment(
            scope=scope,
            acting_user=clinic.nurse,
            patient=patient,
            instrument_code=instrument,
            answers=answers,
            facility=clinic.facility,
            recorded_at=now - timedelta(days=count - n),
            source="patient" if n % 3 else "clinician",
            body_sites=[BodySiteIn("lower_back", "back", "midline")] if n % 5 == 0 else [],
        )


def bulk_diary(clinic: Clinic, patient: Any, days: int) -> None:
    """A daily NRS diary over ``days`` days, written straight to the tables (fast)."""
    from django.utils import timezone

    from nyeri.clinical.models import AssessmentAnswer, AssessmentScore, PainAssessment

    org, now = clinic.organization, timezone.now()
    created = PainAssessment.objects.bulk_create(
        [
            PainAssessment(
                organization=org,
                patient=patient,
                facility=clinic.facility,
                instrument_code="nrs",
                instrument_version="2026.11-1",
                recorded_at=now - timedelta(days=days - n, hours=4),
                recorded_by=clinic.nurse,
                source="patient",
            )
            for n in range(days)
        ],
        batch_size=2000,
    )
    values = [8 - 4 * n // max(days, 1) for n in range(days)]
    AssessmentAnswer.objects.bulk_create(
        [
            AssessmentAnswer(organization=org, assessment=a, item_code="intensity", value=v)
            for a, v in zip(created, values, strict=True)
        ],
        batch_size=2000,
    )
    AssessmentScore.objects.bulk_create(
        [
            AssessmentScore(organization=org, assessment=a, score_code="total", value=Decimal(v))
            for a, v in zip(created, values, strict=True)
        ],
        batch_size=2000,
    )


# --- The production server ------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    label: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        """The worker processes' ids (the master's children)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(c) for c in children]

    def cpu_seconds(self) -> float:
        """User and system CPU time of the master and its workers so far, from /proc/PID/stat."""
        total = 0
        for pid in [self.process.pid, *self.workers()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:  # a worker that was just replaced
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return total / CLOCK_TICKS

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    """A port nothing listens on now (another benchmark or a helper's server may hold a fixed one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(database_url: str, *, port: int, worker_class: str, workers: int, threads: int) -> Server:
    """gunicorn with the production config (``gunicorn.conf.py``) and the floor views mounted;
    ``port`` 0: a free one."""
    port = port or free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "floor_settings",
        "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(ROOT)]),
        "GUNICORN_WORKER_CLASS": worker_class,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        "PORT": str(port),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen([str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py")], cwd=ROOT, env=env)
    server = Server(process, port, f"{worker_class} {workers}x{threads}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn ({server.label}) exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{server.url}/floor/ping", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200 and len(server.workers()) == workers:
                    return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn ({server.label}) did not answer within 60 s")
