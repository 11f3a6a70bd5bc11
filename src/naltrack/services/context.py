"""The application context every use case receives: ports, configuration and the clock.

:mod:`naltrack.bootstrap` builds one :class:`AppContext` per process (the composition root,
the only module that knows the concrete storage classes); every face (web, REST API, CLI,
CDS Hooks, FHIR import/export) gets it from there and passes it, with the acting user, the
inputs and ``now``, to one use case. The use case owns the transaction and its audit entry
(:func:`naltrack.services.access.run_audited`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from naltrack.analytics.definitions import DEFAULT_DEFINITIONS, MeasureDefinitions
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.security.consent import REDISCLOSURE_NOTICE_DEFAULT
from naltrack.services.security_ports import SecureUnitOfWork


def utc_now() -> datetime:
    """The wall clock, timezone-aware (UTC). Only faces and the composition root read it."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class AppContext:
    """What a use case needs besides its inputs.

    Attributes
    ----------
    uow : callable
        Builds a fresh :class:`~naltrack.services.security_ports.SecureUnitOfWork` (one
        transaction, clinical repositories, security repository and read models).
    thresholds : Thresholds
        The clinical defaults in force (:mod:`naltrack.domain.rules.thresholds`).
    default_timezone : str
        IANA zone given to clinics registered without one. Clinical dates are always
        computed in the patient's clinic's own zone (``Clinic.timezone``).
    redisclosure_notice : str
        The 42 CFR 2.32 notice sent with every disclosure.
    clock : callable
        The wall clock; faces call it once per request and pass ``now`` to the use case.
    definitions : MeasureDefinitions
        How the program's outcome and quality measures count (:mod:`naltrack.analytics.definitions`).
    pseudonym_key : bytes or None
        The key of the pseudonyms that stand for patients in the measures' patient-level lists
        (HMAC-SHA256 of the patient id); without one those lists are refused.
    """

    uow: Callable[[], SecureUnitOfWork]
    thresholds: Thresholds = DEFAULT
    default_timezone: str = "America/New_York"
    redisclosure_notice: str = REDISCLOSURE_NOTICE_DEFAULT
    clock: Callable[[], datetime] = utc_now
    definitions: MeasureDefinitions = DEFAULT_DEFINITIONS
    pseudonym_key: bytes | None = None
