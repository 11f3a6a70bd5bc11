"""``naltrack export omop OUT_DIR``: the program's records as OMOP CDM v5.4 Parquet tables, a Part 2 disclosure.

As ``naltrack fhir export``: the user making it, the recipient and the purpose are named; only the patients of the
user's clinic whose consent in force names that recipient and purpose and covers demographics, administrations,
medications and diagnoses are written; the others are left out and listed, each refusal audited; each disclosure
is recorded and audited; ``NOTICE.txt`` (42 CFR 2.32) is written beside the tables (docs/omop.md).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from naltrack.cli.app import application
from naltrack.cli.errors import BadInput, bad_input_exits_2
from naltrack.cli.records import cli_actor
from naltrack.domain.security.consent import PURPOSES
from naltrack.services.omop_export import export_omop


@click.group("export")
def export() -> None:
    """Export the program's records for research, as a consented Part 2 disclosure."""


@export.command("omop")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="The naltrack user making the disclosure.")
@click.option("--recipient", required=True, help="Who receives the records (as the consent names them).")
@click.option("--purpose", type=click.Choice([p for p in PURPOSES if p != "emergency"]), default="research",
              show_default=True)
@click.option("--database-url", default=None, help="Database (default: the settings').")
def omop(out_dir: Path, username: str, recipient: str, purpose: str, database_url: str | None) -> None:
    """Write person, drug_exposure, condition_occurrence and observation_period as Parquet in OUT_DIR (new or
    empty): all or nothing. Exit 2 when no patient's consent covers the disclosure (nothing is written)."""
    with bad_input_exits_2(), application(database_url) as app:
        actor = cli_actor(app.ctx, username)
        result = export_omop(app.ctx, actor, recipient, purpose, datetime.now(UTC), out_dir)
    if not result.disclosed:
        raise BadInput("nothing exported: no patient's consent covers this recipient and purpose"
                       + "".join(f"\n  {line}" for line in result.refused))
    click.echo(json.dumps({"out": str(out_dir), "patients": result.disclosed, "rows": result.counts,
                           "left_out_without_consent": result.refused}, indent=2))
