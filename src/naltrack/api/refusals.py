"""Requests refused at the edge: the depth of a JSON body, and the audit entry of every refusal.

A request refused before any use case ran (a field over its limit, a body nested too deep)
is audited under the signed-in user who sent it (``services.refusals``); an anonymous one
is only answered (401 comes first for the routes that need a user).
"""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.security import HTTPBearer

from naltrack.api import deps
from naltrack.api.app import application_of
from naltrack.errors import DomainError
from naltrack.services.refusals import audit_refused_request

_BEARER = HTTPBearer(auto_error=False)
_ACTIONS = {"GET": "read", "HEAD": "read", "POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
#: The characters that open or close a level, a string, or escape inside one.
_TOKENS = re.compile(rb'[\[\]{}"\\]')


def json_depth(raw: bytes, stop_at: int) -> int:
    """How deep arrays and objects nest in ``raw`` JSON (brackets inside strings do not count).

    Scanning stops once ``stop_at`` is passed, so a body nested a million deep costs no more than one at the limit.

    Examples
    --------
    >>> json_depth(b'{"a": [1, {"b": "]]"}]}', 10)
    3
    >>> json_depth(b"[" * 100, 32)
    33
    """
    depth = deepest = 0
    in_string = escaped = False
    for match in _TOKENS.finditer(raw):
        char = match.group()
        if in_string:
            if escaped:
                escaped = False  # the escaped character itself is skipped below only when it is a token
            elif char == b"\\":
                escaped = match.end() < len(raw) and raw[match.end():match.end() + 1] in b'"\\'
            elif char == b'"':
                in_string = False
            continue
        if char == b'"':
            in_string = True
        elif char in b"[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > stop_at:
                return deepest
        elif char in b"]}":
            depth -= 1
    return deepest


async def audit_refusal(request: Request, detail: str) -> None:
    """Audit a refused request under its signed-in user; an anonymous or unverifiable caller is not audited."""
    try:
        credentials = await _BEARER(request)
        user = await deps.get_current_user(request, credentials)
        actor = await deps.get_actor(request, user, request.headers.get("X-Purpose-Of-Use"))
    except DomainError:
        return
    ctx = application_of(request).ctx
    action = _ACTIONS.get(request.method, "request")
    audit_refused_request(ctx, actor, action, f"{request.method} {request.url.path}: {detail}", ctx.clock())
