"""``naltrack demo``: fill the database with a synthetic program."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import click

from naltrack.cli.app import application
from naltrack.cli.errors import bad_input_exits_2
from naltrack.cli.security import echo_demo_accounts
from naltrack.services.context import AppContext
from naltrack.synthetic import load_program


@click.command()
@click.option("--patients", "n_patients", type=click.IntRange(1, 1_000_000), default=300, show_default=True,
              help="Number of synthetic patients.")
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same program.")
@click.option("--database", "database_url", default=None, help="Database URL (default: the configured one).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has patients.")
@click.option("--end-date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The program's 'today' (default: today in NALTRACK_TIMEZONE).")
def demo(n_patients: int, seed: int, database_url: str | None, if_empty: bool,
         end_date: datetime | None) -> None:
    """Fill the database with a synthetic naltrexone program (obviously synthetic people)."""
    with application(database_url) as app:
        if if_empty and _patient_count(app.ctx) > 0:
            click.echo("demo: the database already has patients; nothing to do")
            echo_demo_accounts(database_url)
            return
        end = end_date.date() if end_date is not None else datetime.now(ZoneInfo(app.ctx.default_timezone)).date()
        started = time.perf_counter()
        with click.progressbar(length=n_patients, label="synthetic patients", file=sys.stderr) as bar, \
                bad_input_exits_2():
            counts = load_program(app.ctx.uow, n_patients=n_patients, seed=seed, end=end, progress=bar.update)
        elapsed = time.perf_counter() - started
    click.echo(f"demo: {n_patients} patients (seed {seed}, end {end}) in {elapsed:.1f} s")
    for kind, count in sorted(counts.items()):
        click.echo(f"  {kind:<20} {count:>9}")
    echo_demo_accounts(database_url)


def _patient_count(ctx: AppContext) -> int:
    with ctx.uow() as uow:
        return uow.patients.count()
