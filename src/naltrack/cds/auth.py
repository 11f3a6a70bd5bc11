"""Who is calling: JWT verification of the calling EHR (CDS Hooks 2.0 "Trusting CDS Clients").

The EHR sends ``Authorization: Bearer <JWT>``; the header names the key (``kid``); the claims
``iss``, ``aud``, ``exp``, ``iat`` and ``jti`` are required and ``tenant`` is optional; ES384 and
RS384 are recommended (anchors.md §3.4). Verification is on unless configured off
(:attr:`CdsSettings.jwt_required`); only the demo (``NALTRACK_DEMO``) turns it off when it is not set.
Issuers are an allow-list, each with its public keys (PEM by ``kid``, or a JWKS document). A ``jti``
seen before, while its token is still valid, is refused as a replay.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from naltrack.cds.fhir_data import FhirOrigins
from naltrack.cds.problems import unauthorized

ALGORITHMS = ("ES384", "RS384", "ES256", "RS256", "ES512", "RS512")


@dataclass(frozen=True)
class TrustedIssuer:
    """An EHR allowed to call: its ``iss``, the name consents use for it, and its keys by ``kid``."""

    iss: str
    name: str
    keys: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_jwks(cls, iss: str, name: str, jwks: dict[str, Any]) -> TrustedIssuer:
        keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks.get("keys", []) if "kid" in k}
        return cls(iss, name, keys)


class CdsSettings(BaseSettings):
    """CDS Hooks configuration, from ``NALTRACK_CDS_*`` variables (read on demand, never at import).

    ``issuers_json`` is a JSON list of ``{"iss", "name", "jwks"}`` objects. ``jwt_required`` and
    ``fhir_loopback`` left unset are decided by :meth:`for_mode`: the demo turns JWTs off and allows
    FHIR servers on loopback; anywhere else JWTs are verified and loopback is not called.
    """

    model_config = SettingsConfigDict(env_prefix="NALTRACK_CDS_", extra="ignore")

    jwt_required: bool | None = Field(default=None, description="verify the calling EHR's JWT (unset: on, "
                                                                "except in the demo)")
    fhir_origins: str = Field(default="", description="comma-separated origins of the FHIR servers the "
                                                      "services may query (fhirServer); none if empty")
    fhir_loopback: bool | None = Field(default=None, description="allow fhirServer on loopback (unset: only in "
                                                                 "the demo)")
    audience: str | None = Field(default=None, description="expected aud: the base URL of /cds-services")
    issuers_json: str = Field(default="[]", description="trusted issuers with their JWKS")
    fhir_timeout_s: float = Field(default=5.0, gt=0, le=60, description="timeout of each fhirServer query")
    max_body_bytes: int = Field(default=2_000_000, gt=0, description="largest CDS request body, bytes (2 MB)")
    unverified_recipient: str = Field(default="unverified EHR",
                                      description="recipient name used for consent when JWTs are off")

    @field_validator("fhir_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        FhirOrigins.parse(value)  # a ValueError names the item that is not an origin
        return value

    def for_mode(self, *, demo: bool) -> CdsSettings:
        """These settings with the unset choices made: the demo turns JWTs off and allows loopback FHIR servers."""
        return self.model_copy(update={
            "jwt_required": (not demo) if self.jwt_required is None else self.jwt_required,
            "fhir_loopback": demo if self.fhir_loopback is None else self.fhir_loopback})

    def fhir_origin_policy(self) -> FhirOrigins:
        """The FHIR servers the services may query (loopback only when :attr:`fhir_loopback` is true)."""
        return FhirOrigins.parse(self.fhir_origins, loopback=self.fhir_loopback is True)

    def issuers(self) -> dict[str, TrustedIssuer]:
        entries = json.loads(self.issuers_json or "[]")
        return {e["iss"]: TrustedIssuer.from_jwks(e["iss"], e.get("name", e["iss"]), e["jwks"]) for e in entries}


@dataclass(frozen=True)
class Caller:
    """The verified caller: issuer (``None`` when verification is off), the name consents name, tenant."""

    iss: str | None
    name: str
    tenant: str | None = None


class JwtVerifier:
    """Checks bearer JWTs against the allow-list; remembers ``jti`` until each token expires."""

    def __init__(self, issuers: dict[str, TrustedIssuer], *, required: bool, audience: str | None,
                 unverified_name: str = "unverified EHR", leeway_s: int = 30) -> None:
        self.issuers = issuers
        self.required = required
        self.audience = audience
        self.unverified_name = unverified_name
        self.leeway_s = leeway_s
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def verify(self, authorization: str | None, service_url: str) -> Caller:
        """The caller for an ``Authorization`` header; 401 problem when required and it fails."""
        if not self.required:
            return Caller(None, self.unverified_name)
        if not authorization or not authorization.lower().startswith("bearer "):
            raise unauthorized("a Bearer JWT is required")
        token = authorization.split(" ", 1)[1].strip()
        claims = self._decode(token, service_url)
        self._check_replay(claims)
        issuer = self.issuers[claims["iss"]]
        return Caller(issuer.iss, issuer.name, claims.get("tenant"))

    def _decode(self, token: str, service_url: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise unauthorized(f"the JWT cannot be read: {error}") from error
        issuer = self.issuers.get(str(unverified.get("iss")))
        if issuer is None:
            raise unauthorized(f"issuer {unverified.get('iss')!r} is not trusted")
        key = issuer.keys.get(str(header.get("kid")))
        if key is None:
            raise unauthorized(f"key id {header.get('kid')!r} is not known for issuer {issuer.iss!r}")
        audiences = [service_url] + ([self.audience, self.audience.rstrip("/") + "/"] if self.audience else [])
        try:
            return jwt.decode(token, key=key, algorithms=list(ALGORITHMS), audience=audiences, issuer=issuer.iss,
                              leeway=self.leeway_s, options={"require": ["iss", "aud", "exp", "iat", "jti"]})
        except jwt.PyJWTError as error:
            raise unauthorized(f"the JWT does not verify: {error}") from error

    def _check_replay(self, claims: dict[str, Any]) -> None:
        now = time.time()
        key = f"{claims['iss']}|{claims['jti']}"
        with self._lock:
            self._seen = {k: exp for k, exp in self._seen.items() if exp > now}
            if key in self._seen:
                raise unauthorized(f"jti {claims['jti']!r} was already used")
            self._seen[key] = float(claims["exp"]) + self.leeway_s


def verifier_from_settings(settings: CdsSettings) -> JwtVerifier:
    """The verifier the settings describe; JWTs are required unless ``jwt_required`` is false."""
    return JwtVerifier(settings.issuers(), required=settings.jwt_required is not False, audience=settings.audience,
                       unverified_name=settings.unverified_recipient)
