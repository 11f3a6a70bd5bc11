"""The portal's sessions, its page decorator, sign-in and the one-time invite link.

A patient's session is a cookie of its own (``naltrack_portal``, path ``/portal``, HttpOnly,
SameSite=Strict, Secure as the staff cookie is), holding an opaque token that
``services/portal_accounts.py`` stores hashed in the portal's own table: it is never a staff
session, so no staff page or API route accepts it. Its CSRF token is an HMAC of the session
token under the app's secret, as for staff (:mod:`naltrack.api.sessions`), with a ``portal:``
label so the two never match. Sign-in and the invite form have no session yet: there, a post
from another site is refused as on the staff sign-in (:func:`naltrack.api.sessions.require_same_origin`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack import errors
from naltrack.api import sessions
from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.accounts import MIN_PASSWORD_CHARS, Actor
from naltrack.domain.security.patient_accounts import PatientPrincipal
from naltrack.services import portal_accounts as accounts
from naltrack.web.context import web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import redirect, register_page

router = APIRouter()
PORTAL_COOKIE = "naltrack_portal"
PORTAL_PATH = "/portal"
SIGN_IN = "/portal/sign-in"
#: Posts made before there is a session: checked for their origin instead of a CSRF token.
OPEN_POSTS = ("/portal/sign-in", "/portal/invite/")
PortalHandler = Callable[[Request, Mapping[str, Any] | None], Response]


def _secret(request: Request) -> bytes:
    key = request.app.state.settings.secret_key or request.app.state.generated_secret
    return f"portal:{key}".encode()


def portal_csrf_token(request: Request) -> str:
    """The CSRF token of the portal session ('' without one)."""
    raw = request.cookies.get(PORTAL_COOKIE)
    return hmac.new(_secret(request), raw.encode("utf-8"), hashlib.sha256).hexdigest() if raw else ""


def find_principal(request: Request) -> PatientPrincipal | None:
    """The patient of the portal cookie, or ``None``."""
    raw = request.cookies.get(PORTAL_COOKIE)
    if not raw:
        return None
    try:
        principal, _ = accounts.authenticate(web_of(request).ctx, raw, web_of(request).now())
    except errors.NotAuthenticated:
        return None
    return principal


def require_patient(request: Request) -> Actor:
    """The signed-in patient as the actor of their request; :class:`SignInRequired` otherwise."""
    principal = find_principal(request)
    if principal is None:
        raise errors.SignInRequired("sign in to the portal first")
    return accounts.patient_actor(principal, sessions.client_address(request))


def _check_post(request: Request, form: Mapping[str, Any]) -> None:
    if request.url.path.startswith(OPEN_POSTS):
        sessions.require_same_origin(request)
        return
    if find_principal(request) is None:  # signed out (or never in): to sign-in, as a page would
        raise errors.SignInRequired("sign in to the portal first")
    expected, given = portal_csrf_token(request), str(form.get(sessions.CSRF_FIELD) or "")
    if not expected or not hmac.compare_digest(expected, given):
        raise errors.CsrfFailed("the form is missing its security token or you were signed out; reload the page")


def plain_day(value: date | None) -> str:
    """A date in words: "Friday, December 18, 2026" (``—`` for none)."""
    return "—" if value is None else f"{value:%A}, {value:%B} {value.day}, {value.year}"


def plain_when(value: datetime, zone_name: str) -> str:
    """An instant in the clinic's local time, in words: "Friday, December 18, 2026 at 9:30 AM"."""
    local = value.astimezone(ZoneInfo(zone_name))
    return f"{plain_day(local.date())} at {local:%I:%M %p}".replace(" at 0", " at ")


def portal_render(request: Request, template: str, status: int = 200, **values: Any) -> Response:
    """A portal page (``templates/portal/``): the CSRF token, the signed-in patient and the date helper added."""
    web = web_of(request)
    context = {"csrf_token": portal_csrf_token(request), "plain_day": plain_day, "plain_when": plain_when, **values}
    response = web.templates.TemplateResponse(request, f"portal/{template}", context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _message(request: Request, status: int, heading: str, text: str) -> Response:
    return portal_render(request, "message.html", status, title=heading, heading=heading, message=text,
                         signed_in=find_principal(request) is not None)


def portal_error(request: Request, error: errors.DomainError) -> Response:
    """What a patient sees for an error: sign in again, "not found" (also for what is not theirs), or why not."""
    if isinstance(error, errors.NotAuthenticated | errors.SignInRequired):
        return redirect(request, SIGN_IN)
    if isinstance(error, errors.NotFound | errors.AccessDenied):
        return _message(request, 404, "Not found", "There is nothing here for you. Go back to your home page.")
    if isinstance(error, errors.CsrfFailed):
        return _message(request, 403, "Please try again", str(error))
    if isinstance(error, errors.TooManyAttempts):
        return _message(request, 429, "Too many tries", str(error))
    if isinstance(error, errors.Conflict):
        return _message(request, 409, "Already done", f"{error}.")
    return _message(request, 422, "Not saved", f"{error}. Nothing was saved.")


def _guard(handler: PortalHandler, request: Request, form: Mapping[str, Any] | None) -> Response:
    try:
        if form is not None:
            _check_post(request, form)
        return handler(request, form)
    except errors.DomainError as error:
        return portal_error(request, error)


def portal_page(router: APIRouter, path: str, methods: Sequence[str] = ("GET",)) -> Callable[[PortalHandler],
                                                                                            PortalHandler]:
    """Register a portal page: posts are read and checked (CSRF, or origin before sign-in) before it runs."""

    return lambda handler: register_page(router, path, methods, handler, _guard, "portal")


def _set_cookie(request: Request, response: Response, issued: accounts.IssuedPortalSession) -> None:
    response.set_cookie(PORTAL_COOKIE, issued.token, expires=issued.expires_at, path=PORTAL_PATH,
                        secure=sessions.secure_cookie(request), httponly=True, samesite="strict")


def _sign_in_page(request: Request, form: FormState, status: int = 200, note: str | None = None) -> Response:
    return portal_render(request, "sign_in.html", status, title="Sign in", form=form, note=note, signed_in=False)


@portal_page(router, "/portal/sign-in")
def sign_in_form(request: Request, form: Mapping[str, Any] | None) -> Response:
    if find_principal(request) is not None:
        return redirect(request, PORTAL_PATH)
    note = "Your password is set. Sign in with it now." if request.query_params.get("ready") else None
    return _sign_in_page(request, FormState(), note=note)


@portal_page(router, "/portal/sign-in", methods=("POST",))
def sign_in_submit(request: Request, form: Mapping[str, Any] | None) -> Response:
    state = FormState.from_form(form or {})
    password = str((form or {}).get("password") or "")
    state.values.pop("password", None)  # never echo a password back
    login_name = state.text("login_name", max_length=64)
    if not password:
        state.add_error("password", "is required")
    if not state.ok or login_name is None:
        return _sign_in_page(request, state, 422)
    web = web_of(request)
    try:
        issued = accounts.sign_in(web.ctx, request.app.state.sign_in_throttle, login_name, password,
                                  sessions.client_address(request), web.now())
    except errors.NotAuthenticated:
        state.add_error("_form", "The login name or password is wrong.")
        return _sign_in_page(request, state, 401)
    except errors.TooManyAttempts as throttled:
        state.add_error("_form", f"Too many tries. Wait {throttled.retry_after_s} seconds, then try again.")
        return _sign_in_page(request, state, 429)
    response = redirect(request, PORTAL_PATH)
    _set_cookie(request, response, issued)
    return response


@portal_page(router, "/portal/sign-out", methods=("POST",))
def sign_out(request: Request, form: Mapping[str, Any] | None) -> Response:
    raw = request.cookies.get(PORTAL_COOKIE)
    if raw:
        accounts.sign_out(web_of(request).ctx, raw, sessions.client_address(request), web_of(request).now())
    response = redirect(request, SIGN_IN)
    response.delete_cookie(PORTAL_COOKIE, path=PORTAL_PATH, secure=sessions.secure_cookie(request), httponly=True,
                           samesite="strict")
    return response


def _invite_page(request: Request, login_name: str, form: FormState, status: int = 200) -> Response:
    return portal_render(request, "invite.html", status, title="Set your password", login_name=login_name,
                         form=form, min_chars=MIN_PASSWORD_CHARS, signed_in=False)


@portal_page(router, "/portal/invite/{token}", methods=("GET", "POST"))
def invite(request: Request, form: Mapping[str, Any] | None) -> Response:
    """Open the invite link: choose a login name (the invite's, or another) and a password."""
    web, token = web_of(request), request.path_params["token"]
    found = accounts.find_invite(web.ctx, token, web.now())
    if form is None:
        return _invite_page(request, found.login_name, FormState(values={"login_name": found.login_name}))
    state = FormState.from_form(form)
    password, again = str(form.get("password") or ""), str(form.get("password_again") or "")
    state.values.pop("password", None)
    state.values.pop("password_again", None)
    login_name = state.text("login_name", max_length=64)
    if not password:
        state.add_error("password", "is required")
    elif password != again:
        state.add_error("password_again", "does not match the password")
    if state.ok and login_name is not None:
        try:
            accounts.accept_invite(web.ctx, token, login_name, password, sessions.client_address(request), web.now())
        except InvalidInput as error:
            field = "password" if error.field == "password" else "login_name"
            state.add_error(field, f"This {field.replace('_', ' ')} {error.rule}.")
        else:
            return redirect(request, f"{SIGN_IN}?ready=1")
    return _invite_page(request, found.login_name, state, 422)
