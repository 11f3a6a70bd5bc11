"""A form that records once: each record form carries a hidden ``idempotency_key``.

The key is drawn with the form (the template global ``new_idempotency_key``) and kept when
the form comes back with errors. :func:`create_once` runs the form's create through
:func:`naltrack.services.idempotency.run_once`, so a double submit or a resubmitted page
stores the record once: the second post finds the key kept with the first record and gets
the same redirect without writing again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from fastapi import Request

from naltrack.services.context import AppContext
from naltrack.services.idempotency import Claim, check_key, request_hash, run_once
from naltrack.services.idempotency_ports import StoredResponse
from naltrack.web.context import WebUser, actor_of, web_of
from naltrack.web.forms import FormState

T = TypeVar("T")

#: The hidden field of every record form.
FIELD = "idempotency_key"
_NOT_HASHED = frozenset({FIELD, "csrf_token"})


def create_once(request: Request, user: WebUser, state: FormState,
                run: Callable[[AppContext], T]) -> T | StoredResponse:
    """``run``'s result, or the answer kept for the form's key when this form was already recorded."""
    web = web_of(request)
    key = state.raw(FIELD)
    if not key:
        return run(web.ctx)
    body = {k: v for k, v in sorted(state.values.items()) if k not in _NOT_HASHED}
    claim = Claim(check_key(key), request_hash(request.method, request.url.path, body),
                  timedelta(hours=web.settings.idempotency_key_hours))
    answer = StoredResponse(303, "", (("Location", request.url.path),))
    return run_once(web.ctx, actor_of(request, user), claim, web.now(), run, lambda _: answer)
