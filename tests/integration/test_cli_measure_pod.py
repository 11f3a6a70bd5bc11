"""``naltrack measure pod``: JSON output, intake period, bad rows (exit 2, row/field/value)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from naltrack.cli.main import main
from naltrack.cli.measure import measure

ROWS = """patient_id,date,rxnorm,days_supply
a,2026-01-01,637213,
a,2026-02-01,637213,
a,2026-03-04,637213,
a,2026-04-04,637213,
a,2026-05-05,637213,
a,2026-06-05,637213,
b,2026-01-01,1483744,30
b,2026-02-08,1483744,30
c,2026-03-01,1551468,30
d,2026-08-01,1010604,
"""


def _file(tmp_path: Path, text: str = ROWS) -> Path:
    path = tmp_path / "dispensing.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(measure, ["pod", *args])
    return result.exit_code, result.stdout, result.stderr


def test_episodes_and_totals(tmp_path: Path) -> None:
    code, out, _ = _run(str(_file(tmp_path)), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["totals"] == {"denominator": 3, "numerator": 1, "rate": pytest.approx(1 / 3, abs=1e-6)}
    by_patient = {e["patient_id"]: e for e in doc["episodes"]}
    assert set(by_patient) == {"a", "b", "d"}  # Contrave (c) is not OUD pharmacotherapy
    assert by_patient["a"] == {"patient_id": "a", "start": "2026-01-01", "treatment_period_end": "2026-06-29",
                               "continuous_days": 180, "numerator": True}
    assert by_patient["b"]["continuous_days"] == 30 and not by_patient["b"]["numerator"]


def test_intake_period_and_totals_only(tmp_path: Path) -> None:
    code, out, _ = _run(str(_file(tmp_path)), "--start", "2026-07-01", "--end", "2026-12-31", "--totals-only")
    doc = json.loads(out)
    assert code == 0 and "episodes" not in doc
    assert doc["totals"] == {"denominator": 1, "numerator": 0, "rate": 0.0}
    assert (doc["intake_start"], doc["intake_end"]) == ("2026-07-01", "2026-12-31")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("e,2026-02-30,1483744,30", "dispensing.csv row 11, date: '2026-02-30' is not a date (YYYY-MM-DD)"),
        ("e,2026-02-01,12345,30", "dispensing.csv row 11, rxnorm: '12345' is not a known RxNorm code"),
        ("e,2026-02-01,1483744,-30", "dispensing.csv row 11, days_supply: '-30' must be between 1 and 365 days"),
    ],
)
def test_bad_rows_exit_2_naming_row_field_and_value(tmp_path: Path, line: str, message: str) -> None:
    code, out, err = _run(str(_file(tmp_path, ROWS + line + "\n")))
    assert code == 2 and out == ""
    assert message in err


def test_bad_intake_date_exits_2(tmp_path: Path) -> None:
    code, _, err = _run(str(_file(tmp_path)), "--start", "2026-7-1")
    assert code == 2 and "--start: '2026-7-1' is not a date (YYYY-MM-DD)" in err


def test_missing_file_exits_2(tmp_path: Path) -> None:
    code, _, err = _run(str(tmp_path / "nope.csv"))
    assert code == 2 and "nope.csv" in err


def test_registered_in_the_naltrack_command() -> None:
    assert main(["measure", "pod", "--help"]) == 0
