"""Web sessions for the server-rendered pages: a secure, HttpOnly, SameSite=Strict cookie
holding an opaque session token (stored hashed, revocable, like a bearer token), and a
CSRF token bound to it.

For the web pages::

    from naltrack.api import sessions
    issued = sessions.sign_in(request, username, password)        # raises NotAuthenticated / TooManyAttempts
    sessions.set_session_cookie(response, issued, settings)        # after a successful sign-in
    user = sessions.current_web_user(request)                      # None when not signed in
    token = sessions.csrf_token(request)                           # put in forms (name "csrf_token") and
                                                                   # in htmx requests (header "X-CSRF-Token")
    sessions.require_csrf(request, submitted)                      # on every POST/PUT/PATCH/DELETE form
    sessions.sign_out(request, response)                           # revokes the session and clears the cookie

The CSRF token is ``HMAC-SHA256(secret_key, session token)``: nothing to store, and it
changes with every session.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request, Response

from naltrack.api.app import application_of
from naltrack.config import Settings
from naltrack.domain.security.accounts import Actor, User
from naltrack.errors import CsrfFailed, NotAuthenticated
from naltrack.services import security as security_cases
from naltrack.services.security import IssuedToken

SESSION_COOKIE = "naltrack_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"



def _secret(request: Request) -> bytes:
    settings: Settings = request.app.state.settings
    key = settings.secret_key or request.app.state.generated_secret
    return key.encode("utf-8")


def sign_in(request: Request, username: str, password: str) -> IssuedToken:
    """Check the password and open a web session (throttled and audited like the API's sign-in)."""
    ctx = application_of(request).ctx
    return security_cases.sign_in(ctx.uow, request.app.state.sign_in_throttle, username, password,
                                  client_address(request), ctx.clock(), kind="session")


def set_session_cookie(response: Response, issued: IssuedToken, settings: Settings) -> None:
    """Set the session cookie: Secure unless served on plain loopback, HttpOnly, SameSite=Strict."""
    response.set_cookie(
        SESSION_COOKIE, issued.token, expires=issued.expires_at, path="/", secure=settings.host not in (
            "127.0.0.1", "localhost"), httponly=True, samesite="strict",
    )


def current_web_user(request: Request) -> User | None:
    """The signed-in user of the session cookie, or ``None``."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        application = application_of(request)
        user, _token_id = security_cases.authenticate_with(application.token_lookup, raw, application.ctx.clock(),
                                                           kind="session")
    except NotAuthenticated:
        return None
    return user


def csrf_token(request: Request) -> str:
    """The CSRF token of the current session ('' without a session)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return ""
    return hmac.new(_secret(request), raw.encode("utf-8"), hashlib.sha256).hexdigest()


def require_csrf(request: Request, submitted: str | None = None) -> None:
    """Raise :class:`CsrfFailed` unless the form field or the header carries the session's token."""
    expected = csrf_token(request)
    given = submitted or request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(expected, given):
        raise CsrfFailed("the form is missing its CSRF token or the session changed; reload the page")


def sign_out(request: Request, response: Response) -> None:
    """Revoke the session server-side and clear the cookie."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        ctx = application_of(request).ctx
        now, uow_factory = ctx.clock(), ctx.uow
        with uow_factory() as uow:
            try:
                user, token_id = security_cases.authenticate(uow, raw, now, kind="session")
            except NotAuthenticated:
                user = None
        if user is not None:
            security_cases.revoke_token(uow_factory, Actor(user, client_address(request)),
                                        token_id, now)
    response.delete_cookie(SESSION_COOKIE, path="/")


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None
