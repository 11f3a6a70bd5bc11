"""Several processes append to one audit log (one SQLite file, one PostgreSQL database) without
colliding on the sequence, and ``verify`` running meanwhile never reports a false break."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from naltrack.adapters.audit_seal import AuditSeal
from naltrack.adapters.db import security_tables as st
from naltrack.adapters.db.audit_ledger import SqlAuditLedger
from naltrack.adapters.db.engine import create_engine
from naltrack.adapters.db.security_repository import secure_uow_factory
from naltrack.domain.patients import Clinic

ROOT = Path(__file__).resolve().parents[3]
EVERY = 7
#: One writer: a read, then (every other time) a patient, then the audit entry, in one transaction
#: each, as an audited use case does. The read first is what made two processes chain after one head.
WRITER = """
import sys
from datetime import UTC, datetime
sys.path.insert(0, {root!r})
from naltrack.bootstrap import Storage
from naltrack.domain.security.audit import AuditEvent
from tests.factories import make_patient

url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Storage(url, migrate_schema=False)
for i in range(count):
    with store.secure_uow() as uow:
        uow.patients.count()
        if i % 2:
            uow.patients.add(make_patient(id=f"{{name}}-{{i}}", clinic_id="c1", mrn=f"{{name}}-{{i}}"))
        uow.security.append_audit(AuditEvent(at=datetime.now(UTC), actor=name, clinic_id="c1", action="create",
                                             category="patients", record_id=f"{{name}}-{{i}}"))
        uow.commit()
store.close()
"""


@pytest.fixture()
def checkpoints(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints.jsonl"


@pytest.fixture()
def seal(checkpoints: Path) -> AuditSeal:
    return AuditSeal.from_secret(os.environ["NALTRACK_AUDIT_KEY"], checkpoints, every=EVERY)


def _start(url: str, checkpoints: Path, names: list[str], count: int) -> list[subprocess.Popen[str]]:
    with secure_uow_factory(engine := create_engine(url))() as uow:
        uow.clinics.add(Clinic(id="c1", name="Synthetic clinic"))
        uow.commit()
    engine.dispose()
    env = {**os.environ, "NALTRACK_AUDIT_CHECKPOINTS": str(checkpoints), "NALTRACK_AUDIT_CHECKPOINT_EVERY": str(EVERY)}
    script = WRITER.format(root=str(ROOT))
    return [subprocess.Popen([sys.executable, "-c", script, url, name, str(count)], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in names]


def _finish(writers: list[subprocess.Popen[str]]) -> None:
    for writer in writers:
        _, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err[-2000:]


def _actors(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(st.audit_log.c.actor, sa.func.count()).group_by(st.audit_log.c.actor))
        counts = {str(actor): int(n) for actor, n in rows}
    engine.dispose()
    return counts


def test_three_processes_append_without_colliding(database_url: str, checkpoints: Path, seal: AuditSeal) -> None:
    _finish(_start(database_url, checkpoints, ["w1", "w2", "w3"], 40))
    assert _actors(database_url) == {"w1": 40, "w2": 40, "w3": 40}
    engine = create_engine(database_url)
    verification = SqlAuditLedger(engine, seal).verify(datetime.now(UTC))
    engine.dispose()
    assert verification.intact and verification.report.checked == 120
    assert verification.checkpoint is not None and verification.checkpoint.seq == 119  # the last multiple of 7


def test_verify_under_write_load_never_reports_a_false_break(database_url: str, checkpoints: Path,
                                                             seal: AuditSeal) -> None:
    writers = _start(database_url, checkpoints, ["w1", "w2"], 150)
    engine = create_engine(database_url)
    ledger = SqlAuditLedger(engine, seal)
    runs, seen = 0, set()
    deadline = time.monotonic() + 240
    while any(w.poll() is None for w in writers) and time.monotonic() < deadline:
        verification = ledger.verify(datetime.now(UTC))
        assert verification.intact, verification.lines()
        runs, seen = runs + 1, seen | {verification.report.checked}
    _finish(writers)
    final = ledger.verify(datetime.now(UTC))
    engine.dispose()
    assert final.intact and final.report.checked == 300
    assert runs >= 3 and len(seen) >= 2  # verified several times, while the log grew
