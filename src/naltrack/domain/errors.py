"""One hierarchy of domain errors.

::

    DomainError
    ├── InvalidInput        a value breaks a rule; names the field, the value and the limit
    │   └── DoseLimitExceeded
    ├── NotEligible         a clinical rule forbids the action
    ├── NotFound            a record or code that does not exist
    └── Conflict            a stale version or a duplicate

Faces map these to exit code 2 (CLI), problem+json (API) or inline form errors (web).

The classes are defined in :mod:`naltrack.errors` (stdlib only), so that the ground floor
(``instruments``, ``pk``) raises the very same classes; this module is where the rest of
the code imports them from.
"""

from __future__ import annotations

from naltrack.errors import Conflict, DomainError, DoseLimitExceeded, InvalidInput, NotEligible, NotFound

__all__ = ["Conflict", "DomainError", "DoseLimitExceeded", "InvalidInput", "NotEligible", "NotFound"]
