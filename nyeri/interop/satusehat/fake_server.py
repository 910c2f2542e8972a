"""A local SATUSEHAT-shaped server, for tests and the demo (never for production).

It answers like the Ministry's platform does: an OAuth2 client-credentials token endpoint
(``/oauth2/v1/accesstoken?grant_type=client_credentials``, form body ``client_id`` and
``client_secret``) and a FHIR R4 base (``/fhir-r4/v1``) where Patient and Practitioner are
searched by NIK (``?identifier=https://fhir.kemkes.go.id/id/nik|<NIK>``) and Encounter,
Condition, Observation, Procedure and MedicationRequest are created (POST) and updated
(PUT with their id). Errors are OperationOutcome bodies, with Indonesian diagnostics.

Faults are injected with a plan: ``server.plan(FaultKind.SERVER_ERROR, count=2)`` makes the
next two FHIR requests answer 500; ``failure_rate`` with ``seed`` fails requests at random,
reproducibly.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"
IHS_SYSTEM = "https://fhir.kemkes.go.id/id/ihs-number"
TOKEN_PATH = "/oauth2/v1/accesstoken"  # noqa: S105 - a path
FHIR_BASE = "/fhir-r4/v1"
WRITABLE = frozenset(
    {"Encounter", "Condition", "Observation", "Procedure", "MedicationRequest", "MedicationDispense", "Location"}
)
LOOKUPS = frozenset({"Patient", "Practitioner"})


class FaultKind(StrEnum):
    TIMEOUT = "timeout"  # the server waits longer than the client's timeout
    SERVER_ERROR = "server_error"  # 500 with an OperationOutcome
    EXPIRED_TOKEN = "expired_token"  # noqa: S105 - 401, as when the token expired early
    TOO_MANY = "too_many"  # 429


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "details": {"text": diagnostics}, "diagnostics": diagnostics}],
    }


@dataclass
class FakeSatusehat:
    """The server's state; ``start()`` serves it on 127.0.0.1 on a free port, in a thread."""

    client_id: str = "nyeri-client"
    client_secret: str = "nyeri-secret"  # noqa: S105 - the fake server's own
    token_lifetime: int = 14399
    patients: dict[str, str] = field(default_factory=dict)  # NIK -> IHS number
    practitioners: dict[str, str] = field(default_factory=dict)  # NIK -> IHS number
    failure_rate: float = 0.0
    # Refuse references to patients, practitioners and resources the server does not know.
    check_references: bool = True
    seed: int = 0
    timeout_seconds: float = 3.0
    port: int = 0  # 0: a free port
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (monotonic)
    token_requests: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)
    _faults: deque[FaultKind] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None
    _random: random.Random | None = None

    # --- control ---------------------------------------------------------------------
    def plan(self, kind: FaultKind, count: int = 1) -> None:
        """The next ``count`` FHIR requests fail with ``kind``."""
        with self._lock:
            self._faults.extend([kind] * count)

    def expire_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def count(self, resource_type: str) -> int:
        return sum(1 for kind, _ in self.resources if kind == resource_type)

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeSatusehat:
        self._random = random.Random(self.seed)
        handler = type("Handler", (_Handler,), {"state": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, name="fake-satusehat", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    # --- behaviour -------------------------------------------------------------------
    def next_fault(self) -> FaultKind | None:
        with self._lock:
            if self._faults:
                return self._faults.popleft()
            if self.failure_rate and self._random is not None and self._random.random() < self.failure_rate:
                return FaultKind.SERVER_ERROR
        return None

    def issue_token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.token_requests += 1
        client_id = (form.get("client_id") or [""])[0]
        secret = (form.get("client_secret") or [""])[0]
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {
                "fault": {
                    "faultstring": "Invalid client identifier",
                    "detail": {"errorcode": "oauth.v2.InvalidClientIdentifier"},
                }
            }
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = time.monotonic() + self.token_lifetime
        return 200, {
            "refresh_token_expires_in": "0",
            "api_product_list": "[api-dev]",
            "organization_name": "ihs-prod-1",
            "token_type": "BearerToken",
            "issued_at": str(int(time.time() * 1000)),
            "client_id": client_id,
            "access_token": token,
            "application_name": "nyeri-fake",
            "scope": "",
            "expires_in": str(self.token_lifetime),
            "refresh_count": "0",
            "status": "approved",
        }

    def token_valid(self, header: str) -> bool:
        if not header.startswith("Bearer "):
            return False
        expiry = self.tokens.get(header.removeprefix("Bearer ").strip())
        return expiry is not None and expiry > time.monotonic()

    def search(self, resource_type: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        identifier = (query.get("identifier") or [""])[0]
        system, _, nik = identifier.partition("|")
        if system != NIK_SYSTEM or not nik.isdigit() or len(nik) != 16:
            return 400, operation_outcome(
                "invalid", "Parameter identifier tidak valid: gunakan sistem NIK dan 16 digit."
            )
        table = self.patients if resource_type == "Patient" else self.practitioners
        entries = []
        if nik in table:
            ihs = table[nik]
            entries.append(
                {
                    "fullUrl": f"{FHIR_BASE}/{resource_type}/{ihs}",
                    "resource": {
                        "resourceType": resource_type,
                        "id": ihs,
                        "identifier": [{"system": IHS_SYSTEM, "value": ihs}],
                    },
                }
            )
        return 200, {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}

    def write(self, resource_type: str, resource_id: str | None, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict) or body.get("resourceType") != resource_type:
            return 400, operation_outcome("invalid", f"resourceType harus {resource_type}.")
        subject = str((body.get("subject") or {}).get("reference") or "")
        if resource_type not in ("Encounter", "Location") and not subject:
            return 400, operation_outcome("required", f"{resource_type}.subject wajib diisi.")
        if resource_type == "Encounter" and not body.get("status"):
            return 400, operation_outcome("required", "Encounter.status wajib diisi.")
        # Like SATUSEHAT: a reference names a resource it knows (IHS numbers, its own ids).
        if self.check_references:
            problem = self._unknown_reference(body, subject)
            if problem:
                return 400, operation_outcome("invalid", problem)
        with self._lock:
            if resource_id is None:
                resource_id = str(uuid.uuid4())
                status = 201
            else:
                if body.get("id") != resource_id:
                    return 400, operation_outcome("invalid", "id pada URL dan pada resource harus sama.")
                if (resource_type, resource_id) not in self.resources:
                    return 404, operation_outcome("not-found", f"{resource_type}/{resource_id} tidak ditemukan.")
                status = 200
            previous = self.resources.get((resource_type, resource_id))
            version = int(previous["meta"]["versionId"]) + 1 if previous else 1
            stored = {**body, "id": resource_id, "meta": {"versionId": str(version), "lastUpdated": _now()}}
            self.resources[(resource_type, resource_id)] = stored
        return status, stored

    def _unknown_reference(self, body: dict[str, Any], subject: str) -> str:
        kind, _, ident = subject.partition("/")
        if kind == "Patient" and ident not in self.patients.values():
            return f"Pasien dengan IHS number {ident} tidak ditemukan."
        for reference in _references(body):
            kind, _, ident = reference.partition("/")
            if kind == "Practitioner" and ident not in self.practitioners.values():
                return f"Tenaga kesehatan dengan IHS number {ident} tidak ditemukan."
            if kind in WRITABLE and (kind, ident) not in self.resources:
                return f"Referensi {reference} tidak ditemukan."
        return ""


def _references(value: Any) -> list[str]:
    """Every ``reference`` string in a resource, at any depth."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_references(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_references(item))
    return found


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


class _Handler(BaseHTTPRequestHandler):
    state: FakeSatusehat
    protocol_version = "HTTP/1.1"
    # Headers and body go in two writes: without TCP_NODELAY a kept-alive client waits for
    # the delayed ACK (40 ms) on every answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        return

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json" if "resourceType" in body else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_GET(self) -> None:
        self._handle("GET")

    def _handle(self, method: str) -> None:
        state = self.state
        url = urlsplit(self.path)
        raw = self._body()
        state.requests.append((method, url.path))
        if url.path == TOKEN_PATH:
            if method != "POST" or parse_qs(url.query).get("grant_type") != ["client_credentials"]:
                self._send(400, {"error": "unsupported_grant_type"})
                return
            self._send(*state.issue_token(parse_qs(raw.decode())))
            return
        if not url.path.startswith(FHIR_BASE + "/"):
            self._send(404, operation_outcome("not-found", "Endpoint tidak ditemukan."))
            return
        fault = state.next_fault()
        if fault is FaultKind.TIMEOUT:
            time.sleep(state.timeout_seconds)
            self._send(504, operation_outcome("timeout", "Waktu habis."))
            return
        if fault is FaultKind.SERVER_ERROR:
            self._send(500, operation_outcome("exception", "Terjadi kesalahan pada server."))
            return
        if fault is FaultKind.TOO_MANY:
            self._send(429, operation_outcome("throttled", "Terlalu banyak permintaan."))
            return
        if fault is FaultKind.EXPIRED_TOKEN or not state.token_valid(self.headers.get("Authorization", "")):
            self._send(401, operation_outcome("login", "Access token expired atau tidak valid."))
            return
        parts = [unquote(p) for p in url.path.removeprefix(FHIR_BASE + "/").split("/") if p]
        if not parts or parts[0] not in WRITABLE | LOOKUPS or len(parts) > 2:
            self._send(404, operation_outcome("not-supported", "Resource tidak didukung."))
            return
        resource_type = parts[0]
        if method == "GET" and len(parts) == 1 and resource_type in LOOKUPS:
            self._send(*state.search(resource_type, parse_qs(url.query)))
            return
        if method == "GET" and len(parts) == 2:
            found = state.resources.get((resource_type, parts[1]))
            if found is None:
                self._send(404, operation_outcome("not-found", f"{resource_type}/{parts[1]} tidak ditemukan."))
            else:
                self._send(200, found)
            return
        if resource_type in WRITABLE and (
            (method == "POST" and len(parts) == 1) or (method == "PUT" and len(parts) == 2)
        ):
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                self._send(400, operation_outcome("structure", "Body bukan JSON yang valid."))
                return
            self._send(*state.write(resource_type, parts[1] if method == "PUT" else None, body))
            return
        self._send(405, operation_outcome("not-supported", "Metode tidak didukung."))


def made_up_ihs_number(nik: str, *, practitioner: bool = False) -> str:
    """A stable, made-up IHS number for a NIK (the demo's server knows the demo's people by these)."""
    digits = str(int(hashlib.sha256(nik.encode()).hexdigest(), 16))[-10:]
    return f"1{digits}" if practitioner else f"P{digits}1"
