"""``naltrack measure ... --from-program`` as a user runs it, on a small synthetic program in a SQLite file: POD from
the program's records equals POD over the dispensing CSV exported from the same records; every patient is a
pseudonym; bad input exits 2 naming the option and the value."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from naltrack.adapters.db.security_repository import secure_uow_factory
from naltrack.bootstrap import Storage
from naltrack.cli import main
from naltrack.services.security import add_user
from naltrack.synthetic.program import load_program

NALTRACK = [sys.executable, "-m", "naltrack.cli.main"]
MANAGER, NURSE = "manager.cli", "rn.cli"
SEED = 5


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NALTRACK, *args], capture_output=True, text=True, timeout=300, env=dict(os.environ))


def invoke(*args: str) -> subprocess.CompletedProcess[str]:
    """In-process, for the bad-input cases (a subprocess costs seconds of imports)."""
    result = CliRunner().invoke(main.cli, list(args))
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, set[str]]:
    """The database URL of a 150-patient synthetic program with a manager and a nurse, and its patients' ids."""
    url = f"sqlite:///{tmp_path_factory.mktemp('measures') / 'program.db'}"
    storage = Storage(url)
    try:
        load_program(storage.uow, n_patients=150, seed=SEED, end=date(2026, 11, 20))
        with storage.uow() as uow:
            clinic = uow.clinics.list()[0].id
            ids = {p.id for p in uow.patients.search(limit=1000)}
        factory = secure_uow_factory(storage.engine)
        for username, role in ((MANAGER, "manager"), (NURSE, "nurse")):
            add_user(factory, username, "synthetic-password-42", role, clinic, datetime.now(UTC))
    finally:
        storage.close()
    return url, ids


def test_pod_from_the_program_equals_pod_over_its_exported_dispensing_csv(program, tmp_path: Path) -> None:
    url, ids = program
    exported = run("measure", "dispensing", "--from-program", "--as", MANAGER, "--database", url)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert rows and list(rows[0]) == ["patient_id", "date", "rxnorm", "days_supply"]
    assert not {r["patient_id"] for r in rows} & ids  # pseudonyms, never an id
    path = tmp_path / "dispensing.csv"
    path.write_text(exported.stdout, encoding="utf-8")
    period = ("--start", "2025-12-01", "--end", "2026-06-30")
    from_csv = run("measure", "pod", str(path), *period)
    from_program = run("measure", "pod", "--from-program", "--as", MANAGER, "--database", url, *period)
    assert from_csv.returncode == 0 and from_program.returncode == 0, from_csv.stderr + from_program.stderr
    totals, doc = json.loads(from_csv.stdout)["totals"], json.loads(from_program.stdout)
    [row] = doc["rows"]
    patients = doc["patients"]
    assert (len(patients), sum(p["numerator"] for p in patients)) == (totals["denominator"], totals["numerator"])
    assert totals["denominator"] >= 11  # the row's cells are shown
    assert row["denominator"] == totals["denominator"]
    assert row["numerator"] == (totals["numerator"] if totals["numerator"] >= 11 else None)
    assert row["value"] == (pytest.approx(totals["rate"]) if totals["numerator"] >= 11 else None)
    assert {p["pseudonym"] for p in patients} <= {r["patient_id"] for r in rows}
    assert all(p["reason"].startswith("treatment from ") for p in patients)


def test_retention_and_iet_as_csv_are_aggregate_rows_and_pseudonymous_reasons(program) -> None:
    url, ids = program
    retention = invoke("measure", "retention", "--from-program", "--as", MANAGER, "--database", url,
                       "--format", "csv")
    assert retention.returncode == 0, retention.stderr
    lines = retention.stdout.splitlines()
    assert lines[0] == "section,measure,group,numerator,denominator,value,note"
    assert all(line.startswith("retention,Retained ") for line in lines[1:])
    iet = invoke("measure", "iet", "--from-program", "--as", MANAGER, "--database", url, "--format", "csv",
                 "--indication", "AUD")
    assert iet.returncode == 0, iet.stderr
    rows, reasons = iet.stdout.split("\n\n")
    assert all(line.startswith("quality,HEDIS IET ") for line in rows.splitlines()[1:])
    header, *patients = reasons.splitlines()
    assert header == "pseudonym,group,on,numerator,reason" and patients
    assert not any(pid in iet.stdout for pid in ids)


@pytest.mark.parametrize(("args", "message"), [
    (("retention", "--from-program", "--clinic", "nowhere"), "--clinic: 'nowhere' is not a clinic of the program"),
    (("cascade", "--from-program", "--form", "patch"), "--form: 'patch' must be one of oral, xr-ntx, implant"),
    (("iet", "--from-program", "--start", "2026-02-30"), "--start: '2026-02-30' is not a date (YYYY-MM-DD)"),
    (("iet", "--from-program", "--start", "2026-03-01", "--end", "2026-02-01"),
     "--end: '2026-02-01' is before the start 2026-03-01"),
    (("cascade",), "--from-program: is required"),
])
def test_bad_input_exits_2_naming_the_option_and_the_value(program, args, message) -> None:
    url, _ = program
    result = invoke("measure", *args, "--as", MANAGER, "--database", url)
    assert result.returncode == 2
    assert message in result.stderr


def test_an_unknown_user_and_a_role_without_the_measures_exit_2(program) -> None:
    url, _ = program
    unknown = invoke("measure", "cascade", "--from-program", "--as", "nobody", "--database", url)
    assert unknown.returncode == 2 and "--as: 'nobody' is not an active user" in unknown.stderr
    nurse = invoke("measure", "cascade", "--from-program", "--as", NURSE, "--database", url)
    assert nurse.returncode == 2 and "role 'nurse' may not read program-measures" in nurse.stderr
    missing = invoke("measure", "pod", "--from-program", "--database", url)
    assert missing.returncode == 2 and "--as: is required with --from-program" in missing.stderr
