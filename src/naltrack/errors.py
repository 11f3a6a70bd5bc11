"""One hierarchy of the errors naltrack raises on purpose (stdlib only, so that ``instruments``
and ``pk`` can raise them too; ``naltrack.domain.errors`` re-exports every name).

::

    DomainError
    ├── InvalidInput          a value breaks a rule; names the field, the value and the limit
    │   ├── DoseLimitExceeded a dose above the limit for its form
    │   └── ImportRefused     data to import has problems; nothing was imported
    ├── NotEligible           a clinical rule forbids the action
    ├── NotFound              a record or code that does not exist
    ├── Conflict              a duplicate, or a key or reference the data breaks
    │   ├── StaleVersion      an update names a version that is no longer current
    │   └── DoseStopped       the pre-dose check stops a dose; lists what stops it
    ├── PreconditionRequired  an update that names no version (If-Match missing)
    ├── AccessDenied          the role may not do this, or the record is outside the user's clinic
    │   └── DisclosureRefused no consent in force covers a disclosure (42 CFR 2.31)
    ├── NotAuthenticated      no valid credentials
    │   └── SignInRequired    no valid web session
    ├── TooManyAttempts       sign-in throttled
    └── CsrfFailed            a state-changing web request without its session's CSRF token

:data:`ERROR_CLASSES` lists the classes in the order of the tree. Every face maps these *types*,
never their messages: ``naltrack.api.errors`` (problem+json status), ``naltrack.cli.errors`` (exit
code), ``naltrack.web.pages`` (the page a browser gets), ``naltrack.cds.router`` (the API's
status, as problem+json) and ``naltrack.api.routes.fhir_outcome`` (an OperationOutcome issue type
on ``/fhir/R4``). ``tests/unit/test_error_mapping.py`` fails when a class has no explicit mapping
in one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class DomainError(Exception):
    """Base of every error naltrack raises on purpose."""


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


class ImportProblem(Protocol):
    """One problem of an import: the resource, the path in it and what is wrong."""

    @property
    def resource(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def message(self) -> str: ...


class ImportProblems(Protocol):
    """What an import found wrong (``naltrack.adapters.fhir.r4_import.ImportReport``)."""

    @property
    def problems(self) -> Sequence[ImportProblem]: ...


class ImportRefused(InvalidInput):
    """The data has problems; nothing was imported. ``report.problems`` names each one."""

    def __init__(self, report: ImportProblems) -> None:
        self.report = report
        first = report.problems[0]
        super().__init__(f"{first.resource}: {first.path}", "(see report)",
                         f"{first.message}; {len(report.problems)} problem(s), nothing imported")


class NotEligible(DomainError):
    """A clinical rule forbids the action (e.g. a hard contraindication)."""


class NotFound(DomainError):
    """A record or code that does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class Conflict(DomainError):
    """A duplicate, or a key or reference the data breaks."""


class StaleVersion(Conflict):
    """An update names (If-Match) a version that is no longer the current one."""


class DoseStopped(Conflict):
    """The check before a naltrexone dose stops it (:mod:`naltrack.domain.pre_dose`).

    ``findings`` lists what stops it, each a mapping with ``key``, ``rule``, ``level`` (``stop``,
    ``override`` or ``confirm``), ``message`` and ``source``; ``dose_class`` is the class of the dose.
    """

    def __init__(self, dose_class: str, findings: Sequence[dict[str, str]]) -> None:
        self.dose_class = dose_class
        self.findings = tuple(findings)
        what = "; ".join(f"{f['rule']}: {f['message']}" for f in self.findings)
        super().__init__(f"dose stopped ({dose_class} dose): {what}")


class PreconditionRequired(DomainError):
    """An update that names no version (If-Match missing): read the record first."""


class AccessDenied(DomainError):
    """The role may not take this action on this category (or the record is outside the user's clinic)."""

    def __init__(self, role: str, category: str, action: str) -> None:
        self.role, self.category, self.action = role, category, action
        super().__init__(f"role {role!r} may not {action} {category}")


class DisclosureRefused(AccessDenied):
    """No consent in force covers the disclosure (the same answer whether or not a consent exists)."""

    def __init__(self, reason: str) -> None:
        self.role, self.category, self.action = "-", "disclosures", "disclose"
        self.reason = reason
        DomainError.__init__(self, f"disclosure refused: {reason}")


class NotAuthenticated(DomainError):
    """No valid credentials: the same message whatever was wrong."""

    def __init__(self, message: str = "invalid credentials") -> None:
        super().__init__(message)


class SignInRequired(NotAuthenticated):
    """No valid web session: a web page redirects to the sign-in page."""


class TooManyAttempts(DomainError):
    """Sign-in throttled; retry after ``retry_after_s`` seconds."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"too many failed sign-ins; retry in {retry_after_s} s")


class CsrfFailed(DomainError):
    """A state-changing web request without the session's CSRF token."""


#: Every class above, in the order of the tree: the faces key their tables on it.
ERROR_CLASSES: tuple[type[DomainError], ...] = (
    DomainError, InvalidInput, DoseLimitExceeded, ImportRefused, NotEligible, NotFound, Conflict, StaleVersion,
    DoseStopped, PreconditionRequired, AccessDenied, DisclosureRefused, NotAuthenticated, SignInRequired,
    TooManyAttempts, CsrfFailed,
)

__all__ = ["ERROR_CLASSES", "AccessDenied", "Conflict", "CsrfFailed", "DisclosureRefused", "DomainError",
           "DoseLimitExceeded", "DoseStopped", "ImportProblem", "ImportProblems", "ImportRefused", "InvalidInput",
           "NotAuthenticated", "NotEligible", "NotFound", "PreconditionRequired", "SignInRequired", "StaleVersion",
           "TooManyAttempts"]
