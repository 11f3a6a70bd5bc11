"""HEDIS "Pharmacotherapy for Opioid Use Disorder" (POD) on DuckDB.

Implements the measure as clinical.md §7.2 gives it (HEDIS MY2025 POD text):

* a treatment event (episode) starts with an OUD dispensing not preceded by 31 treatment-free
  days of coverage (negative medication history); its treatment period is start .. start + 179;
* coverage of a dispensing runs from its date for its days supply (end = start + supply - 1);
  an XR naltrexone injection counts 31 days, a buprenorphine injection 31, an implant 180;
  oral naltrexone uses the pharmacy days supply; oral buprenorphine 7 and methadone 1 when
  the supply is missing;
* overlapping supplies of the same medication are summed (a refill starts when the previous
  supply ends); different medications are tracked separately and their coverage combined;
* numerator: 180 days of treatment without a gap of 8 or more days (gaps up to 7 allowed).

Not applied, because a dispensing file does not carry them: age >= 16, the OUD diagnosis,
continuous enrollment, and the inpatient, hospice and death exclusions. Episodes starting
within 31 days of the first date in the file cannot show their negative history: they count.

The measure is a chain of relational steps (typed scan, join to a code table, window
functions for the supply chain and the islands, group-bys) written in SQL that Spark SQL
also runs, so the same steps can move to Spark when a payer's data outgrows one machine.

Two inputs, one measure: :func:`measure_pod` reads a dispensing CSV, :func:`measure_pod_rows` the
program's own doses (:func:`naltrack.analytics.dispensing.dispensing_rows`). Both load the same ``raw``
table and share every step after it, so POD from naltrack's records equals POD from the CSV
exported from them (:func:`naltrack.analytics.dispensing.write_dispensing_csv`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np

from naltrack.analytics.dispensing import DispensingRow, dispensing_rows, write_dispensing_csv
from naltrack.analytics.pod_rules import COLUMNS, MAX_DAYS_SUPPLY, CodeRule, check_row, pod_code_rules
from naltrack.domain.errors import InvalidInput

__all__ = [
    "COLUMNS", "CodeRule", "DispensingRow", "PodEpisode", "PodResult", "check_row", "dispensing_rows",
    "measure_pod", "measure_pod_rows", "pod_code_rules", "pod_reason", "write_dispensing_csv",
]

TREATMENT_DAYS = 180
ALLOWED_GAP_DAYS = 7
NEGATIVE_HISTORY_DAYS = 31
_EPOCH = date(1970, 1, 1)
#: The typed scan of a dispensing CSV, the source of the ``raw`` table for :func:`measure_pod`.
_CSV_SOURCE = """read_csv(?, header = true, dateformat = '%Y-%m-%d',
                 columns = {'patient_id': 'VARCHAR', 'date': 'DATE', 'rxnorm': 'VARCHAR', 'days_supply': 'INTEGER'})"""
#: The program's dispensing rows, registered as NumPy columns (:func:`_row_columns`), the source of the
#: ``raw`` table for :func:`measure_pod_rows`: DuckDB scans the arrays in bulk, where a list bound as a
#: query parameter is converted value by value (DuckDB reads NumPy columns without pandas from 1.2.1 on).
_ROWS_SOURCE = """(SELECT CAST(patient_id AS VARCHAR) AS patient_id, DATE '1970-01-01' + CAST(day AS INTEGER) AS date,
                  CAST(rxnorm AS VARCHAR) AS rxnorm,
                  CASE WHEN has_days_supply THEN CAST(days_supply AS INTEGER) END AS days_supply
                  FROM program_rows)"""


@dataclass(frozen=True)
class PodEpisode:
    """One treatment event and whether it reached 180 days without an 8-day gap."""

    patient_id: str
    start: date
    treatment_period_end: date
    continuous_days: int
    numerator: bool


@dataclass(frozen=True)
class PodResult:
    """Denominator (episodes starting in the intake period), numerator and rate."""

    start: date | None
    end: date | None
    denominator: int
    numerator: int
    episodes: tuple[PodEpisode, ...]

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def measure_pod(path: Path | str, *, start: date | None = None, end: date | None = None,
                include_episodes: bool = True, threads: int | None = None,
                memory_limit: str | None = None) -> PodResult:
    """POD over a dispensing CSV with columns ``patient_id,date,rxnorm,days_supply``.

    Parameters
    ----------
    path : Path
        The CSV; ``date`` is YYYY-MM-DD; ``days_supply`` may be empty where a rule sets it.
    start, end : date, optional
        Intake period: episodes starting on these dates or between them form the denominator.
    include_episodes : bool
        Return the episode list (``False`` returns totals only, for very large files).

    Raises
    ------
    InvalidInput
        Naming the row, the field and the value: a bad date, an unknown code, a days supply
        that is negative, zero, above 365 or missing where it is required; a missing column.
    """
    path = Path(path)
    _check_period(start, end)
    _check_header(path)
    rules = pod_code_rules()
    with _connection(threads, memory_limit) as con:
        try:
            _load(con, _CSV_SOURCE, [str(path)], rules)
        except duckdb.Error as error:  # a value the typed scan could not convert
            raise _first_bad_row(path, rules, str(error)) from error
        if not _all_valid(con):
            raise _first_bad_row(path, rules, "")
        return _measure(con, start, end, include_episodes)


def measure_pod_rows(rows: Iterable[DispensingRow], *, start: date | None = None, end: date | None = None,
                     include_episodes: bool = True) -> PodResult:
    """POD over dispensing rows (the program's own, :func:`dispensing_rows`) by the same DuckDB steps as
    :func:`measure_pod`: the rows are loaded into the same ``raw`` table, and all that follows is shared.

    Raises
    ------
    InvalidInput
        Naming the row (from 1), the field and the value, as :func:`measure_pod` does.
    """
    _check_period(start, end)
    rules = pod_code_rules()
    listed = list(rows)
    with _connection(None, None) as con:
        con.register("program_rows", _row_columns(listed))
        _load(con, _ROWS_SOURCE, [], rules)
        if not _all_valid(con):  # name the first row the rules reject, as for the CSV
            for number, row in enumerate(listed, start=1):
                problem = check_row(row.as_text(), rules)
                if problem is not None:
                    raise InvalidInput(f"row {number}, {problem[0]}", problem[1], problem[2])
        return _measure(con, start, end, include_episodes)


def pod_reason(episode: PodEpisode) -> str:
    """Why a POD episode is, or is not, in the numerator, in words.

    Examples
    --------
    >>> pod_reason(PodEpisode("p", date(2026, 1, 1), date(2026, 6, 29), 95, False))
    'treatment from 2026-01-01 continuous for 95 of 180 days (through 2026-04-05): not in the numerator'
    """
    last = episode.start + timedelta(days=episode.continuous_days - 1)
    verdict = (f"in the numerator (no gap of {ALLOWED_GAP_DAYS + 1} or more days)" if episode.numerator
               else "not in the numerator")
    return (f"treatment from {episode.start.isoformat()} continuous for {episode.continuous_days} of "
            f"{TREATMENT_DAYS} days (through {last.isoformat()}): {verdict}")


def _row_columns(rows: list[DispensingRow]) -> dict[str, np.ndarray]:
    """The rows as the columns of ``program_rows`` (:data:`_ROWS_SOURCE`): the days as days since 1970-01-01,
    and a days supply left out as 0 with ``has_days_supply`` false."""
    epoch = _EPOCH.toordinal()
    return {
        "patient_id": np.array([r.patient_id for r in rows], dtype=object),
        "day": np.array([r.date.toordinal() - epoch for r in rows], dtype=np.int64),
        "rxnorm": np.array([r.rxnorm for r in rows], dtype=object),
        "days_supply": np.array([r.days_supply or 0 for r in rows], dtype=np.int64),
        "has_days_supply": np.array([r.days_supply is not None for r in rows], dtype=bool),
    }


def _check_period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise InvalidInput("end", end.isoformat(), f"is before the start {start.isoformat()}")


@contextmanager
def _connection(threads: int | None, memory_limit: str | None) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute("SET memory_limit = ?", [memory_limit])
        con.execute("SET enable_progress_bar = false; SET preserve_insertion_order = false")
        yield con
    finally:
        con.close()


def _all_valid(con: duckdb.DuckDBPyConnection) -> bool:
    return not con.execute("SELECT count(*) FROM raw WHERE NOT valid").fetchone()[0]  # type: ignore[index]


def _measure(con: duckdb.DuckDBPyConnection, start: date | None, end: date | None,
             include_episodes: bool) -> PodResult:
    con.execute(_EPISODES_SQL)
    return _result(con, start, end, include_episodes)


def _check_header(path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        header = [h.strip() for h in next(csv.reader(handle), [])]
    if tuple(header) != COLUMNS:
        raise InvalidInput("header", ",".join(header), f"must be {','.join(COLUMNS)}")


def _load(con: duckdb.DuckDBPyConnection, source: str, params: list[object], rules: dict[str, CodeRule]) -> None:
    """The ``raw`` table from ``source`` (the typed CSV scan or the program's rows): patient ids, days,
    the code join; ``valid`` marks rows that pass every check.

    Dates and supplies are typed by the scan itself (a value that does not convert raises,
    and :func:`_first_bad_row` then names it). Patients get integer keys so that the
    windows below sort integers, not strings.
    """
    groups = sorted({r.group for r in rules.values() if r.group})
    values = ", ".join(
        f"('{r.code}', {groups.index(r.group) + 1 if r.group else 'NULL'}, {_sql(r.fixed_days)}, "
        f"{_sql(r.default_days)})" for r in rules.values()
    )
    con.execute("CREATE TEMP TABLE codes(code VARCHAR, grp TINYINT, fixed_days INTEGER, default_days INTEGER);"
                f"INSERT INTO codes VALUES {values}")
    con.execute(
        f"""
        CREATE TEMP TABLE raw AS
        SELECT r.patient_id, r.date AS day, c.grp, coalesce(c.fixed_days, r.days_supply, c.default_days) AS days,
               (coalesce(r.patient_id, '') <> '' AND r.date IS NOT NULL AND c.code IS NOT NULL
                AND (r.days_supply IS NULL OR r.days_supply BETWEEN 1 AND ?)
                AND (c.grp IS NULL OR coalesce(c.fixed_days, r.days_supply, c.default_days) IS NOT NULL)) AS valid
        FROM {source} AS r
        LEFT JOIN codes AS c ON c.code = trim(r.rxnorm)
        """,
        [MAX_DAYS_SUPPLY, *params],
    )


def _sql(value: object) -> str:
    return "NULL" if value is None else (f"'{value}'" if isinstance(value, str) else str(int(value)))  # type: ignore[call-overload]


# Day numbers are integers (days since 1970-01-01). Each step is a window or a group-by.
_EPISODES_SQL = f"""
CREATE TEMP TABLE episodes AS
WITH keys AS (           -- integer patient keys: the windows sort integers
    SELECT patient_id, CAST(row_number() OVER () AS INTEGER) AS pk FROM (SELECT DISTINCT patient_id FROM raw)
), disp AS (             -- rid (the row's position; monotonically_increasing_id() on Spark) breaks date ties
    SELECT k.pk, r.grp, CAST(r.day - DATE '1970-01-01' AS INTEGER) AS d, r.days, r.rowid AS rid
    FROM raw AS r JOIN keys AS k USING (patient_id) WHERE r.grp IS NOT NULL
), chained AS (          -- same medication: a refill starts when the previous supply ends
    SELECT pk, grp, d, days, rid,
           SUM(days) OVER (PARTITION BY pk, grp ORDER BY d, rid ROWS UNBOUNDED PRECEDING) AS cum
    FROM disp
), anchored AS (         -- end_i = S_i - 1 + max_(j<=i) (start_j - S_(j-1))
    SELECT pk, days, cum,
           MAX(d - (cum - days)) OVER (PARTITION BY pk, grp ORDER BY d, rid ROWS UNBOUNDED PRECEDING) AS anchor
    FROM chained
), intervals AS (        -- equal intervals of two medications tie in the order below: harmless, one window
    SELECT pk, CAST(anchor + cum - days AS INTEGER) AS s, CAST(anchor + cum - 1 AS INTEGER) AS e FROM anchored
), ordered AS (          -- across medications: the latest end seen before each interval
    SELECT pk, s, e,
           MAX(e) OVER (PARTITION BY pk ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
    FROM intervals
), run_starts AS (       -- first interval of each run: after a gap of 8+ days (or the first of all)
    SELECT pk, s, prev_end, (prev_end IS NULL OR s > prev_end + {NEGATIVE_HISTORY_DAYS}) AS new_episode
    FROM ordered WHERE prev_end IS NULL OR s > prev_end + 1 + {ALLOWED_GAP_DAYS}
), last_end AS (
    SELECT pk, MAX(e) AS max_e FROM intervals GROUP BY pk
), runs AS (             -- a run ends where the next one's "latest end before" stands, or at the last end
    SELECT rs.pk, rs.s AS start_day, rs.new_episode,
           coalesce(LEAD(rs.prev_end) OVER (PARTITION BY rs.pk ORDER BY rs.s), le.max_e) AS run_end
    FROM run_starts AS rs JOIN last_end AS le ON le.pk = rs.pk
)
SELECT k.patient_id, r.start_day,
       least(r.run_end, r.start_day + {TREATMENT_DAYS - 1}) - r.start_day + 1 AS continuous_days,
       r.run_end >= r.start_day + {TREATMENT_DAYS - 1} AS numerator
FROM runs AS r JOIN keys AS k ON k.pk = r.pk
WHERE r.new_episode
"""


def _result(con: duckdb.DuckDBPyConnection, start: date | None, end: date | None,
            include_episodes: bool) -> PodResult:
    low = (start - _EPOCH).days if start else -(10**9)
    high = (end - _EPOCH).days if end else 10**9
    where = "WHERE start_day BETWEEN ? AND ?"
    total, hits = con.execute(
        f"SELECT count(*), coalesce(sum(CAST(numerator AS INTEGER)), 0) FROM episodes {where}", [low, high]
    ).fetchone()  # type: ignore[misc]
    episodes: tuple[PodEpisode, ...] = ()
    if include_episodes:
        rows = con.execute(
            f"SELECT patient_id, start_day, continuous_days, numerator FROM episodes {where} "
            "ORDER BY patient_id, start_day", [low, high]).fetchall()
        episodes = tuple(
            PodEpisode(pid, _EPOCH + timedelta(days=int(day)), _EPOCH + timedelta(days=int(day) + TREATMENT_DAYS - 1),
                       int(days), bool(hit))
            for pid, day, days, hit in rows
        )
    return PodResult(start, end, int(total), int(hits), episodes)


def _first_bad_row(path: Path, rules: dict[str, CodeRule], reader_error: str) -> InvalidInput:
    """Find the first invalid row again, in file order, to name its row, field and value."""
    for number, row in _rows(path):
        problem = check_row(row, rules)
        if problem is not None:
            field, value, rule = problem
            return InvalidInput(f"{path.name} row {number}, {field}", value, rule)
    return InvalidInput(path.name, reader_error.splitlines()[0] if reader_error else "", "is not a readable CSV")


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for number, row in enumerate(reader, start=1):
            yield number, {k.strip(): (v or "") for k, v in row.items() if k is not None}
