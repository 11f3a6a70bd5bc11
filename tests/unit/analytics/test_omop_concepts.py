"""OMOP tables coded by concept ids (a research network's CDM: RxNorm concepts, NDCs in the source values, every
drug of every member, SNOMED and ICD10CM diagnosis concepts) give the POD, retention and IET of the same data
coded by source values; other drugs are skipped, the measure's own rows still checked."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from naltrack.analytics.iet import IetResult
from naltrack.analytics.pod import PodResult
from naltrack.analytics.population import (
    PopulationRetention,
    measure_iet_input,
    measure_pod_input,
    measure_retention_input,
)
from naltrack.domain.errors import InvalidInput

D0 = date(2026, 1, 1)
XR_NTX, ORAL_NTX, ATORVASTATIN = "637213", "1483744", "617312"
# Concept ids: plausible integers, read only through the concept table written here.
XR_CONCEPT, ORAL_CONCEPT, STATIN_CONCEPT, NDC_CONCEPT = 1714319, 1714320, 1545958, 45000001
OUD_SNOMED, HYPERTENSION_SNOMED, AUD_ICD10CM = 4032000, 320128, 45600001
UNUSED_RXNORM, UNUSED_SNOMED, UNUSED_ICD10CM = 1700000, 4000000, 45600002
CONCEPTS: list[tuple[object, ...]] = [
    (XR_CONCEPT, "RxNorm", XR_NTX), (ORAL_CONCEPT, "RxNorm", ORAL_NTX), (STATIN_CONCEPT, "RxNorm", ATORVASTATIN),
    (NDC_CONCEPT, "NDC", "00093123401"),  # a drug concept of another vocabulary: the source value stands
    (OUD_SNOMED, "SNOMED", "1081000119105"),  # opioid dependence, on agonist therapy
    (HYPERTENSION_SNOMED, "SNOMED", "38341003"), (AUD_ICD10CM, "ICD10CM", "F10.20"),
    (UNUSED_RXNORM, "RxNorm", "197361"), (UNUSED_SNOMED, "SNOMED", "66590003"), (UNUSED_ICD10CM, "ICD10CM", "F11.20"),
]
#: The columns of each table, with their DuckDB types.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "person": (("person_id", "BIGINT"),),
    "observation_period": (("person_id", "BIGINT"), ("observation_period_start_date", "DATE"),
                           ("observation_period_end_date", "DATE")),
    "drug_exposure": (("person_id", "BIGINT"), ("drug_exposure_start_date", "DATE"), ("drug_concept_id", "BIGINT"),
                      ("days_supply", "INTEGER"), ("drug_source_value", "VARCHAR")),
    "condition_occurrence": (("person_id", "BIGINT"), ("condition_concept_id", "BIGINT"),
                             ("condition_source_concept_id", "BIGINT"), ("condition_start_date", "DATE"),
                             ("condition_source_value", "VARCHAR"), ("visit_occurrence_id", "BIGINT")),
    "visit_occurrence": (("person_id", "BIGINT"), ("visit_occurrence_id", "BIGINT"), ("visit_start_date", "DATE")),
    "concept": (("concept_id", "BIGINT"), ("vocabulary_id", "VARCHAR"), ("concept_code", "VARCHAR")),
}
Table = list[tuple[object, ...]]


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def cdm(coded: bool) -> dict[str, Table]:
    """Three members, coded by concepts (``coded``: a concept table, NDCs in the drug source values, statins
    mixed in, local text in the diagnosis source values) or as ``export omop`` writes (codes in the source
    values, concept ids 0, no concept table).

    1: an OUD diagnosis (SNOMED concept) on day 10 at a visit, a hypertension one on day 5; seven naltrexone
       injections every 28 days from day 12; statins (one of days supply 0, one of a person not in person).
    2: an AUD diagnosis (a SNOMED concept that is not one, an ICD10CM source concept that is) on days 20, 30,
       40 at visits; oral naltrexone on day 21 for 30 days.
    3: an OUD diagnosis coded in the source value only, on day 50 at a visit; oral naltrexone on day 50 for 30
       days, its concept an NDC one, its source value the RxNorm code.
    """
    injections = [(1, day(12 + 28 * k), XR_CONCEPT, 28, "65757030001") for k in range(7)]
    drugs: Table = [*injections, (2, day(21), ORAL_CONCEPT, 30, "00406117001"), (3, day(50), NDC_CONCEPT, 30, ORAL_NTX)]
    diagnoses = [(1, HYPERTENSION_SNOMED, 0, 5, "I10", 100), (1, OUD_SNOMED, 0, 10, "OUD-local", 101),
                 *((2, HYPERTENSION_SNOMED, AUD_ICD10CM, n, "ALC", 200 + n) for n in (20, 30, 40)),
                 (3, 0, 0, 50, "F11.20", 301)]
    if coded:
        drugs += [(1, day(0), STATIN_CONCEPT, 30, "00071015523"), (1, day(30), STATIN_CONCEPT, 0, "00071015523"),
                  (99, day(5), STATIN_CONCEPT, 30, "00071015523")]
    else:
        by_concept: dict[object, str] = {XR_CONCEPT: XR_NTX, ORAL_CONCEPT: ORAL_NTX, NDC_CONCEPT: ORAL_NTX}
        drugs = [(p, on, 0, supply, by_concept[concept]) for p, on, concept, supply, _ in drugs]
        source = {OUD_SNOMED: "1081000119105", HYPERTENSION_SNOMED: "I10", AUD_ICD10CM: "F10.20", 0: "F11.20"}
        diagnoses = [(p, 0, 0, n, source[second or first], visit) for p, first, second, n, _, visit in diagnoses]
    return {
        "person": [(1,), (2,), (3,)],
        "observation_period": [(p, day(0), day(365)) for p in (1, 2, 3)],
        "drug_exposure": drugs,
        "condition_occurrence": [(p, first, second, day(n), text, visit)
                                 for p, first, second, n, text, visit in diagnoses],
        "visit_occurrence": [(p, visit, day(n)) for p, _, _, n, _, visit in diagnoses],
        **({"concept": CONCEPTS} if coded else {}),
    }


def write_cdm(folder: Path, tables: dict[str, Table]) -> Path:
    """Each table as ``<table>.parquet`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        for name, rows in tables.items():
            columns = COLUMNS[name]
            con.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)})")
            if rows:
                con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})", rows)
            con.execute(f"COPY {name} TO '{folder / (name + '.parquet')}' (FORMAT PARQUET)")
    return folder


def pod_summary(result: PodResult) -> tuple[int, int, list[tuple[str, date, int, bool]]]:
    return (result.denominator, result.numerator,
            [(e.patient_id, e.start, e.continuous_days, e.numerator) for e in result.episodes])


def retention_summary(result: PopulationRetention) -> tuple[int, int, list[tuple[str, date, date, bool]]]:
    return (result.members, result.discontinued,
            [(r.patient_id, r.first_day, r.last_day, r.discontinued) for r in result.runs])


def iet_summary(result: IetResult) -> tuple[list[tuple[str, int, int, int]], list[tuple[str, str, date, object]]]:
    return ([(c.name, c.denominator, c.initiation, c.engagement) for c in result.cohorts],
            [(p.patient_id, p.cohort, p.index_on, p.initiated_on, p.engaged) for p in result.patients])


#: What the three members give, however they are coded.
POD = (3, 1, [("1", day(12), 180, True), ("2", day(21), 30, False), ("3", day(50), 30, False)])
RETENTION = (3, 3, [("1", day(12), day(228), True), ("2", day(21), day(50), True), ("3", day(50), day(79), True)])
IET = ([("alcohol", 1, 1, 1), ("opioid", 2, 2, 1), ("total", 3, 3, 2)],
       [("1", "opioid", day(10), day(10), True), ("2", "alcohol", day(20), day(20), True),
        ("3", "opioid", day(50), day(50), False)])


@pytest.mark.parametrize("coded", [True, False])
def test_a_cdm_coded_by_concepts_gives_the_measures_of_the_same_data_coded_by_source_values(
        tmp_path: Path, coded: bool) -> None:
    folder = write_cdm(tmp_path / "omop", cdm(coded))
    assert pod_summary(measure_pod_input(folder, "omop")) == POD
    assert retention_summary(measure_retention_input(folder, "omop", as_of=day(300))) == RETENTION
    assert iet_summary(measure_iet_input(folder)) == IET


def test_a_statin_is_skipped_in_omop_and_refused_in_claims(tmp_path: Path) -> None:
    tables = cdm(coded=False)
    tables["drug_exposure"].append((1, day(0), 0, 30, ATORVASTATIN))  # no concept table: the source value
    folder = write_cdm(tmp_path / "omop", tables)
    assert pod_summary(measure_pod_input(folder, "omop")) == POD
    with duckdb.connect() as con:
        con.execute(f"""COPY (SELECT '1' AS patient_id, DATE '{day(0)}' AS date, '{ATORVASTATIN}' AS rxnorm,
                                     30 AS days_supply) TO '{tmp_path / 'claims.parquet'}' (FORMAT PARQUET)""")
    with pytest.raises(InvalidInput, match="not a known") as caught:
        measure_pod_input(tmp_path / "claims.parquet", "claims-parquet")
    assert (caught.value.field, caught.value.value) == ("claims.rxnorm", ATORVASTATIN)


@pytest.mark.parametrize(("supply", "value"), [(0, "0"), (366, "366"), (None, "")])
def test_a_naltrexone_row_coded_by_concept_is_still_checked(tmp_path: Path, supply: int | None, value: str) -> None:
    tables = cdm(coded=True)
    tables["drug_exposure"].append((2, day(60), ORAL_CONCEPT, supply, "00406117001"))
    with pytest.raises(InvalidInput, match="between 1 and 365|required") as caught:
        measure_pod_input(write_cdm(tmp_path / "omop", tables), "omop")
    assert (caught.value.field, caught.value.value) == ("drug_exposure.days_supply", value)


def test_a_naltrexone_row_of_a_person_not_in_person_is_refused(tmp_path: Path) -> None:
    tables = cdm(coded=True)
    tables["drug_exposure"].append((98, day(60), XR_CONCEPT, 28, "65757030001"))
    with pytest.raises(InvalidInput, match="not in person") as caught:
        measure_iet_input(write_cdm(tmp_path / "omop", tables))
    assert (caught.value.field, caught.value.value) == ("drug_exposure.person_id", "98")


def test_a_concept_of_another_vocabulary_falls_back_to_the_source_value(tmp_path: Path) -> None:
    tables = cdm(coded=True)
    # Member 3's dose: an NDC concept; as source value its RxNorm code (counted), then an NDC (skipped).
    assert (3, day(50), NDC_CONCEPT, 30, ORAL_NTX) in tables["drug_exposure"]
    assert [e.patient_id for e in measure_pod_input(write_cdm(tmp_path / "rxnorm", tables), "omop").episodes] == [
        "1", "2", "3"]
    tables["drug_exposure"] = [row if row[0] != 3 else (3, day(50), NDC_CONCEPT, 30, "00093123401")
                               for row in tables["drug_exposure"]]
    folder = write_cdm(tmp_path / "ndc", tables)
    assert [e.patient_id for e in measure_pod_input(folder, "omop").episodes] == ["1", "2"]
    (third,) = [p for p in measure_iet_input(folder).patients if p.patient_id == "3"]
    assert (third.initiated_on, third.engaged) == (day(50), False)  # the visit with the diagnosis still counts


def test_an_rxnorm_concept_wins_over_the_source_value(tmp_path: Path) -> None:
    tables = cdm(coded=True)
    tables["drug_exposure"].append((2, day(60), STATIN_CONCEPT, 0, ORAL_NTX))  # a statin, whatever the source says
    assert pod_summary(measure_pod_input(write_cdm(tmp_path / "omop", tables), "omop")) == POD


def test_a_diagnosis_concept_decides_before_the_source_value(tmp_path: Path) -> None:
    tables = cdm(coded=True)
    # Member 1's OUD diagnosis by its SNOMED concept, its source value an ICD-10-CM AUD code: OUD.
    tables["condition_occurrence"] = [(*row[:4], "F10.20" if row[1] == OUD_SNOMED else row[4], row[5])
                                      for row in tables["condition_occurrence"]]
    assert iet_summary(measure_iet_input(write_cdm(tmp_path / "omop", tables))) == IET


@pytest.mark.parametrize(("table", "column"), [("drug_exposure", "drug_concept_id"),
                                               ("condition_occurrence", "condition_source_concept_id")])
def test_a_concept_id_column_is_required_with_a_concept_table(tmp_path: Path, table: str, column: str) -> None:
    folder = write_cdm(tmp_path / "omop", cdm(coded=True))
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * EXCLUDE ({column}) FROM read_parquet('{folder / (table + '.parquet')}')) "
                    f"TO '{folder / (table + '.parquet')}' (FORMAT PARQUET)")
    with pytest.raises(InvalidInput, match="required column") as caught:
        measure_iet_input(folder)
    assert caught.value.field == f"{table}.{column}"
