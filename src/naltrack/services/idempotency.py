"""Creates that record once: a client's ``Idempotency-Key`` gets the first answer back on a retry.

:func:`run_once` runs a create for a request that carries a key:

1. If the user already has an answer kept under the key (and it has not expired), the
   request must be the same one (the same hash of method, path and body): the kept answer
   is returned, nothing is written again, and the replay is audited. The same key with
   another request is refused (``InvalidInput`` naming the header).
2. Otherwise the use case runs with a context whose units of work carry the claim
   (:class:`~naltrack.services.idempotency_ports.KeepsResponse`): ``run_audited`` renders
   the answer from the use case's result and keeps it in the same transaction as the
   records and their audit entries, so a crash keeps both or neither.
3. A request with the same key that raced this one and committed first makes the keep
   fail (``Conflict``); the whole transaction rolls back and the first answer is replayed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from naltrack.domain.errors import Conflict, InvalidInput
from naltrack.domain.security.accounts import Actor
from naltrack.services.access import Access
from naltrack.services.context import AppContext
from naltrack.services.idempotency_ports import KeptResponse, StoredResponse
from naltrack.services.security_ports import SecureUnitOfWork

T = TypeVar("T")

HEADER = "Idempotency-Key"
#: The longest key accepted (the column's length).
KEY_MAX_LENGTH = 200


@dataclass(frozen=True)
class Claim:
    """A request's key, the hash of what it asks, and how long its answer is kept."""

    key: str
    request_hash: str
    ttl: timedelta


def check_key(key: str) -> str:
    """``key`` if it is 1 to :data:`KEY_MAX_LENGTH` visible ASCII characters; ``InvalidInput`` otherwise.

    Examples
    --------
    >>> check_key("3f1c-retry-1")
    '3f1c-retry-1'
    """
    if not 0 < len(key) <= KEY_MAX_LENGTH or not all("!" <= c <= "~" for c in key):
        raise InvalidInput(HEADER, key[:KEY_MAX_LENGTH + 1], f"must be 1 to {KEY_MAX_LENGTH} visible ASCII characters")
    return key


def request_hash(method: str, path: str, body: object) -> str:
    """SHA-256 of the method, the path and the body as sorted, compact JSON.

    Examples
    --------
    >>> request_hash("POST", "/a", {"x": 1, "y": 2}) == request_hash("post", "/a", {"y": 2, "x": 1})
    True
    """
    text = json.dumps([method.upper(), path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Pending:
    """The claim a request's units of work carry; ``run_audited`` calls :meth:`keep` before it commits."""

    actor: Actor
    claim: Claim
    now: datetime
    render: Callable[[Any], StoredResponse]
    response: StoredResponse | None = None

    def keep(self, uow: SecureUnitOfWork, result: object, *, patient_id: str | None, category: str) -> None:
        self.response = self.render(result)
        uow.idempotency.keep(KeptResponse(
            actor_id=self.actor.user.id, key=self.claim.key, request_hash=self.claim.request_hash,
            response=self.response, created_at=self.now, expires_at=self.now + self.claim.ttl,
            patient_id=patient_id, category=category))

    def units_of_work(self, base: Callable[[], SecureUnitOfWork]) -> Callable[[], SecureUnitOfWork]:
        def factory() -> SecureUnitOfWork:
            uow = base()
            uow.pending = self
            return uow

        return factory


def replay(ctx: AppContext, actor: Actor, claim: Claim, now: datetime) -> StoredResponse | None:
    """The answer kept under the user's key, audited as a read; ``None`` if there is none (or it expired)."""
    with ctx.uow() as uow:
        kept = uow.idempotency.find(actor.user.id, claim.key, now)
        if kept is None:
            return None
        if kept.request_hash != claim.request_hash:
            raise InvalidInput(HEADER, claim.key, "was sent before with a different request; a new request "
                                                  "needs a new key")
        access = Access(actor, "read", kept.category, now, patient_id=kept.patient_id,
                        detail=f"replayed the answer kept under {HEADER}")
        uow.security.append_audit(access.event("allowed"))
        uow.commit()
        return kept.response


def run_once(ctx: AppContext, actor: Actor, claim: Claim, now: datetime, run: Callable[[AppContext], T],
             render: Callable[[T], StoredResponse]) -> StoredResponse:
    """The answer to a keyed create: the kept one, or ``run``'s rendered and kept with its records."""
    kept = replay(ctx, actor, claim, now)
    if kept is not None:
        return kept
    pending = _Pending(actor, claim, now, render)
    try:
        run(replace(ctx, uow=pending.units_of_work(ctx.uow)))
    except Conflict:
        kept = replay(ctx, actor, claim, now)  # a request with the same key committed first
        if kept is None:
            raise
        return kept
    if pending.response is None:
        raise RuntimeError("the create ran outside run_audited: its answer was not kept")
    return pending.response


def purge_expired(ctx: AppContext, now: datetime) -> int:
    """Remove the answers whose keys expired by ``now``; the number removed."""
    with ctx.uow() as uow:
        removed = uow.idempotency.purge(now)
        uow.commit()
        return removed
