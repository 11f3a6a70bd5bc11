"""Who is calling: JWT verification of the calling EHR (CDS Hooks 2.0 "Trusting CDS Clients").

Closed by default. The EHR sends ``Authorization: Bearer <JWT>``; the header names the key (``kid``);
the claims ``iss``, ``aud``, ``exp``, ``iat`` and ``jti`` are required and ``tenant`` is optional;
ES384 and RS384 are recommended (anchors.md §3.4). Issuers are an allow-list
(``NALTRACK_CDS_ISSUERS_JSON``), each with the clinic it serves and its public keys: a JWKS given
inline, read from a file, or fetched from a URL. A ``jti`` seen before, while its token is still
valid, is refused as a replay, by whichever server process it reaches (the used ids are kept in the
database, :mod:`naltrack.services.cds_state`). ``aud`` must be the service's URL under ``NALTRACK_CDS_AUDIENCE``
(the public base URL of ``/cds-services``), or the URL the request reached when that is unset.

Calls without a JWT are let in only when the operator sets ``NALTRACK_CDS_ANONYMOUS=allow`` (what
``make demo`` does). An anonymous caller has no issuer and no clinic: no naltrack record is ever
linked to it, disclosed to it or written about it (:mod:`naltrack.cds.engine`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx
import jwt
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from naltrack.cds.fhir_data import FhirOrigins, is_loopback
from naltrack.cds.problems import unauthorized
from naltrack.services.cds_state import CdsCallState, ProcessCdsState, state_key

ALGORITHMS = ("ES384", "RS384", "ES256", "RS256", "ES512", "RS512")
#: Where an issuer's keys come from: exactly one of these members of its entry.
KEY_SOURCES = ("jwks", "jwks_file", "jwks_url")
#: Longest a token may still be valid, seconds: the spec asks for at most 5 minutes; one hour bounds the
#: memory of used ``jti`` values whatever the EHR sends.
MAX_TOKEN_LIFETIME_S = 3600
log = logging.getLogger("naltrack.cds")


def keys_of(jwks: Any, where: str) -> dict[str, Any]:
    """The public keys of a JWKS document by ``kid``; a ``ValueError`` naming ``where`` if it is not one."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ValueError(f"{where}: not a JWKS document (an object with a keys array)")
    try:
        return {str(k["kid"]): jwt.PyJWK(k).key for k in jwks["keys"] if isinstance(k, dict) and "kid" in k}
    except jwt.PyJWTError as error:
        raise ValueError(f"{where}: a key cannot be read ({error})") from error


class KeySource(Protocol):
    """An issuer's public keys by ``kid``."""

    async def key(self, kid: str) -> Any | None: ...


@dataclass(frozen=True)
class StaticKeys:
    """Keys given in the configuration or read from a file at start."""

    keys: dict[str, Any] = field(default_factory=dict)

    async def key(self, kid: str) -> Any | None:
        return self.keys.get(kid)


@dataclass
class JwksUrl:
    """Keys fetched from the issuer's JWKS URL, kept ``refresh_s``; an unknown ``kid`` fetches again, at most
    once per ``min_refetch_s`` (so callers naming random key ids cannot make naltrack hammer the EHR)."""

    url: str
    timeout_s: float = 5.0
    refresh_s: float = 3600.0
    min_refetch_s: float = 30.0
    keys: dict[str, Any] = field(default_factory=dict)
    fetched_at: float = -math.inf

    async def key(self, kid: str) -> Any | None:
        age = time.monotonic() - self.fetched_at
        if age > self.refresh_s or (kid not in self.keys and age > self.min_refetch_s):
            await self._fetch()
        return self.keys.get(kid)

    async def _fetch(self) -> None:
        self.fetched_at = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False) as client:
                response = await client.get(self.url, headers={"Accept": "application/json"})
            response.raise_for_status()
            self.keys = keys_of(response.json(), self.url)
        except (httpx.HTTPError, ValueError) as error:  # the keys fetched before stay in use
            log.warning("JWKS %s could not be fetched: %s", self.url, error)


@dataclass(frozen=True)
class TrustedIssuer:
    """An EHR allowed to call: its ``iss``, its name for people, the clinic it serves, and its keys."""

    iss: str
    name: str
    clinic_id: str
    keys: KeySource


def issuer_from_entry(entry: Any, n: int, fetch_timeout_s: float = 5.0) -> TrustedIssuer:
    """One entry of ``NALTRACK_CDS_ISSUERS_JSON``; a ``ValueError`` naming the entry and member at fault."""
    where = f"NALTRACK_CDS_ISSUERS_JSON[{n}]"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: must be an object with iss, name, clinic and one of {', '.join(KEY_SOURCES)}")
    for member in ("iss", "clinic"):
        if not isinstance(entry.get(member), str) or not entry[member].strip():
            raise ValueError(f"{where}.{member}: is required and must be a non-empty string")
    sources = [s for s in KEY_SOURCES if s in entry]
    if len(sources) != 1:
        raise ValueError(f"{where}: needs exactly one of {', '.join(KEY_SOURCES)} (has {sources or 'none'})")
    iss, name, clinic = entry["iss"], str(entry.get("name") or entry["iss"]), entry["clinic"]
    if "jwks" in entry:
        return TrustedIssuer(iss, name, clinic, StaticKeys(keys_of(entry["jwks"], f"{where}.jwks")))
    if "jwks_file" in entry:
        path = Path(str(entry["jwks_file"]))
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{where}.jwks_file: {str(path)!r} cannot be read as JSON ({error})") from error
        return TrustedIssuer(iss, name, clinic, StaticKeys(keys_of(document, f"{where}.jwks_file")))
    url = str(entry["jwks_url"])
    if urlsplit(url).scheme != "https" and not (urlsplit(url).scheme == "http" and is_loopback(url)):
        raise ValueError(f"{where}.jwks_url: {url!r} must be an https URL")
    return TrustedIssuer(iss, name, clinic, JwksUrl(url, timeout_s=fetch_timeout_s))


class CdsSettings(BaseSettings):
    """CDS Hooks configuration, from ``NALTRACK_CDS_*`` variables (read on demand, never at import).

    ``issuers_json`` is a JSON list of ``{"iss", "name", "clinic", "jwks" | "jwks_file" | "jwks_url"}``
    objects. ``fhir_loopback`` left unset is decided by :meth:`for_mode`: the demo allows FHIR servers on
    loopback. Anonymous calls are a separate, explicit choice (``anonymous``), never implied by the demo.
    """

    model_config = SettingsConfigDict(env_prefix="NALTRACK_CDS_", extra="ignore")

    anonymous: Literal["deny", "allow"] = Field(
        default="deny", description="allow: calls without a JWT are answered from the data the EHR sent only")
    fhir_origins: str = Field(default="", description="comma-separated origins of the FHIR servers the "
                                                      "services may query (fhirServer); none if empty")
    fhir_loopback: bool | None = Field(default=None, description="allow fhirServer on loopback (unset: only in "
                                                                 "the demo)")
    audience: str | None = Field(default=None, description="the public base URL of /cds-services; aud must be "
                                                           "a service's URL under it")
    issuers_json: str = Field(default="[]", description="trusted issuers: iss, name, clinic and their JWKS")
    fhir_timeout_s: float = Field(default=5.0, gt=0, le=60, description="timeout of each fhirServer query")
    max_body_bytes: int = Field(default=2_000_000, gt=0, description="largest CDS request body, bytes (2 MB)")
    feedback_max_body_bytes: int = Field(default=100_000, gt=0, description="largest feedback body, bytes")
    feedback_max_items: int = Field(default=100, gt=0, le=10_000, description="most card outcomes in one "
                                                                              "feedback call")
    feedback_per_minute: int = Field(default=60, gt=0, description="feedback calls one caller may make a minute")

    @field_validator("fhir_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        FhirOrigins.parse(value)  # a ValueError names the item that is not an origin
        return value

    @field_validator("issuers_json")
    @classmethod
    def _issuers(cls, value: str) -> str:
        try:
            entries = json.loads(value or "[]")
        except json.JSONDecodeError as error:
            raise ValueError(f"NALTRACK_CDS_ISSUERS_JSON is not JSON ({error})") from error
        if not isinstance(entries, list):
            raise ValueError("NALTRACK_CDS_ISSUERS_JSON must be a JSON array of issuers")
        return value

    def for_mode(self, *, demo: bool) -> CdsSettings:
        """These settings with the unset choice made: the demo allows loopback FHIR servers."""
        return self.model_copy(update={"fhir_loopback": demo if self.fhir_loopback is None else self.fhir_loopback})

    def fhir_origin_policy(self) -> FhirOrigins:
        """The FHIR servers the services may query (loopback only when :attr:`fhir_loopback` is true)."""
        return FhirOrigins.parse(self.fhir_origins, loopback=self.fhir_loopback is True)

    def issuers(self) -> dict[str, TrustedIssuer]:
        """The trusted issuers by ``iss`` (files read now, URLs fetched on first use)."""
        found: dict[str, TrustedIssuer] = {}
        for n, entry in enumerate(json.loads(self.issuers_json or "[]")):
            issuer = issuer_from_entry(entry, n, self.fhir_timeout_s)
            if issuer.iss in found:
                raise ValueError(f"NALTRACK_CDS_ISSUERS_JSON[{n}].iss: {issuer.iss!r} is listed twice")
            found[issuer.iss] = issuer
        return found


@dataclass(frozen=True)
class Caller:
    """The caller: a verified issuer with its clinic, or anonymous (``iss`` and ``clinic_id`` ``None``)."""

    iss: str | None
    name: str
    clinic_id: str | None = None
    tenant: str | None = None

    @property
    def verified(self) -> bool:
        return self.iss is not None


ANONYMOUS = Caller(None, "anonymous")


class JwtVerifier:
    """Checks bearer JWTs against the allow-list; remembers ``jti`` until each token expires."""

    def __init__(self, issuers: dict[str, TrustedIssuer], *, anonymous: bool = False, audience: str | None = None,
                 leeway_s: int = 30, state: CdsCallState | None = None) -> None:
        self.issuers = issuers
        self.anonymous = anonymous
        self.audience = audience.rstrip("/") if audience else None
        self.leeway_s = leeway_s
        self.state = state or ProcessCdsState()

    async def verify(self, authorization: str | None, service_url: str) -> Caller:
        """The caller for an ``Authorization`` header; 401 problem when it fails.

        Without a header the caller is :data:`ANONYMOUS` if anonymous calls are allowed; a header that is
        sent is always checked.
        """
        if not authorization and self.anonymous:
            return ANONYMOUS
        if not authorization or not authorization.lower().startswith("bearer "):
            raise unauthorized("a Bearer JWT signed by a configured EHR is required")
        claims = await self._decode(authorization.split(" ", 1)[1].strip(), service_url)
        await asyncio.to_thread(self._check_replay, claims)  # the used ids may be in the database
        issuer = self.issuers[claims["iss"]]
        tenant = claims.get("tenant")
        return Caller(issuer.iss, issuer.name, issuer.clinic_id, str(tenant) if tenant is not None else None)

    def audiences(self, service_url: str) -> list[str]:
        """The accepted ``aud``: the service's URL under the configured base, else the URL requested."""
        if self.audience is None:
            return [service_url]
        path = urlsplit(service_url).path
        tail = path[path.find("/cds-services") + len("/cds-services"):] if "/cds-services" in path else ""
        return [self.audience + tail, self.audience, self.audience + "/"]

    async def _decode(self, token: str, service_url: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise unauthorized(f"the JWT cannot be read: {error}") from error
        issuer = self.issuers.get(str(unverified.get("iss")))
        if issuer is None:
            raise unauthorized(f"issuer {unverified.get('iss')!r} is not trusted")
        key = await issuer.keys.key(str(header.get("kid")))
        if key is None:
            raise unauthorized(f"key id {header.get('kid')!r} is not known for issuer {issuer.iss!r}")
        try:
            return jwt.decode(token, key=key, algorithms=list(ALGORITHMS), audience=self.audiences(service_url),
                              issuer=issuer.iss, leeway=self.leeway_s,
                              options={"require": ["iss", "aud", "exp", "iat", "jti"]})
        except jwt.PyJWTError as error:
            raise unauthorized(f"the JWT does not verify: {error}") from error

    def _check_replay(self, claims: dict[str, Any]) -> None:
        now = time.time()
        if float(claims["exp"]) > now + MAX_TOKEN_LIFETIME_S:
            raise unauthorized(f"exp is more than {MAX_TOKEN_LIFETIME_S} seconds away")
        until = datetime.fromtimestamp(float(claims["exp"]) + self.leeway_s, UTC)
        if not self.state.first_use(state_key("jti", f"{claims['iss']}|{claims['jti']}"), until,
                                    datetime.fromtimestamp(now, UTC)):
            raise unauthorized(f"jti {claims['jti']!r} was already used")


def verifier_from_settings(settings: CdsSettings, state: CdsCallState | None = None) -> JwtVerifier:
    """The verifier the settings describe: JWTs required unless ``anonymous`` is ``allow``; used token ids kept
    in ``state`` (the database, shared by the server's processes, when the service has storage)."""
    return JwtVerifier(settings.issuers(), anonymous=settings.anonymous == "allow", audience=settings.audience,
                       state=state)
