"""Population measures over a payer's or a research network's data, on DuckDB or Spark.

An input is dispensing claims as CSV (``claims-csv``) or Parquet (``claims-parquet``, one file or a
partitioned folder), or an OMOP CDM v5.4 folder (``omop``; tables in a database are copied to one by
:mod:`naltrack.adapters.omop_database`); each is loaded into the one ``raw`` relation
of :mod:`naltrack.analytics.pod` and checked by the same rules, on the engine chosen
(:mod:`naltrack.analytics.engines`). Three measures run on it, each written once in SQL both engines run:

* HEDIS POD (:func:`measure_pod_input`, the steps of :mod:`naltrack.analytics.pod`);
* HEDIS IET (:func:`measure_iet_input`, OMOP only: it needs diagnoses and visits,
  :mod:`naltrack.analytics.iet_population`);
* retention on pharmacotherapy (:func:`measure_retention_input`): each member's first continuous run
  of covered days, by the rule of :func:`naltrack.analytics.retention.first_run` (the program's own
  retention): the run starts on the first dispensing, takes in every covered day that follows an earlier
  one after at most ``retention_allowed_gap_days`` uncovered days, and is **discontinued** when more than
  that many days lie between its last covered day and ``as_of``; otherwise it is censored at ``as_of``
  (still in treatment). Covered days are POD's: each dispensing from its day for its days supply,
  refills of one medication chained, medications combined (clinical.md §7.2). Claims carry no
  discharges, so no run is censored by one. The Kaplan–Meier curve (:mod:`naltrack.analytics.survival`)
  is drawn from the members' runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from naltrack.analytics.definitions import DEFAULT_DEFINITIONS, MeasureDefinitions
from naltrack.analytics.engines import DUCKDB, Engine, EngineChoice, EngineName, open_engine
from naltrack.analytics.iet import IetResult
from naltrack.analytics.iet_population import measure_iet_omop
from naltrack.analytics.omop import load_claims_parquet, load_omop
from naltrack.analytics.pod import PodResult, check_period, covered_intervals_sql, load_claims_csv, measure_episodes
from naltrack.analytics.survival import SurvivalCurve, kaplan_meier
from naltrack.domain.errors import InvalidInput

InputFormat = Literal["claims-csv", "claims-parquet", "omop"]
INPUT_FORMATS: tuple[InputFormat, ...] = ("claims-csv", "claims-parquet", "omop")
_EPOCH = date(1970, 1, 1)


def load_dispensings(db: Engine, path: Path, input_format: InputFormat) -> None:
    """Load ``raw`` on ``db`` from the input at ``path`` in ``input_format``.

    Raises
    ------
    InvalidInput
        An unknown format, a folder given as a CSV, or the first value the rules refuse (named).
    """
    if input_format == "claims-csv":
        if path.is_dir():
            raise InvalidInput("INPUT", str(path), "is a folder (claims-parquet or omop reads one)")
        load_claims_csv(db, path)
    elif input_format == "claims-parquet":
        load_claims_parquet(db, path)
    elif input_format == "omop":
        load_omop(db, path)
    else:
        raise InvalidInput("format", str(input_format), f"must be one of {', '.join(INPUT_FORMATS)}")


def measure_pod_input(path: Path | str, input_format: InputFormat = "claims-csv", *, start: date | None = None,
                      end: date | None = None, include_episodes: bool = True,
                      choice: EngineChoice = DUCKDB) -> PodResult:
    """HEDIS POD over an input (see the module text) on the engine of ``choice``."""
    check_period(start, end)
    with open_engine(choice) as db:
        load_dispensings(db, Path(path), input_format)
        return measure_episodes(db, start, end, include_episodes)


def measure_iet_input(path: Path | str, input_format: InputFormat = "omop", *, start: date | None = None,
                      end: date | None = None, definitions: MeasureDefinitions = DEFAULT_DEFINITIONS,
                      choice: EngineChoice = DUCKDB) -> IetResult:
    """HEDIS IET over an OMOP folder (:mod:`naltrack.analytics.iet_population`) on the engine of ``choice``, the
    members whose index falls from ``start`` to ``end``.

    Raises
    ------
    InvalidInput
        Claims (a dispensing file carries neither diagnoses nor visits), a period that ends before it starts,
        or the first bad value of the input (named).
    """
    if input_format != "omop":
        raise InvalidInput("format", str(input_format),
                           "carries no diagnoses or visits: IET reads an OMOP folder (--format omop)")
    check_period(start, end)
    with open_engine(choice) as db:
        return measure_iet_omop(db, Path(path), start, end, definitions)


@dataclass(frozen=True)
class MemberRun:
    """A member's first continuous run: its first day, its last covered day counted (``as_of`` at most), the days
    between them, and whether it was discontinued (the event) or is censored at ``as_of``."""

    patient_id: str
    first_day: date
    last_day: date
    days: int
    discontinued: bool


@dataclass(frozen=True)
class PopulationRetention:
    """Retention of the members with a dispensing by ``as_of``: their runs and the Kaplan–Meier curve."""

    as_of: date
    allowed_gap_days: int
    members: int
    discontinued: int
    curve: SurvivalCurve
    runs: tuple[MemberRun, ...]


def measure_retention_input(path: Path | str, input_format: InputFormat = "claims-csv", *, as_of: date | None = None,
                            definitions: MeasureDefinitions = DEFAULT_DEFINITIONS, include_members: bool = True,
                            choice: EngineChoice = DUCKDB) -> PopulationRetention:
    """Retention on pharmacotherapy over an input (see the module text) on the engine of ``choice``.

    Parameters
    ----------
    as_of : date, optional
        The day follow-up ends (the data's cut-off); dispensings after it are not read. Default: the latest
        dispensing day of a counted medication in the input.
    include_members : bool
        Return each member's run (``False``: the curve and the totals only, for very large inputs).

    Raises
    ------
    InvalidInput
        Naming the bad value of the input (as POD does); an input without a counted dispensing by ``as_of``.
    """
    gap = definitions.retention_allowed_gap_days
    with open_engine(choice) as db:
        load_dispensings(db, Path(path), input_format)
        last = db.rows("SELECT max(day) FROM raw WHERE grp IS NOT NULL")[0][0]
        if last is None:
            raise InvalidInput("INPUT", str(path), "has no dispensing of a medication the measures count")
        cutoff = (as_of - _EPOCH).days if as_of is not None else int(last)
        db.keep("first_runs", _retention_sql(db, cutoff, gap))
        columns = "patient_id, first_day, last_day, days, discontinued" if include_members else "days, discontinued"
        found = db.rows(f"SELECT {columns} FROM first_runs{' ORDER BY patient_id' if include_members else ''}")
    spans = [(int(row[-2]), bool(row[-1])) for row in found]
    runs = tuple(MemberRun(str(pid), _EPOCH + timedelta(days=int(first)), _EPOCH + timedelta(days=int(end)),
                           int(days), bool(stopped))
                 for pid, first, end, days, stopped in found) if include_members else ()
    if not spans:
        raise InvalidInput("as_of", (_EPOCH + timedelta(days=cutoff)).isoformat(),
                           "is before every dispensing of the input")
    curve = kaplan_meier([days for days, _ in spans], [stopped for _, stopped in spans], label="all")
    return PopulationRetention(_EPOCH + timedelta(days=cutoff), gap, len(spans),
                               sum(1 for _, stopped in spans if stopped), curve, runs)


def _retention_sql(db: Engine, as_of: int, gap: int) -> str:
    """Each member's first run of covered days up to the day number ``as_of`` (see the module text)."""
    steps = covered_intervals_sql(db.patient_key)
    return f"""{steps.with_clause}, covered AS (
    SELECT pk, s, e FROM intervals WHERE s <= {int(as_of)}
), ordered AS (          -- the latest covered day before each interval
    SELECT pk, s, e,
           MAX(e) OVER (PARTITION BY pk ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
    FROM covered
), breaks AS (           -- the first interval after more than the allowed uncovered days ends the first run
    SELECT pk, MIN(s) AS break_s FROM ordered WHERE prev_end IS NOT NULL AND s > prev_end + 1 + {int(gap)}
    GROUP BY pk
), runs AS (
    SELECT o.pk, MIN(o.s) AS first_s, MAX(o.e) AS run_end
    FROM ordered AS o LEFT JOIN breaks AS b ON b.pk = o.pk
    WHERE b.break_s IS NULL OR o.s < b.break_s
    GROUP BY o.pk
)
SELECT {steps.patient()} AS patient_id, r.first_s AS first_day, least(r.run_end, {int(as_of)}) AS last_day,
       least(r.run_end, {int(as_of)}) - r.first_s AS days, {int(as_of)} - r.run_end > {int(gap)} AS discontinued
FROM {steps.keyed("runs")}
"""


__all__ = ["INPUT_FORMATS", "EngineName", "InputFormat", "MemberRun", "PopulationRetention", "load_dispensings",
           "measure_iet_input", "measure_pod_input", "measure_retention_input"]
