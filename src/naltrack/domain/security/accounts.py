"""Accounts: a user of one clinic with one role, and the actor of a request.

Examples
--------
>>> User(id="u1", username="nurse.kim", role="nurse", clinic_id="c1").username
'nurse.kim'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.roles import ROLES, Role
from naltrack.domain.units import require_choice

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
#: Shortest password accepted; above the floor of 8 that NIST SP 800-63B sets for user-chosen secrets.
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 256


@dataclass(frozen=True, kw_only=True)
class User:
    """A person who signs in. ``username`` is lower case: letters, digits, dot, dash, underscore."""

    id: str
    username: str
    role: Role
    clinic_id: str
    active: bool = True
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.username, str) or not _USERNAME.match(self.username):
            raise InvalidInput("user.username", self.username,
                               "must be 2-64 lower-case letters, digits, '.', '_' or '-' (first a letter or digit)")
        require_choice("user.role", self.role, ROLES)
        if not self.clinic_id:
            raise InvalidInput("user.clinic_id", self.clinic_id, "is required")


def check_password_strength(password: str) -> None:
    """Reject a password shorter than :data:`MIN_PASSWORD_CHARS` (the value itself is never echoed)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput("password", "***", f"must be at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidInput("password", "***", f"must be at most {MAX_PASSWORD_CHARS} characters")


@dataclass(frozen=True)
class Actor:
    """Who asks, from where, and why: what every access check and audit entry needs."""

    user: User
    source: str | None = None
    purpose: str = "treatment"

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def clinic_id(self) -> str:
        return self.user.clinic_id
