"""``Idempotency-Key`` on the REST API's creates: a retry gets the first answer, the record is written once.

A create route takes :data:`IdempotencyDep` and answers through :func:`respond`: without a
key the use case runs as always; with one, :func:`naltrack.services.idempotency.run_once`
keeps the answer (status, body, ``Location`` and ``ETag``) in the record's transaction and
replays it for a retry with the same body. The same key with another body is 422
(problem+json naming the header). Keys are kept ``NALTRACK_IDEMPOTENCY_KEY_HOURS`` (24 h).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel

from naltrack.api.app import application_of
from naltrack.domain.security.accounts import Actor
from naltrack.services.context import AppContext
from naltrack.services.idempotency import HEADER, KEY_MAX_LENGTH, Claim, check_key, request_hash, run_once
from naltrack.services.idempotency_ports import StoredResponse

T = TypeVar("T")


@dataclass(frozen=True)
class KeyHeader:
    """The request's ``Idempotency-Key`` (or ``None``), where it was sent, and how long its answer is kept."""

    key: str | None
    method: str
    path: str
    ttl: timedelta

    def claim(self, body: object) -> Claim | None:
        if self.key is None:
            return None
        return Claim(self.key, request_hash(self.method, self.path, body), self.ttl)


async def key_header(request: Request, key: Annotated[str | None, Header(
        alias=HEADER, min_length=1, max_length=KEY_MAX_LENGTH, pattern=r"^[!-~]+$",
        description="A key of the client's choosing (e.g. a UUID) that makes a retried create record once")] = None,
                     ) -> KeyHeader:
    hours = application_of(request).settings.idempotency_key_hours
    return KeyHeader(None if key is None else check_key(key), request.method, request.url.path,
                     timedelta(hours=hours))


IdempotencyDep = Annotated[KeyHeader, Depends(key_header)]


def respond(ctx: AppContext, actor: Actor, key: KeyHeader, body: object, now: datetime,
            run: Callable[[AppContext], T], render: Callable[[T], StoredResponse]) -> Response:
    """Run the create ``run`` once per key; the answer, first or replayed, as ``render`` made it."""
    claim = key.claim(body)
    stored = render(run(ctx)) if claim is None else run_once(ctx, actor, claim, now, run, render)
    return Response(stored.body, stored.status, dict(stored.headers), media_type="application/json")


def created(body: BaseModel, headers: dict[str, str]) -> StoredResponse:
    """A 201 answer: ``body`` as JSON, with ``headers`` (``Location``, ``ETag``)."""
    return StoredResponse(201, body.model_dump_json(), tuple(headers.items()))
