"""Sign-in and sign-out, with the secure service's web sessions (:mod:`naltrack.api.sessions`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.api import sessions
from naltrack.services.security import NotAuthenticated, TooManyAttempts
from naltrack.web.context import find_user, page_context
from naltrack.web.forms import FormState
from naltrack.web.navigation import home_for
from naltrack.web.pages import page, redirect
from naltrack.web.rendering import render

router = APIRouter()


def _safe_next(value: str | None) -> str | None:
    """Only a local path: never send the user to another site after sign-in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def _form_page(request: Request, form: FormState, next_url: str | None, status: int = 200) -> Response:
    context = page_context(request, None, "Sign in", form=form, next_url=next_url)
    return render(request, "pages/sign_in.html", "partials/sign_in.html", context, status_code=status)


@page(router, "/sign-in")
def sign_in_form(request: Request, form: Mapping[str, Any] | None) -> Response:
    if find_user(request) is not None:
        return redirect(request, "/")
    return _form_page(request, FormState(), _safe_next(request.query_params.get("next")))


@page(router, "/sign-in", methods=("POST",))
def sign_in_submit(request: Request, form: Mapping[str, Any] | None) -> Response:
    state = FormState.from_form(form or {})
    password = str((form or {}).get("password") or "")
    state.values.pop("password", None)  # never echo a password back
    username = state.text("username", max_length=64)
    if not password:
        state.add_error("password", "is required")
    next_url = _safe_next(state.raw("next"))
    if not state.ok or username is None:
        return _form_page(request, state, next_url, 422)
    try:
        issued = sessions.sign_in(request, username, password)
    except NotAuthenticated:
        state.add_error("_form", "user name or password is wrong")
        return _form_page(request, state, next_url, 401)
    except TooManyAttempts as throttled:
        state.add_error("_form", f"too many failed sign-ins: try again in {throttled.retry_after_s} seconds")
        return _form_page(request, state, next_url, 429)
    response = redirect(request, next_url or home_for(issued.user.role))
    sessions.set_session_cookie(request, response, issued)
    return response


@page(router, "/sign-out", methods=("POST",))
def sign_out(request: Request, form: Mapping[str, Any] | None) -> Response:
    response = redirect(request, "/sign-in")
    sessions.sign_out(request, response)
    return response
