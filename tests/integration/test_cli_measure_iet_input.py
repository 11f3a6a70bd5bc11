"""``naltrack measure iet INPUT``: IET over an OMOP folder as JSON (cohorts, rates, members); claims and bad
options exit 2, naming them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.unit.analytics.test_iet_population import day, payer_omop

from naltrack.cli.measure import measure


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(measure, ["iet", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cohorts_rates_and_members_as_json(tmp_path: Path) -> None:
    code, out, err = _run(str(payer_omop(tmp_path / "omop", linked=True)), "--start", day(200).isoformat(),
                          "--end", day(200).isoformat())
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["measure"], doc["input"], doc["intake_start"]) == ("HEDIS IET", "omop", "2026-07-20")
    opioid = next(c for c in doc["cohorts"] if c["cohort"] == "opioid")
    assert opioid == {"cohort": "opioid", "denominator": 1, "initiation": 1, "engagement": 0,
                      "initiation_rate": 1.0, "engagement_rate": 0.0}
    assert next(c for c in doc["cohorts"] if c["cohort"] == "alcohol")["initiation_rate"] is None
    assert doc["members"] == [{"patient_id": "7", "cohort": "opioid", "index": "2026-07-20",
                               "initiated_on": "2026-07-25", "engaged": False,
                               "reason": "initiated on 2026-07-25; not engaged: 0 treatment contact(s) in the 34 "
                                         "days after it"}]


def test_a_period_after_the_index_leaves_the_member_out_and_totals_only_lists_no_one(tmp_path: Path) -> None:
    code, out, _ = _run(str(payer_omop(tmp_path / "omop", linked=True)), "--start", day(201).isoformat(),
                        "--totals-only")
    assert code == 0
    doc = json.loads(out)
    assert "members" not in doc
    assert [c["denominator"] for c in doc["cohorts"]] == [0, 0, 0]


@pytest.mark.parametrize(("args", "message"), [
    (("--format", "claims-parquet"), "format: 'claims-parquet' carries no diagnoses or visits"),
    (("--clinic", "c1"), "are for --from-program"),
    (("--start", "2026-13-01"), "--start: '2026-13-01' is not a date (YYYY-MM-DD)"),
    (("--spark-master", "local[2]"), "--spark-master: 'local[2]' is for --engine spark only"),
])
def test_bad_options_exit_2_naming_them(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    folder = payer_omop(tmp_path / "omop", linked=True)
    code, _, err = _run(str(folder), *args)
    assert code == 2 and message in err, err
