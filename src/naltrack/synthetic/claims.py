"""Synthetic dispensing claims of any size, for trying and measuring the population measures.

Each member gets ``rows_per_member`` dispensings of one medication (naltrexone injection, oral naltrexone,
buprenorphine film or methadone, drawn per member), starting on a day of the year after ``first_day``,
refilled at the medication's interval with 0 to 8 days of lateness, so that some members keep 180 days
of treatment and some break it; one dispensing in 50 is an ignored code (naltrexone–bupropion). Every
value is a hash of the row number and ``seed``: the same arguments give the same file, and the data are
written by DuckDB straight to disk (20 million rows in seconds, in constant memory). Written as the
claims CSV (``patient_id,date,rxnorm,days_supply``) or as Parquet partitioned by year and state
(``year=2025/state=NY/...``), the two inputs ``naltrack measure pod|retention`` read.

As OMOP CDM tables (``omop``, :func:`write_claims` with ``output_format="omop"``, the input of ``measure
iet`` as well): the same dispensings as ``drug_exposure`` (partitioned by year), ``person`` and
``observation_period``, and for each member ``VISITS_PER_MEMBER`` claims-style visits (``visit_occurrence``)
each carrying the member's diagnosis (``condition_occurrence`` linked by ``visit_occurrence_id``): OUD
(ICD-10-CM F11.20) for buprenorphine and methadone, OUD or AUD (F10.20) for naltrexone, the first visit 0 to
20 days before the first dispensing and the others spread over the next 60 days.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import duckdb

from naltrack.domain.errors import InvalidInput

ClaimsFormat = Literal["claims-csv", "claims-parquet", "omop"]
CLAIMS_FORMATS: tuple[ClaimsFormat, ...] = ("claims-csv", "claims-parquet", "omop")
#: Visits a member of the OMOP output has, each with the member's diagnosis.
VISITS_PER_MEMBER = 3
#: Largest population written (rows stay below 2**31 at 20 a member).
MAX_MEMBERS = 100_000_000
MAX_ROWS_PER_MEMBER = 100
#: (RxNorm code, days supply as written, refill interval in days): XR-NTX (supply set by the rule), oral
#: naltrexone 30 days, buprenorphine film 14, methadone 28.
MEDICATIONS = (("637213", "", 30), ("1483744", "30", 30), ("1010604", "14", 14), ("864706", "28", 28))
IGNORED_CODE = "1551468"
STATES = ("CA", "FL", "NY", "OH", "TX")


def write_claims(path: Path | str, members: int, *, rows_per_member: int = 20, seed: int = 0,
                 first_day: date = date(2024, 7, 1), output_format: ClaimsFormat = "claims-csv") -> int:
    """Write ``members * rows_per_member`` synthetic dispensing rows to ``path`` (a file, or for ``claims-parquet``
    and ``omop`` a folder); the number of dispensing rows.

    Raises
    ------
    InvalidInput
        Naming the argument and its limit: members from 1 to 100,000,000, rows per member from 1 to 100,
        a seed from 0 to 2**31 - 1, a format other than claims-csv or claims-parquet.

    Examples
    --------
    >>> import tempfile, csv
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     n = write_claims(Path(tmp) / "c.csv", 3, rows_per_member=2, seed=1)
    ...     rows = list(csv.DictReader(open(Path(tmp) / "c.csv")))
    >>> n, len(rows), rows[0]["patient_id"], sorted(rows[0])
    (6, 6, 'M000000000', ['date', 'days_supply', 'patient_id', 'rxnorm'])
    """
    if not 1 <= members <= MAX_MEMBERS:
        raise InvalidInput("members", members, f"must be between 1 and {MAX_MEMBERS:,}")
    if not 1 <= rows_per_member <= MAX_ROWS_PER_MEMBER:
        raise InvalidInput("rows_per_member", rows_per_member, f"must be between 1 and {MAX_ROWS_PER_MEMBER}")
    if not 0 <= seed < 2**31:
        raise InvalidInput("seed", seed, "must be between 0 and 2147483647")
    if output_format not in CLAIMS_FORMATS:
        raise InvalidInput("format", output_format, f"must be one of {', '.join(CLAIMS_FORMATS)}")
    pick = " ".join(f"WHEN {k} THEN '{code}'" for k, (code, _, _) in enumerate(MEDICATIONS))
    supply = " ".join(f"WHEN {k} THEN '{days}'" for k, (_, days, _) in enumerate(MEDICATIONS))
    spacing = " ".join(f"WHEN {k} THEN {interval}" for k, (_, _, interval) in enumerate(MEDICATIONS))
    states = ", ".join(f"'{state}'" for state in STATES)
    rows = members * rows_per_member
    query = f"""
        SELECT 'M' || lpad(CAST(m AS VARCHAR), 9, '0') AS patient_id,
               DATE '{first_day.isoformat()}' + CAST(hash(m * 7 + {seed}) % 365 AS INTEGER)
                   + CAST(k * (CASE kind {spacing} END) + hash(i * 13 + {seed}) % 9 AS INTEGER) AS day,
               CASE WHEN hash(i * 31 + {seed}) % 50 = 0 THEN '{IGNORED_CODE}' ELSE CASE kind {pick} END END AS rxnorm,
               CASE WHEN hash(i * 31 + {seed}) % 50 = 0 THEN '30' ELSE CASE kind {supply} END END AS days_supply,
               list_extract([{states}], CAST(hash(m * 11 + {seed}) % {len(STATES)} AS INTEGER) + 1) AS state
        FROM (SELECT i, i // {rows_per_member} AS m, i % {rows_per_member} AS k,
                     hash(i // {rows_per_member} * 7919 + {seed}) % {len(MEDICATIONS)} AS kind
              FROM range({rows}) AS t(i))
    """
    target = str(path).replace("'", "''")
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        if output_format == "claims-csv":
            con.execute(f"""COPY (SELECT patient_id, strftime(day, '%Y-%m-%d') AS date, rxnorm, days_supply
                                  FROM ({query}) ORDER BY patient_id, date) TO '{target}' (HEADER, DELIMITER ',')""")
        elif output_format == "omop":
            _write_omop(con, Path(path), query, seed)
        else:
            con.execute(f"""COPY (SELECT patient_id, day AS date, rxnorm, CAST(nullif(days_supply, '') AS INTEGER)
                                         AS days_supply, year(day) AS year, state FROM ({query}))
                            TO '{target}' (FORMAT PARQUET, PARTITION_BY (year, state), OVERWRITE_OR_IGNORE)""")
    return rows


def _write_omop(con: duckdb.DuckDBPyConnection, folder: Path, claims: str, seed: int) -> None:
    """The claims of ``claims`` (the generating query) as OMOP tables in ``folder`` (see the module text)."""
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(f"""CREATE TEMP TABLE d AS SELECT CAST(substr(patient_id, 2) AS BIGINT) AS person_id, day, rxnorm,
                           CAST(nullif(days_supply, '') AS INTEGER) AS days_supply FROM ({claims})""")
    con.execute(f"""CREATE TEMP TABLE m AS
        SELECT person_id, min(day) AS first_day, max(day) AS last_day,
               CASE WHEN arg_min(rxnorm, day) IN ('637213', '1483744') AND hash(person_id * 17 + {seed}) % 2 = 0
                    THEN 'F10.20' ELSE 'F11.20' END AS code
        FROM d GROUP BY person_id""")
    con.execute(f"""CREATE TEMP TABLE v AS
        SELECT person_id * {VISITS_PER_MEMBER} + k AS visit_occurrence_id, person_id, code,
               first_day - CAST(hash(person_id * 23 + {seed}) % 21 AS INTEGER)
                   + CAST(CASE WHEN k = 0 THEN 0 ELSE hash(person_id * 29 + k + {seed}) % 60 END AS INTEGER) AS day
        FROM m, range({VISITS_PER_MEMBER}) AS t(k)""")
    tables = {
        "person": "SELECT person_id, 0 AS gender_concept_id, 1970 + CAST(person_id % 40 AS INTEGER) AS year_of_birth, "
                  "0 AS race_concept_id, 0 AS ethnicity_concept_id FROM m",
        "observation_period": "SELECT person_id AS observation_period_id, person_id, least(first_day, first_day - 20) "
                              "AS observation_period_start_date, last_day AS observation_period_end_date, "
                              "0 AS period_type_concept_id FROM m",
        "visit_occurrence": "SELECT visit_occurrence_id, person_id, 0 AS visit_concept_id, day AS visit_start_date, "
                            "day AS visit_end_date, 0 AS visit_type_concept_id FROM v",
        "condition_occurrence": "SELECT visit_occurrence_id AS condition_occurrence_id, person_id, "
                                "0 AS condition_concept_id, day AS condition_start_date, "
                                "0 AS condition_type_concept_id, code AS condition_source_value, visit_occurrence_id "
                                "FROM v",
    }
    for name, select in tables.items():
        con.execute(f"COPY ({select}) TO '{_quoted(folder / (name + '.parquet'))}' (FORMAT PARQUET)")
    con.execute(f"""COPY (SELECT row_number() OVER () AS drug_exposure_id, person_id, 0 AS drug_concept_id,
                                 day AS drug_exposure_start_date, 0 AS drug_type_concept_id, days_supply,
                                 rxnorm AS drug_source_value, year(day) AS year FROM d)
                    TO '{_quoted(folder / "drug_exposure")}'
                    (FORMAT PARQUET, PARTITION_BY (year), OVERWRITE_OR_IGNORE)""")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
