"""A small SATUSEHAT client: OAuth2 client credentials, lookups by NIK, idempotent sends.

The token is kept in Django's cache (per organization, environment and client id) and
renewed a minute before it expires, or once when the platform answers 401. Every failure
is either ``Retryable`` (network, timeout, 5xx, 429: try again later) or ``Refused`` (any
other 4xx: the request itself is wrong; ``diagnostics`` is the OperationOutcome's text).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from django.core.cache import cache
from django.utils.translation import gettext as _

NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"
IHS_SYSTEM = "https://fhir.kemkes.go.id/id/ihs-number"
TOKEN_PATH = "/oauth2/v1/accesstoken?grant_type=client_credentials"  # noqa: S105 - a path
FHIR_PATH = "/fhir-r4/v1"
# A token is renewed this long before the platform says it expires.
RENEW_MARGIN_SECONDS = 60
RETRYABLE_STATUSES = frozenset({408, 429})


class SatusehatError(Exception):
    retryable = False

    def __init__(self, message: str, *, status: int | None = None, diagnostics: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.diagnostics = diagnostics


class Retryable(SatusehatError):
    """The platform could not be reached or failed on its side: the same request may succeed later."""

    retryable = True


class Refused(SatusehatError):
    """The platform refused the request (bad credentials, invalid resource): resending it as is won't help."""


class CredentialsRefused(Refused):
    """The token endpoint refused the client ID or secret: nothing can be sent until they are corrected."""


@dataclass(frozen=True)
class Connection:
    """Where and as whom to connect; ``key`` names the organization's token in the cache."""

    base_url: str
    client_id: str
    client_secret: str
    key: str
    timeout: float = 20.0

    @property
    def cache_key(self) -> str:
        who = hashlib.sha256(f"{self.base_url}|{self.client_id}".encode()).hexdigest()[:16]
        return f"satusehat-token:{self.key}:{who}"


@dataclass(frozen=True)
class Sent:
    resource_type: str
    remote_id: str
    version: str
    created: bool


def _diagnostics(body: bytes) -> str:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return body.decode(errors="replace")[:500]
    if isinstance(data, dict) and data.get("resourceType") == "OperationOutcome":
        texts = [
            str(issue.get("diagnostics") or (issue.get("details") or {}).get("text") or issue.get("code") or "")
            for issue in data.get("issue") or []
            if isinstance(issue, dict)
        ]
        return "; ".join(t for t in texts if t)
    if isinstance(data, dict) and isinstance(data.get("fault"), dict):
        return str(data["fault"].get("faultstring", ""))
    if isinstance(data, dict) and data.get("error"):
        return str(data.get("error_description") or data["error"])
    return ""


class SatusehatClient:
    def __init__(self, connection: Connection, *, clock: Callable[[], float] = time.time) -> None:
        self.connection = connection
        self.clock = clock
        self._kept: http.client.HTTPConnection | None = None
        self._reused = False

    # --- transport -------------------------------------------------------------------
    # One kept-alive connection per client (a worker's client sends many records in a row):
    # no TCP and TLS handshake per record, for SATUSEHAT as for us.
    def _open(self) -> http.client.HTTPConnection:
        if self._kept is None:
            parts = urlsplit(self.connection.base_url)
            kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            self._kept = kind(parts.hostname or "", parts.port, timeout=self.connection.timeout)
            self._reused = False
        return self._kept

    def close(self) -> None:
        if self._kept is not None:
            self._kept.close()
            self._kept = None

    def _http(self, method: str, url: str, *, data: bytes | None, headers: Mapping[str, str]) -> tuple[int, bytes]:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        while True:
            conn = self._open()
            reused = self._reused
            try:
                conn.request(method, target, body=data, headers=dict(headers))
                response = conn.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                self.close()
                if reused:
                    # The server closed the kept connection while it was idle: the request
                    # never reached it; once more on a fresh connection.
                    continue
                raise self._unreachable(error) from error
            except (TimeoutError, OSError, http.client.HTTPException) as error:
                self.close()
                raise self._unreachable(error) from error
            if response.will_close:
                self.close()
            else:
                self._reused = True
            return int(response.status), body

    @staticmethod
    def _unreachable(error: BaseException) -> Retryable:
        reason = getattr(error, "reason", None) or error.__class__.__name__ + (f": {error}" if str(error) else "")
        return Retryable(_("SATUSEHAT could not be reached: %(reason)s") % {"reason": reason}, diagnostics=str(reason))

    @staticmethod
    def _failure(status: int, body: bytes) -> SatusehatError:
        diagnostics = _diagnostics(body)
        if status >= 500 or status in RETRYABLE_STATUSES:
            return Retryable(
                _("SATUSEHAT is unavailable (HTTP %(status)s): %(diagnostics)s")
                % {"status": status, "diagnostics": diagnostics},
                status=status,
                diagnostics=diagnostics,
            )
        return Refused(
            _("SATUSEHAT refused the request (HTTP %(status)s): %(diagnostics)s")
            % {"status": status, "diagnostics": diagnostics},
            status=status,
            diagnostics=diagnostics,
        )

    # --- token -----------------------------------------------------------------------
    def token(self) -> str:
        """The cached access token, or a new one when it is (nearly) expired."""
        kept = cache.get(self.connection.cache_key)
        if isinstance(kept, dict) and kept.get("expires_at", 0) > self.clock():
            return str(kept["access_token"])
        return self._new_token()

    def forget_token(self) -> None:
        cache.delete(self.connection.cache_key)

    def _new_token(self) -> str:
        form = urlencode({"client_id": self.connection.client_id, "client_secret": self.connection.client_secret})
        status, body = self._http(
            "POST",
            self.connection.base_url.rstrip("/") + TOKEN_PATH,
            data=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        if status != 200:
            failure = self._failure(status, body)
            if isinstance(failure, Refused):
                failure = CredentialsRefused(
                    _("SATUSEHAT refused the client ID or secret (HTTP %(status)s): %(diagnostics)s")
                    % {"status": status, "diagnostics": failure.diagnostics},
                    status=status,
                    diagnostics=failure.diagnostics,
                )
            raise failure
        try:
            data = json.loads(body)
            access_token = str(data["access_token"])
            lifetime = int(data.get("expires_in") or 0)
        except (ValueError, KeyError, TypeError) as error:
            raise Retryable(_("SATUSEHAT answered the token request with an unreadable body.")) from error
        usable = max(lifetime - RENEW_MARGIN_SECONDS, 0)
        cache.set(
            self.connection.cache_key,
            {"access_token": access_token, "expires_at": self.clock() + usable},
            timeout=usable or None,
        )
        return access_token

    # --- FHIR ------------------------------------------------------------------------
    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One FHIR call (``path`` under the FHIR base); on 401 the token is renewed once."""
        url = self.connection.base_url.rstrip("/") + FHIR_PATH + "/" + path.lstrip("/")
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/fhir+json"}
            if data is not None:
                headers["Content-Type"] = "application/fhir+json"
            status, raw = self._http(method, url, data=data, headers=headers)
            if status == 401 and attempt == 1:
                self.forget_token()
                continue
            if status not in (200, 201):
                raise self._failure(status, raw)
            try:
                answer = json.loads(raw)
            except ValueError as error:
                raise Retryable(_("SATUSEHAT answered with an unreadable body.")) from error
            return answer if isinstance(answer, dict) else {}
        raise AssertionError("unreachable")  # pragma: no cover

    def _ihs_by_nik(self, resource_type: str, nik: str) -> str | None:
        bundle = self.request("GET", f"{resource_type}?identifier={quote(NIK_SYSTEM + '|' + nik, safe=':/')}")
        for entry in bundle.get("entry") or []:
            resource = entry.get("resource") or {}
            for identifier in resource.get("identifier") or []:
                if identifier.get("system") == IHS_SYSTEM and identifier.get("value"):
                    return str(identifier["value"])
            if resource.get("id"):
                return str(resource["id"])
        return None

    def patient_ihs_by_nik(self, nik: str) -> str | None:
        """The patient's IHS number in the Ministry's Master Patient Index, or None when not found."""
        return self._ihs_by_nik("Patient", nik)

    def practitioner_ihs_by_nik(self, nik: str) -> str | None:
        return self._ihs_by_nik("Practitioner", nik)

    def send(self, resource: Mapping[str, Any] | Any, *, remote_id: str = "") -> Sent:
        """Create (POST) or, when its SATUSEHAT id is known, update (PUT) ``resource``.

        ``resource`` is a FHIR dict or a ``fhir.resources`` model. Sending again with the
        ``remote_id`` of the first answer updates the same resource: never a duplicate.
        """
        body = dict(resource) if isinstance(resource, Mapping) else json.loads(resource.model_dump_json())
        resource_type = str(body.get("resourceType") or "")
        if not resource_type:
            raise Refused(_("The resource has no resourceType."))
        body.pop("meta", None)
        if remote_id:
            body["id"] = remote_id
            answer = self.request("PUT", f"{resource_type}/{quote(remote_id, safe='')}", body)
        else:
            body.pop("id", None)
            answer = self.request("POST", resource_type, body)
        return Sent(
            resource_type=resource_type,
            remote_id=str(answer.get("id") or remote_id),
            version=str((answer.get("meta") or {}).get("versionId") or ""),
            created=not remote_id,
        )
