"""POD over OMOP CDM tables and partitioned Parquet claims: the same numbers as the claims CSV; bad input named."""

from __future__ import annotations

import csv
import tempfile
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from naltrack.analytics.pod import PodResult, measure_pod
from naltrack.analytics.population import measure_pod_input
from naltrack.domain.errors import InvalidInput

D0 = date(2026, 1, 1)
ORAL_NTX, XR_NTX, BUP_FILM, CONTRAVE = "1483744", "637213", "1010604", "1551468"
STATES = ("NY", "CA", "TX")
Row = tuple[int, date, str, int | None]


def write_claims_csv(path: Path, rows: list[Row]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["patient_id", "date", "rxnorm", "days_supply"])
        writer.writerows([pid, day.isoformat(), code, "" if days is None else days] for pid, day, code, days in rows)
    return path


def _table(con: duckdb.DuckDBPyConnection, rows: list[Row]) -> None:
    con.execute("CREATE TABLE d(pid BIGINT, day DATE, code VARCHAR, days INTEGER)")
    if rows:
        con.executemany("INSERT INTO d VALUES (?, ?, ?, ?)", rows)


def write_claims_parquet(folder: Path, rows: list[Row]) -> Path:
    """The rows as Parquet claims partitioned by year and state (hive layout)."""
    with duckdb.connect() as con:
        _table(con, rows)
        con.execute(f"""COPY (SELECT CAST(pid AS VARCHAR) AS patient_id, day AS date, code AS rxnorm,
                                     days AS days_supply, year(day) AS year,
                                     list_extract({list(STATES)}, CAST(pid % 3 AS INTEGER) + 1) AS state FROM d)
                        TO '{folder}' (FORMAT PARQUET, PARTITION_BY (year, state))""")
    return folder


def write_omop(folder: Path, rows: list[Row], *, drop: tuple[str, str] | None = None) -> Path:
    """The rows as OMOP CDM tables: person and observation_period one file each, drug_exposure partitioned."""
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        _table(con, rows)
        con.execute("""CREATE TABLE person AS SELECT DISTINCT pid AS person_id, 8532 AS gender_concept_id,
                              1990 AS year_of_birth, 0 AS race_concept_id, 0 AS ethnicity_concept_id FROM d""")
        con.execute("""CREATE TABLE observation_period AS SELECT pid AS person_id, pid AS observation_period_id,
                              min(day) AS observation_period_start_date, max(day) AS observation_period_end_date,
                              32817 AS period_type_concept_id FROM d GROUP BY pid""")
        con.execute("""CREATE TABLE drug_exposure AS SELECT row_number() OVER () AS drug_exposure_id,
                              pid AS person_id, 0 AS drug_concept_id, day AS drug_exposure_start_date,
                              day AS drug_exposure_end_date, 32869 AS drug_type_concept_id, days AS days_supply,
                              code AS drug_source_value, year(day) AS year FROM d""")
        if drop is not None:
            con.execute(f"ALTER TABLE {drop[0]} DROP COLUMN {drop[1]}")
        con.execute(f"COPY person TO '{folder / 'person.parquet'}' (FORMAT PARQUET)")
        con.execute(f"COPY observation_period TO '{folder / 'observation_period.parquet'}' (FORMAT PARQUET)")
        con.execute(f"COPY drug_exposure TO '{folder / 'drug_exposure'}' (FORMAT PARQUET, PARTITION_BY (year))")
    return folder


def _summary(result: PodResult) -> tuple[int, int, list[tuple[str, date, int, bool]]]:
    return (result.denominator, result.numerator,
            [(e.patient_id, e.start, e.continuous_days, e.numerator) for e in result.episodes])


_FILLS = st.lists(
    st.tuples(st.integers(1, 6), st.integers(0, 400),
              st.sampled_from([(ORAL_NTX, 30), (ORAL_NTX, 7), (XR_NTX, None), (BUP_FILM, None), (BUP_FILM, 14),
                               (CONTRAVE, 30)])),
    min_size=1, max_size=25)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_FILLS)
def test_claims_csv_parquet_and_omop_give_the_same_pod(fills: list[tuple[int, int, tuple[str, int | None]]]) -> None:
    rows: list[Row] = [(pid, D0 + timedelta(days=day), code, days) for pid, day, (code, days) in fills]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        from_csv = measure_pod(write_claims_csv(base / "claims.csv", rows))
        from_parquet = measure_pod_input(write_claims_parquet(base / "claims", rows), "claims-parquet")
        from_omop = measure_pod_input(write_omop(base / "omop", rows), "omop")
    assert _summary(from_parquet) == _summary(from_csv)
    assert _summary(from_omop) == _summary(from_csv)
    assert from_csv.denominator >= 1 or all(code == CONTRAVE for _, _, code, _ in rows)


def test_omop_episode_boundaries_follow_pods_gap_rule_not_drug_era(tmp_path: Path) -> None:
    # Patient 1: oral fills 0..29 then day 37 for 180 days: a 7-day gap, continuous (numerator).
    # Patient 2: the second fill on day 38: an 8-day gap breaks POD's treatment (drug_era would bridge it).
    rows: list[Row] = [(1, D0, ORAL_NTX, 30), (1, D0 + timedelta(days=37), ORAL_NTX, 180),
                       (2, D0, ORAL_NTX, 30), (2, D0 + timedelta(days=38), ORAL_NTX, 180)]
    result = measure_pod_input(write_omop(tmp_path / "omop", rows), "omop", start=D0, end=D0 + timedelta(days=100))
    assert result.denominator == 2
    assert result.numerator == 1
    by_patient = {e.patient_id: e for e in result.episodes}
    assert by_patient["1"].numerator and by_patient["1"].continuous_days == 180
    assert not by_patient["2"].numerator and by_patient["2"].continuous_days == 30


def test_missing_omop_table_is_named(tmp_path: Path) -> None:
    folder = write_omop(tmp_path / "omop", [(1, D0, XR_NTX, None)])
    (folder / "observation_period.parquet").unlink()
    with pytest.raises(InvalidInput) as caught:
        measure_pod_input(folder, "omop")
    assert caught.value.field == "observation_period"


def test_missing_omop_column_is_named(tmp_path: Path) -> None:
    folder = write_omop(tmp_path / "omop", [(1, D0, XR_NTX, None)], drop=("drug_exposure", "days_supply"))
    with pytest.raises(InvalidInput) as caught:
        measure_pod_input(folder, "omop")
    assert caught.value.field == "drug_exposure.days_supply"


def test_an_omop_drug_the_catalog_does_not_know_is_skipped_unchecked(tmp_path: Path) -> None:
    folder = write_omop(tmp_path / "omop", [(1, D0, XR_NTX, None), (1, D0, "999999", 0)])
    result = measure_pod_input(folder, "omop")
    assert (result.denominator, [(e.patient_id, e.continuous_days) for e in result.episodes]) == (1, [("1", 31)])


@pytest.mark.parametrize(("row", "field", "value"), [
    ((1, D0, ORAL_NTX, 0), "drug_exposure.days_supply", "0"),
    ((1, D0, ORAL_NTX, 366), "drug_exposure.days_supply", "366"),
    ((1, D0, ORAL_NTX, None), "drug_exposure.days_supply", ""),
])
def test_bad_omop_value_is_named(tmp_path: Path, row: Row, field: str, value: str) -> None:
    folder = write_omop(tmp_path / "omop", [(1, D0, XR_NTX, None), row])
    with pytest.raises(InvalidInput) as caught:
        measure_pod_input(folder, "omop")
    assert (caught.value.field, caught.value.value) == (field, value)


def test_supply_of_365_is_accepted(tmp_path: Path) -> None:
    result = measure_pod_input(write_omop(tmp_path / "omop", [(1, D0, ORAL_NTX, 365)]), "omop")
    assert (result.denominator, result.numerator) == (1, 1)


def test_drug_exposure_of_an_unknown_person_is_named(tmp_path: Path) -> None:
    folder = write_omop(tmp_path / "omop", [(1, D0, XR_NTX, None), (2, D0, XR_NTX, None)])
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM read_parquet('{folder / 'person.parquet'}') WHERE person_id = 1) "
                    f"TO '{folder / 'person.parquet'}' (FORMAT PARQUET)")
    with pytest.raises(InvalidInput) as caught:
        measure_pod_input(folder, "omop")
    assert (caught.value.field, caught.value.value) == ("drug_exposure.person_id", "2")


def test_unreadable_claims_date_is_named(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        con.execute(f"""COPY (SELECT '1' AS patient_id, '2026-13-01' AS date, '{XR_NTX}' AS rxnorm,
                                     NULL::INTEGER AS days_supply) TO '{tmp_path / 'c.parquet'}' (FORMAT PARQUET)""")
    with pytest.raises(InvalidInput) as caught:
        measure_pod_input(tmp_path / "c.parquet", "claims-parquet")
    assert (caught.value.field, caught.value.value) == ("claims.date", "2026-13-01")
