"""Synthetic claims (synthetic.claims, measure synthetic-claims): sized as asked, the same for a seed, and the
same POD whether written as CSV, partitioned Parquet or OMOP tables (which IET reads too)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from naltrack.analytics.pod import measure_pod
from naltrack.analytics.population import measure_iet_input, measure_pod_input
from naltrack.cli.measure import measure
from naltrack.domain.errors import InvalidInput
from naltrack.synthetic.claims import write_claims


def test_rows_members_and_determinism(tmp_path: Path) -> None:
    assert write_claims(tmp_path / "a.csv", 50, rows_per_member=4, seed=3) == 200
    write_claims(tmp_path / "b.csv", 50, rows_per_member=4, seed=3)
    write_claims(tmp_path / "c.csv", 50, rows_per_member=4, seed=4)
    a = (tmp_path / "a.csv").read_text()
    assert a == (tmp_path / "b.csv").read_text() and a != (tmp_path / "c.csv").read_text()
    rows = list(csv.DictReader(a.splitlines()))
    assert len(rows) == 200 and len({r["patient_id"] for r in rows}) == 50


def test_csv_and_partitioned_parquet_give_the_same_pod(tmp_path: Path) -> None:
    write_claims(tmp_path / "claims.csv", 300, seed=9)
    write_claims(tmp_path / "claims", 300, seed=9, output_format="claims-parquet")
    assert {p.name.split("=")[0] for p in (tmp_path / "claims").iterdir()} == {"year"}
    from_csv = measure_pod(tmp_path / "claims.csv")
    from_parquet = measure_pod_input(tmp_path / "claims", "claims-parquet")
    assert from_csv.episodes == from_parquet.episodes
    assert from_csv.denominator >= 300 and 0 < from_csv.numerator < from_csv.denominator


def test_omop_output_gives_the_csvs_pod_and_an_iet_of_every_member(tmp_path: Path) -> None:
    write_claims(tmp_path / "claims.csv", 200, rows_per_member=6, seed=5)
    write_claims(tmp_path / "omop", 200, rows_per_member=6, seed=5, output_format="omop")
    from_csv = measure_pod(tmp_path / "claims.csv")
    from_omop = measure_pod_input(tmp_path / "omop", "omop")
    assert sorted((str(int(e.patient_id[1:])), e.start, e.continuous_days) for e in from_csv.episodes) == sorted(
        (e.patient_id, e.start, e.continuous_days) for e in from_omop.episodes)
    assert len(from_omop.episodes) >= 200
    iet = measure_iet_input(tmp_path / "omop")
    cohorts = {c.name: c for c in iet.cohorts}
    # every member has a diagnosis on each of 3 visits and no dispensing before the first: all in a cohort
    assert cohorts["total"].denominator == 200 == cohorts["alcohol"].denominator + cohorts["opioid"].denominator
    assert cohorts["alcohol"].denominator > 0 and cohorts["opioid"].denominator > 0
    assert 0 < cohorts["total"].engagement <= cohorts["total"].initiation == 200
    assert all(p.cohort in ("alcohol", "opioid") for p in iet.patients)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"members": 0}, "members"), ({"members": 100_000_001}, "members"),
    ({"members": 1, "rows_per_member": 101}, "rows_per_member"), ({"members": 1, "seed": -1}, "seed"),
])
def test_limits_are_named(tmp_path: Path, kwargs: dict[str, int], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        write_claims(tmp_path / "x.csv", **kwargs)
    assert caught.value.field == field
    assert not (tmp_path / "x.csv").exists()


def test_cli_writes_and_refuses_an_existing_file(tmp_path: Path) -> None:
    out = tmp_path / "claims.csv"
    first = CliRunner().invoke(measure, ["synthetic-claims", str(out), "--members", "10"])
    assert first.exit_code == 0 and "200 dispensing rows for 10 members" in first.stderr
    again = CliRunner().invoke(measure, ["synthetic-claims", str(out), "--members", "10"])
    assert again.exit_code == 2 and "exists" in again.stderr
    bad = CliRunner().invoke(measure, ["synthetic-claims", str(tmp_path / "n.csv"), "--members", "0"])
    assert bad.exit_code == 2 and "members: 0 must be between 1 and 100,000,000" in bad.stderr
