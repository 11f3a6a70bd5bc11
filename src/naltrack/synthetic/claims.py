"""Synthetic dispensing claims of any size, for trying and measuring the population measures.

Each member gets ``rows_per_member`` dispensings of one medication (naltrexone injection, oral naltrexone,
buprenorphine film or methadone, drawn per member), starting on a day of the year after ``first_day``,
refilled at the medication's interval with 0 to 8 days of lateness, so that some members keep 180 days
of treatment and some break it; one dispensing in 50 is an ignored code (naltrexone–bupropion). Every
value is a hash of the row number and ``seed``: the same arguments give the same file, and the data are
written by DuckDB straight to disk (20 million rows in seconds, in constant memory). Written as the
claims CSV (``patient_id,date,rxnorm,days_supply``) or as Parquet partitioned by year and state
(``year=2025/state=NY/...``), the two inputs ``naltrack measure pod|retention`` read.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import duckdb

from naltrack.domain.errors import InvalidInput

ClaimsFormat = Literal["claims-csv", "claims-parquet"]
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
    """Write ``members * rows_per_member`` synthetic dispensing rows to ``path``; the number of rows.

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
    if output_format not in ("claims-csv", "claims-parquet"):
        raise InvalidInput("format", output_format, "must be claims-csv or claims-parquet")
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
        else:
            con.execute(f"""COPY (SELECT patient_id, day AS date, rxnorm, CAST(nullif(days_supply, '') AS INTEGER)
                                         AS days_supply, year(day) AS year, state FROM ({query}))
                            TO '{target}' (FORMAT PARQUET, PARTITION_BY (year, state), OVERWRITE_OR_IGNORE)""")
    return rows
