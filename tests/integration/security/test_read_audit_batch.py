"""Reads audited on PostgreSQL under concurrency: each read's entry is committed before the read returns,
the entries of reads that wait together share one transaction, and the chain stays intact."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from naltrack.adapters.audit_seal import AuditSeal
from naltrack.adapters.db import security_tables as st
from naltrack.adapters.db.audit_ledger import SqlAuditLedger
from naltrack.adapters.db.engine import create_engine
from naltrack.adapters.db.security_repository import read_audit_batch, secure_uow_factory
from naltrack.domain.patients import Clinic
from naltrack.domain.security.accounts import Actor, User
from naltrack.services.access import Access, run_audited

NURSE = Actor(User(id="u-nurse", username="nurse.kim", role="nurse", clinic_id="c1"))
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.fixture()
def seal(tmp_path: Path) -> AuditSeal:
    return AuditSeal.from_secret(os.environ["NALTRACK_AUDIT_KEY"], tmp_path / "checkpoints.jsonl", every=1000)


@pytest.fixture()
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    with secure_uow_factory(engine)() as uow:
        uow.clinics.add(Clinic(id="c1", name="Synthetic clinic"))
        uow.commit()
    yield engine
    engine.dispose()


def _read(factory, n: int) -> int:  # type: ignore[no-untyped-def]
    access = Access(NURSE, "read", "demographics", NOW, record_type="patients", record_id=f"read-{n}")
    return run_audited(factory, access, lambda uow, _access: uow.patients.count())


def _audited(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return [str(r) for r in connection.execute(sa.select(st.audit_log.c.record_id).order_by(st.audit_log.c.seq))
                .scalars()]


def test_concurrent_reads_are_each_audited_once_and_the_chain_holds(engine: sa.Engine, seal: AuditSeal) -> None:
    factory = secure_uow_factory(engine, seal=seal)
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def client(c: int) -> None:
        start.wait()
        try:
            for i in range(6):
                assert _read(factory, c * 100 + i) == 0
                assert f"read-{c * 100 + i}" in _audited(engine)  # committed before the read returned
        except BaseException as error:  # noqa: BLE001 - asserted below
            errors.append(error)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sorted(_audited(engine)) == sorted(f"read-{c * 100 + i}" for c in range(20) for i in range(6))
    verification = SqlAuditLedger(engine, seal).verify(NOW)
    assert verification.intact and verification.report.checked == 120
    if engine.dialect.name == "postgresql":
        batch = read_audit_batch(engine, seal)
        assert batch.entries == 120
        assert batch.writes < 120  # reads that waited together shared a transaction


def test_a_read_whose_transaction_wrote_is_audited_in_that_transaction(engine: sa.Engine, seal: AuditSeal) -> None:
    factory = secure_uow_factory(engine, seal=seal)
    access = Access(NURSE, "read", "demographics", NOW, record_type="patients", record_id="read-that-wrote")

    def body(uow, _access):  # type: ignore[no-untyped-def]
        uow.clinics.add(Clinic(id="c2", name="Second synthetic clinic"))  # a write inside a "read"
        return uow.patients.count()

    before = read_audit_batch(engine, seal).entries if engine.dialect.name == "postgresql" else 0
    assert run_audited(factory, access, body) == 0
    assert _audited(engine) == ["read-that-wrote"]
    if engine.dialect.name == "postgresql":
        assert read_audit_batch(engine, seal).entries == before  # not through the group commit
    assert SqlAuditLedger(engine, seal).verify(NOW).intact
