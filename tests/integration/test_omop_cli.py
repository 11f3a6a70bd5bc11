"""``naltrack measure pod INPUT --format omop|claims-parquet``: the same totals as the claims CSV; bad input exit 2."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner
from tests.unit.analytics.test_omop import Row, write_claims_csv, write_claims_parquet, write_omop

from naltrack.cli.measure import measure

D0 = date(2026, 1, 1)
ROWS: list[Row] = [(1, D0 + timedelta(days=31 * k), "637213", None) for k in range(6)] + [
    (2, D0, "1483744", 30), (2, D0 + timedelta(days=38), "1483744", 30), (3, D0, "1551468", 30)]


def _totals(args: list[str]) -> dict[str, object]:
    result = CliRunner().invoke(measure, ["pod", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["totals"]  # type: ignore[no-any-return]


def test_three_formats_give_the_same_totals(tmp_path: Path) -> None:
    csv_totals = _totals([str(write_claims_csv(tmp_path / "claims.csv", ROWS))])
    assert csv_totals == {"denominator": 2, "numerator": 1, "rate": 0.5}
    assert _totals([str(write_claims_csv(tmp_path / "c2.csv", ROWS)), "--format", "claims-csv"]) == csv_totals
    assert _totals([str(write_claims_parquet(tmp_path / "claims", ROWS)), "--format", "claims-parquet"]) == csv_totals
    assert _totals([str(write_omop(tmp_path / "omop", ROWS)), "--format", "omop"]) == csv_totals


def test_bad_omop_input_exits_2_naming_the_field(tmp_path: Path) -> None:
    folder = write_omop(tmp_path / "omop", ROWS, drop=("drug_exposure", "drug_source_value"))
    result = CliRunner().invoke(measure, ["pod", str(folder), "--format", "omop"])
    assert result.exit_code == 2
    assert "drug_exposure.drug_source_value" in result.output


def test_bad_omop_value_exits_2_naming_table_field_value(tmp_path: Path) -> None:
    folder = write_omop(tmp_path / "omop", [*ROWS, (4, D0, "1483744", 400)])
    result = CliRunner().invoke(measure, ["pod", str(folder), "--format", "omop"])
    assert result.exit_code == 2
    assert "drug_exposure.days_supply" in result.output and "400" in result.output


def test_a_folder_without_an_input_format_is_refused(tmp_path: Path) -> None:
    folder = write_omop(tmp_path / "omop", ROWS)
    result = CliRunner().invoke(measure, ["pod", str(folder)])
    assert result.exit_code == 2
    assert "--format claims-parquet or omop" in result.output
