"""``naltrack documents ...`` as a user runs it, on a temporary SQLite file: the PDF written, exit codes, refusals."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from tests.factories import liver_labs, make_clinic, make_episode, make_injection, make_man, make_regimen
from tests.seeding import seed

from naltrack.adapters.db.security_repository import secure_uow_factory
from naltrack.bootstrap import Storage
from naltrack.cli import main
from naltrack.domain.security.audit import AuditEntry
from naltrack.services.security import add_user

PATIENT = "doc-cli-p1"
RECIPIENT = "Riverside Primary Care"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "naltrack.cli.main", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "NALTRACK_TIMEZONE": "UTC"})


def invoke(*args: str) -> subprocess.CompletedProcess[str]:
    result = CliRunner().invoke(main.cli, list(args), env={"NALTRACK_TIMEZONE": "UTC"})
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('documents') / 'docs.db'}"
    storage = Storage(url)
    now = datetime.now(UTC)
    p = {"patient_id": PATIENT}
    try:
        seed(storage.uow, clinics=[make_clinic()], patients=[make_man(id=PATIENT)],
             records=[make_episode("OUD", start=(now - timedelta(days=60)).date(), **p),
                      make_regimen(start=(now - timedelta(days=60)).date(), **p),
                      make_injection(given_at=now - timedelta(days=3), lot="LOT-CLI-1", **p),
                      *(replace(lab, patient_id=PATIENT) for lab in liver_labs(day=(now - timedelta(days=10)).date()))],
             now=now - timedelta(hours=1))
        for name, role in (("rn.cli", "nurse"), ("dr.cli", "prescriber"), ("desk.cli", "front-desk")):
            add_user(storage.secure_uow, name, "synthetic-password-42", role, "c-test", now)
    finally:
        storage.close()
    return url


def audit(url: str) -> list[AuditEntry]:
    storage = Storage(url)
    try:
        with secure_uow_factory(storage.engine)() as uow:
            return list(uow.security.iter_audit())
    finally:
        storage.close()


def test_the_wallet_card_command_writes_a_pdf_naming_naltrexone(db: str, tmp_path: Path) -> None:
    out = tmp_path / "card.pdf"
    result = run("documents", "wallet-card", PATIENT, "--as", "rn.cli", "--out", str(out), "--contact",
                 "(555) 010-0199", "--database", db)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    text = " ".join((PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text() or "").split())
    assert "I TAKE NALTREXONE" in text and "Opioids blocked through:" in text and "(555) 010-0199" in text
    entry = audit(db)[-1]
    assert (entry.record_type, entry.patient_id, entry.outcome, entry.source) == (
        "wallet-card", PATIENT, "allowed", "cli")


@pytest.mark.parametrize("kind", ["after-visit", "injection-record", "consent-form"])
def test_each_document_command_writes_its_pdf(db: str, tmp_path: Path, kind: str) -> None:
    out = tmp_path / f"{kind}.pdf"
    result = invoke("documents", kind, PATIENT, "--as", "dr.cli", "--out", str(out), "--database", db)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(("args", "message"), [
    (("wallet-card", PATIENT, "--as", "nobody"), "--as: 'nobody' is not an active user"),
    (("wallet-card", PATIENT, "--as", "desk.cli"), "may not read clinical-views"),
    (("injection-record", "no-such-patient", "--as", "rn.cli"), "no-such-patient"),
    (("wallet-card", PATIENT, "--as", "rn.cli", "--contact", "x" * 41), "--contact"),
    (("consent-form", PATIENT, "--as", "rn.cli", "--consent", "no-such-consent"), "no-such-consent"),
    (("referral-packet", PATIENT, "--as", "dr.cli", "--recipient", RECIPIENT, "--category", "administrations"),
     "no consent in force"),
    (("referral-packet", PATIENT, "--as", "rn.cli", "--recipient", RECIPIENT, "--category", "administrations"),
     "may not disclose disclosures"),
    (("referral-packet", PATIENT, "--as", "dr.cli", "--recipient", RECIPIENT, "--category", "nonsense"),
     "nonsense"),
])
def test_bad_input_or_a_refusal_exits_2_and_writes_no_file(db: str, tmp_path: Path, args: tuple[str, ...],
                                                           message: str) -> None:
    out = tmp_path / "doc.pdf"
    before = len(audit(db))
    result = invoke("documents", *args, "--out", str(out), "--database", db)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert not out.exists()
    written = audit(db)[before:]
    assert all(e.outcome != "allowed" for e in written)  # a refusal is audited as one, nothing else is written


def test_a_refused_referral_is_audited_as_a_denied_disclosure(db: str, tmp_path: Path) -> None:
    before = len(audit(db))
    result = invoke("documents", "referral-packet", PATIENT, "--as", "dr.cli", "--recipient", "Someone Else",
                    "--category", "labs", "--out", str(tmp_path / "p.pdf"), "--database", db)
    assert result.returncode == 2
    assert [(e.action, e.category, e.patient_id, e.outcome) for e in audit(db)[before:]] == [
        ("disclose", "disclosures", PATIENT, "denied")]
