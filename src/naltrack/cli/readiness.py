"""``naltrack readiness``: may the patient in a FHIR R4 bundle start naltrexone on a given day?"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from naltrack.adapters.fhir.bundle_reader import BundleRead, load_bundle_file
from naltrack.cli.errors import bad_input_exits_2
from naltrack.config import get_settings
from naltrack.domain.dose_classes import classify_dose
from naltrack.domain.rules.readiness import Readiness, assess_readiness


@click.command("readiness")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--form", type=click.Choice(["oral", "xr-ntx", "implant"]), required=True,
              help="The form to start.")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="Day of the planned first dose, YYYY-MM-DD.")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True)
def readiness(bundle: Path, form: str, on: datetime, fmt: str) -> None:
    """Assess induction readiness from BUNDLE, a FHIR R4 Bundle (JSON) of one patient's record."""
    with bad_input_exits_2():
        read = load_bundle_file(bundle)
        # The kind of dose (a restart a year later gets the full induction again), in the settings' zone.
        dose = classify_dose(read.chart, form, on.date(), ZoneInfo(get_settings().timezone))  # type: ignore[arg-type]
        result = assess_readiness(read.chart, form, on.date(), unread=read.unrecognized_medications,  # type: ignore[arg-type]
                                  dose_class=dose)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(result, read))


def render_text(result: Readiness, read: BundleRead) -> str:
    """The readiness report for people: verdict, reasons by severity, and what was not read."""
    patient = read.chart.patient
    lines = [f"Readiness for {result.form} on {result.on} ({patient.display_name}, {patient.id}): "
             f"{result.verdict.upper()}"]
    if result.earliest_ready_date and result.verdict != "ready":
        lines.append(f"Earliest ready date: {result.earliest_ready_date}")
    for reason in result.reasons:
        lines.append(f"  [{reason.severity}] {reason.rule}: {reason.message}")
        lines.append(f"      source: {reason.source}")
    if read.skipped:
        lines.append("Not read from the bundle:")
        lines += [f"  - {item}" for item in read.skipped]
    return "\n".join(lines)
