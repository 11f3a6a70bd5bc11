"""POD, retention and IET on Spark (local mode) against DuckDB: the same numerators, denominators and per-member
results, from the claims CSV, partitioned Parquet claims and OMOP tables; bad input named the same way on both."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.integration.test_omop_database import _write_database as write_omop_database
from tests.integration.test_omop_database import write_cdm_database
from tests.unit.analytics.test_iet_population import _GROUPS as _IET_GROUPS
from tests.unit.analytics.test_iet_population import Member, payer_omop
from tests.unit.analytics.test_iet_population import day as iet_day
from tests.unit.analytics.test_iet_population import summary as iet_summary
from tests.unit.analytics.test_iet_population import write as write_iet_omop
from tests.unit.analytics.test_omop import (
    BUP_FILM,
    CONTRAVE,
    D0,
    ORAL_NTX,
    XR_NTX,
    Row,
    write_claims_csv,
    write_claims_parquet,
    write_omop,
)
from tests.unit.analytics.test_omop_concepts import IET as CDM_IET
from tests.unit.analytics.test_omop_concepts import ORAL_CONCEPT, cdm, write_cdm
from tests.unit.analytics.test_omop_concepts import POD as CDM_POD
from tests.unit.analytics.test_omop_concepts import RETENTION as CDM_RETENTION
from tests.unit.analytics.test_omop_concepts import day as cdm_day
from tests.unit.analytics.test_omop_concepts import iet_summary as cdm_iet_summary
from tests.unit.analytics.test_omop_concepts import pod_summary as cdm_pod_summary
from tests.unit.analytics.test_omop_concepts import retention_summary as cdm_retention_summary

from naltrack.adapters.omop_database import input_path
from naltrack.analytics.engines import EngineChoice, open_engine, spark_session
from naltrack.analytics.iet import measure_iet
from naltrack.analytics.pod import PodResult, measure_pod
from naltrack.analytics.population import measure_iet_input, measure_pod_input, measure_retention_input
from naltrack.domain.errors import InvalidInput

pytestmark = [pytest.mark.spark, pytest.mark.usefixtures("spark_ready")]

IMPLANT_BUP, METHADONE = "1797650", "864706"


def _summary(result: PodResult) -> tuple[int, int, list[tuple[str, date, date, int, bool]]]:
    return (result.denominator, result.numerator,
            [(e.patient_id, e.start, e.treatment_period_end, e.continuous_days, e.numerator) for e in result.episodes])


# Members with fills of every rule POD has (pharmacy supply, fixed 31 and 180 days, defaults of 7 and 1 days,
# ignored codes), same-day fills, refills before the supply runs out, gaps of every length around 8 and 31 days.
_MEMBER_FILLS = st.lists(
    st.tuples(st.integers(0, 420),
              st.sampled_from([(ORAL_NTX, 30), (ORAL_NTX, 7), (ORAL_NTX, 1), (XR_NTX, None), (BUP_FILM, None),
                               (BUP_FILM, 14), (IMPLANT_BUP, None), (METHADONE, None), (METHADONE, 28),
                               (CONTRAVE, 30)])),
    min_size=1, max_size=12)
_CLAIMS = st.lists(_MEMBER_FILLS, min_size=1, max_size=30)


def _rows(members: list[list[tuple[int, tuple[str, int | None]]]]) -> list[Row]:
    return [(pid, D0 + timedelta(days=day), code, days)
            for pid, fills in enumerate(members, start=1) for day, (code, days) in fills]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_CLAIMS, st.integers(0, 300), st.integers(0, 200))
def test_spark_gives_duckdbs_numbers_and_members(members: list[list[tuple[int, tuple[str, int | None]]]],
                                                 offset: int, length: int) -> None:
    rows = _rows(members)
    start, end = D0 + timedelta(days=offset), D0 + timedelta(days=offset + length)
    with tempfile.TemporaryDirectory() as tmp:
        claims = write_claims_csv(Path(tmp) / "claims.csv", rows)
        omop = write_omop(Path(tmp) / "omop", rows)
        duck = measure_pod(claims)
        spark = measure_pod(claims, engine="spark")
        duck_period = measure_pod(claims, start=start, end=end)
        spark_omop_period = measure_pod_input(omop, "omop", start=start, end=end, choice=EngineChoice("spark"))
    assert _summary(spark) == _summary(duck)
    assert _summary(spark_omop_period) == _summary(duck_period)
    assert duck.denominator >= 1 or all(code == CONTRAVE for _, _, code, _ in rows)


def test_partitioned_parquet_claims_on_spark_equal_the_csv_on_duckdb(tmp_path: Path) -> None:
    # Three members: one continuous for 180 days (7-day gaps allowed), one broken by an 8-day gap, one
    # whose second episode starts after 31 days without treatment (two episodes).
    rows: list[Row] = [(1, D0, ORAL_NTX, 30), (1, D0 + timedelta(days=37), ORAL_NTX, 180),
                       (2, D0, ORAL_NTX, 30), (2, D0 + timedelta(days=38), ORAL_NTX, 180),
                       (3, D0, XR_NTX, None), (3, D0 + timedelta(days=31 + 32), XR_NTX, None)]
    duck = measure_pod(write_claims_csv(tmp_path / "claims.csv", rows))
    spark = measure_pod_input(write_claims_parquet(tmp_path / "claims", rows), "claims-parquet",
                              choice=EngineChoice("spark"))
    assert _summary(spark) == _summary(duck)
    assert (spark.denominator, spark.numerator) == (4, 1)
    episodes = {(e.patient_id, e.start): e.continuous_days for e in spark.episodes}
    assert episodes == {("1", D0): 180, ("2", D0): 30, ("3", D0): 31, ("3", D0 + timedelta(days=63)): 31}


@pytest.mark.parametrize(("line", "field", "value"), [
    ("2,2026-13-01,1483744,30", "claims.csv row 2, date", "2026-13-01"),
    ("2,2026-01-05,999999,30", "claims.csv row 2, rxnorm", "999999"),
    ("2,2026-01-05,1483744,366", "claims.csv row 2, days_supply", "366"),
    ("2,2026-01-05,1483744,thirty", "claims.csv row 2, days_supply", "thirty"),
    ("2,2026-01-05,1483744,", "claims.csv row 2, days_supply", ""),
])
def test_bad_claims_row_is_named_the_same_on_spark(tmp_path: Path, line: str, field: str, value: str) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(f"patient_id,date,rxnorm,days_supply\n1,2026-01-01,{XR_NTX},\n{line}\n", encoding="utf-8")
    for engine in ("duckdb", "spark"):
        with pytest.raises(InvalidInput) as caught:
            measure_pod(path, engine=engine)  # type: ignore[arg-type]
        assert (caught.value.field, caught.value.value) == (field, value), engine


@pytest.mark.parametrize(("row", "field", "value"), [
    ((1, D0, ORAL_NTX, 0), "drug_exposure.days_supply", "0"),
    ((1, D0, ORAL_NTX, 366), "drug_exposure.days_supply", "366"),
])
def test_bad_omop_value_is_named_on_spark(tmp_path: Path, row: Row, field: str, value: str) -> None:
    folder = write_omop(tmp_path / "omop", [(1, D0, XR_NTX, None), row])
    with pytest.raises(InvalidInput) as caught:
        measure_pod_input(folder, "omop", choice=EngineChoice("spark"))
    assert (caught.value.field, caught.value.value) == (field, value)


def test_missing_omop_column_is_named_on_spark(tmp_path: Path) -> None:
    folder = write_omop(tmp_path / "omop", [(1, D0, XR_NTX, None)], drop=("drug_exposure", "days_supply"))
    with pytest.raises(InvalidInput) as caught:
        measure_pod_input(folder, "omop", choice=EngineChoice("spark"))
    assert caught.value.field == "drug_exposure.days_supply"


def test_spark_views_are_dropped_after_a_measure(tmp_path: Path) -> None:
    measure_pod(write_claims_csv(tmp_path / "claims.csv", [(1, D0, XR_NTX, None)]), engine="spark")
    session = spark_session(EngineChoice("spark"))
    assert {t.name for t in session.catalog.listTables() if t.isTemporary} == set()
    with open_engine(EngineChoice("spark")) as db:
        assert db.rows("SELECT datediff(DATE '2026-01-01', DATE '1970-01-01')") == [(20454,)]


def test_measure_pod_cli_on_spark_prints_duckdbs_json(tmp_path: Path) -> None:
    path = write_claims_csv(tmp_path / "claims.csv", [(1, D0, XR_NTX, None), (1, D0 + timedelta(days=31), XR_NTX, None),
                                                      (2, D0, ORAL_NTX, 30)])
    runs = {engine: subprocess.run([sys.executable, "-m", "naltrack.cli.main", "measure", "pod", str(path),
                                    "--engine", engine], capture_output=True, text=True, timeout=300)
            for engine in ("duckdb", "spark")}
    assert [run.returncode for run in runs.values()] == [0, 0], runs["spark"].stderr[-2000:]
    duck, spark = (json.loads(run.stdout) for run in runs.values())
    assert spark == duck
    assert (duck["totals"]["denominator"], duck["totals"]["numerator"]) == (2, 0)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_CLAIMS, st.integers(0, 420))
def test_spark_gives_duckdbs_retention_runs(members: list[list[tuple[int, tuple[str, int | None]]]],
                                            as_of_day: int) -> None:
    rows = _rows(members)
    if all(code == CONTRAVE for _, _, code, _ in rows):
        rows.append((len(members) + 1, D0, XR_NTX, None))
    as_of = D0 + timedelta(days=as_of_day)
    with tempfile.TemporaryDirectory() as tmp:
        omop = write_omop(Path(tmp) / "omop", rows)
        claims = write_claims_csv(Path(tmp) / "claims.csv", rows)
        try:
            duck = measure_retention_input(claims, as_of=as_of)
        except InvalidInput:  # as_of before every dispensing: Spark refuses it the same way
            with pytest.raises(InvalidInput):
                measure_retention_input(omop, "omop", as_of=as_of, choice=EngineChoice("spark"))
            return
        spark = measure_retention_input(omop, "omop", as_of=as_of, choice=EngineChoice("spark"))
    assert spark.runs == duck.runs
    assert (spark.members, spark.discontinued, spark.curve) == (duck.members, duck.discontinued, duck.curve)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_IET_GROUPS, st.one_of(st.none(), st.integers(150, 330)))
def test_spark_gives_duckdbs_iet_over_omop_and_the_programs(group: tuple[Member, ...], start: int | None) -> None:
    first, last = (None, None) if start is None else (iet_day(start), iet_day(start + 120))
    with tempfile.TemporaryDirectory() as tmp:
        person_ids = write_iet_omop(Path(tmp) / "omop", list(group))
        duck = measure_iet_input(Path(tmp) / "omop", start=first, end=last)
        spark = measure_iet_input(Path(tmp) / "omop", start=first, end=last, choice=EngineChoice("spark"))
    assert iet_summary(spark) == iet_summary(duck)
    names = {str(n): pid for pid, n in person_ids.items()}
    assert iet_summary(spark, names) == iet_summary(measure_iet([m.course for m in group], first, last))


def test_a_visit_is_a_contact_on_spark_only_with_an_oud_or_aud_diagnosis(tmp_path: Path) -> None:
    linked = measure_iet_input(payer_omop(tmp_path / "linked", linked=True), choice=EngineChoice("spark"))
    unlinked = measure_iet_input(payer_omop(tmp_path / "unlinked", linked=False), choice=EngineChoice("spark"))
    assert [(p.patient_id, p.cohort, p.initiated_on) for p in linked.patients] == [("7", "opioid", iet_day(205))]
    assert [(p.patient_id, p.cohort, p.initiated_on) for p in unlinked.patients] == [("7", "opioid", None)]


def test_omop_tables_in_a_database_give_spark_duckdbs_iet_and_pod(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'omop.db'}"
    write_omop_database(url)
    with input_path(url, "omop", iet=True) as folder:
        assert measure_iet_input(folder, choice=EngineChoice("spark")) == measure_iet_input(folder)
        assert measure_pod_input(folder, "omop", choice=EngineChoice("spark")) == measure_pod_input(folder, "omop")


def test_spark_reads_omop_coded_by_concepts_as_duckdb_does(tmp_path: Path) -> None:
    spark = EngineChoice("spark")
    folder = write_cdm(tmp_path / "omop", cdm(coded=True))
    assert cdm_pod_summary(measure_pod_input(folder, "omop", choice=spark)) == CDM_POD
    assert cdm_retention_summary(measure_retention_input(folder, "omop", as_of=cdm_day(300), choice=spark)) \
        == CDM_RETENTION
    assert cdm_iet_summary(measure_iet_input(folder, choice=spark)) == CDM_IET
    url = f"sqlite:///{tmp_path / 'omop.db'}"
    write_cdm_database(url, cdm(coded=True))
    with input_path(url, "omop", iet=True) as staged:
        assert cdm_iet_summary(measure_iet_input(staged, choice=spark)) == CDM_IET
        assert cdm_pod_summary(measure_pod_input(staged, "omop", choice=spark)) == CDM_POD


def test_a_naltrexone_row_coded_by_concept_is_refused_on_spark_and_a_statin_skipped(tmp_path: Path) -> None:
    tables = cdm(coded=True)
    tables["drug_exposure"].append((2, cdm_day(60), ORAL_CONCEPT, 0, "00406117001"))
    with pytest.raises(InvalidInput, match="between 1 and 365") as caught:
        measure_pod_input(write_cdm(tmp_path / "omop", tables), "omop", choice=EngineChoice("spark"))
    assert (caught.value.field, caught.value.value) == ("drug_exposure.days_supply", "0")
