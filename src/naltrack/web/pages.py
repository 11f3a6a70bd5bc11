"""How a web route is declared: one sync handler per page, errors turned into pages.

A handler gets the request and, for a post, its form (already CSRF-checked) and runs in the
thread pool (the services are synchronous). Errors become what a browser expects: no
session, a redirect to sign-in; a role without the right, a 403 page naming the role and
what it may not see; an unknown patient, a 404 page. An htmx request is redirected with
``HX-Redirect`` so the whole page changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from naltrack.api.sessions import CsrfFailed
from naltrack.domain.errors import Conflict, InvalidInput, NotFound
from naltrack.domain.security.roles import AccessDenied
from naltrack.web.context import SignInRequired, check_csrf, find_user, page_context, web_of
from naltrack.web.rendering import render

Handler = Callable[[Request, Mapping[str, Any] | None], Response]
CATEGORY_WORDS = {"urine-screens": "urine drug screens", "clinical-views": "clinical summaries",
                  "administrations": "medication administrations", "adverse-events": "adverse events"}


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


def _guard(handler: Handler, request: Request, form: Mapping[str, Any] | None) -> Response:
    try:
        if form is not None:
            check_csrf(request, form)
        return handler(request, form)
    except SignInRequired:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(request, f"/sign-in?next={quote(target)}")
    except AccessDenied as denied:
        what = CATEGORY_WORDS.get(denied.category, denied.category)
        return message_page(request, 403, "Not available to your role",
                            f"The {denied.role} role may not {denied.action} {what}. "
                            "Ask a clinician with access, or an administrator.", {"href": "/", "label": "Home"})
    except NotFound as missing:
        return message_page(request, 404, "Not found", f"No {missing.kind} {missing.key!r} in your clinic.",
                            {"href": "/patients", "label": "Patients"})
    except InvalidInput as error:
        return message_page(request, 422, "Not saved", f"{error}. Nothing was saved.")
    except Conflict as error:
        return message_page(request, 409, "Changed by someone else", f"{error}. Reload the page and check.")
    except CsrfFailed as rejected:
        return message_page(request, 403, "Form expired", str(rejected))


def page(router: APIRouter, path: str, methods: Sequence[str] = ("GET",)) -> Callable[[Handler], Handler]:
    """Register ``handler`` at ``path``; posts are read and CSRF-checked before it runs."""

    def decorate(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            web_of(request)
            form = dict(await request.form()) if request.method == "POST" else None
            return await run_in_threadpool(_guard, handler, request, form)

        endpoint.__name__ = handler.__name__
        router.add_api_route(path, endpoint, methods=list(methods), include_in_schema=False,
                             response_class=HTMLResponse, name=f"web.{handler.__name__}")
        return handler

    return decorate

