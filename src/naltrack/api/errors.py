"""Every error the API returns is ``application/problem+json`` (RFC 9457) naming the field.

Each class of the error hierarchy (:mod:`naltrack.errors`) has its status here and only here
(:data:`STATUS`), looked up by type, never by message. Request validation (malformed JSON,
wrong types, unknown fields) is 422 with every offending field; bodies over
:data:`MAX_BODY_BYTES` are 413. Anything unexpected is a 500 without internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from naltrack import errors
from naltrack.api.refusals import audit_refusal, json_depth
from naltrack.domain.limits import MAX_JSON_DEPTH
from naltrack.errors import PreconditionRequired as PreconditionRequired  # routes.records imports it from here

PROBLEM = "application/problem+json"
#: Largest request body accepted, bytes (a whole chart import goes through the CLI, not here).
MAX_BODY_BYTES = 1_000_000
#: Paths whose router enforces its own documented body limit (CDS Hooks: 2 MB, ``NALTRACK_CDS_MAX_BODY_BYTES``).
OWN_BODY_LIMIT = ("/cds-services",)
log = logging.getLogger("naltrack.api")

#: The status and title of every error class (a subclass is listed even when it answers as its parent).
STATUS: dict[type[errors.DomainError], tuple[int, str]] = {
    errors.DomainError: (400, "Bad request"),
    errors.InvalidInput: (422, "Invalid input"),
    errors.DoseLimitExceeded: (422, "Invalid input"),
    errors.ImportRefused: (422, "Invalid input"),
    errors.NotEligible: (422, "Not eligible"),
    errors.NotFound: (404, "Not found"),
    errors.Conflict: (409, "Conflict"),
    errors.StaleVersion: (412, "Precondition failed"),
    errors.DoseStopped: (409, "Dose stopped"),
    errors.PreconditionRequired: (428, "Precondition required"),
    errors.AccessDenied: (403, "Forbidden"),
    errors.DisclosureRefused: (403, "Forbidden"),
    errors.NotAuthenticated: (401, "Not authenticated"),
    errors.SignInRequired: (401, "Not authenticated"),
    errors.TooManyAttempts: (429, "Too many attempts"),
    errors.CsrfFailed: (403, "Forbidden"),
}


def status_of(error: errors.DomainError) -> tuple[int, str]:
    """The status and title of ``error``: its own class's, else its nearest listed ancestor's."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return STATUS[errors.DomainError]


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _extra(error: errors.DomainError) -> dict[str, Any]:
    """What a problem says besides its status: the field at fault, the headers a client needs."""
    if isinstance(error, errors.InvalidInput):
        value = error.value if isinstance(error.value, str | int | float | bool) else repr(error.value)
        return {"field": error.field, "value": str(value)[:200], "limit": error.rule}
    if isinstance(error, errors.NotAuthenticated):
        return {"headers": {"WWW-Authenticate": "Bearer"}}
    if isinstance(error, errors.TooManyAttempts):
        return {"headers": {"Retry-After": str(error.retry_after_s)}}
    if isinstance(error, errors.StaleVersion | errors.PreconditionRequired):
        return {"field": "If-Match"}
    if isinstance(error, errors.DoseStopped):
        return {"dose_class": error.dose_class, "reasons": list(error.findings)}
    return {}


def domain_problem(error: errors.DomainError) -> JSONResponse:
    """``error`` as problem+json with the status of its type (:data:`STATUS`)."""
    status, title = status_of(error)
    return problem(status, title, str(error), **_extra(error))


def _domain(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, errors.DomainError)  # noqa: S101  (registered for this type only)
    return domain_problem(error)


def _shown(value: Any) -> str | None:
    """An offending value as a problem shows it: scalars as text, cut to 200 characters; structures left out."""
    if isinstance(value, str | int | float | bool):
        return str(value)[:200]
    return None


def _limit(ctx: dict[str, Any] | None) -> Any:
    """The limit a validation error names (``max_length``, ``le``, ``ge``, ``pattern``...), if any."""
    for value in (ctx or {}).values():
        return value if isinstance(value, int | float | str) else str(value)
    return None


def _refusals(error: RequestValidationError) -> list[dict[str, Any]]:
    """Every offending field of a refused request: its name, message, value and limit."""
    found = []
    for item in error.errors():
        loc = [str(p) for p in item.get("loc", ()) if p not in ("body",)]
        name = "body" if item.get("type") == "json_invalid" else ".".join(loc) or "body"
        message = str(item.get("msg", "")).removeprefix("Value error, ")
        if item.get("type") == "json_invalid":
            message = f"{message} at character {loc[0] if loc else '?'}: the body is not valid JSON"
        entry = {"field": name, "message": message, "type": item.get("type"), "value": _shown(item.get("input")),
                 "limit": _limit(item.get("ctx")) if item.get("type") != "json_invalid" else None}
        found.append({k: v for k, v in entry.items() if v is not None})
    return found


async def _validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)  # noqa: S101  (registered for this type only)
    found = _refusals(error)
    first = found[0] if found else {"field": "body", "message": "invalid"}
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in found[:10])
    await audit_refusal(request, detail)
    return problem(422, "Invalid input", detail, field=first["field"], value=first.get("value"),
                   limit=first.get("limit"), errors=found)


def _http(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)  # noqa: S101
    page = getattr(request.app.state, "not_found_page", None)  # the web face's, set by create_app
    if error.status_code == 404 and page is not None and (html := page(request)) is not None:
        return html  # type: ignore[no-any-return]
    headers = dict(error.headers) if error.headers else None
    return problem(error.status_code, str(error.detail), str(error.detail), headers=headers)


def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, "Internal error", "the server could not complete the request")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(JsonDepthLimit)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)  # outermost: the depth check reads a bounded body


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(OWN_BODY_LIMIT):
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", ())).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise StarletteHTTPException(413, f"Payload too large: the body exceeds {self.max_bytes} bytes")
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "Payload too large", f"the body exceeds {self.max_bytes} bytes", field="body")
        await response(scope, receive, send)


class JsonDepthLimit:
    """Refuse a JSON body nested deeper than :data:`~naltrack.domain.limits.MAX_JSON_DEPTH` (422, audited)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope.get("headers", ())).get(b"content-type", b"") if scope["type"] == "http" else b""
        if b"json" not in content_type or str(scope.get("path", "")).startswith(OWN_BODY_LIMIT):
            await self.app(scope, receive, send)  # forms and bodies without a JSON type are not parsed as JSON
            return
        messages: list[Message] = []
        try:
            while not messages or (messages[-1]["type"] == "http.request" and messages[-1].get("more_body")):
                messages.append(await receive())
        except StarletteHTTPException as error:  # the body is over its size limit
            await problem(error.status_code, str(error.detail), str(error.detail), field="body")(scope, receive, send)
            return
        depth = json_depth(b"".join(m.get("body", b"") for m in messages), MAX_JSON_DEPTH)
        if depth > MAX_JSON_DEPTH:
            detail = f"the body nests deeper than {MAX_JSON_DEPTH} levels"
            await audit_refusal(Request(scope, receive), detail)
            response = problem(422, "Invalid input", detail, field="body", value=f"{depth} levels or more",
                               limit=MAX_JSON_DEPTH)
            await response(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
