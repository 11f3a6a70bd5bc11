"""Dependencies declared once: the application context, the current user and the actor.

The context is the one :func:`naltrack.api.app.create_app` built (``ContextDep``); routes pass
it to the use cases.

The ones that do no I/O are ``async`` so that they run on the event loop, not in a worker
thread (a thread hop per dependency is most of the framework's cost per request).

A request authenticates with ``Authorization: Bearer <token>`` or, from the web pages,
with the session cookie (then a state-changing request also needs the CSRF token). The
optional ``X-Purpose-Of-Use`` header states why (default ``treatment``); it is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from naltrack.api import sessions
from naltrack.api.app import application_of
from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.consent import PURPOSES
from naltrack.errors import InvalidInput, NotAuthenticated
from naltrack.services import security as security_cases
from naltrack.services.context import AppContext
from naltrack.services.security_ports import SecureUnitOfWorkFactory

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token")
IN_PROGRAM_PURPOSES = tuple(p for p in PURPOSES if p != "emergency") + ("operations",)
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_app_context(request: Request) -> AppContext:
    """The application context of the app (built once by ``create_app``)."""
    return application_of(request).ctx


ContextDep = Annotated[AppContext, Depends(get_app_context)]


async def get_uow_factory(request: Request) -> SecureUnitOfWorkFactory:
    return application_of(request).ctx.uow


UowDep = Annotated[SecureUnitOfWorkFactory, Depends(get_uow_factory)]


@dataclass(frozen=True)
class Authenticated:
    """The signed-in user and the token (or session) that proved it."""

    user: User
    token_id: str


async def get_current_user(request: Request,
                           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                           ) -> Authenticated:
    """The bearer token's (or the session cookie's) user.

    ``async`` with one worker-thread hop at most: a token looked up a moment ago is checked on the event
    loop from the look-up's memory (no I/O; ``naltrack.adapters.db.token_cache``, which also says how a
    revocation is seen), any other goes to the database in a worker thread.
    """
    application = application_of(request)
    now = application.ctx.clock()
    if credentials is not None and credentials.scheme.lower() == "bearer":
        raw, kind = credentials.credentials, "bearer"
    elif request.cookies.get(sessions.SESSION_COOKIE):
        raw, kind = request.cookies[sessions.SESSION_COOKIE], "session"
    else:
        raise NotAuthenticated("sign in: send 'Authorization: Bearer <token>'")
    remembered = application.token_lookup.find_cached(security_cases.hash_token(raw or ""))
    if remembered is not None:
        user, token_id = security_cases.authenticate_with(lambda _hash: remembered, raw, now, kind=kind)
    else:
        user, token_id = await run_in_threadpool(security_cases.authenticate_with, application.token_lookup, raw,
                                                 now, kind=kind)
    if kind == "session" and request.method in _UNSAFE:
        sessions.require_csrf(request)
    return Authenticated(user, token_id)


CurrentUser = Annotated[Authenticated, Depends(get_current_user)]


async def get_actor(request: Request, auth: CurrentUser,
              purpose: Annotated[str | None, Header(alias="X-Purpose-Of-Use", max_length=32)] = None) -> Actor:
    if purpose is not None and purpose not in IN_PROGRAM_PURPOSES:
        raise InvalidInput("X-Purpose-Of-Use", purpose, f"must be one of {', '.join(IN_PROGRAM_PURPOSES)}")
    return Actor(auth.user, sessions.client_address(request), purpose or "treatment")


ActorDep = Annotated[Actor, Depends(get_actor)]


async def now_utc(request: Request) -> datetime:
    """The request's clock: the application context's (one place, so tests can override it)."""
    return application_of(request).ctx.clock()


NowDep = Annotated[datetime, Depends(now_utc)]
