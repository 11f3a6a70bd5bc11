"""The clinical CLI end to end: ``naltrack score``, ``naltrack readiness`` and ``naltrack rules``
through the ``naltrack`` group (click's runner) and once through the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from naltrack.cli.main import cli
from naltrack.cli.rules import render_markdown

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = ROOT / "tests" / "fixtures" / "fhir" / "readiness"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_score_json_has_exactly_the_documented_shape() -> None:
    code, out, _ = run("score", "phq-9", "--answers", "1,1,1,1,1,0,0,0,1", "--format", "json")
    assert code == 0
    assert json.loads(out) == {"instrument": "phq-9", "total": 6, "band": "mild", "flags": ["item-9-positive"]}


@pytest.mark.parametrize(("sex", "band"), [("female", "positive"), ("male", "negative")])
def test_score_audit_c_by_sex(sex: str, band: str) -> None:
    code, out, _ = run("score", "AUDIT-C", "--answers", "1,1,1", "--sex", sex, "--format", "json")
    assert code == 0
    assert json.loads(out)["band"] == band


def test_score_text_explains_flags() -> None:
    code, out, _ = run("score", "phq-9", "--answers", "0,0,0,0,0,0,0,0,2")
    assert code == 0
    assert out.splitlines()[0] == "phq-9: total 2, band minimal"
    assert "item-9-positive: PHQ-9 item 9" in out


# BAM answers in form order (1-6, 7A-7G skipped after 0 days of drugs, 8-17):
# use = 4+5+6 = 2+1+0; risk = 1+2+3+8+11+15 = 4+4+3+3+2+2; protective = 9+10+12+13+14+16 = 1+0+0+1+0+1.
BAM_ALL_FLAGGED = "4,4,3,2,1,0,,,,,,,,3,1,0,2,0,1,0,2,1,0"
# use 0 (item 5 skipped); risk = 1+2+1+2+2+3 = 11; protective = 3+1+0+2+4+3 = 13.
BAM_NONE_FLAGGED = "1,2,1,0,,0,,,,,,,,2,3,1,2,0,2,4,3,3,3"


def test_score_bam_text_prints_the_three_subscale_scores_with_their_reading() -> None:
    code, out, _ = run("score", "bam", "--answers", BAM_ALL_FLAGGED)
    assert code == 0
    assert out.splitlines()[:4] == [
        "bam: total 3 (the use score), band scored-by-subscale",
        "  use 3 of 12 (Substance use): in the clinically significant range (1 or more)",
        "  risk 18 of 24 (Risk factors): in the clinically significant range (12 or more)",
        "  protective 3 of 24 (Protective factors): in the clinically significant range (12 or below)",
    ]
    assert [line.split(":")[0] for line in out.splitlines()[4:]] == [
        "  flag bam-use", "  flag bam-risk", "  flag bam-protective"]


def test_score_bam_text_reads_scores_outside_the_significant_ranges() -> None:
    code, out, _ = run("score", "bam", "--answers", BAM_NONE_FLAGGED)
    assert code == 0
    assert out.splitlines() == [
        "bam: total 0 (the use score), band scored-by-subscale",
        "  use 0 of 12 (Substance use): outside the clinically significant range (1 or more)",
        "  risk 11 of 24 (Risk factors): outside the clinically significant range (12 or more)",
        "  protective 13 of 24 (Protective factors): outside the clinically significant range (12 or below)",
    ]


def test_score_bam_json_carries_the_three_subscale_scores() -> None:
    code, out, _ = run("score", "bam", "--answers", BAM_ALL_FLAGGED, "--format", "json")
    assert code == 0
    assert json.loads(out) == {"instrument": "bam", "total": 3, "band": "scored-by-subscale",
                               "flags": ["bam-use", "bam-risk", "bam-protective"],
                               "subscales": {"use": 3, "risk": 18, "protective": 3}}


def test_score_text_of_an_instrument_without_subscales_has_no_subscale_lines() -> None:
    code, out, _ = run("score", "gad-7", "--answers", "1,1,1,1,1,1,1")
    assert code == 0
    assert out.splitlines() == ["gad-7: total 7, band mild"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("score", "phq-9", "--answers", "1,1,1,1,1,0,0,0,4"), "phq-9.phq-9-9 (Thoughts of self-harm"),
        (("score", "phq-9", "--answers", "1,1,1,1,1,0,0,0"), "is missing: phq-9 needs all 9 answers"),
        (("score", "phq-9", "--answers", "1,,1,1,1,0,0,0,0"), "phq-9.phq-9-2 (Feeling down"),
        (("score", "phq-9", "--answers", "1,two"), "--answers: 'two' at position 2 is not a number"),
        (("score", "bdi", "--answers", "1"), "instrument: 'bdi' is not an instrument"),
        (("score", "audit-c", "--answers", "1,1,1", "--sex", "f"), "'f' is not one of 'female', 'male'"),
        (("score", "cows", "--answers", "1,1,1,1,1,1,1,1,1,1,1", "--format", "xml"), "'xml' is not one of"),
    ],
)
def test_score_bad_input_exits_2_naming_the_field(args: tuple[str, ...], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert message in err
    assert out == ""


def test_readiness_json_has_exactly_the_documented_shape() -> None:
    code, out, _ = run("readiness", str(BUNDLES / "fentanyl-positive.json"), "--form", "xr-ntx", "--on", "2026-03-10",
                       "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"verdict", "reasons", "earliest_ready_date"}
    assert data["verdict"] == "not-ready"
    assert data["earliest_ready_date"] == "2026-03-19"
    assert all(set(r) == {"rule", "severity", "message", "source"} for r in data["reasons"])
    assert data["reasons"][0]["rule"] == "RDY-UDS-POSITIVE"
    assert data["reasons"][0]["source"] == "clinical.md §2.2, §2.5"


@pytest.mark.parametrize(
    ("bundle", "form", "verdict", "earliest"),
    [
        ("ready-oud.json", "xr-ntx", "ready", "2026-03-10"),
        ("ready-oud.json", "oral", "ready", "2026-03-10"),
        ("ready-oud.json", "implant", "review", None),  # implants are not FDA-approved (clinical.md §1.3)
        ("aud-first-injection.json", "xr-ntx", "not-ready", None),
        ("aud-first-injection.json", "oral", "review", None),
    ],
)
def test_readiness_verdicts_for_the_fixture_bundles(bundle: str, form: str, verdict: str, earliest: str | None) -> None:
    code, out, _ = run("readiness", str(BUNDLES / bundle), "--form", form, "--on", "2026-03-10", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["verdict"], data["earliest_ready_date"]) == (verdict, earliest)


def test_readiness_text_report() -> None:
    code, out, _ = run("readiness", str(BUNDLES / "fentanyl-positive.json"), "--form", "xr-ntx", "--on",
                       "2026-03-10")
    assert code == 0
    assert out.splitlines()[0] == "Readiness for xr-ntx on 2026-03-10 (Sam Rivera, pt-1): NOT-READY"
    assert "Earliest ready date: 2026-03-19" in out
    assert "[contraindication] RDY-UDS-POSITIVE" in out
    assert "Bundle.entry[11].resource: Encounter not read" in out


def test_readiness_with_an_unreadable_medicine_asks_for_review(tmp_path: Path) -> None:
    data = json.loads((BUNDLES / "ready-oud.json").read_text())
    data["entry"].append({"resource": {"resourceType": "MedicationStatement", "status": "active",
                                       "subject": {"reference": "Patient/pt-1"},
                                       "medicationCodeableConcept": {"text": "Percocet 5/325"},
                                       "effectivePeriod": {"start": "2026-03-01"}}})
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data))
    code, out, _ = run("readiness", str(path), "--form", "oral", "--on", "2026-03-10", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert result["verdict"] == "review"
    assert "Percocet 5/325" in result["reasons"][0]["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("bad-lab-unit.json", "--form", "xr-ntx", "--on", "2026-03-10"),
         "Bundle.entry[8].resource.valueQuantity.unit: None is required for ALT (1742-6)"),
        (("ready-oud.json", "--form", "patch", "--on", "2026-03-10"), "'patch' is not one of 'oral', 'xr-ntx'"),
        (("ready-oud.json", "--form", "oral", "--on", "10/03/2026"), "'10/03/2026' does not match the format"),
        (("ready-oud.json", "--form", "oral"), "Missing option '--on'"),
        (("missing.json", "--form", "oral", "--on", "2026-03-10"), "does not exist"),
    ],
)
def test_readiness_bad_input_exits_2(args: tuple[str, ...], message: str) -> None:
    code, out, err = run("readiness", str(BUNDLES / args[0]), *args[1:])
    assert code == 2
    assert message in err


@pytest.mark.parametrize(("element", "value"), [("effectiveDateTime", "1979-13-40"),
                                                ("effectiveDateTime", "2026-03-02T10:00:00+15:00")])
def test_readiness_with_an_impossible_date_exits_2_naming_the_element(tmp_path: Path, element: str,
                                                                      value: str) -> None:
    data = json.loads((BUNDLES / "ready-oud.json").read_text())
    data["entry"].append({"resource": {"resourceType": "MedicationAdministration", "status": "completed",
                                       "subject": {"reference": "Patient/pt-1"}, element: value,
                                       "medicationCodeableConcept": {"coding": [
                                           {"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                            "code": "637213"}]}}})
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data))
    code, out, err = run("readiness", str(path), "--form", "xr-ntx", "--on", "2026-03-10")
    assert (code, out) == (2, "")
    assert f"Bundle.entry[{len(data['entry']) - 1}].resource.{element}: '{value}' is not a real" in err
    assert "Traceback" not in err


def test_readiness_rejects_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text("<Bundle/>")
    code, _, err = run("readiness", str(path), "--form", "oral", "--on", "2026-03-10")
    assert code == 2
    assert "Bundle: 'line 1 column 1' is not valid JSON" in err


def test_rules_markdown_matches_the_committed_docs() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    stale = "docs/rules.md is stale: run `naltrack rules --format markdown > docs/rules.md`"
    assert committed == render_markdown(), stale
    code, out, _ = run("rules", "--format", "markdown")
    assert code == 0 and out == committed


def test_rules_json_lists_every_rule_with_id_severity_and_source() -> None:
    code, out, _ = run("rules", "--format", "json")
    assert code == 0
    data = json.loads(out)
    ids = [r["id"] for r in data["rules"]]
    assert len(ids) == len(set(ids)) >= 30
    assert all(r["severities"] and r["source"] for r in data["rules"])
    assert {t["name"] for t in data["thresholds"]} >= {"opioid_free_days_short", "liver_review_above_x_uln"}
    assert any("UNCONFIRMED" in t["source"] for t in data["thresholds"])


def test_the_installed_console_script_scores() -> None:
    exe = shutil.which("naltrack", path=str(Path(sys.executable).parent))
    assert exe is not None, "the naltrack console script is not installed next to this Python"
    done = subprocess.run([exe, "score", "gad-7", "--answers", "3,3,3,3,3,3,3", "--format", "json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"instrument": "gad-7", "total": 21, "band": "severe",
                                       "flags": ["further-evaluation"]}
    bad = subprocess.run([exe, "score", "gad-7", "--answers", "9"], capture_output=True, text=True, timeout=60,
                         check=False)
    assert bad.returncode == 2
    assert "gad-7.gad-7-1" in bad.stderr


# naltrack coverage ------------------------------------------------------------------------------

COVERAGE_KEYS = {"blocked", "blocked_through", "band", "next_dose_due", "last_dose", "dose_on_date"}


def _oral_bundle(tmp_path: Path, *moments: str, mg: float = 50.0) -> Path:
    """ready-oud.json plus oral naltrexone doses taken at ``moments`` (FHIR dateTimes)."""
    data = json.loads((BUNDLES / "ready-oud.json").read_text())
    for when in moments:
        data["entry"].append({"resource": {
            "resourceType": "MedicationAdministration", "status": "completed", "subject": {"reference": "Patient/pt-1"},
            "effectiveDateTime": when, "dosage": {"dose": {"value": mg, "unit": "mg"}},
            "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                      "code": "1483744"}]}}})
    path = tmp_path / "coverage.json"
    path.write_text(json.dumps(data))
    return path


def _coverage(path: Path, on: str, *extra: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run("coverage", str(path), "--on", on, "--timezone", "America/New_York", "--format", "json",
                         *extra)
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == COVERAGE_KEYS
    return data  # type: ignore[no-any-return]


def test_coverage_of_daily_oral_naltrexone_is_blocked_through_two_days_after_the_last(tmp_path: Path) -> None:
    """50 mg daily at 09:00 (label regimen, clinical.md §1.1): blocked every day, through two days after the
    last tablet (docs/pk.md "Opioid blockade")."""
    path = _oral_bundle(tmp_path, *(f"2026-03-{d:02d}T09:00:00-05:00" for d in range(1, 11)))
    today = _coverage(path, "2026-03-10")
    assert today == {"blocked": True, "blocked_through": "2026-03-12", "band": "protected", "next_dose_due": None,
                     "last_dose": {"form": "oral", "on": "2026-03-10", "dose_mg": 50.0},
                     "dose_on_date": "continuation"}
    assert _coverage(path, "2026-03-05")["blocked_through"] == "2026-03-07"  # doses after the day are not read
    later = _coverage(path, "2026-03-20")
    assert (later["blocked"], later["blocked_through"], later["dose_on_date"]) == (False, None, None)


@pytest.mark.parametrize(("moments", "on", "kind"), [
    (("2026-03-10T09:00:00-05:00",), "2026-03-10", "first"),
    (("2026-03-05T09:00:00-05:00", "2026-03-10T09:00:00-05:00"), "2026-03-10", "late"),
    (("2025-03-10T09:00:00-05:00", "2026-03-10T09:00:00-05:00"), "2026-03-10", "restart"),
])
def test_coverage_classifies_the_dose_given_on_the_day(tmp_path: Path, moments: tuple[str, ...], on: str,
                                                       kind: str) -> None:
    assert _coverage(_oral_bundle(tmp_path, *moments), on)["dose_on_date"] == kind


def test_coverage_days_are_those_of_the_time_zone(tmp_path: Path) -> None:
    path = _oral_bundle(tmp_path, "2026-03-10T22:30:00-05:00")  # 23:30 EDT on 03-10, 03:30 UTC on 03-11
    assert _coverage(path, "2026-03-10")["dose_on_date"] == "first"
    code, out, _ = run("coverage", str(path), "--on", "2026-03-10", "--timezone", "UTC", "--format", "json")
    assert code == 0 and json.loads(out)["dose_on_date"] is None


@pytest.mark.parametrize(("args", "message"), [
    (("--on", "2026-03-10", "--timezone", "Mars/Olympus"), "--timezone: 'Mars/Olympus' must be an IANA time zone"),
    (("--on", "10/03/2026"), "'10/03/2026' does not match the format"),
    (("--on", "2026-03-10", "--format", "xml"), "'xml' is not one of 'json', 'text'"),
    ((), "Missing option '--on'"),
])
def test_coverage_bad_input_exits_2_naming_the_field(args: tuple[str, ...], message: str) -> None:
    code, out, err = run("coverage", str(BUNDLES / "ready-oud.json"), *args)
    assert (code, out) == (2, "")
    assert message in err


def test_coverage_through_the_console_script_reads_the_medication_list(tmp_path: Path) -> None:
    """XR-NTX an outside EHR lists (no injection record): its last dose plus the label's 28 days."""
    data = json.loads((BUNDLES / "ready-oud.json").read_text())
    data["entry"].append({"resource": {
        "resourceType": "MedicationAdministration", "status": "completed", "subject": {"reference": "Patient/pt-1"},
        "effectiveDateTime": "2026-02-10T10:00:00-05:00", "medicationCodeableConcept": {"coding": [
            {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "637213"}]}}})
    path = tmp_path / "xr.json"
    path.write_text(json.dumps(data))
    exe = shutil.which("naltrack", path=str(Path(sys.executable).parent))
    assert exe is not None
    done = subprocess.run([exe, "coverage", str(path), "--on", "2026-03-01", "--timezone", "America/New_York",
                           "--format", "json"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"blocked": True, "blocked_through": "2026-03-10", "band": "unprotected",
                                       "next_dose_due": None, "dose_on_date": None,
                                       "last_dose": {"form": "xr-ntx", "on": "2026-02-10", "dose_mg": None}}
    text = subprocess.run([exe, "coverage", str(path), "--on", "2026-03-01", "--timezone", "America/New_York"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert text.stdout.splitlines()[0] == "Coverage on 2026-03-01 (Sam Rivera, pt-1): blocked through 2026-03-10"


def test_readiness_a_year_after_the_last_tablets_is_a_restart_with_the_test_dose(tmp_path: Path) -> None:
    """A re-induction a year later: the 25 mg test dose again, not "naltrexone already given" (clinical.md §1.1)."""
    path = _oral_bundle(tmp_path, "2025-03-01T09:00:00-05:00", "2025-03-02T09:00:00-05:00")
    code, out, _ = run("readiness", str(path), "--form", "oral", "--on", "2026-03-10", "--format", "json")
    assert code == 0
    (test_dose,) = [r for r in json.loads(out)["reasons"] if r["rule"] == "RDY-ORAL-TEST-DOSE"]
    assert test_dose["message"] == "Start with 25 mg once; 50 mg daily if no withdrawal signs."
