"""Web sessions for the server-rendered pages: a Secure (over https), HttpOnly, SameSite=Strict cookie
holding an opaque session token (stored hashed, revocable, like a bearer token), and a
CSRF token bound to it.

For the web pages::

    from naltrack.api import sessions
    issued = sessions.sign_in(request, username, password)        # raises NotAuthenticated / TooManyAttempts
    sessions.set_session_cookie(request, response, issued)          # after a successful sign-in
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

from naltrack.api import forwarded
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


def set_session_cookie(request: Request, response: Response, issued: IssuedToken) -> None:
    """Set the session cookie: HttpOnly, SameSite=Strict, and Secure as :func:`secure_cookie` decides."""
    response.set_cookie(SESSION_COOKIE, issued.token, expires=issued.expires_at, path="/",
                        secure=secure_cookie(request), httponly=True, samesite="strict")


def secure_cookie(request: Request) -> bool:
    """``NALTRACK_COOKIE_SECURE``: ``always``, ``never``, or (``auto``) when the client used https,
    as the connection or a trusted proxy's ``X-Forwarded-Proto`` tells."""
    setting = request.app.state.settings.cookie_secure
    return setting == "always" or (setting == "auto" and client_scheme(request) == "https")


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
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure_cookie(request), httponly=True, samesite="strict")


def _forwarding(request: Request) -> dict[str, list[str]]:
    return {name: request.headers.getlist(name) for name in ("forwarded", "x-forwarded-for", "x-forwarded-proto")}


def client_address(request: Request) -> str | None:
    """The client's address (throttling, audit): the socket's, or what a trusted proxy says."""
    peer = request.client.host if request.client else None
    return forwarded.client_address(peer, _forwarding(request), request.app.state.settings.trusted_proxy_networks())


def client_scheme(request: Request) -> str:
    """``http`` or ``https`` as the client used it (a trusted proxy's word, else the connection's)."""
    peer = request.client.host if request.client else None
    return forwarded.client_scheme(peer, _forwarding(request), request.app.state.settings.trusted_proxy_networks(),
                                   request.url.scheme)


def require_same_origin(request: Request) -> None:
    """Refuse a post from another site (login CSRF): an ``Origin`` that is not this site's, or a
    ``Sec-Fetch-Site`` that says the page was another site's.

    This site is the scheme the client used and the ``Host`` it asked for. ``Origin: null`` (a
    sandboxed frame, a ``data:`` page, a redirect across sites) passes only when the browser vouches
    that the request came from this site's own page (``Sec-Fetch-Site: same-origin``, a header no
    page can set): under ``Referrer-Policy: no-referrer`` a browser sends ``null`` for its own
    forms too. A request without either header (not sent by a browser) passes.
    """
    origin = request.headers.get("Origin")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise CsrfFailed(f"a sign-in from another site ({origin or fetch_site}) is refused")
    if origin == "null" and fetch_site != "same-origin":
        raise CsrfFailed("a sign-in from another site (null) is refused")
    own = f"{client_scheme(request)}://{request.url.netloc}".lower()
    if origin is not None and origin != "null" and origin.rstrip("/").lower() != own:
        raise CsrfFailed(f"a sign-in from another site ({origin}) is refused")
