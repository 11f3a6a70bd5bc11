"""``naltrack measure``: the program's outcome and quality measures, and population measures over claims.

``measure pod INPUT``, ``measure retention INPUT`` and ``measure iet INPUT`` (OMOP only) read a payer's or a
research network's data (a dispensing CSV, Parquet claims or an OMOP folder:
:mod:`naltrack.analytics.population`) on DuckDB or Spark (``--engine``).
``measure retention|cascade|pod|iet|dispensing
--from-program --as USER`` reads the program's own records through
:func:`naltrack.services.outcomes.program_measure` (roles manager and prescriber; one audit entry): aggregate
rows with small cells suppressed, and for POD and IET each patient's reason under a pseudonym, never an id or a
name. ``dispensing`` writes the program's doses as the dispensing CSV ``measure pod`` reads.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import date
from pathlib import Path
from typing import Any

import click

from naltrack.adapters.omop_database import input_path, is_database_url, shown
from naltrack.analytics.definitions import DEFAULT_DEFINITIONS
from naltrack.analytics.dispensing import write_dispensing_csv
from naltrack.analytics.engines import ENGINES, EngineChoice, EngineName
from naltrack.analytics.iet import IetResult
from naltrack.analytics.pod import PodResult
from naltrack.analytics.population import (
    INPUT_FORMATS,
    InputFormat,
    PopulationRetention,
    measure_iet_input,
    measure_pod_input,
    measure_retention_input,
)
from naltrack.analytics.report import write_csv
from naltrack.cli.app import application
from naltrack.cli.errors import BadInput, bad_input_exits_2
from naltrack.cli.records import cli_actor
from naltrack.domain.errors import InvalidInput
from naltrack.services.outcomes import MeasureName, MeasureResult, OutcomeQuery, PatientReason, program_measure
from naltrack.synthetic.claims import CLAIMS_FORMATS, ClaimsFormat, write_claims

#: The filters of the use case, by the option that sets each.
FILTER_OPTIONS = {"clinic": "--clinic", "form": "--form", "indication": "--indication", "start": "--start",
                  "end": "--end"}


@click.group("measure")
def measure() -> None:
    """Quality measures over a population."""


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as error:
        raise BadInput(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from error




def _program_options(command: Callable[..., None], input_formats: tuple[str, ...] = ()) -> Callable[..., None]:
    """The options of a measure over the program's own records (``input_formats``: more --format choices, for
    an input file or folder)."""
    inputs = f"; for INPUT: {', '.join(input_formats)} (default claims-csv)" if input_formats else ""
    options = [
        click.option("--from-program", "from_program", is_flag=True, help="read the program's own records"),
        click.option("--as", "username", default=None, help="the naltrack user reading them (manager or prescriber; "
                                                             "audited)"),
        click.option("--clinic", default=None, help="one clinic's patients (default: the whole program)"),
        click.option("--form", default=None, help="patients whose first dose was of this form (oral, xr-ntx, implant)"),
        click.option("--indication", default=None, help="patients treated for OUD, AUD, OUD+AUD or stimulant use"),
        click.option("--start", default=None, help="first day of the period (YYYY-MM-DD)"),
        click.option("--end", default=None, help="last day of the period (YYYY-MM-DD)"),
        click.option("--format", "format_", type=click.Choice(["json", "csv", *input_formats]), default=None,
                     help=f"json (default), or csv (the default of dispensing){inputs}"),
        click.option("--database", "database_url", default=None, help="Database URL (default: configured)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _pod_options(command: Callable[..., None]) -> Callable[..., None]:
    return _program_options(command, INPUT_FORMATS)


def _input(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Path | str | None:
    """INPUT: an existing file or folder (a :class:`Path`), or a database URL of OMOP tables (kept as text)."""
    if value is None or is_database_url(value):
        return value
    path = Path(value)
    if not path.exists():
        raise BadInput(f"INPUT: {value!r} is neither a file, a folder nor a database URL")
    return path


def _input_argument(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.argument(name, metavar="INPUT", required=False, callback=_input)


def _input_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options of a measure over an input file, folder or database: the engine that runs it."""
    options = [
        click.option("--schema", default=None, help="the database schema holding the OMOP tables (INPUT a database "
                                                    "URL; default: the connection's own)"),
        click.option("--totals-only", is_flag=True, help="leave out the per-member list (an input only)"),
        click.option("--engine", type=click.Choice(ENGINES), default="duckdb",
                     help="what runs the measure over INPUT: duckdb (default, in this process) or spark (pip install "
                          "'naltrack[spark]'; local mode on this machine's cores, or --spark-master)"),
        click.option("--spark-master", default=None, metavar="URL",
                     help="the Spark cluster to run on (spark://host:7077, yarn, local[8]); --engine spark only"),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _input_choice(source: Path | str | None, from_program: bool, totals_only: bool, engine: EngineName,
                  spark_master: str | None, format_: str | None, default: InputFormat = "claims-csv",
                  schema: str | None = None) -> tuple[InputFormat, EngineChoice] | None:
    """The input format (``default`` without --format) and engine of a measure over INPUT, or ``None`` for one over
    the program's records (``--from-program``, which takes none of the input options)."""
    if from_program:
        if source is not None:
            raise BadInput(f"INPUT: {shown(str(source))!r} cannot be read with --from-program (one source)")
        if schema is not None:
            raise BadInput(f"--schema: {schema!r} is for INPUT a database URL, not --from-program")
        if totals_only:
            raise BadInput("--totals-only: is for an input (--from-program lists each patient's reason)")
        if format_ in INPUT_FORMATS:
            raise BadInput(f"--format: {format_!r} is for INPUT, not --from-program (json or csv)")
        if engine != "duckdb" or spark_master:
            raise BadInput(f"--engine: {engine!r} is for INPUT; --from-program reads the program's records in process")
        return None
    if source is None:
        raise BadInput("INPUT: a dispensing CSV, Parquet claims, an OMOP folder or database is required, or "
                       "--from-program")
    if format_ not in (None, "json", *INPUT_FORMATS):
        raise BadInput(f"--format: {format_!r} is only for --from-program (an input gives json)")
    input_format: InputFormat = format_ if format_ in INPUT_FORMATS else default
    if input_format == "claims-csv" and isinstance(source, Path) and source.is_dir():
        raise BadInput(f"INPUT: {str(source)!r} is a folder (--format claims-parquet or omop reads one)")
    if spark_master and engine != "spark":
        raise BadInput(f"--spark-master: {spark_master!r} is for --engine spark only")
    with bad_input_exits_2():
        return input_format, EngineChoice(engine, master=spark_master)


_INPUT_TEXT = ("INPUT: a dispensing CSV (patient_id,date,rxnorm,days_supply; the default, --format claims-csv), "
               "Parquet claims with those columns (a file or a partitioned folder, --format claims-parquet), or an "
               "OMOP CDM v5.4 folder of Parquet tables or a database URL of them (--format omop, --schema; "
               "docs/omop.md), on DuckDB or Spark (--engine)")


@measure.command("pod")
@_input_argument("dispensing")
@_input_options
@_pod_options
def pod(dispensing: Path | str | None, schema: str | None, totals_only: bool, engine: EngineName,
        spark_master: str | None, from_program: bool, format_: str | None, **program: Any) -> None:
    """Pharmacotherapy for OUD (HEDIS POD) over an INPUT, or over the program's own records with --from-program."""
    chosen = _input_choice(dispensing, from_program, totals_only, engine, spark_master, format_, schema=schema)
    if chosen is None:
        _program_measure("pod", format_ or "json", **program)
        return
    assert dispensing is not None
    start_date, end_date = _date("--start", program["start"]), _date("--end", program["end"])
    with bad_input_exits_2(), input_path(dispensing, chosen[0], schema=schema) as path:
        result = measure_pod_input(path, chosen[0], start=start_date, end=end_date, include_episodes=not totals_only,
                                   choice=chosen[1])
    click.echo(render_json(result, include_episodes=not totals_only))


pod.help = f"{inspect.cleandoc(pod.help or '')}\n\n{_INPUT_TEXT}."


@measure.command("retention")
@_input_argument("source")
@click.option("--as-of", "as_of", default=None,
              help="the day follow-up ends (YYYY-MM-DD; an input only; default: its last dispensing day)")
@_input_options
@_pod_options
def retention(source: Path | str | None, as_of: str | None, schema: str | None, totals_only: bool,
              engine: EngineName, spark_master: str | None, from_program: bool, format_: str | None,
              **program: Any) -> None:
    """Retention on treatment: over the program's own records (--from-program: on naltrexone at 30, 90 and 180
    days, overall, by form and by start cohort), or over an INPUT (each member's first continuous run of covered
    days, the program's rule, and its Kaplan-Meier curve)."""
    chosen = _input_choice(source, from_program, totals_only, engine, spark_master, format_, schema=schema)
    if chosen is None:
        if as_of is not None:
            raise BadInput("--as-of: is for an input (--from-program measures on today's date)")
        _program_measure("retention", format_ or "json", **program)
        return
    assert source is not None
    if any(program[name] is not None for name in ("clinic", "form", "indication", "start", "end")):
        raise BadInput("--clinic, --form, --indication, --start, --end: are for --from-program")
    as_of_day = _date("--as-of", as_of)
    with bad_input_exits_2(), input_path(source, chosen[0], schema=schema) as path:
        result = measure_retention_input(path, chosen[0], as_of=as_of_day, include_members=not totals_only,
                                         choice=chosen[1])
    click.echo(render_retention_json(result, chosen[0], include_members=not totals_only))


retention.help = f"{inspect.cleandoc(retention.help or '')}\n\n{_INPUT_TEXT}."


@measure.command("iet")
@_input_argument("source")
@_input_options
@_pod_options
def iet(source: Path | str | None, schema: str | None, totals_only: bool, engine: EngineName,
        spark_master: str | None, from_program: bool, format_: str | None, **program: Any) -> None:
    """Initiation and engagement of treatment (HEDIS IET), alcohol and opioid cohorts: over the program's own
    records (--from-program), or over OMOP tables (INPUT, read as --format omop: diagnoses, visits, episodes and
    drug exposures; docs/omop.md), the members whose index falls from --start to --end."""
    chosen = _input_choice(source, from_program, totals_only, engine, spark_master, format_, default="omop",
                           schema=schema)
    if chosen is None:
        _program_measure("iet", format_ or "json", **program)
        return
    assert source is not None
    if any(program[name] is not None for name in ("clinic", "form", "indication")):
        raise BadInput("--clinic, --form, --indication: are for --from-program")
    start_date, end_date = _date("--start", program["start"]), _date("--end", program["end"])
    with bad_input_exits_2(), input_path(source, chosen[0], iet=True, schema=schema) as path:
        result = measure_iet_input(path, chosen[0], start=start_date, end=end_date, choice=chosen[1])
    click.echo(render_iet_json(result, chosen[0], start_date, end_date, include_members=not totals_only))


def render_iet_json(result: IetResult, input_format: InputFormat, start: date | None, end: date | None, *,
                    include_members: bool = True) -> str:
    """IET over an input: each cohort's denominator, initiated and engaged (with the rates), and (when asked) each
    member's index, initiation and reason."""
    doc: dict[str, object] = {
        "measure": "HEDIS IET", "input": input_format,
        "intake_start": start.isoformat() if start else None, "intake_end": end.isoformat() if end else None,
        "cohorts": [{"cohort": c.name, "denominator": c.denominator, "initiation": c.initiation,
                     "engagement": c.engagement,
                     "initiation_rate": round(c.initiation / c.denominator, 6) if c.denominator else None,
                     "engagement_rate": round(c.engagement / c.denominator, 6) if c.denominator else None}
                    for c in result.cohorts],
    }
    if include_members:
        doc["members"] = [{"patient_id": p.patient_id, "cohort": p.cohort, "index": p.index_on.isoformat(),
                           "initiated_on": p.initiated_on.isoformat() if p.initiated_on else None,
                           "engaged": p.engaged, "reason": p.reason} for p in result.patients]
    return json.dumps(doc, indent=2) + "\n"


iet.help = (f"{inspect.cleandoc(iet.help or '')}\n\nINPUT: an OMOP CDM v5.4 folder of Parquet tables or a database "
            "URL of them (--schema; the default and only format of IET), on DuckDB or Spark (--engine).")


@measure.command("synthetic-claims")
@click.argument("out", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--members", type=int, required=True, help="members to write (1 to 100,000,000)")
@click.option("--rows-per-member", type=int, default=20, show_default=True, help="dispensings a member (1 to 100)")
@click.option("--seed", type=int, default=0, show_default=True, help="the same seed writes the same rows")
@click.option("--format", "format_", type=click.Choice(CLAIMS_FORMATS), default="claims-csv", show_default=True,
              help="a CSV file, a folder of Parquet partitioned by year and state, or a folder of OMOP tables (with "
                   "visits and diagnoses, for measure iet)")
def synthetic_claims(out: Path, members: int, rows_per_member: int, seed: int, format_: ClaimsFormat) -> None:
    """Write synthetic dispensing claims of any size to OUT, as measure pod and measure retention read them, or as
    OMOP tables with visits and diagnoses, as measure iet reads them too (no real person's data: every value is
    drawn from the seed)."""
    if out.is_file() or (out.is_dir() and (format_ == "claims-csv" or any(out.iterdir()))):
        raise BadInput(f"OUT: {str(out)!r} exists; claims are written to a new file or an empty folder")
    with bad_input_exits_2():
        rows = write_claims(out, members, rows_per_member=rows_per_member, seed=seed, output_format=format_)
    click.echo(f"{rows:,} dispensing rows for {members:,} members written to {out}", err=True)


def render_retention_json(result: PopulationRetention, input_format: InputFormat, *,
                          include_members: bool = True) -> str:
    """Retention over an input: the totals, retention at each horizon with its confidence interval, and (when
    asked) each member's first run."""
    retained = []
    for horizon in DEFAULT_DEFINITIONS.horizons:
        estimate = result.curve.at(horizon)
        retained.append({"day": horizon, "proportion": None if estimate is None else round(estimate.value, 4),
                         "low": None if estimate is None else round(estimate.low, 4),
                         "high": None if estimate is None else round(estimate.high, 4)})
    doc: dict[str, object] = {
        "measure": "retention on pharmacotherapy", "input": input_format, "as_of": result.as_of.isoformat(),
        "allowed_gap_days": result.allowed_gap_days, "members": result.members,
        "discontinued": result.discontinued, "retained": retained,
    }
    if include_members:
        doc["runs"] = [{"patient_id": r.patient_id, "first_day": r.first_day.isoformat(),
                        "last_day": r.last_day.isoformat(), "days": r.days, "discontinued": r.discontinued}
                       for r in result.runs]
    return json.dumps(doc, indent=2) + "\n"


def _program_command(name: MeasureName, summary: str) -> None:
    @measure.command(name, help=f"{summary} From the program's own records (--from-program).")
    @_program_options
    def command(from_program: bool, format_: str | None, **program: Any) -> None:
        if not from_program:
            raise BadInput(f"--from-program: is required (measure {name} reads the program's own records)")
        _program_measure(name, format_ or ("csv" if name == "dispensing" else "json"), **program)


_program_command("cascade", "The cascade of care: assessed, ready, first dose, retained at 30, 90 and 180 days.")
_program_command("dispensing", "The program's doses as a dispensing CSV (patients under a pseudonym), as "
                               "`measure pod` reads it.")


def _program_measure(name: MeasureName, format_: str, username: str | None, database_url: str | None,
                     clinic: str | None, form: str | None, indication: str | None, start: str | None,
                     end: str | None) -> None:
    if username is None:
        raise BadInput("--as: is required with --from-program (the user reading the measures is audited)")
    query = OutcomeQuery(clinic, form, indication, _date("--start", start), _date("--end", end))
    with application(database_url) as app:
        actor = cli_actor(app.ctx, username)
        with bad_input_exits_2(), _named_by_option():
            result = program_measure(app.ctx, actor, name, query, app.ctx.clock())
    click.echo(render_measure(result, format_), nl=False)


@contextmanager
def _named_by_option() -> Iterator[None]:
    """Re-raise a filter the use case refuses under its option's name (``--clinic: 'c9' ...``), exit code 2."""
    try:
        yield
    except InvalidInput as error:
        if error.field not in FILTER_OPTIONS:
            raise
        raise BadInput(f"{FILTER_OPTIONS[error.field]}: {error.value!r} {error.rule}") from error


def render_measure(result: MeasureResult, format_: str) -> str:
    """A program measure as JSON, or as CSV (the dispensing rows; or the report rows, then a blank line and each
    patient's reason)."""
    if format_ == "json":
        doc = {"measure": result.measure, "as_of": result.as_of.isoformat(),
               "filters": {k: None if v is None else str(v) for k, v in asdict(result.query).items()},
               "rows": [asdict(r) for r in result.rows], "patients": [_patient(p) for p in result.patients]}
        if result.measure == "dispensing":
            doc["dispensing"] = [r.as_text() for r in result.dispensing]
        return json.dumps(doc, indent=2) + "\n"
    out = io.StringIO()
    if result.measure == "dispensing":
        write_dispensing_csv(result.dispensing, out)
        return out.getvalue()
    write_csv(result.rows, out)
    if result.patients:
        out.write("\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([f.name for f in fields(PatientReason)])
        writer.writerows(list(_patient(p).values()) for p in result.patients)
    return out.getvalue()


def _patient(line: PatientReason) -> dict[str, object]:
    return {**asdict(line), "on": line.on.isoformat()}


def render_json(result: PodResult, *, include_episodes: bool = True) -> str:
    """Episodes (when asked) and totals: denominator, numerator, rate."""
    doc: dict[str, object] = {
        "measure": "HEDIS POD",
        "intake_start": result.start.isoformat() if result.start else None,
        "intake_end": result.end.isoformat() if result.end else None,
    }
    if include_episodes:
        doc["episodes"] = [
            {"patient_id": e.patient_id, "start": e.start.isoformat(),
             "treatment_period_end": e.treatment_period_end.isoformat(),
             "continuous_days": e.continuous_days, "numerator": e.numerator}
            for e in result.episodes
        ]
    doc["totals"] = {"denominator": result.denominator, "numerator": result.numerator,
                     "rate": None if result.rate is None else round(result.rate, 6)}
    return json.dumps(doc, indent=2)
