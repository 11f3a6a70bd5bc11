"""Appending to the audit chain on each backend: on PostgreSQL the entries are held back and sent
with COMMIT in one message, so these check that what is stored is what was chained, that a
transaction sees its own entries before it commits, and that an entry that is never committed
leaves no trace."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from naltrack.adapters.db import security_tables as st
from naltrack.bootstrap import Storage
from naltrack.domain.security.audit import AuditEvent

AT = datetime(2026, 12, 4, 15, 0, 0, 123456, tzinfo=UTC)


def _event(actor: str, detail: str | None = None) -> AuditEvent:
    return AuditEvent(at=AT, actor=actor, clinic_id="c1", action="read", category="patients",
                      patient_id="p1", detail=detail)


def _stored(storage: Storage) -> list[tuple[int, str, str | None]]:
    with storage.engine.connect() as connection:
        rows = connection.execute(sa.select(st.audit_log.c.seq, st.audit_log.c.actor, st.audit_log.c.detail)
                                  .order_by(st.audit_log.c.seq))
        return [(int(seq), str(actor), detail) for seq, actor, detail in rows]


def test_stores_entries_whose_text_looks_like_sql_or_placeholders_as_chained(storage: Storage) -> None:
    details = ["100% of doses; COMMIT; DROP TABLE audit_log; --", "O'Brien \\ \"quoted\" %(seq)s %s", "naïve — ✓"]
    with storage.secure_uow() as uow:
        entries = uow.security.append_audits([_event("u1", detail) for detail in details])
        uow.commit()
    assert _stored(storage) == [(1, "u1", details[0]), (2, "u1", details[1]), (3, "u1", details[2])]
    with storage.secure_uow() as uow:
        stored = list(uow.security.iter_audit())
        assert uow.security.audit_head() == (3, entries[-1].hash)
    assert stored == entries
    assert stored[0].at == AT
    assert storage.secure_uow().audit_ledger.verify(datetime.now(UTC)).intact


def test_a_transaction_sees_its_own_entries_before_it_commits(storage: Storage) -> None:
    with storage.secure_uow() as uow:
        first = uow.security.append_audit(_event("u1"))
        assert uow.security.audit_head() == (1, first.hash)
        second = uow.security.append_audit(_event("u2"))
        assert [e.seq for e in uow.security.iter_audit()] == [1, 2]
        uow.commit()
        third = uow.security.append_audit(_event("u3"))
        uow.commit()
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert third.prev_hash == second.hash
    assert [actor for _, actor, _ in _stored(storage)] == ["u1", "u2", "u3"]
    assert storage.secure_uow().audit_ledger.verify(datetime.now(UTC)).intact


def test_an_append_that_is_never_committed_leaves_no_entry_and_the_next_chains_after_the_last(
        storage: Storage) -> None:
    with storage.secure_uow() as uow:
        kept = uow.security.append_audit(_event("kept"))
        uow.commit()
    with storage.secure_uow() as uow:
        uow.security.append_audit(_event("dropped"))
    with storage.secure_uow() as uow:
        after = uow.security.append_audit(_event("after"))
        uow.commit()
    assert after.seq == 2 and after.prev_hash == kept.hash
    assert [actor for _, actor, _ in _stored(storage)] == ["kept", "after"]
    assert storage.secure_uow().audit_ledger.verify(datetime.now(UTC)).intact


def test_a_commit_outside_the_unit_of_work_stores_the_entries_appended_on_its_connection(storage: Storage) -> None:
    from naltrack.adapters.db.security_repository import SqlSecurityRepository

    with storage.engine.begin() as connection:
        SqlSecurityRepository(connection).append_audit(_event("engine-begin"))
    assert [actor for _, actor, _ in _stored(storage)] == ["engine-begin"]
