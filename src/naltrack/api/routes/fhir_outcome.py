"""Errors of the FHIR R4 face as OperationOutcome resources (``application/fhir+json``).

One mapping, by error *type* (:mod:`naltrack.errors`): the HTTP status is the REST API's
(:data:`naltrack.api.errors.STATUS`), the issue type is :data:`ISSUE_TYPE`, a code of the FHIR
IssueType value set (https://hl7.org/fhir/R4/valueset-issue-type.html). A search parameter the
server cannot use is a 400 ``invalid`` (https://hl7.org/fhir/R4/search.html#errors). Errors raised
before the route runs (authentication, request validation) are turned into OperationOutcomes by
:class:`FhirRoute`, so every answer under ``/fhir/R4`` is FHIR, never problem+json.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from naltrack import errors
from naltrack.api.errors import status_of

FHIR_JSON = "application/fhir+json"

#: The FHIR issue type of every error class (a subclass is listed even when it answers as its parent).
ISSUE_TYPE: dict[type[errors.DomainError], str] = {
    errors.DomainError: "processing",
    errors.InvalidInput: "invalid",
    errors.DoseLimitExceeded: "invalid",
    errors.ImportRefused: "invalid",
    errors.NotEligible: "processing",
    errors.NotFound: "not-found",
    errors.Conflict: "conflict",
    errors.StaleVersion: "conflict",
    errors.DoseStopped: "business-rule",
    errors.PreconditionRequired: "processing",
    errors.AccessDenied: "forbidden",
    errors.DisclosureRefused: "forbidden",
    errors.NotAuthenticated: "security",
    errors.SignInRequired: "security",
    errors.TooManyAttempts: "throttled",
    errors.CsrfFailed: "security",
}


def issue_type_of(error: errors.DomainError) -> str:
    """The issue type of ``error``: its own class's, else its nearest listed ancestor's."""
    for cls in type(error).__mro__:
        if cls in ISSUE_TYPE:
            return ISSUE_TYPE[cls]
    return ISSUE_TYPE[errors.DomainError]


def outcome(status: int, code: str, text: str, expression: str | None = None, severity: str = "error",
            headers: dict[str, str] | None = None) -> JSONResponse:
    """An OperationOutcome of one issue, with ``expression`` naming the element or parameter at fault."""
    return JSONResponse(operation_outcome(code, text, expression, severity), status_code=status,
                        media_type=FHIR_JSON, headers=headers)


def operation_outcome(code: str, text: str, expression: str | None = None,
                      severity: str = "error") -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": text}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def fhir_error(error: errors.DomainError) -> JSONResponse:
    """``error`` as an OperationOutcome with the status of its type and the issue type of :data:`ISSUE_TYPE`."""
    status, _title = status_of(error)
    expression = None
    headers = None
    if isinstance(error, errors.InvalidInput):
        expression = error.field
    elif isinstance(error, errors.StaleVersion | errors.PreconditionRequired):
        expression = "If-Match"
    if isinstance(error, errors.NotAuthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(error, errors.TooManyAttempts):
        headers = {"Retry-After": str(error.retry_after_s)}
    return outcome(status, issue_type_of(error), str(error), expression, headers=headers)


def _invalid_request(error: RequestValidationError) -> JSONResponse:
    """A malformed parameter (a query parameter over its length, a header) is a 400 naming it."""
    first = error.errors()[0] if error.errors() else {}
    name = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
    return outcome(400, "invalid", f"{name}: {first.get('msg', 'invalid')}", name)


class FhirRoute(APIRoute):
    """A route whose errors, those raised by its dependencies included, are OperationOutcomes."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except errors.DomainError as error:
                return fhir_error(error)
            except RequestValidationError as error:
                return _invalid_request(error)

        return route
