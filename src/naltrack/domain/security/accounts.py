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

from zxcvbn import zxcvbn

from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.roles import ROLES, Role
from naltrack.domain.units import require_choice

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
#: Shortest password accepted; above the floor of 8 that NIST SP 800-63B sets for user-chosen secrets.
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 256
#: Lowest zxcvbn score accepted (0-4): 3 means about 10^8 guesses or more, beyond an online attack
#: that the sign-in throttle slows (zxcvbn's documentation: "safely unguessable").
MIN_PASSWORD_SCORE = 3
#: zxcvbn scores at most this many characters.
SCORED_PASSWORD_CHARS = 72


@dataclass(frozen=True, kw_only=True)
class User:
    """A person who signs in. ``username`` is lower case: letters, digits, dot, dash, underscore."""

    id: str
    username: str
    role: Role
    """The user's role in the role matrix (:data:`~naltrack.domain.security.roles.ROLES`): what they may read
    and write, in their own clinic only."""
    clinic_id: str
    active: bool = True
    """A deactivated user can no longer sign in, nor use a token or a session."""
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.username, str) or not _USERNAME.match(self.username):
            raise InvalidInput("user.username", self.username,
                               "must be 2-64 lower-case letters, digits, '.', '_' or '-' (first a letter or digit)")
        require_choice("user.role", self.role, ROLES)
        if not self.clinic_id:
            raise InvalidInput("user.clinic_id", self.clinic_id, "is required")


def check_password_strength(password: str, username: str | None = None) -> None:
    """Refuse a password that is short, long, blank, the user name, or easy to guess.

    Easy to guess is a zxcvbn score below :data:`MIN_PASSWORD_SCORE`: zxcvbn matches the
    password against its frequency lists (common passwords, names, English words, with
    l33t and reversed variants) and keyboard rows, sequences, repeats and dates, and the user
    name counts as a known word. Only the first :data:`SCORED_PASSWORD_CHARS` characters are
    scored (zxcvbn's own limit). The value itself is never echoed.

    Parameters
    ----------
    password : str
        The proposed password.
    username : str, optional
        The account's user name; the password may not be it, and contains it at a cost.

    Raises
    ------
    InvalidInput
        Naming the rule that failed (field ``password``).

    Examples
    --------
    >>> try:
    ...     check_password_strength("password1234")
    ... except InvalidInput as refused:
    ...     print(refused.rule)
    is too easy to guess (This is a very common password.); use a longer phrase of unrelated words
    >>> check_password_strength("amber kettle orbit violin")
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput("password", "***", f"must be at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidInput("password", "***", f"must be at most {MAX_PASSWORD_CHARS} characters")
    if not password.strip():
        raise InvalidInput("password", "***", "must not be only spaces")
    if username and password.strip().casefold() == username.strip().casefold():
        raise InvalidInput("password", "***", "must not be the user name")
    result = zxcvbn(password[:SCORED_PASSWORD_CHARS], user_inputs=[username] if username else [])
    if result["score"] < MIN_PASSWORD_SCORE:
        warning = result["feedback"]["warning"] or "it is built from words, names or patterns that are tried early"
        raise InvalidInput("password", "***", f"is too easy to guess ({warning}); use a longer phrase of unrelated "
                                              "words")


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
