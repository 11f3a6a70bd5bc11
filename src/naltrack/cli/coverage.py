"""``naltrack coverage``: is the patient in a FHIR R4 bundle blocked on a given day, and through when?

The same bundle as ``naltrack readiness``, the same answers as the chart, the monitoring rules and
the CDS services: the blocked-through day is :func:`naltrack.domain.protection.protection_end`
(the opioid-blockade estimate), the band is the chart's plasma band of the day, and a naltrexone
dose dated ``--on`` is classified by :func:`naltrack.domain.dose_classes.classify_dose`.
"""

from __future__ import annotations

import json
from datetime import date, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from naltrack.adapters.fhir.bundle_reader import load_bundle_file
from naltrack.cli.errors import bad_input_exits_2
from naltrack.config import get_settings
from naltrack.domain.chart import PatientChart, local_day
from naltrack.domain.coverage import calculate_coverage
from naltrack.domain.dose_classes import classify_dose, dose_on
from naltrack.domain.due_dates import next_dose_due
from naltrack.domain.errors import InvalidInput
from naltrack.domain.protection import naltrexone_given_days, protection_end
from naltrack.domain.records import current
from naltrack.domain.rules.thresholds import DEFAULT


@click.command("coverage")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="The day to read the coverage on, YYYY-MM-DD.")
@click.option("--timezone", "zone", default=None, help="The clinic's IANA time zone (default: the settings').")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True)
def coverage(bundle: Path, on: datetime, zone: str | None, fmt: str) -> None:
    """Blockade on a day from BUNDLE, a FHIR R4 Bundle (JSON) of one patient's record."""
    with bad_input_exits_2():
        tz = _zone(zone or get_settings().timezone)
        read = load_bundle_file(bundle)
        summary = coverage_summary(read.chart, on.date(), tz)
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(summary, read.chart, on.date()))


def coverage_summary(chart: PatientChart, on: date, tz: tzinfo) -> dict[str, object]:
    """The JSON shape of ``naltrack coverage``."""
    end = protection_end(chart, on, tz, DEFAULT)
    blocked = end is not None and end >= on
    band = calculate_coverage(chart, on, tz=tz, days_back=1, days_ahead=0).day(on).band
    form = dose_on(chart, on, tz)
    due = next_dose_due(chart, on, tz, DEFAULT)
    return {
        "blocked": blocked,
        "blocked_through": end.isoformat() if blocked and end is not None else None,
        "band": band,
        "next_dose_due": due.isoformat() if due is not None else None,
        "last_dose": _last_dose(chart, on, tz),
        "dose_on_date": classify_dose(chart, form, on, tz, DEFAULT).kind if form is not None else None,
    }


def _last_dose(chart: PatientChart, on: date, tz: tzinfo) -> dict[str, object] | None:
    """The latest naltrexone administration on or before ``on`` (form, clinic-local day, dose), else the last
    dose of a naltrexone medicine dispensed or reported (its amount unknown)."""
    doses = [(d.taken_at, "oral", d.dose_mg) for d in current(chart.oral_doses) if d.was_taken]
    doses += [(i.given_at, "xr-ntx", i.dose_mg) for i in current(chart.injections)]
    doses += [(m.inserted_at, "implant", m.dose_mg) for m in current(chart.implants)]
    given = [d for d in doses if local_day(d[0], tz) <= on]
    if given:
        when, form, mg = max(given, key=lambda d: d[0])
        return {"form": form, "on": local_day(when, tz).isoformat(), "dose_mg": mg}
    listed = naltrexone_given_days(chart, on, tz)
    if not listed:
        return None
    day, form = max(listed)
    return {"form": form, "on": day.isoformat(), "dose_mg": None}


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput("--timezone", name, "must be an IANA time zone name, e.g. America/New_York") from error


def render_text(summary: dict[str, object], chart: PatientChart, on: date) -> str:
    """The coverage report for people."""
    patient = chart.patient
    state = f"blocked through {summary['blocked_through']}" if summary["blocked"] else "not blocked"
    lines = [f"Coverage on {on} ({patient.display_name}, {patient.id}): {state}",
             f"Plasma band: {summary['band']}",
             f"Next dose due: {summary['next_dose_due'] or 'none scheduled'}"]
    last = summary["last_dose"]
    if isinstance(last, dict):
        amount = f" {last['dose_mg']:g} mg" if isinstance(last["dose_mg"], float) else ""
        lines.append(f"Last dose: {last['form']}{amount} on {last['on']}")
    if summary["dose_on_date"]:
        lines.append(f"Dose on {on}: {summary['dose_on_date']}")
    return "\n".join(lines)
