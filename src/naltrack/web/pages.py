"""How a web route is declared: one sync handler per page, errors turned into pages.

A handler gets the request and, for a post, its form (already CSRF-checked) and runs in the
thread pool (the services are synchronous). Errors become what a browser expects, by their
type (:data:`RESPONSES`, one entry per class of :mod:`naltrack.errors`): no session, a
redirect to sign-in; a role without the right, a 403 page naming the role and
what it may not see; an unknown patient, a 404 page. An htmx request is redirected with
``HX-Redirect`` so the whole page changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from naltrack import errors
from naltrack.web.context import check_csrf, find_user, page_context, web_of
from naltrack.web.rendering import render

Handler = Callable[[Request, Mapping[str, Any] | None], Response]
H = TypeVar("H", bound=Callable[..., Response])
CATEGORY_WORDS = {"urine-screens": "urine drug screens", "clinical-views": "clinical summaries",
                  "administrations": "medication administrations", "adverse-events": "adverse events",
                  "program-measures": "program outcome measures"}


def redirect(request: Request, url: str) -> Response:
    """See other: a 303 for a browser, ``HX-Redirect`` for htmx."""
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def message_page(request: Request, status: int, heading: str, message: str,
                 link: dict[str, str] | None = None) -> Response:
    user = find_user(request)
    context = page_context(request, user, heading, heading=heading, message=message, link=link)
    return render(request, "pages/message.html", "partials/message.html", context, status_code=status)


def _sign_in(request: Request, error: errors.DomainError) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(request, f"/sign-in?next={quote(target)}")


def _denied(request: Request, error: errors.DomainError) -> Response:
    assert isinstance(error, errors.AccessDenied)  # noqa: S101  (listed for AccessDenied and its subclasses only)
    what = CATEGORY_WORDS.get(error.category, error.category)
    return message_page(request, 403, "Not available to your role",
                        f"The {error.role} role may not {error.action} {what}. "
                        "Ask a clinician with access, or an administrator.", {"href": "/", "label": "Home"})


def _refused(request: Request, error: errors.DomainError) -> Response:
    return message_page(request, 403, "Not disclosed", f"{error}. Nothing left the program.",
                        {"href": "/", "label": "Home"})


def _missing(request: Request, error: errors.DomainError) -> Response:
    assert isinstance(error, errors.NotFound)  # noqa: S101
    return message_page(request, 404, "Not found", f"No {error.kind} {error.key!r} in your clinic.",
                        {"href": "/patients", "label": "Patients"})


def _not_saved(request: Request, error: errors.DomainError) -> Response:
    return message_page(request, 422, "Not saved", f"{error}. Nothing was saved.")


def _changed(request: Request, error: errors.DomainError) -> Response:
    return message_page(request, 409, "Changed by someone else", f"{error}. Reload the page and check.")


def _dose_stopped(request: Request, error: errors.DomainError) -> Response:
    assert isinstance(error, errors.DoseStopped)  # noqa: S101  (listed for DoseStopped only)
    reasons = " ".join(f["message"] for f in error.findings)
    return message_page(request, 409, "Dose not given", f"{reasons} Nothing was saved.")


def _form_expired(request: Request, error: errors.DomainError) -> Response:
    return message_page(request, 403, "Form expired", str(error))


def _throttled(request: Request, error: errors.DomainError) -> Response:
    return message_page(request, 429, "Too many attempts", str(error))


def _refused_generic(request: Request, error: errors.DomainError) -> Response:
    return message_page(request, 400, "Not done", f"{error}.")


#: The page a browser gets for every error class (a subclass is listed even when it answers as its parent).
RESPONSES: dict[type[errors.DomainError], Callable[[Request, errors.DomainError], Response]] = {
    errors.DomainError: _refused_generic,
    errors.InvalidInput: _not_saved,
    errors.DoseLimitExceeded: _not_saved,
    errors.ImportRefused: _not_saved,
    errors.NotEligible: _not_saved,
    errors.NotFound: _missing,
    errors.Conflict: _changed,
    errors.StaleVersion: _changed,
    errors.DoseStopped: _dose_stopped,
    errors.PreconditionRequired: _changed,
    errors.AccessDenied: _denied,
    errors.DisclosureRefused: _refused,
    errors.NotAuthenticated: _sign_in,
    errors.SignInRequired: _sign_in,
    errors.TooManyAttempts: _throttled,
    errors.CsrfFailed: _form_expired,
}


def error_page(request: Request, error: errors.DomainError) -> Response:
    """The response to ``error``: its own class's, else its nearest listed ancestor's."""
    for cls in type(error).__mro__:
        if cls in RESPONSES:
            return RESPONSES[cls](request, error)
    return RESPONSES[errors.DomainError](request, error)


def _guard(handler: Handler, request: Request, form: Mapping[str, Any] | None) -> Response:
    try:
        if form is not None:
            check_csrf(request, form)
        return handler(request, form)
    except errors.DomainError as error:
        return error_page(request, error)


def register_page(router: APIRouter, path: str, methods: Sequence[str], handler: H,
                  guard: Callable[[H, Request, Mapping[str, Any] | None], Response], prefix: str) -> H:
    """Add ``handler`` at ``path``: a post's form is read, then ``guard`` checks it and runs the handler in the
    thread pool. The staff pages and the portal differ only in their guard."""

    async def endpoint(request: Request) -> Response:
        web_of(request)
        form = dict(await request.form()) if request.method == "POST" else None
        return await run_in_threadpool(guard, handler, request, form)

    endpoint.__name__ = handler.__name__
    router.add_api_route(path, endpoint, methods=list(methods), include_in_schema=False,
                         response_class=HTMLResponse, name=f"{prefix}.{handler.__name__}")
    return handler


def page(router: APIRouter, path: str, methods: Sequence[str] = ("GET",)) -> Callable[[Handler], Handler]:
    """Register ``handler`` at ``path``; posts are read and CSRF-checked before it runs."""
    return lambda handler: register_page(router, path, methods, handler, _guard, "web")


#: Paths whose unknown addresses answer as their face does (problem+json, OperationOutcome, plain 404).
MACHINE_PREFIXES = frozenset({"api", "fhir", "cds-services", "health", "docs", "openapi.json", "static"})


def not_found_page(request: Request) -> Response | None:
    """A browser's GET of an address that does not exist: an HTML page with a link home. ``None`` for the machine
    faces' paths and other methods, which keep the 404 they answer with."""
    first = request.url.path.lstrip("/").split("/", 1)[0]
    if request.method != "GET" or first in MACHINE_PREFIXES:
        return None
    return message_page(request, 404, "Page not found", "There is no page at this address.",
                        {"href": "/", "label": "Dashboard"})
