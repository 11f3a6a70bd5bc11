"""What the CDS Hooks service remembers between calls, shared by every server process.

``naltrack serve`` runs one worker process per core, and an EHR's calls land on any of them. Three things
must therefore be remembered where every process sees them (the database,
:class:`naltrack.adapters.db.cds_state.SqlCdsCallState`), not in one process's memory:

* **used JWT ids** (``iss`` and ``jti``): a signed call replayed to another worker is refused as a replay,
  until the token has expired (CDS Hooks 2.0, "Trusting CDS Clients");
* **feedback calls per caller**, counted in windows of :data:`FEEDBACK_WINDOW`, so the limit is the
  service's, not the limit times the number of workers;
* **the cards issued to a verified EHR** (service, rule, the EHR's patient, the naltrack patient the answer
  drew on) for :data:`CARD_MEMORY`, so feedback on a card names its rule and patient in the audit log
  whichever worker issued the card.

Keys are stored as SHA-256 digests (:func:`state_key`): no token id, issuer or client address in the clear.
:class:`ProcessCdsState` keeps the same in one process's memory, for a CDS service without storage.
"""

from __future__ import annotations

import abc
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["CARD_MEMORY", "FEEDBACK_WINDOW", "CdsCallState", "IssuedCard", "ProcessCdsState", "state_key"]

#: Feedback calls are counted per caller in windows this long.
FEEDBACK_WINDOW = timedelta(seconds=60)
#: How long an issued card is remembered for its feedback (EHRs send feedback as the clinician acts on the
#: card, within minutes); after it, feedback is still audited, without the card's rule and patient.
CARD_MEMORY = timedelta(days=7)
#: Cards a process remembers in memory (:class:`ProcessCdsState`); older ones are forgotten first.
MAX_REMEMBERED_CARDS = 50_000
#: Callers whose feedback windows a process keeps in memory before those of ended windows are dropped.
MAX_REMEMBERED_CALLERS = 10_000


@dataclass(frozen=True)
class IssuedCard:
    """A card naltrack answered with: for whom (``caller``, an issuer) and about which patient."""

    service_id: str
    rule: str
    patient_id: str
    """The EHR's patient id, as the hook's ``context.patientId`` named it; naltrack's own patient, when
    the answer drew on one, is ``linked_patient``."""
    indicator: str
    caller: str | None = None
    linked_patient: str | None = None
    """The naltrack patient whose records the answer drew on, through a consent in force; ``None``
    when the answer drew on the EHR's data only."""


def state_key(kind: str, value: str) -> str:
    """The stored key of a token id or a caller: a SHA-256 digest of ``kind:value``.

    >>> len(state_key("jti", "https://ehr.example|abc"))
    64
    """
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


class CdsCallState(abc.ABC):
    """The CDS service's memory between calls (see the module text); every method is atomic across the
    processes that share it."""

    @abc.abstractmethod
    def first_use(self, key: str, until: datetime, now: datetime) -> bool:
        """Record the token ``key`` as used until ``until``; ``False`` when it was already used and that use
        has not expired at ``now`` (a replay)."""

    @abc.abstractmethod
    def count_call(self, key: str, now: datetime) -> tuple[int, datetime]:
        """Count one call of ``key`` at ``now``: the calls in its window, this one included, and the window's
        start. A window starts at the first call after the previous one ended (:data:`FEEDBACK_WINDOW`)."""

    @abc.abstractmethod
    def remember_cards(self, cards: Sequence[tuple[str, IssuedCard]], now: datetime) -> None:
        """Remember ``cards`` (card uuid, what was issued) issued at ``now``; a uuid already remembered keeps what
        it had."""

    @abc.abstractmethod
    def issued_cards(self, uuids: Sequence[str], now: datetime) -> dict[str, IssuedCard]:
        """The remembered cards among ``uuids`` issued within :data:`CARD_MEMORY` before ``now``."""


class ProcessCdsState(CdsCallState):
    """:class:`CdsCallState` in this process's memory: for a CDS service that runs without storage, in one
    process (a second process would neither see the tokens used here nor the cards issued here)."""

    def __init__(self) -> None:
        self._tokens: dict[str, datetime] = {}
        self._calls: dict[str, tuple[int, datetime]] = {}
        self._cards: OrderedDict[str, tuple[IssuedCard, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def first_use(self, key: str, until: datetime, now: datetime) -> bool:
        with self._lock:
            self._tokens = {k: t for k, t in self._tokens.items() if t >= now}
            if key in self._tokens:
                return False
            self._tokens[key] = until
            return True

    def count_call(self, key: str, now: datetime) -> tuple[int, datetime]:
        with self._lock:
            stale = now - FEEDBACK_WINDOW
            if len(self._calls) > MAX_REMEMBERED_CALLERS:
                self._calls = {k: c for k, c in self._calls.items() if c[1] > stale}
            count, start = self._calls.get(key, (0, now))
            if start <= stale:
                count, start = 0, now
            self._calls[key] = (count + 1, start)
            return count + 1, start

    def remember_cards(self, cards: Sequence[tuple[str, IssuedCard]], now: datetime) -> None:
        with self._lock:
            for uuid, card in cards:
                self._cards.setdefault(uuid, (card, now))  # a card uuid is issued once; a repeat changes nothing
            while len(self._cards) > MAX_REMEMBERED_CARDS:
                self._cards.popitem(last=False)

    def issued_cards(self, uuids: Sequence[str], now: datetime) -> dict[str, IssuedCard]:
        with self._lock:
            found = {u: self._cards.get(u) for u in uuids}
        return {u: c[0] for u, c in found.items() if c is not None and c[1] >= now - CARD_MEMORY}
