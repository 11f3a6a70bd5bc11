"""``naltrack measure``: quality measures over many patients (``measure pod``: HEDIS POD)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from naltrack.analytics.pod import PodResult, measure_pod
from naltrack.cli.errors import BadInput, bad_input_exits_2


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


@measure.command("pod")
@click.argument("dispensing", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--start", default=None, help="first day of the intake period (YYYY-MM-DD)")
@click.option("--end", default=None, help="last day of the intake period (YYYY-MM-DD)")
@click.option("--format", "format_", type=click.Choice(["json"]), default="json", show_default=True)
@click.option("--totals-only", is_flag=True, help="leave out the episode list")
def pod(dispensing: Path, start: str | None, end: str | None, format_: str, totals_only: bool) -> None:
    """Pharmacotherapy for OUD (HEDIS POD) over DISPENSING.csv (patient_id,date,rxnorm,days_supply)."""
    start_date, end_date = _date("--start", start), _date("--end", end)
    with bad_input_exits_2():
        result = measure_pod(dispensing, start=start_date, end=end_date, include_episodes=not totals_only)
    click.echo(render_json(result, include_episodes=not totals_only))


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
