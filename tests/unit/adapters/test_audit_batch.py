"""The group commit of read audits: every caller gets its own entries, in order, once written; callers
that wait together share one write; a failed write fails exactly the callers of its batch."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naltrack.adapters.db import audit_batch
from naltrack.adapters.db.audit_batch import AuditBatch
from naltrack.domain.security.audit import GENESIS_HASH, AuditEntry, AuditEvent, chain_after

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def _event(actor: str, n: int) -> AuditEvent:
    return AuditEvent(at=AT, actor=actor, clinic_id="c1", action="read", category="demographics",
                      record_id=f"{actor}-{n}")


class Log:
    """A chained log in memory; ``write`` can be made slow, or to fail on its ``fail_on``-th call."""

    def __init__(self, delay_s: float = 0.0, fail_on: int | None = None) -> None:
        self.entries: list[AuditEntry] = []
        self.calls: list[int] = []
        self.delay_s, self.fail_on = delay_s, fail_on
        self.busy = threading.Lock()

    def write(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        assert self.busy.acquire(blocking=False), "two writes at once"
        try:
            self.calls.append(len(events))
            time.sleep(self.delay_s)
            if self.fail_on is not None and len(self.calls) == self.fail_on:
                raise OSError("the database went away")
            seq, last = (self.entries[-1].seq, self.entries[-1].hash) if self.entries else (0, GENESIS_HASH)
            written = []
            for event in events:
                entry = chain_after(event, seq, last)
                seq, last = entry.seq, entry.hash
                written.append(entry)
            self.entries.extend(written)
            return written
        finally:
            self.busy.release()


def _run_callers(batch: AuditBatch, log: Log, callers: int,
                 per_caller: int) -> tuple[dict[str, list[AuditEntry]], dict[str, BaseException]]:
    results: dict[str, list[AuditEntry]] = {}
    errors: dict[str, BaseException] = {}
    start = threading.Barrier(callers)

    def call(name: str) -> None:
        start.wait()
        try:
            results[name] = batch.append([_event(name, n) for n in range(per_caller)], log.write)
        except BaseException as error:  # noqa: BLE001 - recorded for the assertions
            errors[name] = error

    threads = [threading.Thread(target=call, args=(f"u{i}",)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors


def test_one_caller_gets_its_entries_from_one_write() -> None:
    log = Log()
    batch = AuditBatch()
    entries = batch.append([_event("u1", 0), _event("u1", 1)], log.write)
    assert [e.record_id for e in entries] == ["u1-0", "u1-1"]
    assert [e.seq for e in entries] == [1, 2]
    assert log.calls == [2] and batch.writes == 1 and batch.entries == 2


def test_nothing_to_write_writes_nothing() -> None:
    log = Log()
    assert AuditBatch().append([], log.write) == []
    assert log.calls == []


def test_callers_that_wait_together_share_writes_and_each_gets_its_own_entries() -> None:
    log = Log(delay_s=0.02)
    batch = AuditBatch()
    results, errors = _run_callers(batch, log, callers=24, per_caller=2)
    assert errors == {}
    assert sum(log.calls) == 48 and len(log.entries) == 48
    assert len(log.calls) < 24  # grouped: fewer writes than callers
    for name, entries in results.items():
        assert [e.record_id for e in entries] == [f"{name}-0", f"{name}-1"]
        assert entries[1].seq == entries[0].seq + 1  # a caller's entries stay together and in order
    assert sorted(e.seq for entries in results.values() for e in entries) == list(range(1, 49))


def test_a_failed_write_fails_the_callers_of_its_batch_and_no_others() -> None:
    log = Log(delay_s=0.02, fail_on=2)
    batch = AuditBatch()
    results, errors = _run_callers(batch, log, callers=16, per_caller=1)
    failed_batch = log.calls[1]
    assert len(errors) == failed_batch >= 1
    assert all(isinstance(e, OSError) for e in errors.values())
    assert len(results) == 16 - failed_batch
    assert {e.record_id for entries in results.values() for e in entries} == {f"{n}-0" for n in results}
    assert len(log.entries) == 16 - failed_batch  # the failed batch wrote nothing


def test_a_batch_holds_at_most_the_limit_but_never_splits_a_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_batch, "MAX_BATCH_ENTRIES", 5)
    log = Log(delay_s=0.02)
    batch = AuditBatch()
    results, errors = _run_callers(batch, log, callers=12, per_caller=3)
    assert errors == {} and len(results) == 12
    assert all(n % 3 == 0 and n <= 5 for n in log.calls[1:])  # whole callers only: 3 entries each
    assert log.calls[0] == 3  # the first caller writes alone


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=12))
def test_every_event_is_written_once_in_a_gapless_chain(sizes: list[int]) -> None:
    log = Log(delay_s=0.001)
    batch = AuditBatch()
    results: dict[int, list[AuditEntry]] = {}

    def call(i: int) -> None:
        results[i] = batch.append([_event(f"u{i}", n) for n in range(sizes[i])], log.write)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(sizes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [e.seq for e in log.entries] == list(range(1, sum(sizes) + 1))
    assert sorted((e.record_id or "") for e in log.entries) == sorted(
        f"u{i}-{n}" for i, size in enumerate(sizes) for n in range(size))
    for i, entries in results.items():
        assert [e.record_id for e in entries] == [f"u{i}-{n}" for n in range(sizes[i])]
