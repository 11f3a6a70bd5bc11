"""One hierarchy of domain errors (defined here, at the ground floor, so that ``instruments``
and ``pk`` can raise them too; ``naltrack.domain.errors`` re-exports every name).

::

    DomainError
    ├── InvalidInput        a value breaks a rule; names the field, the value and the limit
    │   └── DoseLimitExceeded
    ├── NotEligible         a clinical rule forbids the action
    ├── NotFound            a record or code that does not exist
    └── Conflict            a stale version or a duplicate
        └── StaleVersion    If-Match names a version that is no longer current

Faces map these to exit code 2 (CLI), problem+json (API) or inline form errors (web).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the clinical core raises on purpose."""


class InvalidInput(DomainError):
    """A value breaks a rule.

    Parameters
    ----------
    field : str
        Dotted path of the offending field, e.g. ``"injection.side"``.
    value : object
        The value as given.
    rule : str
        The limit or rule it breaks, e.g. ``"must be left or right"``.
    """

    def __init__(self, field: str, value: object, rule: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        super().__init__(f"{field}: {value!r} {rule}")


class DoseLimitExceeded(InvalidInput):
    """A dose above the limit for its form."""


class NotEligible(DomainError):
    """A clinical rule forbids the action (e.g. a hard contraindication)."""


class NotFound(DomainError):
    """A record or code that does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class Conflict(DomainError):
    """A stale version (someone else changed the record) or a duplicate."""


class StaleVersion(Conflict):
    """An update names (If-Match) a version that is no longer the current one."""
