"""Migration 0011: entries written before the log was keyed stay and verify as unsealed; the head row,
the new guards and the seal column come and go with the migration."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from naltrack.adapters.audit_seal import AuditSeal
from naltrack.adapters.db import security_tables as st
from naltrack.adapters.db.audit_ledger import SqlAuditLedger, missing_guards
from naltrack.adapters.db.engine import create_engine
from naltrack.adapters.db.migrate import alembic_config, migrate
from naltrack.adapters.db.security_repository import secure_uow_factory
from naltrack.domain.security.audit import GENESIS_HASH, AuditEvent, chain_after

BEFORE = "0010_sign_in_failures"
T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _event(i: int) -> AuditEvent:
    return AuditEvent(at=T0, actor=f"u{i}", clinic_id="c1", action="read", category="labs", record_id=f"r{i}")


def test_entries_written_before_the_key_stay_and_lead_a_sealed_chain(empty_database_url: str,
                                                                     tmp_path: Path) -> None:
    migrate(empty_database_url, BEFORE)
    engine = create_engine(empty_database_url)
    with engine.begin() as connection:  # as the code before the key wrote them: no seal, head row on first entry
        prev = (0, GENESIS_HASH)
        for i in range(3):
            entry = chain_after(_event(i), *prev)
            connection.execute(sa.insert(st.audit_log).values({k: v for k, v in asdict(entry).items() if k != "mac"}))
            prev = (entry.seq, entry.hash)
        connection.execute(sa.insert(st.audit_head).values(id=1, seq=prev[0], hash=prev[1]))
    migrate(engine)
    seal = AuditSeal.from_secret("m" * 40, tmp_path / "cp.jsonl", every=100)
    with secure_uow_factory(engine, seal=seal)() as uow:
        uow.security.append_audit(_event(3))
        uow.commit()
    verification = SqlAuditLedger(engine, seal).verify(T0)
    assert verification.intact and verification.report.checked == 4 and verification.report.unkeyed == 3
    assert "entries 1-3 were written before the log was keyed (no seal)" in verification.lines()
    assert verification.written is not None and verification.written.keyed_from == 4
    engine.dispose()


def test_upgrade_adds_the_head_row_and_guards_and_downgrade_removes_them(empty_database_url: str) -> None:
    migrate(empty_database_url)
    engine = create_engine(empty_database_url)
    with engine.connect() as connection:
        assert connection.execute(sa.select(st.audit_head)).all() == [(1, 0, GENESIS_HASH)]
        assert missing_guards(connection) == []
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    with engine.connect() as connection:
        dialect = connection.dialect.name
        assert missing_guards(connection) == list(st.GUARDS_OF_0011[dialect])  # 0002's guards stay
        assert "mac" not in {c["name"] for c in sa.inspect(connection).get_columns("audit_log")}
        assert connection.execute(sa.select(sa.func.count()).select_from(st.audit_head)).scalar_one() == 0
    engine.dispose()
