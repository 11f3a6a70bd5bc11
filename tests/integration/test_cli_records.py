"""``naltrack demo``, ``stats`` and ``record`` as a user runs them: subprocesses on a temporary SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.factories import liver_labs, make_episode, make_injection, make_man, make_oral_regimen, make_regimen
from tests.seeding import seed

from naltrack.adapters.db.security_repository import secure_uow_factory
from naltrack.bootstrap import Storage
from naltrack.cli import main
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.security.audit import AuditEntry
from naltrack.services.security import add_user
from naltrack.services.stats import count_records

NALTRACK = [sys.executable, "-m", "naltrack.cli.main"]
PATIENT = "s2-p000001"
READY = "cli-ready-1"
NURSE = "rn.cli"
PRESCRIBER = "dr.cli"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, in a subprocess."""
    return subprocess.run([*NALTRACK, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NALTRACK_TIMEZONE": "UTC"})


def invoke(*args: str) -> subprocess.CompletedProcess[str]:
    """The same command in-process (the many bad-input cases; a subprocess costs seconds of imports)."""
    result = CliRunner().invoke(main.cli, list(args), env={"NALTRACK_TIMEZONE": "UTC"})
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'demo.db'}"
    result = run("demo", "--patients", "40", "--seed", "2", "--database", url, "--end-date", "2026-11-20")
    assert result.returncode == 0, result.stderr
    assert "demo: 40 patients (seed 2, end 2026-11-20)" in result.stdout
    assert "synthetic patients" in result.stderr  # the progress bar
    storage = Storage(url)
    try:
        with storage.uow() as uow:
            clinic_id = uow.patients.get(PATIENT).clinic_id
        factory = secure_uow_factory(storage.engine)
        add_user(factory, NURSE, "synthetic-password-42", "nurse", clinic_id, datetime.now(UTC))
        add_user(factory, "desk.cli", "synthetic-password-42", "front-desk", clinic_id, datetime.now(UTC))
        add_user(factory, PRESCRIBER, "synthetic-password-42", "prescriber", clinic_id, datetime.now(UTC))
        seed(storage.uow, patients=[make_man(id=READY, clinic_id=clinic_id, mrn="MRN-CLI-1")],
             records=_on_treatment(), now=datetime(2026, 11, 1, tzinfo=UTC))
    finally:
        storage.close()
    return url


def _on_treatment() -> list[ClinicalRecord]:
    """A man on XR-NTX (last injection 2026-10-23) and oral naltrexone orders, liver tests in range: an injection
    on 2026-11-19 is a day-27 continuation with nothing to confirm."""
    p = {"patient_id": READY}
    return [make_episode("OUD", start=date(2026, 9, 1), **p), make_regimen(start=date(2026, 9, 1), **p),
            make_oral_regimen(start=date(2026, 9, 1), **p),
            make_injection(given_at=datetime(2026, 10, 23, 10, tzinfo=UTC), **p),
            *(replace(lab, patient_id=READY) for lab in liver_labs(day=date(2026, 11, 10)))]


def audit_of(url: str, record_id: str) -> list[AuditEntry]:
    """The audit entries naming ``record_id``."""
    storage = Storage(url)
    try:
        with secure_uow_factory(storage.engine)() as uow:
            return [e for e in uow.security.iter_audit() if e.record_id == record_id]
    finally:
        storage.close()


def user_id(url: str, username: str) -> str:
    storage = Storage(url)
    try:
        with secure_uow_factory(storage.engine)() as uow:
            found = uow.security.find_credentials(username)
        assert found is not None
        return found[0].id
    finally:
        storage.close()


def stats(url: str) -> dict[str, int]:
    """Counts read in-process (the command under test is the subprocess)."""
    storage = Storage(url)
    try:
        return count_records(storage.uow())
    finally:
        storage.close()


def test_demo_then_stats_reports_the_counts(demo_db: str) -> None:
    result = run("stats", "--format", "json", "--database", demo_db)
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts == stats(demo_db)
    assert counts["patients"] == 40 + 1 and counts["clinics"] == 3  # and the patient on treatment the tests add
    assert counts["episodes"] == 40 + 1
    assert counts["administrations"] == counts["oral_doses"] + counts["injections"] + counts["implants"] + \
        counts["implant_removals"]
    assert counts["records"] > 40 * 20


def test_stats_text_lists_each_kind(demo_db: str) -> None:
    result = invoke("stats", "--format", "text", "--database", demo_db)
    assert result.returncode == 0
    assert any(line.split()[0] == "injections" for line in result.stdout.splitlines())


def test_demo_if_empty_does_nothing_when_patients_exist(demo_db: str) -> None:
    result = run("demo", "--patients", "5", "--seed", "99", "--database", demo_db, "--if-empty")
    assert result.returncode == 0
    assert "nothing to do" in result.stdout
    assert stats(demo_db)["patients"] == 40 + 1


def test_demo_with_the_same_seed_again_exits_2(demo_db: str) -> None:
    result = run("demo", "--patients", "5", "--seed", "2", "--database", demo_db)
    assert result.returncode == 2
    assert "seed 2 is already loaded" in result.stderr


def _injection(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    base = {"--patient": READY, "--as": NURSE, "--side": "left", "--lot": "VX1", "--expiry": "2099-01-01",
            "--needle": "2", "--given-by": "RN Test", "--given-at": "2026-11-19T10:00:00+00:00"}
    for key, value in zip(extra[::2], extra[1::2], strict=True):
        base[key] = value
    args = [item for key, value in base.items() if value != "-" for item in (key, value)]
    return invoke("record", "injection", *args, "--database", url)


def test_record_injection_writes_one_row_audited_once_under_the_user(demo_db: str) -> None:
    before = stats(demo_db)["injections"]
    result = run("record", "injection", "--patient", READY, "--as", NURSE, "--side", "right", "--lot", "VX2",
                 "--expiry", "2099-01-01", "--needle", "1.5", "--given-by", "RN Test",
                 "--given-at", "2026-11-19T10:00:00+00:00", "--database", demo_db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("recorded Injection ")
    assert stats(demo_db)["injections"] == before + 1
    record_id = result.stdout.split()[2]
    [entry] = audit_of(demo_db, record_id)
    assert (entry.actor, entry.action, entry.record_type, entry.patient_id, entry.source, entry.outcome) == (
        user_id(demo_db, NURSE), "create", "injections", READY, "cli", "allowed")
    again = _injection(demo_db, "--given-at", "2026-11-19T15:00:00+00:00", "--as", PRESCRIBER,
                       "--override-reason", "second kit")
    assert again.returncode == 2 and stats(demo_db)["injections"] == before + 1
    assert "[stop] DOSE-SAME-DAY: XR-naltrexone injection already recorded on 2026-11-19" in again.stderr


def test_a_dose_the_check_stops_exits_2_listing_each_reason_and_what_lifts_it(demo_db: str) -> None:
    """On 2026-10-24 the patient's liver tests (2026-11-10) are not yet on file: two review items to confirm."""
    before = stats(demo_db)["injections"]
    result = _injection(demo_db, "--given-at", "2026-10-24T10:00:00+00:00")
    assert result.returncode == 2 and stats(demo_db)["injections"] == before
    assert "dose not given (continuation dose):" in result.stderr
    assert "[confirm] RDY-LIVER-ULN: No ALT in the last 30 days" in result.stderr
    assert "[confirm] RDY-LIVER-ULN/2: No AST in the last 30 days" in result.stderr
    nurse_overrides = _injection(demo_db, "--given-at", "2026-10-24T10:00:00+00:00", "--override-reason", "x")
    assert nurse_overrides.returncode == 2 and "role 'nurse' may not create dose overrides" in nurse_overrides.stderr
    one_confirmed = _injection(demo_db, "--given-at", "2026-10-24T10:00:00+00:00", "--confirm", "RDY-LIVER-ULN")
    assert one_confirmed.returncode == 2 and "RDY-LIVER-ULN/2: No AST" in one_confirmed.stderr
    assert "No ALT" not in one_confirmed.stderr
    confirmed = invoke("record", "injection", "--patient", READY, "--as", NURSE, "--side", "left", "--lot", "VX1",
                       "--expiry", "2099-01-01", "--needle", "2", "--given-by", "RN Test",
                       "--given-at", "2026-10-24T10:00:00+00:00", "--confirm", "RDY-LIVER-ULN",
                       "--confirm", "RDY-LIVER-ULN/2", "--database", demo_db)
    assert confirmed.returncode == 0, confirmed.stderr
    assert stats(demo_db)["injections"] == before + 1


def test_a_dose_held_or_refused_is_recorded_with_its_reason(demo_db: str) -> None:
    before = stats(demo_db)["dose_decisions"]
    result = invoke("record", "not-given", "--patient", READY, "--as", NURSE, "--outcome", "refused",
                    "--reason", "patient declined today", "--at", "2026-11-25T10:00:00+00:00", "--database", demo_db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("recorded dose refused (xr-ntx) ")
    assert stats(demo_db)["dose_decisions"] == before + 1
    missing = invoke("record", "not-given", "--patient", READY, "--as", NURSE, "--outcome", "held", "--reason", " ",
                     "--database", demo_db)
    assert missing.returncode == 2 and "dose_decision.reason: ' ' is required for a dose held" in missing.stderr


def test_record_as_an_unknown_user_exits_2_naming_it_and_writes_nothing(demo_db: str) -> None:
    before = stats(demo_db)["injections"]
    result = _injection(demo_db, "--as", "nobody.here")
    assert result.returncode == 2
    assert "--as: 'nobody.here' is not an active user" in result.stderr
    assert stats(demo_db)["injections"] == before


def test_record_without_as_is_a_usage_error(demo_db: str) -> None:
    result = _injection(demo_db, "--as", "-")
    assert result.returncode == 2
    assert "Missing option '--as'" in result.stderr


def test_record_by_a_role_that_may_not_give_injections_exits_2(demo_db: str) -> None:
    before = stats(demo_db)["injections"]
    result = _injection(demo_db, "--as", "desk.cli")
    assert result.returncode == 2
    assert "role 'front-desk' may not create administrations" in result.stderr
    assert stats(demo_db)["injections"] == before


@pytest.mark.parametrize(("extra", "message"), [
    (("--side", "-"), "injection.side: None must be one of left, right"),
    (("--side", "middle"), "injection.side: 'middle' must be one of left, right"),
    (("--needle", "1"), "injection.needle_length_in: 1.0 must be 1.5 or 2 inches"),
    (("--given-at", "2099-01-01T10:00:00+00:00"), "injection.given_at: '2099-01-01T10:00:00+00:00' is in the future"),
    (("--rxnorm", "0000000"), "RxNorm code '0000000' not found"),
    (("--patient", "nobody"), "patient 'nobody' not found"),
    (("--expiry", "soon"), "injection.expiry: 'soon' is not an ISO date"),
])
def test_record_injection_bad_input_exits_2_and_writes_nothing(demo_db: str, extra: tuple[str, str],
                                                               message: str) -> None:
    before = stats(demo_db)["injections"]
    result = _injection(demo_db, *extra)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    assert stats(demo_db)["injections"] == before


def test_record_oral_dose_negative_dose_exits_2(demo_db: str) -> None:
    result = run("record", "oral-dose", "--patient", PATIENT, "--as", NURSE, "--dose-mg", "-50", "--database", demo_db)
    assert result.returncode == 2
    assert "oral_dose.dose_mg: -50.0 must be greater than 0" in result.stderr


def test_record_oral_dose_observed(demo_db: str) -> None:
    before = stats(demo_db)["oral_doses"]
    result = invoke("record", "oral-dose", "--patient", READY, "--as", NURSE, "--dose-mg", "50",
                    "--status", "observed", "--observed-by", "RN Test", "--taken-at", "2026-11-19T09:00",
                    "--database", demo_db)
    assert result.returncode == 0, result.stderr
    assert stats(demo_db)["oral_doses"] == before + 1


def test_record_lab_without_unit_exits_2(demo_db: str) -> None:
    result = invoke("record", "lab", "--patient", PATIENT, "--as", NURSE, "--loinc", "1742-6", "--name", "ALT",
                    "--value", "30", "--database", demo_db)
    assert result.returncode == 2
    assert "lab.unit: '' is required" in result.stderr


def test_record_lab_with_unit_is_stored(demo_db: str) -> None:
    before = stats(demo_db)["labs"]
    result = invoke("record", "lab", "--patient", PATIENT, "--as", NURSE, "--loinc", "1742-6", "--name", "ALT",
                    "--value", "30", "--unit", "U/L", "--ref-high", "56", "--collected-at", "2026-11-19T08:00+00:00",
                 "--database", demo_db)
    assert result.returncode == 0, result.stderr
    assert stats(demo_db)["labs"] == before + 1


def test_demo_on_a_fresh_file_creates_the_data_directory(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "dir" / "n.db"
    result = run("demo", "--patients", "3", "--seed", "1", "--database", f"sqlite:///{target}")
    assert result.returncode == 0, result.stderr
    assert target.exists()


def test_record_as_a_user_is_one_record_and_one_entry_on_each_backend(database_url: str) -> None:
    from tests.factories import make_clinic, make_patient
    from tests.seeding import seed


    storage = Storage(database_url)
    try:
        seed(storage.uow, clinics=[make_clinic()], patients=[make_patient()])
        user = add_user(storage.secure_uow, "rn.backend", "synthetic-password-42", "nurse", make_clinic().id,
                        datetime.now(UTC))
    finally:
        storage.close()
    result = invoke("record", "lab", "--patient", make_patient().id, "--as", "rn.backend", "--loinc", "1742-6",
                    "--name", "ALT", "--value", "30", "--unit", "U/L", "--collected-at", "2026-01-05T08:00+00:00",
                    "--database", database_url)
    assert result.returncode == 0, result.stderr
    record_id = result.stdout.split()[2]
    [entry] = audit_of(database_url, record_id)
    assert (entry.actor, entry.action, entry.record_type, entry.outcome) == (user.id, "create", "labs", "allowed")
    assert stats(database_url)["labs"] == 1
