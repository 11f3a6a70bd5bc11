"""``naltrack audit verify`` detects a changed and a deleted row; ``users add`` and ``audit export``.

Tampering is simulated as someone with database access would do it: past the append-only
trigger (dropped on SQLite, disabled on PostgreSQL).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from naltrack.adapters.db.engine import create_engine
from naltrack.adapters.db.security_repository import secure_uow_factory
from naltrack.adapters.db.security_tables import SQLITE_AUDIT_UNGUARD
from naltrack.cli.main import cli
from naltrack.config import get_settings
from naltrack.domain.patients import Clinic
from naltrack.domain.security.audit import AuditEvent

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def run(args: list[str], stdin: str = "") -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, input=stdin)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def audited(database_url: str) -> str:
    """A database with a clinic and five chained audit entries."""
    engine = create_engine(database_url)
    factory = secure_uow_factory(engine)
    with factory() as uow:
        uow.clinics.add(Clinic(id="c1", name="Synthetic clinic"))
        for i in range(5):
            uow.security.append_audit(AuditEvent(at=T0, actor=f"u{i}", clinic_id="c1", action="read",
                                                 category="labs", patient_id="p1", record_id=f"r{i}"))
        uow.commit()
    engine.dispose()
    return database_url


def _tamper(url: str, statement: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            for drop in SQLITE_AUDIT_UNGUARD:
                connection.execute(sa.text(drop))
        connection.execute(sa.text(statement))
    engine.dispose()


def test_verify_exits_0_on_an_intact_chain(audited: str) -> None:
    code, out, _ = run(["audit", "verify", "--database", audited])
    assert code == 0 and out.splitlines()[0] == "audit chain intact: 5 entries"
    assert "compared with checkpoint (cadence) at entry 1 of 1" in out


def test_verify_writes_a_checkpoint_that_the_next_run_compares_with(audited: str) -> None:
    assert run(["audit", "verify", "--database", audited])[0] == 0
    code, out, _ = run(["audit", "verify", "--database", audited])
    assert code == 0 and "compared with checkpoint (verify) at entry 5 of 5" in out
    assert "audit chain intact: 5 entries" in out


def test_checkpoint_command_writes_the_head(audited: str) -> None:
    code, out, _ = run(["audit", "checkpoint", "--database", audited])
    assert code == 0 and out.startswith("checkpoint (manual) at entry 5 of 5")


def test_without_an_audit_key_the_command_refuses_to_start(audited: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NALTRACK_AUDIT_KEY")
    get_settings.cache_clear()
    try:
        code, _, err = run(["audit", "verify", "--database", audited])
    finally:
        get_settings.cache_clear()
    assert code == 1 and "the audit log needs a secret kept outside the database: set NALTRACK_AUDIT_KEY" in err


def test_verify_names_a_changed_row(audited: str) -> None:
    _tamper(audited, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    code, _, err = run(["audit", "verify", "--database", audited])
    assert code == 1
    assert "audit chain broken at entry 3: its content was changed" in err


def test_verify_names_a_deleted_row(audited: str) -> None:
    _tamper(audited, "DELETE FROM audit_log WHERE seq = 2")
    code, _, err = run(["audit", "verify", "--database", audited])
    assert code == 1 and "audit chain broken at entry 2: entry 2 is missing (next is 3)" in err


def test_verify_names_a_deleted_last_row(audited: str) -> None:
    _tamper(audited, "DELETE FROM audit_log WHERE seq = 5")
    code, _, err = run(["audit", "verify", "--database", audited])
    assert code == 1 and "entry 5" in err
    assert "guards missing (now restored): audit_log_" in err


def test_export_is_audited(audited: str) -> None:
    code, out, _ = run(["audit", "export", "--database", audited])
    assert code == 0 and len(out.splitlines()) == 6
    last = json.loads(out.splitlines()[-1])
    assert last["action"] == "export" and last["category"] == "audit" and last["detail"] == "format json"
    assert last["actor"].startswith("cli:") and len(last["mac"]) == 64


def test_csv_cells_cannot_start_a_formula(database_url: str) -> None:
    engine = create_engine(database_url)
    with secure_uow_factory(engine)() as uow:
        for i, detail in enumerate(["=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain"]):
            uow.security.append_audit(AuditEvent(at=T0, actor=f"u{i}", clinic_id="c1", action="read",
                                                 category="labs", detail=detail))
        uow.commit()
    engine.dispose()
    code, out, _ = run(["audit", "export", "--database", database_url, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["detail"] for r in rows[:7]] == [
        "'=HYPERLINK(\"http://x\")", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "plain"]


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x' WHERE seq = 1",
                                       "DELETE FROM audit_log WHERE seq = 1"])
def test_the_database_refuses_to_change_the_audit_log(audited: str, statement: str) -> None:
    engine = create_engine(audited)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


def test_export_json_lines_and_csv_since(audited: str) -> None:
    code, out, _ = run(["audit", "export", "--database", audited, "--format", "json"])
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["seq"] for r in rows] == [1, 2, 3, 4, 5, 6]  # 6: this export
    assert rows[0]["at"] == "2026-03-01T09:00:00+00:00" and rows[4]["record_id"] == "r4"
    code, out, _ = run(["audit", "export", "--database", audited, "--format", "csv", "--since", "2026-03-02"])
    exported = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["seq"], r["action"]) for r in exported] == [("6", "export"), ("7", "export")]
    assert exported[1]["detail"] == "format csv, since 2026-03-02T00:00:00+00:00"


def test_users_add_reads_the_password_from_stdin(audited: str) -> None:
    code, out, _ = run(["users", "add", "nurse.kim", "--role", "nurse", "--clinic", "c1", "--database", audited],
                       stdin="a-long-synthetic-password\n")
    assert code == 0 and out.strip() == "user nurse.kim (nurse, clinic c1) created"


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["nurse.kim", "--role", "nurse", "--clinic", "c1"], "short\n", "password: '***' must be at least 12 characters"),
    (["Nurse Kim", "--role", "nurse", "--clinic", "c1"], "a-long-synthetic-password\n", "user.username"),
    (["nurse.kim", "--role", "nurse", "--clinic", "nowhere"], "a-long-synthetic-password\n", "clinic 'nowhere'"),
])
def test_users_add_rejects_bad_input_with_exit_2(audited: str, args: list[str], stdin: str, message: str) -> None:
    code, _, err = run(["users", "add", *args, "--database", audited], stdin=stdin)
    assert code == 2 and message in err


def test_users_add_rejects_an_unknown_role(audited: str) -> None:
    code, _, err = run(["users", "add", "x.y", "--role", "janitor", "--clinic", "c1", "--database", audited],
                       stdin="a-long-synthetic-password\n")
    assert code == 2 and "janitor" in err
