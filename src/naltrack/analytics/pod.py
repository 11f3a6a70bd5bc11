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
functions for the supply chain and the islands, group-bys) written once in SQL that DuckDB and
Spark SQL both run (:mod:`naltrack.analytics.engines`): DuckDB in this process by default, Spark
(local mode or a cluster) when a payer's data outgrow one machine.

Two inputs, one measure: :func:`measure_pod` reads a dispensing CSV, :func:`measure_pod_rows` the
program's own doses (:func:`naltrack.analytics.dispensing.dispensing_rows`). Both load the same ``raw``
table and share every step after it, so POD from naltrack's records equals POD from the CSV
exported from them (:func:`naltrack.analytics.dispensing.write_dispensing_csv`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from naltrack.analytics.dispensing import DispensingRow, dispensing_rows, write_dispensing_csv
from naltrack.analytics.engines import DuckDBEngine, Engine, EngineChoice, EngineError, EngineName, open_engine
from naltrack.analytics.pod_rules import COLUMNS, MAX_DAYS_SUPPLY, CodeRule, check_row, pod_code_rules
from naltrack.domain.errors import InvalidInput

__all__ = [
    "CLAIMS_SCHEMA", "COLUMNS", "VALID_ROW", "CodeRule", "DispensingRow", "PodEpisode", "PodResult", "all_valid",
    "check_period", "check_row", "claims_source", "codes_sql", "covered_intervals_sql", "dispensing_rows",
    "load_claims_csv", "load_raw", "measure_episodes",
    "measure_pod", "measure_pod_rows", "pod_code_rules", "pod_reason", "write_dispensing_csv",
]

TREATMENT_DAYS = 180
ALLOWED_GAP_DAYS = 7
NEGATIVE_HISTORY_DAYS = 31
_EPOCH = date(1970, 1, 1)
#: The typed columns of a dispensing CSV (a value that does not convert is an error, never a null).
CLAIMS_SCHEMA = (("patient_id", "STRING"), ("date", "DATE"), ("rxnorm", "STRING"), ("days_supply", "INT"))
#: The program's dispensing rows, registered as NumPy columns (:func:`_row_columns`), the source of the
#: ``raw`` table for :func:`measure_pod_rows`: DuckDB scans the arrays in bulk, where a list bound as a
#: query parameter is converted value by value (DuckDB reads NumPy columns without pandas from 1.2.1 on).
_ROWS_SOURCE = """(SELECT CAST(patient_id AS STRING) AS patient_id, CAST(day AS INT) AS day,
                  CAST(rxnorm AS STRING) AS rxnorm,
                  CASE WHEN has_days_supply THEN CAST(days_supply AS INT) END AS days_supply
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
                memory_limit: str | None = None, engine: EngineName = "duckdb",
                spark_master: str | None = None) -> PodResult:
    """POD over a dispensing CSV with columns ``patient_id,date,rxnorm,days_supply``.

    Parameters
    ----------
    path : Path
        The CSV; ``date`` is YYYY-MM-DD; ``days_supply`` may be empty where a rule sets it.
    start, end : date, optional
        Intake period: episodes starting on these dates or between them form the denominator.
    include_episodes : bool
        Return the episode list (``False`` returns totals only, for very large files).
    threads, memory_limit, engine, spark_master
        The engine that runs the measure and its resources (:class:`naltrack.analytics.engines.EngineChoice`):
        DuckDB in this process by default, or Spark (local mode, or the cluster at ``spark_master``).

    Raises
    ------
    InvalidInput
        Naming the row, the field and the value: a bad date, an unknown code, a days supply
        that is negative, zero, above 365 or missing where it is required; a missing column.
    """
    path = Path(path)
    choice = EngineChoice(engine, threads, memory_limit, spark_master)
    check_period(start, end)
    with open_engine(choice) as db:
        load_claims_csv(db, path)
        return measure_episodes(db, start, end, include_episodes)


def load_claims_csv(db: Engine, path: Path) -> None:
    """Load ``raw`` from the dispensing CSV at ``path`` on ``db``.

    Raises
    ------
    InvalidInput
        Naming the row, the field and the value of the first row the rules refuse, or the header.
    """
    _check_header(path)
    rules = pod_code_rules()
    try:
        db.csv("claims", path, CLAIMS_SCHEMA)
        load_raw(db, claims_source(db, "claims"), rules)
        valid = all_valid(db)
    except EngineError as error:  # a value the typed scan could not convert
        raise _first_bad_row(path, rules, str(error)) from error
    if not valid:
        raise _first_bad_row(path, rules, "")


def measure_pod_rows(rows: Iterable[DispensingRow], *, start: date | None = None, end: date | None = None,
                     include_episodes: bool = True) -> PodResult:
    """POD over dispensing rows (the program's own, :func:`dispensing_rows`) by the same steps as
    :func:`measure_pod`, on DuckDB: the rows are loaded into the same ``raw`` table, and all that follows
    is shared.

    Raises
    ------
    InvalidInput
        Naming the row (from 1), the field and the value, as :func:`measure_pod` does.
    """
    check_period(start, end)
    rules = pod_code_rules()
    listed = list(rows)
    with open_engine() as db:
        assert isinstance(db, DuckDBEngine)
        db.arrays("program_rows", _row_columns(listed))
        load_raw(db, _ROWS_SOURCE, rules)
        if not all_valid(db):  # name the first row the rules reject, as for the CSV
            for number, row in enumerate(listed, start=1):
                problem = check_row(row.as_text(), rules)
                if problem is not None:
                    raise InvalidInput(f"row {number}, {problem[0]}", problem[1], problem[2])
        return measure_episodes(db, start, end, include_episodes)


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


def claims_source(db: Engine, relation: str, names: dict[str, str] | None = None) -> str:
    """SQL: the dispensing rows of ``relation`` (claims columns, or the columns ``names`` maps them to) in the
    shape ``raw`` is loaded from: ``patient_id`` STRING, ``day`` INT (day number), ``rxnorm`` STRING,
    ``days_supply`` INT."""
    field = names or {column: column for column in COLUMNS}
    return f"""(SELECT CAST({field['patient_id']} AS STRING) AS patient_id,
                      {db.day_number(f"CAST({field['date']} AS DATE)")} AS day,
                      CAST({field['rxnorm']} AS STRING) AS rxnorm, CAST({field['days_supply']} AS INT) AS days_supply
               FROM {relation})"""


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


def check_period(start: date | None, end: date | None) -> None:
    """Refuse an intake period that ends before it starts."""
    if start is not None and end is not None and end < start:
        raise InvalidInput("end", end.isoformat(), f"is before the start {start.isoformat()}")


def all_valid(db: Engine) -> bool:
    """Whether every row of ``raw`` passed the checks of :func:`load_raw`."""
    return not db.rows("SELECT count(*) FROM raw WHERE NOT valid")[0][0]


def measure_episodes(db: Engine, start: date | None, end: date | None, include_episodes: bool) -> PodResult:
    """The POD steps after the load, on the engine's ``raw``: episodes, then the totals of the intake period."""
    db.keep("episodes", _episodes_sql(db.patient_key))
    return _result(db, start, end, include_episodes)


def _check_header(path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        header = [h.strip() for h in next(csv.reader(handle), [])]
    if tuple(header) != COLUMNS:
        raise InvalidInput("header", ",".join(header), f"must be {','.join(COLUMNS)}")


def codes_sql(rules: dict[str, CodeRule]) -> str:
    """SQL: the code table (``code``, ``grp`` numbered from 1, ``fixed_days``, ``default_days``) as a VALUES list."""
    groups = sorted({r.group for r in rules.values() if r.group})
    values = ", ".join(
        f"('{r.code}', {groups.index(r.group) + 1 if r.group else 'NULL'}, {_sql(r.fixed_days)}, "
        f"{_sql(r.default_days)})" for r in rules.values()
    )
    return ("SELECT CAST(code AS STRING) AS code, CAST(grp AS TINYINT) AS grp, CAST(fixed_days AS INT) AS fixed_days, "
            "CAST(default_days AS INT) AS default_days "
            f"FROM (VALUES {values}) AS t(code, grp, fixed_days, default_days)")


#: SQL: whether a row ``r`` joined to its code ``c`` passes every check (the rules of :func:`check_row`).
VALID_ROW = f"""(coalesce(r.patient_id, '') <> '' AND r.day IS NOT NULL AND c.code IS NOT NULL
                AND (r.days_supply IS NULL OR r.days_supply BETWEEN 1 AND {MAX_DAYS_SUPPLY})
                AND (c.grp IS NULL OR coalesce(c.fixed_days, r.days_supply, c.default_days) IS NOT NULL))"""


def load_raw(db: Engine, source: str, rules: dict[str, CodeRule]) -> None:
    """The ``raw`` relation from ``source`` (:func:`claims_source`, or the program's rows): patient ids, day
    numbers, the code join; ``valid`` marks rows that pass every check (:data:`VALID_ROW`).

    Dates and supplies are typed by the scan itself (a value that does not convert raises
    :class:`~naltrack.analytics.engines.EngineError`, and the caller then names it).
    """
    db.keep("codes", codes_sql(rules))
    db.keep("raw", f"""
        SELECT r.patient_id, r.day, c.grp, coalesce(c.fixed_days, r.days_supply, c.default_days) AS days,
               {VALID_ROW} AS valid
        FROM {source} AS r
        LEFT JOIN codes AS c ON c.code = trim(r.rxnorm)
        """)


def _sql(value: object) -> str:
    return "NULL" if value is None else (f"'{value}'" if isinstance(value, str) else str(int(value)))  # type: ignore[call-overload]


# Day numbers are integers (days since 1970-01-01). Each step is a window or a group-by, in SQL both engines run.
# {keys}, {disp_from} are where the engines differ (see covered_intervals_sql). Dispensings of one medication on
# one day are chained in the order of their supplies: any order gives the same covered days, so the result does
# not depend on it.
_INTERVALS_SQL = """
WITH {keys}disp AS (
    SELECT pk, r.grp, r.day AS d, r.days FROM {disp_from} WHERE r.grp IS NOT NULL
), chained AS (          -- same medication: a refill starts when the previous supply ends
    SELECT pk, grp, d, days,
           SUM(days) OVER (PARTITION BY pk, grp ORDER BY d, days ROWS UNBOUNDED PRECEDING) AS cum
    FROM disp
), anchored AS (         -- end_i = S_i - 1 + max_(j<=i) (start_j - S_(j-1))
    SELECT pk, days, cum,
           MAX(d - (cum - days)) OVER (PARTITION BY pk, grp ORDER BY d, days ROWS UNBOUNDED PRECEDING) AS anchor
    FROM chained
), intervals AS (        -- equal intervals of two medications tie in the order below: harmless, one window
    SELECT pk, CAST(anchor + cum - days AS INT) AS s, CAST(anchor + cum - 1 AS INT) AS e FROM anchored
)"""

_EPISODES_SQL = f"""{{intervals}}, ordered AS (          -- across medications: the latest end seen before each interval
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
SELECT {{patient}} AS patient_id, r.start_day,
       least(r.run_end, r.start_day + {TREATMENT_DAYS - 1}) - r.start_day + 1 AS continuous_days,
       r.run_end >= r.start_day + {TREATMENT_DAYS - 1} AS numerator
FROM {{runs_from}}
WHERE r.new_episode
"""


@dataclass(frozen=True)
class IntervalsSql:
    """The covered-days steps of ``raw`` for one engine (``with_clause``: ``WITH ... intervals AS (...)``, whose
    ``intervals`` holds ``pk, s, e``: each dispensing's covered days), and how a step keyed by ``pk`` finds the
    member identifier again: ``patient`` (an expression over ``from_`` aliased ``r``) and ``keyed(rel)``."""

    with_clause: str
    numbered: bool

    def patient(self) -> str:
        return "k.patient_id" if self.numbered else "r.pk"

    def keyed(self, relation: str) -> str:
        """``relation`` aliased ``r``, joined to the member identifiers where the engine numbers them."""
        return f"{relation} AS r JOIN keys AS k ON k.pk = r.pk" if self.numbered else f"{relation} AS r"


def covered_intervals_sql(patient_key: str | None) -> IntervalsSql:
    """The covered-days steps for an engine that numbers its patients by ``patient_key`` (DuckDB: its windows then
    sort integers), or partitions by the identifier itself (``None``: Spark, where numbering would need one
    global sort and two more shuffles)."""
    if patient_key is None:
        return IntervalsSql(_INTERVALS_SQL.format(keys="", disp_from="(SELECT patient_id AS pk, * FROM raw) AS r"),
                            numbered=False)
    return IntervalsSql(_INTERVALS_SQL.format(
        keys=f"keys AS (SELECT patient_id, {patient_key} AS pk FROM (SELECT DISTINCT patient_id FROM raw) AS ids), ",
        disp_from="raw AS r JOIN keys AS k ON k.patient_id = r.patient_id"), numbered=True)


def _episodes_sql(patient_key: str | None) -> str:
    steps = covered_intervals_sql(patient_key)
    return _EPISODES_SQL.format(intervals=steps.with_clause, patient=steps.patient(), runs_from=steps.keyed("runs"))


def _result(db: Engine, start: date | None, end: date | None, include_episodes: bool) -> PodResult:
    low = (start - _EPOCH).days if start else -(10**9)
    high = (end - _EPOCH).days if end else 10**9
    where = f"WHERE start_day BETWEEN {int(low)} AND {int(high)}"
    total, hits = db.rows(
        f"SELECT count(*), coalesce(sum(CAST(numerator AS INT)), 0) FROM episodes {where}")[0]
    episodes: tuple[PodEpisode, ...] = ()
    if include_episodes:
        rows = db.rows(f"SELECT patient_id, start_day, continuous_days, numerator FROM episodes {where} "
                       "ORDER BY patient_id, start_day")
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
