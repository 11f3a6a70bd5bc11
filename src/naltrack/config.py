"""Settings, read from the environment (prefix ``NALTRACK_``) once, on demand.

Nothing is read at import time: call :func:`get_settings` (cached) or build a
:class:`Settings` yourself in tests.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def proxy_networks(spec: str) -> tuple[IPNetwork, ...]:
    """Parse a comma-separated list of addresses or CIDR ranges (``ValueError`` naming a bad one).

    >>> proxy_networks("10.0.0.0/8, ::1")
    (IPv4Network('10.0.0.0/8'), IPv6Network('::1/128'))
    """
    networks = []
    for part in (p.strip() for p in spec.split(",")):
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"trusted_proxies: {part!r} is not an address or a CIDR range") from None
    return tuple(networks)


#: The public CDS Hooks sandbox, the browser client the demo lets call its CDS services.
CDS_HOOKS_SANDBOX = "https://sandbox.cds-hooks.org"


class Settings(BaseSettings):
    """Runtime configuration.

    ``database_url`` defaults to a SQLite file in ``data_dir``; set
    ``NALTRACK_DATABASE_URL=postgresql+psycopg://user@host/db`` for PostgreSQL.
    """

    model_config = SettingsConfigDict(env_prefix="NALTRACK_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="where the SQLite file and exports live")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in data_dir if unset")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: str = Field(default="", description="signs session cookies; generated per data dir if empty")
    timezone: str = Field(default="America/New_York", description="the clinic's local time zone")
    program_name: str = Field(default="Naltrexone treatment program", max_length=120,
                              description="the program's name, printed on the monthly program report")
    echo_sql: bool = False
    part2_redisclosure_notice: str | None = Field(
        default=None, description="42 CFR 2.32 notice sent with every disclosure; the 2020 statement 1 if unset")
    demo: bool = Field(default=False, description="the demo (`make demo`): the CDS Hooks sandbox allowed "
                                                  "cross-origin, loopback FHIR servers; CDS calls without a JWT "
                                                  "need NALTRACK_CDS_ANONYMOUS=allow besides")
    audit_key: str = Field(default="", description="the secret that seals audit entries and checkpoints "
                                                    "(at least 32 characters); kept outside the database")
    audit_key_file: Path | None = Field(default=None, description="a file holding the audit secret (instead of "
                                                                  "audit_key); the demo generates one in data_dir")
    audit_checkpoints: Path | None = Field(default=None, description="the JSON-lines file of signed audit "
                                                                     "checkpoints; data_dir/audit-checkpoints.jsonl "
                                                                     "if unset")
    audit_checkpoint_every: int = Field(default=1000, ge=1, le=1_000_000,
                                        description="write a checkpoint each time the log reaches a multiple "
                                                    "of this many entries")
    cors_origins: str | None = Field(
        default=None, description="comma-separated origins allowed to call /cds-services and /fhir/R4 from a "
                                  "browser; unset: none, or the CDS Hooks sandbox in the demo")
    trusted_proxies: str = Field(
        default="", description="comma-separated addresses or CIDR ranges of the reverse proxies whose "
                                "X-Forwarded-For, Forwarded and X-Forwarded-Proto headers are believed; "
                                "unset: none (the socket's address is the client's)")
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto", description="the session cookie's Secure flag: auto when the client used https "
                                    "(as a trusted proxy tells), always, or never")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        proxy_networks(value)
        return value

    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        """The networks of :attr:`trusted_proxies`."""
        return proxy_networks(self.trusted_proxies)

    idempotency_key_hours: int = Field(default=24, ge=1, le=24 * 30,
                                       description="how long the answer to a create sent with an Idempotency-Key "
                                                   "is kept for its retries")
    workers: int | None = Field(default=None, ge=1, le=64,
                                description="server processes of `naltrack serve`; the number of cores if unset")
    retention_gap_days: int = Field(default=7, ge=0, le=90,
                                    description="untreated days that still bridge two treated days in the program's "
                                                "retention; a longer run ends treatment (HEDIS POD allows 7)")
    naloxone_window_days: int = Field(default=30, ge=0, le=365,
                                      description="rescue naloxone counts as offered for a lapse of blockade when "
                                                  "offered this many days before or after it")
    measure_min_cell: int = Field(default=11, ge=11, le=1000,
                                  description="counts below this are suppressed in the program's measures and "
                                              "reports (at least 11)")

    # Patient reminders (docs/reminders.md). A reminder says nothing of the care: the clinic is named by a
    # neutral display name, never by its real name when that name gives the care away.
    reminder_days_ahead: int = Field(default=3, ge=0, le=14,
                                     description="remind this many days before a visit due or an appointment: "
                                                 "enough to book or rearrange around work (the XR-NTX dose is "
                                                 "given up to a few days either side of its due day), not so "
                                                 "early that it is forgotten")
    reminder_display_name: str = Field(default="your clinic", max_length=60,
                                       description="the clinic name reminders show when a clinic has none in "
                                                   "reminder_clinic_names; must be neutral")
    reminder_clinic_names: dict[str, str] = Field(
        default_factory=dict, description='neutral display names by clinic id, as JSON: {"c1": "Elm Street Health"}')
    smtp_host: str = Field(default="localhost", description="the SMTP server reminders are e-mailed through")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = Field(default="reminders@localhost", description="the From address of reminder e-mails")
    smtp_tls: Literal["none", "starttls", "tls"] = Field(default="starttls",
                                                         description="none, STARTTLS after connecting, or TLS")
    smtp_username: str | None = None
    smtp_password: str | None = None
    sms_gateway_url: str | None = Field(default=None, description="the HTTP gateway reminders are texted "
                                                                  "through (POST JSON {to, body, reference})")
    sms_gateway_token: str | None = Field(default=None, description="bearer token sent to the SMS gateway")
    sms_inbound_secret: str | None = Field(
        default=None, description="the shared secret the gateway sends in X-Gateway-Secret with each inbound "
                                  "reply to /reminders/sms/inbound; unset: inbound replies are refused")

    def cors_origin_list(self) -> tuple[str, ...]:
        """The allowed cross-origin callers (``*``: any origin)."""
        if self.cors_origins is None:
            return (CDS_HOOKS_SANDBOX,) if self.demo else ()
        return tuple(o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip())

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'naltrack.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
