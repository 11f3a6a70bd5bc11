"""The port of the idempotency store: a client's ``Idempotency-Key`` and the answer it got.

A create sent with a key stores its answer (status, body, headers) with the key, the user
and a hash of the request, in the same transaction as the records it wrote: a crash keeps
both or neither. :mod:`naltrack.services.idempotency` uses it.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from naltrack.services.security_ports import SecureUnitOfWork


@dataclass(frozen=True)
class StoredResponse:
    """An answer as the client received it."""

    status: int
    body: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class KeptResponse:
    """A key, whose it is, what it was sent with, and the answer, until ``expires_at``.

    ``patient_id`` and ``category`` are those of the first access, so that a replay is audited as one.
    """

    actor_id: str
    key: str
    request_hash: str
    response: StoredResponse
    created_at: datetime
    expires_at: datetime
    patient_id: str | None
    category: str


class IdempotencyRepository(abc.ABC):
    """Kept answers, one per (user, key)."""

    @abc.abstractmethod
    def find(self, actor_id: str, key: str, now: datetime) -> KeptResponse | None:
        """The user's answer kept under ``key``, unless it has expired by ``now``."""

    @abc.abstractmethod
    def keep(self, kept: KeptResponse) -> None:
        """Store ``kept`` (replacing an expired one); ``Conflict`` when the key is in use."""

    @abc.abstractmethod
    def purge(self, now: datetime) -> int:
        """Remove the answers expired by ``now``; the number removed."""


class KeepsResponse(Protocol):
    """What a unit of work carries when its request came with a key: stores the answer before the commit."""

    def keep(self, uow: SecureUnitOfWork, result: object, *, patient_id: str | None, category: str) -> None: ...
