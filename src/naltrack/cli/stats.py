"""``naltrack stats``: counts per record type of the configured database."""

from __future__ import annotations

import json

import click

from naltrack.cli.app import application
from naltrack.services.stats import count_records


@click.command()
@click.option("--format", "output", type=click.Choice(["json", "text"]), default="text", show_default=True)
@click.option("--database", "database_url", default=None, help="Database URL (default: the configured one).")
def stats(output: str, database_url: str | None) -> None:
    """Print the number of clinics, patients and records of each type."""
    with application(database_url) as app:
        counts = count_records(app.ctx.uow())
    if output == "json":
        click.echo(json.dumps(counts, indent=2))
        return
    for kind, count in counts.items():
        click.echo(f"{kind:<20} {count:>9}")
