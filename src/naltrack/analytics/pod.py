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
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from naltrack.domain.catalog import all_medications
from naltrack.domain.errors import InvalidInput

COLUMNS = ("patient_id", "date", "rxnorm", "days_supply")
TREATMENT_DAYS = 180
ALLOWED_GAP_DAYS = 7
NEGATIVE_HISTORY_DAYS = 31
MAX_DAYS_SUPPLY = 365
_EPOCH = date(1970, 1, 1)

#: Days supply rules by code (clinical.md §7.2): (group, fixed days, default when missing).
_FIXED_BY_CODE = {
    "1996184": ("buprenorphine-injection", 31), "1996192": ("buprenorphine-injection", 31),
    "1797650": ("buprenorphine-implant", 180),
}
_RULE_BY_CLASS = {
    "naltrexone-xr": ("naltrexone-injection", 31, None),
    "naltrexone-oral": ("naltrexone-oral", None, None),
    "buprenorphine-oud": ("buprenorphine-oral", None, 7),
    "methadone": ("methadone", None, 1),
}


@dataclass(frozen=True)
class CodeRule:
    """How one RxNorm code counts in POD; ``group`` is ``None`` for codes POD ignores."""

    code: str
    group: str | None
    fixed_days: int | None
    default_days: int | None


def pod_code_rules() -> dict[str, CodeRule]:
    """Every catalog code with its POD rule; Contrave (1551468) and other non-OUD codes are ignored.

    Examples
    --------
    >>> rules = pod_code_rules()
    >>> rules["637213"].fixed_days, rules["1551468"].group
    (31, None)
    """
    rules: dict[str, CodeRule] = {}
    for med in all_medications():
        if med.code in _FIXED_BY_CODE:
            group, fixed = _FIXED_BY_CODE[med.code]
            rules[med.code] = CodeRule(med.code, group, fixed, None)
        elif med.medication_class in _RULE_BY_CLASS:
            group_, fixed_, default = _RULE_BY_CLASS[med.medication_class]
            rules[med.code] = CodeRule(med.code, group_, fixed_, default)
        else:
            rules[med.code] = CodeRule(med.code, None, None, None)
    return rules


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
    if start is not None and end is not None and end < start:
        raise InvalidInput("end", end.isoformat(), f"is before the start {start.isoformat()}")
    _check_header(path)
    rules = pod_code_rules()
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute("SET memory_limit = ?", [memory_limit])
        con.execute("SET enable_progress_bar = false; SET preserve_insertion_order = false")
        try:
            _load(con, path, rules)
        except duckdb.Error as error:  # a value the typed scan could not convert
            raise _first_bad_row(path, rules, str(error)) from error
        if con.execute("SELECT count(*) FROM raw WHERE NOT valid").fetchone()[0]:  # type: ignore[index]
            raise _first_bad_row(path, rules, "")
        con.execute(_EPISODES_SQL)
        return _result(con, start, end, include_episodes)
    finally:
        con.close()


def _check_header(path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        header = [h.strip() for h in next(csv.reader(handle), [])]
    if tuple(header) != COLUMNS:
        raise InvalidInput("header", ",".join(header), f"must be {','.join(COLUMNS)}")


def _load(con: duckdb.DuckDBPyConnection, path: Path, rules: dict[str, CodeRule]) -> None:
    """Typed scan, patient keys and the code join; ``valid`` marks rows that pass every check.

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
        """
        CREATE TEMP TABLE raw AS
        SELECT r.patient_id, r.date AS day, c.grp, coalesce(c.fixed_days, r.days_supply, c.default_days) AS days,
               (coalesce(r.patient_id, '') <> '' AND r.date IS NOT NULL AND c.code IS NOT NULL
                AND (r.days_supply IS NULL OR r.days_supply BETWEEN 1 AND ?)
                AND (c.grp IS NULL OR coalesce(c.fixed_days, r.days_supply, c.default_days) IS NOT NULL)) AS valid
        FROM read_csv(?, header = true, dateformat = '%Y-%m-%d',
                      columns = {'patient_id': 'VARCHAR', 'date': 'DATE', 'rxnorm': 'VARCHAR',
                                 'days_supply': 'INTEGER'}) AS r
        LEFT JOIN codes AS c ON c.code = trim(r.rxnorm)
        """,
        [MAX_DAYS_SUPPLY, str(path)],
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


def check_row(row: dict[str, str], rules: dict[str, CodeRule]) -> tuple[str, str, str] | None:
    """The first problem of one row as (field, value, rule), or ``None``."""
    if not row.get("patient_id", "").strip():
        return ("patient_id", row.get("patient_id", ""), "is required")
    text = row.get("date", "").strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        date.fromisoformat(text)
    except ValueError:
        return ("date", text, "is not a date (YYYY-MM-DD)")
    code = row.get("rxnorm", "").strip()
    rule = rules.get(code)
    if rule is None:
        return ("rxnorm", code, "is not a known RxNorm code")
    supply = row.get("days_supply", "").strip()
    if supply:
        try:
            days = int(supply)
        except ValueError:
            return ("days_supply", supply, "is not a whole number of days")
        if not 1 <= days <= MAX_DAYS_SUPPLY:
            return ("days_supply", supply, f"must be between 1 and {MAX_DAYS_SUPPLY} days")
    elif rule.group is not None and rule.fixed_days is None and rule.default_days is None:
        return ("days_supply", supply, f"is required for {code} (oral naltrexone: pharmacy days supply)")
    return None
