"""Patient portal accounts: a patient principal bound to exactly one patient, and the one-time invite.

A patient signs in to the portal, never to the staff pages or the API: their account is not a
staff :class:`~naltrack.domain.security.accounts.User` row, their session is not a staff session,
and their principal carries the one patient id it may touch (:func:`bound_patient_id`). The
access path (:func:`naltrack.services.access.authorize`) refuses a patient principal any access
that does not name their own patient.

Examples
--------
>>> p = PatientPrincipal(id="pt-1", username="alex.m", clinic_id="c1", patient_id="p1")
>>> p.role, bound_patient_id(p)
('patient', 'p1')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.accounts import User
from naltrack.domain.security.roles import PATIENT_ROLE, Role

_LOGIN_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
#: How long an invite link may be used (a configurable default, not a clinical fact): long enough to
#: hand over at a visit and open at home, short enough that a lost slip soon stops working.
INVITE_TTL = timedelta(hours=72)
#: How long a portal session lasts; shorter than a staff session (a phone is easily left unlocked).
PORTAL_SESSION_TTL = timedelta(hours=2)


def check_login_name(value: str) -> str:
    """A portal login name, lower-cased: 2-64 letters, digits, '.', '_' or '-' (first a letter or digit).

    >>> check_login_name(" Alex.M ")
    'alex.m'
    """
    name = (value or "").strip().lower()
    if not _LOGIN_NAME.match(name):
        raise InvalidInput("login_name", value,
                           "must be 2-64 lower-case letters, digits, '.', '_' or '-' (first a letter or digit)")
    return name


@dataclass(frozen=True, kw_only=True)
class PatientPrincipal(User):
    """A signed-in patient: the actor of every portal use case, bound to ``patient_id``."""

    patient_id: str
    role: Role = PATIENT_ROLE

    def __post_init__(self) -> None:
        check_login_name(self.username)
        if self.role != PATIENT_ROLE:
            raise InvalidInput("principal.role", self.role, f"must be {PATIENT_ROLE!r}")
        if not self.patient_id or not self.clinic_id:
            raise InvalidInput("principal.patient_id", self.patient_id, "is required, with the clinic")


def bound_patient_id(user: User) -> str | None:
    """The one patient a patient principal may touch; ``None`` for staff."""
    return user.patient_id if isinstance(user, PatientPrincipal) else None


@dataclass(frozen=True, kw_only=True)
class PortalAccount:
    """A patient's portal account as stored (the password hash stays in storage)."""

    id: str
    patient_id: str
    clinic_id: str
    login_name: str
    active: bool = True
    created_at: datetime | None = None

    def principal(self) -> PatientPrincipal:
        return PatientPrincipal(id=self.id, username=self.login_name, clinic_id=self.clinic_id,
                                patient_id=self.patient_id, active=self.active, created_at=self.created_at)


@dataclass(frozen=True, kw_only=True)
class PortalInvite:
    """A one-time invite: only the SHA-256 of its random token is stored; used once, before it expires."""

    id: str
    patient_id: str
    clinic_id: str
    login_name: str
    token_hash: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def __post_init__(self) -> None:
        check_login_name(self.login_name)
        if self.expires_at <= self.created_at:
            raise InvalidInput("invite.expires_at", self.expires_at, "must be after its creation")

    def is_usable(self, now: datetime) -> bool:
        """Not used yet and not expired at ``now``.

        >>> from datetime import UTC
        >>> t = datetime(2026, 3, 1, 9, tzinfo=UTC)
        >>> i = PortalInvite(id="i", patient_id="p", clinic_id="c", login_name="al", token_hash="h",
        ...                  created_by="u", created_at=t, expires_at=t + INVITE_TTL)
        >>> i.is_usable(t + timedelta(hours=71)), i.is_usable(t + INVITE_TTL)
        (True, False)
        """
        return self.used_at is None and now < self.expires_at
