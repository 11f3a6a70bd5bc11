"""Parquet inputs of the population measures (OMOP CDM v5.4 tables, partitioned claims), and the program's
records written as OMOP tables.

Two more sources of the ``raw`` table of :mod:`naltrack.analytics.pod`; every step after the load
(the supply chain, the gap rule, the episodes, the totals) is the one POD SQL, so the same
dispensing gives the same numbers whether it comes as the claims CSV, as Parquet claims or as OMOP.

OMOP (:func:`load_omop`): a folder holding ``person``, ``drug_exposure`` and
``observation_period`` (``condition_occurrence`` is optional and not read by POD), and optionally the
vocabulary's ``concept``, each as ``<table>.parquet`` or a folder ``<table>/`` of (possibly hive-partitioned)
Parquet files, scanned lazily by the engine (DuckDB or Spark, :mod:`naltrack.analytics.engines`). A
``drug_exposure`` row's code is the ``concept_code`` (the RxCUI) of its ``drug_concept_id`` when ``concept``
is present and gives that concept the vocabulary ``RxNorm`` or ``RxNorm Extension``; otherwise (no
``concept`` table, as ``export omop`` writes; concept 0; a concept of another vocabulary) its
``drug_source_value``. A row whose code is one of the catalog's medications (:func:`pod_code_rules`) becomes
a dispensing row: ``person_id`` is the patient, ``drug_exposure_start_date`` the day, the code the RxNorm
code, ``days_supply`` the days supply, each checked by POD's rules. Every other row is skipped, not refused:
an OMOP ``drug_exposure`` holds every drug of every member (statins, insulin), and a code the catalog does
not know (an NDC in the source value, an RxNorm ingredient or pack the catalog does not list) is not one of
the measure's medications. The skipped rows are not read further, so they are not checked.
Episodes are built by POD's own gap rule, not from OMOP's ``drug_era`` (which bridges gaps of up to
30 days; POD breaks at 8).

Claims Parquet (:func:`load_claims_parquet`): the columns of the claims CSV
(``patient_id,date,rxnorm,days_supply``) as one Parquet file or a folder partitioned by any keys
(``year=2026/state=NY/...``); partition columns are ignored. A claims file is a dispensing file of the
measure, so an unknown code there is refused, as in the CSV. Both are read through
:func:`naltrack.analytics.population.measure_pod_input` and ``measure_retention_input``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from naltrack.analytics.courses import PatientCourse
from naltrack.analytics.dispensing import DispensingRow
from naltrack.analytics.engines import Engine, EngineError
from naltrack.analytics.pod import (
    VALID_ROW,
    all_valid,
    claims_source,
    codes_sql,
    load_raw,
)
from naltrack.analytics.pod_rules import COLUMNS, check_row, pod_code_rules
from naltrack.domain.errors import InvalidInput

__all__ = ["CONCEPT_COLUMNS", "DRUG_VOCABULARIES", "GENDER_CONCEPT", "OMOP_COLUMNS", "OMOP_CONCEPT_COLUMNS",
           "OMOP_FIELD", "OMOP_TABLES", "Condition", "has_table", "load_claims_parquet", "load_omop", "omop_tables",
           "open_concepts", "open_parquet", "parquet_path", "vocabulary_list", "write_omop_tables"]

#: The OMOP CDM v5.4 tables and columns read, by table (``condition_occurrence`` is optional).
OMOP_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("person_id",),
    "drug_exposure": ("person_id", "drug_exposure_start_date", "drug_source_value", "days_supply"),
    "observation_period": ("person_id", "observation_period_start_date", "observation_period_end_date"),
}
#: The OMOP ``drug_exposure`` column behind each dispensing column.
OMOP_FIELD = dict(zip(COLUMNS, OMOP_COLUMNS["drug_exposure"], strict=True))
#: The columns of the optional vocabulary table ``concept`` read (OMOP CDM v5.4).
CONCEPT_COLUMNS = ("concept_id", "vocabulary_id", "concept_code")
#: The vocabularies whose ``concept_code`` is an RxNorm code (RxCUI) of a drug (OMOP ``vocabulary_id``).
DRUG_VOCABULARIES = ("RxNorm", "RxNorm Extension")
#: The concept id columns read when ``concept`` is present, by (table, column): the vocabularies read there.
OMOP_CONCEPT_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {("drug_exposure", "drug_concept_id"): DRUG_VOCABULARIES}
#: The columns of ``omop_drugs``, the drug exposures of the measure's medications, behind each dispensing column.
_DRUG_ROWS = {"patient_id": "person_id", "date": "drug_exposure_start_date", "rxnorm": "code",
              "days_supply": "days_supply"}


def parquet_path(folder: Path, table: str) -> Path:
    """The Parquet of ``table`` under ``folder``: ``<table>.parquet``, or the folder ``<table>/`` of Parquet files
    (hive-partitioned or not).

    Raises
    ------
    InvalidInput
        When neither exists.

    Examples
    --------
    >>> parquet_path(Path("/nowhere"), "person")
    Traceback (most recent call last):
    ...
    naltrack.errors.InvalidInput: person: '/nowhere' has no person.parquet nor a person/ folder of Parquet files
    """
    single = folder / f"{table}.parquet"
    if single.is_file():
        return single
    part = folder / table
    if part.is_dir() and any(part.rglob("*.parquet")):
        return part
    raise InvalidInput(table, str(folder), f"has no {table}.parquet nor a {table}/ folder of Parquet files")


def open_parquet(db: Engine, table: str, path: Path, needed: tuple[str, ...]) -> None:
    """Name the Parquet at ``path`` ``table`` on the engine and check it has the ``needed`` columns."""
    try:
        db.parquet(table, path)
        present = db.columns(table)
    except EngineError as error:
        raise InvalidInput(table, str(path), f"is not readable Parquet ({error})") from error
    for column in needed:
        if column not in present:
            raise InvalidInput(f"{table}.{column}", "", "is a required column and is missing")


def load_omop(db: Engine, folder: Path) -> None:
    """Load ``raw`` from the OMOP folder on ``db``: the ``drug_exposure`` rows of the measure's medications as
    dispensings, every other row skipped (see the module text). ``omop_drugs`` is kept for the measures that
    read the doses again (``person_id``, ``drug_exposure_start_date``, ``code``, ``days_supply``).

    Raises
    ------
    InvalidInput
        Naming the table and field (``drug_exposure.days_supply``) and the value, for a row of one of the
        measure's medications: a missing table or column, an unreadable value, a days supply out of 1..365,
        a ``drug_exposure.person_id`` absent from ``person``.
    """
    for table, needed in OMOP_COLUMNS.items():
        open_parquet(db, table, parquet_path(folder, table), needed)
    vocabulary = open_concepts(db, folder, OMOP_CONCEPT_COLUMNS)
    try:
        db.keep("omop_drugs", _drug_rows_sql(vocabulary))
    except EngineError as error:
        raise InvalidInput("drug_exposure, concept", str(folder), f"have a value that cannot be read ({error})") \
            from error
    missing = _first(db, """SELECT CAST(d.person_id AS STRING) FROM omop_drugs AS d
                            WHERE NOT EXISTS (SELECT 1 FROM person AS p WHERE p.person_id = d.person_id)""",
                     "drug_exposure")
    if missing is not None:
        raise InvalidInput("drug_exposure.person_id", str(missing[0]), "is not in person")
    _load_checked(db, "drug_exposure", _DRUG_ROWS, relation="omop_drugs", shown=OMOP_FIELD)


def has_table(folder: Path, table: str) -> bool:
    """Whether ``folder`` holds ``table`` (:func:`parquet_path`)."""
    try:
        parquet_path(folder, table)
    except InvalidInput:
        return False
    return True


def open_concepts(db: Engine, folder: Path, columns: dict[tuple[str, str], tuple[str, ...]]) -> bool:
    """Open the folder's ``concept`` table when it has one, and check the tables opened have the concept id
    ``columns`` (:data:`OMOP_CONCEPT_COLUMNS`) that are then read; whether it had one.

    Raises
    ------
    InvalidInput
        ``concept`` not readable or without a column of :data:`CONCEPT_COLUMNS`, a concept id column missing
        (named ``table.column``).
    """
    if not has_table(folder, "concept"):
        return False
    open_parquet(db, "concept", parquet_path(folder, "concept"), CONCEPT_COLUMNS)
    for table, column in columns:
        if column not in db.columns(table):
            raise InvalidInput(f"{table}.{column}", "", "is a required column with a concept table and is missing")
    return True


def vocabulary_list(vocabularies: Iterable[str]) -> str:
    """SQL: the ``vocabulary_id`` values as an ``IN`` list.

    >>> vocabulary_list(DRUG_VOCABULARIES)
    "('RxNorm', 'RxNorm Extension')"
    """
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in vocabularies) + ")"


def _drug_rows_sql(vocabulary: bool) -> str:
    """SQL: the ``drug_exposure`` rows whose code (the RxNorm concept's code, else the source value) is one of
    the catalog's codes, with that code (trimmed) as ``code``."""
    source = "CAST(d.drug_source_value AS STRING)"
    concepts = ""
    if vocabulary:
        concepts = f"""LEFT JOIN (SELECT concept_id, CAST(concept_code AS STRING) AS concept_code FROM concept
                                  WHERE vocabulary_id IN {vocabulary_list(DRUG_VOCABULARIES)}) AS v
                       ON v.concept_id = d.drug_concept_id"""
        source = f"coalesce(v.concept_code, {source})"
    return f"""SELECT d.person_id, d.drug_exposure_start_date, k.code, d.days_supply
               FROM drug_exposure AS d {concepts}
               JOIN ({codes_sql(pod_code_rules())}) AS k ON k.code = trim({source})"""


def load_claims_parquet(db: Engine, path: Path) -> None:
    """Load ``raw`` from Parquet claims (a file or a partitioned folder) on ``db``.

    Raises
    ------
    InvalidInput
        Naming ``claims.<column>`` and the value, as :func:`load_omop`.
    """
    if not (path.is_file() or (path.is_dir() and any(path.rglob("*.parquet")))):
        raise InvalidInput("claims", str(path), "is neither a Parquet file nor a folder of Parquet files")
    open_parquet(db, "claims", path, COLUMNS)
    _load_checked(db, "claims", {c: c for c in COLUMNS})


def _first(db: Engine, sql: str, table: str) -> tuple[object, ...] | None:
    try:
        rows = db.rows(sql + " LIMIT 1")
    except EngineError as error:
        raise InvalidInput(table, "", f"has a value that cannot be read ({error})") from error
    return rows[0] if rows else None


def _load_checked(db: Engine, table: str, names: dict[str, str], *, relation: str | None = None,
                  shown: dict[str, str] | None = None) -> None:
    """Load ``raw`` from ``relation`` (default ``table``; its columns ``names``) by the POD loader; on a row the
    rules reject, name its table, field (``shown``, default ``names``) and value."""
    relation = relation or table
    shown = shown or names
    rules = pod_code_rules()
    source = claims_source(db, relation, names)
    try:
        load_raw(db, source, rules)
        valid = all_valid(db)
    except EngineError as error:  # a value the typed cast could not convert
        bad = _unconvertible(db, relation, names, table, shown)
        raise bad or InvalidInput(table, "", f"has a value that cannot be read ({error})") from error
    if valid:
        return
    # Only the invalid rows are brought back (one is enough): the loader's own predicate, negated.
    row = db.rows(f"""SELECT r.patient_id, r.day, r.rxnorm, CAST(r.days_supply AS STRING)
                      FROM {source} AS r LEFT JOIN codes AS c ON c.code = trim(r.rxnorm)
                      WHERE NOT coalesce({VALID_ROW}, false) LIMIT 1""")[0]
    patient, day, code, supply = row
    on = "" if day is None else (date(1970, 1, 1) + timedelta(days=int(day))).isoformat()
    text = dict(zip(COLUMNS, (patient or "", on, code or "", supply or ""), strict=True))
    problem = check_row(text, rules) or ("patient_id", text["patient_id"], "is not valid")
    raise InvalidInput(f"{table}.{shown[problem[0]]}", problem[1], problem[2])


def _unconvertible(db: Engine, relation: str, names: dict[str, str], table: str,
                   shown: dict[str, str]) -> InvalidInput | None:
    """The first value of ``relation`` that the typed cast cannot convert, by column (named as ``table``'s)."""
    for column, kind in (("date", "DATE"), ("days_supply", "INT")):
        field = names[column]
        try:
            rows = db.rows(f"""SELECT CAST({field} AS STRING) FROM {relation}
                               WHERE {field} IS NOT NULL AND try_cast({field} AS {kind}) IS NULL LIMIT 1""")
        except EngineError:
            continue
        if rows:
            rule = "is not a date" if kind == "DATE" else "is not a whole number"
            return InvalidInput(f"{table}.{shown[column]}", str(rows[0][0]), rule)
    return None


# --- The program's records as OMOP CDM v5.4 tables --------------------------------------------------------------

#: OMOP standard gender concepts (OMOP vocabulary "Gender": 8507 MALE, 8532 FEMALE; 0 "No matching concept").
GENDER_CONCEPT: dict[str, int] = {"male": 8507, "female": 8532}
#: The columns written, by table, with their DuckDB types (OMOP CDM v5.4 names; required fields of the tables).
OMOP_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "person": (("person_id", "BIGINT"), ("gender_concept_id", "INTEGER"), ("year_of_birth", "INTEGER"),
               ("race_concept_id", "INTEGER"), ("ethnicity_concept_id", "INTEGER"),
               ("gender_source_value", "VARCHAR")),
    "drug_exposure": (("drug_exposure_id", "BIGINT"), ("person_id", "BIGINT"), ("drug_concept_id", "INTEGER"),
                      ("drug_exposure_start_date", "DATE"), ("drug_exposure_end_date", "DATE"),
                      ("drug_type_concept_id", "INTEGER"), ("days_supply", "INTEGER"),
                      ("drug_source_value", "VARCHAR")),
    "condition_occurrence": (("condition_occurrence_id", "BIGINT"), ("person_id", "BIGINT"),
                             ("condition_concept_id", "INTEGER"), ("condition_start_date", "DATE"),
                             ("condition_type_concept_id", "INTEGER"), ("condition_source_value", "VARCHAR"),
                             ("visit_occurrence_id", "BIGINT")),
    "visit_occurrence": (("visit_occurrence_id", "BIGINT"), ("person_id", "BIGINT"), ("visit_concept_id", "INTEGER"),
                         ("visit_start_date", "DATE"), ("visit_end_date", "DATE"), ("visit_type_concept_id", "INTEGER"),
                         ("visit_source_value", "VARCHAR")),
    "episode": (("episode_id", "BIGINT"), ("person_id", "BIGINT"), ("episode_concept_id", "INTEGER"),
                ("episode_start_date", "DATE"), ("episode_end_date", "DATE"), ("episode_number", "INTEGER"),
                ("episode_object_concept_id", "INTEGER"), ("episode_type_concept_id", "INTEGER"),
                ("episode_source_value", "VARCHAR")),
    "observation_period": (("observation_period_id", "BIGINT"), ("person_id", "BIGINT"),
                           ("observation_period_start_date", "DATE"), ("observation_period_end_date", "DATE"),
                           ("period_type_concept_id", "INTEGER")),
}


@dataclass(frozen=True)
class Condition:
    """An OUD or AUD diagnosis to write: the patient, the code as recorded (ICD-10-CM or SNOMED CT), its day."""

    patient_id: str
    code: str
    on: date


def omop_tables(rows: Iterable[DispensingRow], courses: Iterable[PatientCourse], conditions: Iterable[Condition],
                person_ids: dict[str, int]) -> dict[str, list[tuple[object, ...]]]:
    """The OMOP rows of the patients in ``person_ids`` (patient id to OMOP ``person_id``): one ``drug_exposure`` a
    dispensing row (:func:`naltrack.analytics.dispensing.dispensing_rows`, the rows POD reads: the RxNorm code in
    ``drug_source_value``, the days supply, the end day start + supply - 1), one ``condition_occurrence`` a
    diagnosis, one ``visit_occurrence`` a day with a treatment contact (``visit_source_value`` "treatment
    contact"), one ``episode`` the first episode of care (its indication in ``episode_source_value``; open while
    the patient is in care), one ``person`` and one ``observation_period`` (first to last day recorded) a
    patient. Concept ids other than gender are 0 (no vocabulary is shipped): the source values carry the codes.

    Examples
    --------
    >>> from naltrack.analytics.courses import Dose
    >>> course = PatientCourse(patient_id="p", clinic_id="c", sex_at_birth="female", birth_date=date(1990, 5, 1),
    ...     indication="OUD", assessed_on=date(2026, 1, 5), doses=(Dose(date(2026, 1, 8), "xr-ntx", "637213"),),
    ...     treatment_contacts=(date(2026, 1, 8),))
    >>> rows = [DispensingRow("p", date(2026, 1, 8), "637213", 31)]
    >>> t = omop_tables(rows, [course], [Condition("p", "F11.20", date(2026, 1, 2))], {"p": 1})
    >>> t["person"], t["drug_exposure"][0][4:]
    ([(1, 8532, 1990, 0, 0, 'female')], (datetime.date(2026, 2, 7), 0, 31, '637213'))
    >>> t["episode"][0][3:5], t["episode"][0][-1], t["visit_occurrence"][0][3]
    ((datetime.date(2026, 1, 5), None), 'OUD', datetime.date(2026, 1, 8))
    >>> t["observation_period"][0][2:4]
    (datetime.date(2026, 1, 2), datetime.date(2026, 2, 7))
    """
    tables: dict[str, list[tuple[object, ...]]] = {name: [] for name in OMOP_TABLES}
    first: dict[str, date] = {}
    last: dict[str, date] = {}

    def seen(patient_id: str, start: date, end: date) -> None:
        first[patient_id] = min(first.get(patient_id, start), start)
        last[patient_id] = max(last.get(patient_id, end), end)

    for row in rows:
        if row.patient_id not in person_ids:
            continue
        end = row.date + timedelta(days=(row.days_supply or 1) - 1)
        tables["drug_exposure"].append((len(tables["drug_exposure"]) + 1, person_ids[row.patient_id], 0, row.date,
                                        end, 0, row.days_supply, row.rxnorm))
        seen(row.patient_id, row.date, end)
    for condition in conditions:
        if condition.patient_id not in person_ids:
            continue
        tables["condition_occurrence"].append((len(tables["condition_occurrence"]) + 1,
                                               person_ids[condition.patient_id], 0, condition.on, 0, condition.code,
                                               None))
        seen(condition.patient_id, condition.on, condition.on)
    for course in sorted(courses, key=lambda c: person_ids.get(c.patient_id, 0)):
        if course.patient_id not in person_ids:
            continue
        person = person_ids[course.patient_id]
        for day in course.treatment_contacts:
            tables["visit_occurrence"].append((len(tables["visit_occurrence"]) + 1, person, 0, day, day, 0,
                                               "treatment contact"))
            seen(course.patient_id, day, day)
        if course.assessed_on is not None and course.indication is not None:
            tables["episode"].append((len(tables["episode"]) + 1, person, 0, course.assessed_on, course.discharged_on,
                                      1, 0, 0, course.indication))
            seen(course.patient_id, course.assessed_on, course.discharged_on or course.assessed_on)
        tables["person"].append((person, GENDER_CONCEPT.get(course.sex_at_birth, 0), course.birth_date.year, 0, 0,
                                 course.sex_at_birth))
        if course.patient_id in first:
            tables["observation_period"].append((person, person, first[course.patient_id], last[course.patient_id],
                                                 0))
    return tables


def write_omop_tables(tables: dict[str, list[tuple[object, ...]]], folder: Path) -> dict[str, int]:
    """Write each table as ``<table>.parquet`` in ``folder`` (DuckDB ``COPY ... (FORMAT PARQUET)``); rows by table."""
    counts: dict[str, int] = {}
    with duckdb.connect() as con:
        for name, columns in OMOP_TABLES.items():
            con.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)})")
            rows = tables.get(name, [])
            if rows:
                con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})", rows)
            target = str(folder / f"{name}.parquet").replace("'", "''")
            con.execute(f"COPY {name} TO '{target}' (FORMAT PARQUET)")
            counts[name] = len(rows)
    return counts
