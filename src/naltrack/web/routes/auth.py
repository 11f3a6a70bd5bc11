"""Sign-in and sign-out, with the secure service's web sessions (:mod:`naltrack.api.sessions`), and
the admin's accounts page (the clinic's accounts, and a new one with the password policy's errors inline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.api import sessions
from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.accounts import MIN_PASSWORD_CHARS
from naltrack.domain.security.roles import ROLES, AccessDenied
from naltrack.services import security as security_cases
from naltrack.services.security import NotAuthenticated, TooManyAttempts
from naltrack.web.context import WebUser, actor_of, find_user, page_context, require_user, web_of
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


def _admin(request: Request, action: str) -> WebUser:
    user = require_user(request)
    if not user.may("users", action):
        raise AccessDenied(user.role, "users", action)
    return user


def _accounts_page(request: Request, user: WebUser, form: FormState, status: int = 200) -> Response:
    web = web_of(request)
    accounts = security_cases.list_users(web.ctx.uow, actor_of(request, user), web.now())
    context = page_context(
        request, user, "Accounts", form=form, accounts=accounts, roles=[(r, r) for r in ROLES],
        username_hint="2-64 lower-case letters, digits, '.', '_' or '-'; unique across every clinic",
        password_hint=f"at least {MIN_PASSWORD_CHARS} characters, not the user name, not a common password or "
                      "pattern: a phrase of unrelated words works well")
    return render(request, "pages/record.html", "partials/users.html", context, status_code=status)


@page(router, "/users")
def accounts(request: Request, form: Mapping[str, Any] | None) -> Response:
    return _accounts_page(request, _admin(request, "read"), FormState())


@page(router, "/users", methods=("POST",))
def create_account(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = _admin(request, "create")
    state = FormState.from_form(form or {})
    password = str((form or {}).get("password") or "")
    state.values.pop("password", None)  # never echo a password back
    username = state.text("username", max_length=64)
    role = state.choice("role", ROLES)
    if not password:
        state.add_error("password", "is required")
    if state.ok and username is not None and role is not None:
        web = web_of(request)
        try:
            security_cases.create_user(web.ctx.uow, actor_of(request, user), username, password, role, web.now())
        except InvalidInput as error:
            if error.field == "password":
                state.add_error("password", error.rule)
            else:
                state.apply(error, {"user.username": "username", "user.role": "role"})
        else:
            return redirect(request, "/users")
    return _accounts_page(request, user, state, 422)
