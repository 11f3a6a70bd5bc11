"""Group commit of read audits: the entries of reads that wait together are chained in one transaction.

Every audited append takes the audit head's lock (``FOR UPDATE`` on PostgreSQL) and holds it until its
commit. When fifty clients read charts at once, each read taking the lock in its own transaction makes
the reads queue on it, one commit at a time. A read writes nothing but its audit entries, so they need
not share the read's transaction: they need only be durable before the answer leaves. The reads that
wait at the same moment therefore hand their entries to one writer, which chains all of them after the
head in a single transaction and one commit, and then every waiting read gets its own entries back.

There is no background thread and no connection of its own: the first waiter that finds no write in
progress writes the whole queue (its own entries included) on its own connection, whose read is already
committed, while later ones wait; when it is done, the next waiter takes the queue that built up
meanwhile. A failed write fails every read of that batch (none of them is answered), and no other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from naltrack.domain.security.audit import AuditEntry, AuditEvent

#: At most this many entries are chained in one transaction (one statement's parameters stay small).
MAX_BATCH_ENTRIES = 500

Write = Callable[[Sequence[AuditEvent]], list[AuditEntry]]


@dataclass
class _Ticket:
    events: Sequence[AuditEvent]
    done: bool = False
    entries: list[AuditEntry] = field(default_factory=list)
    error: BaseException | None = None


class AuditBatch:
    """Appends the entries of concurrent callers, one write for all who wait together.

    Each caller brings a ``write(events)`` that chains and commits ``events`` in order and returns their
    entries; the caller that writes a batch does it with its own. A caller's entries stay together and in
    their order.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._queue: list[_Ticket] = []
        self._writing = False
        #: How many writes, and entries, so far (for tests and the benchmark's notes).
        self.writes = 0
        self.entries = 0

    def append(self, events: Sequence[AuditEvent], write: Write) -> list[AuditEntry]:
        """Chain and commit ``events`` (with whatever other callers wait now); their entries, once durable."""
        if not events:
            return []
        ticket = _Ticket(events)
        with self._changed:
            self._queue.append(ticket)
            while not ticket.done and self._writing:
                self._changed.wait()
            if ticket.done:
                return _result(ticket)
            self._writing = True
            batch = self._take()
        try:
            self._run(batch, write)
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()
        return _result(ticket)

    def _take(self) -> list[_Ticket]:
        """The queue's first tickets, up to :data:`MAX_BATCH_ENTRIES` entries (always at least one ticket)."""
        taken, count = 0, 0
        for ticket in self._queue:
            if taken and count + len(ticket.events) > MAX_BATCH_ENTRIES:
                break
            taken, count = taken + 1, count + len(ticket.events)
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        return batch

    def _run(self, batch: list[_Ticket], write: Write) -> None:
        events = [event for ticket in batch for event in ticket.events]
        try:
            entries = write(events)
        except BaseException as error:  # every read of the batch fails with it; none is answered unaudited
            for ticket in batch:
                ticket.error, ticket.done = error, True
            return
        if len(entries) != len(events):
            mismatch = RuntimeError(f"audit write returned {len(entries)} entries for {len(events)} events")
            for ticket in batch:
                ticket.error, ticket.done = mismatch, True
            return
        start = 0
        for ticket in batch:
            ticket.entries = entries[start:start + len(ticket.events)]
            start += len(ticket.events)
            ticket.done = True
        self.writes += 1
        self.entries += len(entries)


def _result(ticket: _Ticket) -> list[AuditEntry]:
    if ticket.error is not None:
        raise ticket.error
    return ticket.entries
