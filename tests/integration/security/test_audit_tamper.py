"""The tamper suite: each way of rewriting the audit log is refused by a guard or found by ``verify``.

Tampering is done as someone with database access would: the guards (triggers) are dropped,
the rows changed, and the guards put back, so that what ``verify`` finds is the tampering
itself. The cases ``verify`` cannot find (docs/security.md, "What verify cannot detect")
are here too, asserting exactly that limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tests.factories import make_patient

from naltrack.adapters.audit_seal import AuditSeal
from naltrack.adapters.db import security_tables as st
from naltrack.adapters.db.audit_ledger import SqlAuditLedger, missing_guards, restore_guards
from naltrack.adapters.db.engine import create_engine
from naltrack.adapters.db.security_repository import secure_uow_factory
from naltrack.bootstrap import Storage
from naltrack.domain.patients import Clinic
from naltrack.domain.security.audit import AuditEntry, AuditEvent, chain_after
from naltrack.services.audit_ports import AuditVerification

KEY = "k" * 40
T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
N = 10  # entries; cadence checkpoints at 1, 4 and 8


@pytest.fixture()
def seal(tmp_path: Path) -> AuditSeal:
    return AuditSeal.from_secret(KEY, tmp_path / "checkpoints.jsonl", every=4)


@pytest.fixture()
def engine(database_url: str, seal: AuditSeal) -> Iterator[Engine]:
    """A database with a clinic, a patient and N sealed entries, checkpointed at 1, 4 and 8."""
    engine = create_engine(database_url)
    factory = secure_uow_factory(engine, seal=seal)
    with factory() as uow:
        uow.clinics.add(Clinic(id="c1", name="Synthetic clinic"))
        uow.patients.add(make_patient(id="p1", clinic_id="c1"))
        uow.commit()
    for i in range(N):
        with factory() as uow:
            uow.security.append_audit(_event(i))
            uow.commit()
    yield engine
    engine.dispose()


def _event(i: int, actor: str | None = None) -> AuditEvent:
    return AuditEvent(at=T0 + timedelta(minutes=i), actor=actor or f"u{i % 3}", clinic_id="c1", action="read",
                      category="labs", patient_id="p1", record_id=f"r{i}")


def verify(engine: Engine, seal: AuditSeal) -> AuditVerification:
    return SqlAuditLedger(engine, seal).verify(NOW)


def _drop_guards(connection: sa.Connection) -> None:
    dialect = connection.dialect.name
    for name, (table, _) in st.AUDIT_GUARDS[dialect].items():
        connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql"
                                                                       else "")))


def tamper(engine: Engine, *statements: str, keep_guards_off: bool = False) -> None:
    """Run ``statements`` past the guards (dropped first, put back after unless told not to)."""
    with engine.begin() as connection:
        _drop_guards(connection)
        for statement in statements:
            connection.execute(sa.text(statement))
        if not keep_guards_off:
            restore_guards(connection, missing_guards(connection))


def entries(engine: Engine) -> list[AuditEntry]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(st.audit_log).order_by(st.audit_log.c.seq)).mappings()
        return [AuditEntry(**row) for row in rows]


def rewrite(engine: Engine, chain: list[AuditEntry]) -> None:
    """Replace the whole log and the head with ``chain`` (past the guards, then put back)."""
    with engine.begin() as connection:
        _drop_guards(connection)
        connection.execute(sa.delete(st.audit_log))
        for entry in chain:
            connection.execute(sa.insert(st.audit_log).values(asdict(entry)))
        connection.execute(sa.update(st.audit_head).values(seq=chain[-1].seq, hash=chain[-1].hash))
        restore_guards(connection, missing_guards(connection))


def rehash(chain: list[AuditEntry], key: bytes | None, start: int = 0) -> list[AuditEntry]:
    """``chain`` re-linked from index ``start`` on (sealed with ``key``; ``None`` leaves no seal)."""
    out = chain[:start]
    for entry in chain[start:]:
        prev = (out[-1].seq, out[-1].hash) if out else (0, "0" * 64)
        out.append(chain_after(entry, *prev, key=key))
    return out


def broken(verification: AuditVerification) -> str:
    assert not verification.intact
    return verification.report.describe()


def test_an_untouched_log_verifies_and_is_checkpointed(engine: Engine, seal: AuditSeal) -> None:
    verification = verify(engine, seal)
    assert verification.intact and verification.report.checked == N
    assert verification.checkpoint is not None and verification.checkpoint.seq == 8
    assert verification.written is not None and verification.written.seq == N and verification.written.kind == "verify"


def test_a_batch_is_chained_after_the_head_in_order_and_verifies(engine: Engine, seal: AuditSeal) -> None:
    factory = secure_uow_factory(engine, seal=seal)
    with factory() as uow:
        batch = uow.security.append_audits([_event(N + k, actor="batch") for k in range(3)])
        uow.commit()
    assert [e.seq for e in batch] == [N + 1, N + 2, N + 3]
    assert [e.prev_hash for e in batch[1:]] == [e.hash for e in batch[:-1]]
    stored = entries(engine)
    assert stored[-3:] == batch and stored[-4].hash == batch[0].prev_hash
    with factory() as uow:
        assert uow.security.append_audits([]) == []
    verification = verify(engine, seal)
    assert verification.intact and verification.report.checked == N + 3


def test_an_edited_row_without_rehash(engine: Engine, seal: AuditSeal) -> None:
    tamper(engine, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    assert broken(verify(engine, seal)) == "audit chain broken at entry 3: its content was changed (hash mismatch)"


@pytest.mark.parametrize(("with_key", "found"), [
    (False, "entry 3: its seal does not match (written or re-hashed without the audit key)"),
    (True, "entry 8: its hash differs from the checkpoint's (the log was rewritten)"),  # the key's holder
])
def test_a_changed_row_rehashed_from_there(engine: Engine, seal: AuditSeal, with_key: bool, found: str) -> None:
    chain = entries(engine)
    chain[2] = replace(chain[2], actor="mallory")
    rewrite(engine, rehash(chain, seal.entry_key if with_key else b"a guessed key", start=2))
    assert broken(verify(engine, seal)) == f"audit chain broken at {found}"


def test_a_row_rewritten_with_the_key_after_the_last_checkpoint_is_not_detected(
        engine: Engine, seal: AuditSeal) -> None:
    """The documented limit: the key holder rewrites entries newer than the last checkpoint."""
    chain = entries(engine)
    chain[9] = replace(chain[9], actor="mallory")
    rewrite(engine, rehash(chain, seal.entry_key, start=9))
    assert verify(engine, seal).intact


def test_stripped_seals_are_caught_by_the_checkpoint(engine: Engine, seal: AuditSeal) -> None:
    tamper(engine, "UPDATE audit_log SET mac = NULL")  # as if written before the log was keyed
    assert broken(verify(engine, seal)) == ("audit chain broken at entry 1: it carries no seal but a checkpoint "
                                            "recorded the log as sealed from it")


def test_a_correctly_hashed_forged_row_appended(engine: Engine, seal: AuditSeal) -> None:
    last = entries(engine)[-1]
    for key, reason in ((None, "it carries no seal but an earlier entry does"),
                        (b"a guessed key", "its seal does not match")):
        forged = chain_after(_event(99, actor="mallory"), last.seq, last.hash, key=key)
        tamper(engine, "DELETE FROM audit_log WHERE seq = 11")
        with engine.begin() as connection:
            connection.execute(sa.insert(st.audit_log).values(asdict(forged)))
            connection.execute(sa.update(st.audit_head).values(seq=forged.seq, hash=forged.hash))
        assert broken(verify(engine, seal)).startswith(f"audit chain broken at entry 11: {reason}")


def test_a_cut_tail_with_the_head_moved_back(engine: Engine, seal: AuditSeal) -> None:
    tamper(engine, "DELETE FROM audit_log WHERE seq > 6",
           "UPDATE audit_head SET seq = 6, hash = (SELECT hash FROM audit_log WHERE seq = 6)")
    assert broken(verify(engine, seal)) == ("audit chain broken at entry 7: the log ends at entry 6 but a "
                                            "checkpoint recorded entry 8 (truncated or cut)")


def test_a_tail_cut_after_a_verification_is_caught_by_its_checkpoint(engine: Engine, seal: AuditSeal) -> None:
    assert verify(engine, seal).intact  # checkpoints entry 10
    tamper(engine, "DELETE FROM audit_log WHERE seq > 8",
           "UPDATE audit_head SET seq = 8, hash = (SELECT hash FROM audit_log WHERE seq = 8)")
    assert "recorded entry 10 (truncated or cut)" in broken(verify(engine, seal))


def test_a_tail_cut_after_the_last_checkpoint_is_not_detected(engine: Engine, seal: AuditSeal) -> None:
    """The documented limit: entries newer than the last checkpoint can be cut with the head moved back."""
    tamper(engine, "DELETE FROM audit_log WHERE seq > 8",
           "UPDATE audit_head SET seq = 8, hash = (SELECT hash FROM audit_log WHERE seq = 8)")
    assert verify(engine, seal).intact


def test_the_head_moved_back_alone(engine: Engine, seal: AuditSeal) -> None:
    tamper(engine, "UPDATE audit_head SET seq = 5")
    assert broken(verify(engine, seal)) == ("audit chain broken at entry 11: the chain ends at entry 10 but the "
                                            "store recorded 5 entries")


def test_reordered_rows(engine: Engine, seal: AuditSeal) -> None:
    chain = entries(engine)
    swapped = [replace(chain[3], seq=5), replace(chain[4], seq=4)]
    tamper(engine, "DELETE FROM audit_log WHERE seq IN (4, 5)")
    with engine.begin() as connection:
        for entry in swapped:
            connection.execute(sa.insert(st.audit_log).values(asdict(entry)))
    assert broken(verify(engine, seal)).startswith("audit chain broken at entry 4: ")


def test_every_row_deleted(engine: Engine, seal: AuditSeal) -> None:
    tamper(engine, "DELETE FROM audit_log", "DELETE FROM audit_head")
    assert "the log ends at entry 0 but a checkpoint recorded entry 8" in broken(verify(engine, seal))


def test_an_empty_log_beside_patients_without_any_checkpoint(engine: Engine, tmp_path: Path) -> None:
    tamper(engine, "DELETE FROM audit_log", "UPDATE audit_head SET seq = 0, hash = '" + "0" * 64 + "'")
    fresh = AuditSeal.from_secret(KEY, tmp_path / "elsewhere.jsonl")
    assert broken(verify(engine, fresh)) == "audit log broken: the log is empty but the database holds 1 patients"


POSTGRES_ONLY = pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                        indirect=True)


@POSTGRES_ONLY
def test_truncate_is_refused_and_a_truncate_past_the_guards_is_caught(engine: Engine, seal: AuditSeal) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="append-only: TRUNCATE refused"), engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE audit_log, audit_head"))
    tamper(engine, "TRUNCATE audit_log, audit_head")
    assert "the log ends at entry 0 but a checkpoint recorded entry 8" in broken(verify(engine, seal))


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 10",
    "DELETE FROM audit_log", "UPDATE audit_head SET seq = 5", "DELETE FROM audit_head",
])
def test_the_guards_refuse_rewrites(engine: Engine, statement: str) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="append-only|only moves forward"), engine.begin() as connection:
        connection.execute(sa.text(statement))


def test_dropped_guards_are_reported_and_restored(engine: Engine, seal: AuditSeal) -> None:
    tamper(engine, keep_guards_off=True)
    verification = verify(engine, seal)
    assert not verification.intact and verification.report.intact
    assert set(verification.guards_missing) == set(st.AUDIT_GUARDS[engine.dialect.name])
    assert verification.lines()[1].startswith("guards missing (now restored): ")
    with engine.connect() as connection:
        assert missing_guards(connection) == []
    assert verify(engine, seal).intact


@POSTGRES_ONLY
def test_a_disabled_trigger_counts_as_missing(engine: Engine, seal: AuditSeal) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate"))
    assert verify(engine, seal).guards_missing == ("audit_log_no_truncate",)
    assert verify(engine, seal).intact


def test_a_forged_checkpoint_line(engine: Engine, seal: AuditSeal) -> None:
    lines = seal.checkpoints.read_text().splitlines()
    seal.checkpoints.write_text("\n".join([*lines, lines[-1].replace('"seq":8', '"seq":3')]) + "\n")
    assert broken(verify(engine, seal)) == "audit log broken: checkpoint line(s) 4 are not validly signed"


def test_a_rewrite_by_someone_holding_the_key_and_the_checkpoint_file_is_not_detected(
        engine: Engine, seal: AuditSeal) -> None:
    """The documented limit: with the key and the checkpoint file, everything can be rewritten."""
    chain = entries(engine)
    chain[0] = replace(chain[0], actor="mallory")
    rewrite(engine, rehash(chain, seal.entry_key))
    seal.checkpoints.unlink()
    assert verify(engine, seal).intact


def test_start_up_restores_dropped_guards_and_records_it_in_the_log(database_url: str, engine: Engine,
                                                                    seal: AuditSeal) -> None:
    tamper(engine, keep_guards_off=True)
    store = Storage(database_url, audit_seal=seal)
    store.ensure_schema()
    store.close()
    last = entries(engine)[-1]
    names = list(st.AUDIT_GUARDS[engine.dialect.name])
    assert (last.seq, last.actor, last.action, last.category) == (N + 1, "naltrack", "restore-guards", "audit")
    assert last.detail == f"guards missing at start-up, restored: {', '.join(names)}" and last.mac is not None
    first = verify(engine, seal)  # this process restored them: its next verification says so
    assert first.report.intact and list(first.guards_missing) == names and not first.intact
    assert verify(engine, seal).intact
