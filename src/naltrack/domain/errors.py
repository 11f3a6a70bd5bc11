"""The error hierarchy, as the domain and the services import it.

The classes are defined (and drawn as a tree) in :mod:`naltrack.errors` (stdlib only), so
that the ground floor (``instruments``, ``pk``) raises the very same classes; this module is
where the rest of the code imports them from.
"""

from __future__ import annotations

from naltrack.errors import (
    AccessDenied,
    Conflict,
    CsrfFailed,
    DisclosureRefused,
    DomainError,
    DoseLimitExceeded,
    ImportRefused,
    InvalidInput,
    NotAuthenticated,
    NotEligible,
    NotFound,
    PreconditionRequired,
    SignInRequired,
    StaleVersion,
    TooManyAttempts,
)

__all__ = ["AccessDenied", "Conflict", "CsrfFailed", "DisclosureRefused", "DomainError", "DoseLimitExceeded",
           "ImportRefused", "InvalidInput", "NotAuthenticated", "NotEligible", "NotFound", "PreconditionRequired",
           "SignInRequired", "StaleVersion", "TooManyAttempts"]
