"""HEDIS IET over generated OMOP tables: 1,000,000 members on DuckDB and on Spark local mode, and 100,000
members against the program's own measure in Python.

The tables are written by :func:`naltrack.synthetic.claims.write_claims` (``output_format="omop"``, what
``naltrack measure synthetic-claims --format omop`` writes): 20 dispensings, 3 visits and 3 diagnoses a
member. Each run is a child process (peak RSS from ``wait4``):

* naltrack on DuckDB: :func:`naltrack.analytics.population.measure_iet_input` (two threads);
* naltrack on Spark, local mode on the same two cores, timed after the session has started;
* baseline at 100,000 members: the members' courses built in Python from the same tables and measured by
  :func:`naltrack.analytics.iet.measure_iet` (what the program runs over its own records); its cohorts must
  equal the SQL's.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks import Figure, run_child

ROWS_PER_MEMBER = 20
CORES = 2


def generate(path: str, members: int) -> dict[str, float]:
    from naltrack.synthetic.claims import write_claims

    start = time.perf_counter()
    write_claims(path, members, rows_per_member=ROWS_PER_MEMBER, output_format="omop")
    return {"seconds": time.perf_counter() - start}


def _cohorts(result: object) -> list[list[int]]:
    return [[c.denominator, c.initiation, c.engagement] for c in result.cohorts]  # type: ignore[attr-defined]


def duckdb_iet(path: str) -> dict[str, object]:
    from naltrack.analytics.engines import EngineChoice
    from naltrack.analytics.population import measure_iet_input

    start = time.perf_counter()
    result = measure_iet_input(path, choice=EngineChoice("duckdb", threads=CORES))
    return {"seconds": time.perf_counter() - start, "cohorts": _cohorts(result)}


def spark_iet(path: str, memory: str = "6g") -> dict[str, object]:
    from naltrack.analytics.engines import EngineChoice, open_engine
    from naltrack.analytics.population import measure_iet_input

    choice = EngineChoice("spark", threads=CORES, memory_limit=memory)
    start = time.perf_counter()
    with open_engine(choice) as db:
        db.rows("SELECT 1")
    session_s = time.perf_counter() - start
    start = time.perf_counter()
    result = measure_iet_input(path, choice=choice)
    return {"seconds": time.perf_counter() - start, "session_s": session_s, "cohorts": _cohorts(result)}


def python_iet(path: str) -> dict[str, object]:
    """The members' courses built from the tables in Python, measured by the program's ``measure_iet``."""
    import duckdb

    from naltrack.analytics.courses import Dose, PatientCourse
    from naltrack.analytics.iet import measure_iet
    from naltrack.domain.catalog import FORM_OF_CLASS, all_medications, is_naltrexone_therapy
    from naltrack.domain.terminology import ICD10CM, classify_condition

    start = time.perf_counter()
    forms = {m.code: FORM_OF_CLASS[m.medication_class] for m in all_medications() if is_naltrexone_therapy(m)}
    folder = Path(path)
    with duckdb.connect() as con:
        conditions = con.execute(f"""SELECT person_id, list(condition_source_value), list(condition_start_date)
                                     FROM '{folder / 'condition_occurrence.parquet'}' GROUP BY person_id""").fetchall()
        visits = dict(con.execute(f"""SELECT person_id, list(visit_start_date)
                                      FROM '{folder / 'visit_occurrence.parquet'}' GROUP BY person_id""").fetchall())
        drugs = {pid: (codes, days, supplies) for pid, codes, days, supplies in con.execute(
            f"""SELECT person_id, list(drug_source_value), list(drug_exposure_start_date), list(days_supply)
                FROM read_parquet('{folder / 'drug_exposure' / '**' / '*.parquet'}', hive_partitioning = true)
                GROUP BY person_id""").fetchall()}
    courses = []
    for pid, codes, days in conditions:
        kinds = {classify_condition(ICD10CM, code) for code in codes} - {None}
        indication = "OUD+AUD" if kinds == {"oud", "aud"} else ("OUD" if kinds == {"oud"} else "AUD")
        drug_codes, drug_days, supplies = drugs.get(pid, ([], [], []))
        doses = tuple(sorted((Dose(day, forms[code], code, supply)  # type: ignore[arg-type]
                              for code, day, supply in zip(drug_codes, drug_days, supplies, strict=True)
                              if code in forms), key=lambda d: (d.on, d.form)))
        contacts = tuple(sorted(set(visits.get(pid, [])) | {d.on for d in doses}))
        courses.append(PatientCourse(patient_id=str(pid), clinic_id="c", sex_at_birth="unknown",
                                     birth_date=date(1970, 1, 1), indication=indication, doses=doses,
                                     treatment_contacts=contacts, diagnosed_on=min(days)))
    built = time.perf_counter() - start
    result = measure_iet(courses, None, None)
    return {"seconds": time.perf_counter() - start, "build_s": built, "cohorts": _cohorts(result)}


def run(quick: bool = False) -> list[Figure]:
    members = 20_000 if quick else 1_000_000
    small = 5_000 if quick else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        big_path, small_path = str(Path(tmp) / "omop"), str(Path(tmp) / "omop-small")
        gen = run_child("iet", "generate", path=big_path, members=members)
        run_child("iet", "generate", path=small_path, members=small)
        print(f"   generated OMOP tables for {members:,} members ({members * ROWS_PER_MEMBER:,} drug exposures, "
              f"{members * 3:,} visits and diagnoses) in {gen.value['seconds']:.1f} s")
        duck = run_child("iet", "duckdb_iet", path=big_path)
        spark = run_child("iet", "spark_iet", path=big_path)
        duck_small = run_child("iet", "duckdb_iet", path=small_path)
        python = run_child("iet", "python_iet", path=small_path)
    print(f"   cohorts [denominator, initiation, engagement] alcohol/opioid/total: {duck.value['cohorts']}; "
          f"Spark the same: {spark.value['cohorts'] == duck.value['cohorts']}")
    same = python.value["cohorts"] == duck_small.value["cohorts"]
    print(f"   {small:,} members: the program's measure_iet gives the SQL's cohorts: {same} "
          f"(courses built in {python.value['build_s']:.1f} s)")
    print(f"   Spark session start (local[{CORES}]): {spark.value['session_s']:.1f} s, not in the Spark time")
    drug_rows = members * ROWS_PER_MEMBER
    return [
        Figure(f"IET time, {members:,} members (DuckDB)", duck.value["seconds"], "s", "Spark local mode",
               spark.value["seconds"], lower_is_better=True),
        Figure(f"IET peak RSS, {members:,} members (DuckDB)", duck.peak_rss_mb, "MB", "Spark driver",
               spark.peak_rss_mb, lower_is_better=True),
        Figure("IET throughput (DuckDB)", drug_rows / duck.value["seconds"] / CORES, "drug rows/s/core",
               "Spark local mode", drug_rows / spark.value["seconds"] / CORES),
        Figure(f"IET time, {small:,} members (DuckDB)", duck_small.value["seconds"], "s",
               "courses in Python + measure_iet", python.value["seconds"], lower_is_better=True),
    ]
