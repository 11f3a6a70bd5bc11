"""``naltrack measure retention INPUT``: each member's first run and the curve as JSON; bad options exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from naltrack.cli.measure import measure

ROWS = """patient_id,date,rxnorm,days_supply
1,2026-01-01,1483744,30
1,2026-02-07,1483744,30
2,2026-01-01,637213,
2,2026-02-01,637213,
3,2026-01-06,1010604,
"""


def _run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "claims.csv"
    path.write_text(ROWS, encoding="utf-8")
    result = CliRunner().invoke(measure, ["retention", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def test_runs_and_retention_as_json(tmp_path: Path) -> None:
    code, out, _ = _run(tmp_path, "--as-of", "2026-04-01")
    assert code == 0
    doc = json.loads(out)
    # 1: days 0..29 and 37..66 (a 7-day gap, bridged), over by 2026-04-01; 2: two injections, 62 days;
    # 3: buprenorphine film, 7 days by default.
    assert [(r["patient_id"], r["days"], r["discontinued"]) for r in doc["runs"]] == [
        ("1", 66, True), ("2", 61, True), ("3", 6, True)]
    assert (doc["members"], doc["discontinued"], doc["allowed_gap_days"]) == (3, 3, 7)
    assert doc["retained"][0] == {"day": 30, "proportion": 0.6667, "low": doc["retained"][0]["low"],
                                  "high": doc["retained"][0]["high"]}


@pytest.mark.parametrize(("args", "message"), [
    (("--as-of", "2026-4-01"), "--as-of: '2026-4-01' is not a date (YYYY-MM-DD)"),
    (("--clinic", "c1"), "are for --from-program"),
    (("--spark-master", "local[2]"), "--spark-master: 'local[2]' is for --engine spark only"),
    (("--format", "csv"), "--format: 'csv' is only for --from-program"),
])
def test_bad_options_exit_2_naming_them(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = _run(tmp_path, *args)
    assert code == 2 and message in err


def test_from_program_takes_no_engine() -> None:
    result = CliRunner().invoke(measure, ["retention", "--from-program", "--engine", "spark", "--as", "x"])
    assert result.exit_code == 2 and "--engine: 'spark' is for INPUT" in result.stderr
