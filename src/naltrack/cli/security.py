"""``naltrack users add`` and ``naltrack audit verify|checkpoint|export``.

``users add`` reads the password from standard input (never from the command line, where
it would land in the shell history and the process list).
"""

from __future__ import annotations

import csv
import getpass
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime

import click

from naltrack.cli.app import application
from naltrack.cli.errors import bad_input_exits_2
from naltrack.domain.security.roles import ROLES
from naltrack.services import audit_trail
from naltrack.services import security as security_cases

AUDIT_FIELDS = ("seq", "at", "actor", "clinic_id", "action", "category", "record_type", "record_id", "patient_id",
                "purpose", "outcome", "source", "detail", "prev_hash", "hash", "mac")
EXIT_CHAIN_BROKEN = 1


@click.group()
def users() -> None:
    """Accounts: one role in one clinic each."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="The account's role.")
@click.option("--clinic", "clinic_id", required=True, help="The clinic (tenant) id.")
@click.option("--database", "database_url", default=None, help="Database URL (default: the configured one).")
def add_user(username: str, role: str, clinic_id: str, database_url: str | None) -> None:
    """Create USERNAME; the password is read from standard input (first line)."""
    password = sys.stdin.readline().rstrip("\r\n")
    with application(database_url) as app, bad_input_exits_2():
        user = security_cases.add_user(app.ctx.uow, username, password, role, clinic_id, app.ctx.clock())
    click.echo(f"user {user.username} ({user.role}, clinic {user.clinic_id}) created")


@click.group()
def audit() -> None:
    """The audit log: verify it, checkpoint it, export it."""


@audit.command("verify")
@click.option("--database", "database_url", default=None, help="Database URL (default: the configured one).")
def verify(database_url: str | None) -> None:
    """Verify the chain, its seals and guards against the last checkpoint; exit 1 naming the first problem.

    An intact log gets a new signed checkpoint.
    """
    with application(database_url) as app:
        verification = audit_trail.verify_audit(app.ctx.uow, app.ctx.clock())
    first, *rest = verification.lines()
    if not verification.intact:
        click.echo("\n".join([first, *rest]), err=True)
        sys.exit(EXIT_CHAIN_BROKEN)
    click.echo(first)
    for line in rest:
        click.echo(f"  {line}")


@audit.command("checkpoint")
@click.option("--database", "database_url", default=None, help="Database URL (default: the configured one).")
def checkpoint(database_url: str | None) -> None:
    """Write a signed checkpoint of the log's head to the checkpoint file (NALTRACK_AUDIT_CHECKPOINTS)."""
    with application(database_url) as app:
        written = audit_trail.checkpoint_audit(app.ctx.uow, app.ctx.clock())
    click.echo(written.describe())


@audit.command("export")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Only entries at or after this UTC date or time.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--database", "database_url", default=None, help="Database URL (default: the configured one).")
def export(since: datetime | None, fmt: str, database_url: str | None) -> None:
    """Write the entries to standard output (JSON lines or CSV), oldest first; the export is audited.

    CSV cells that a spreadsheet would read as a formula get a leading apostrophe.
    """
    start = since.replace(tzinfo=UTC) if since is not None else None
    out = sys.stdout
    writer = csv.DictWriter(out, fieldnames=AUDIT_FIELDS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    with application(database_url) as app:
        actor = f"cli:{getpass.getuser()}"[:64]
        for entry in audit_trail.export_audit(app.ctx.uow, actor, fmt, start, app.ctx.clock()):
            if writer is not None:
                writer.writerow(audit_trail.csv_row(entry, AUDIT_FIELDS))
            else:
                row = asdict(entry)
                row["at"] = entry.at.isoformat()
                out.write(json.dumps({k: row[k] for k in AUDIT_FIELDS}) + "\n")


def echo_demo_accounts(database_url: str | None) -> None:
    """Create ``demo.<role>`` accounts (one per role, in the first clinic) and print their passwords."""
    with application(database_url) as app:
        with app.ctx.uow() as uow:
            clinics = sorted(c.id for c in uow.clinics.list())
        accounts = security_cases.create_demo_accounts(app.ctx.uow, clinics[0], app.ctx.clock()) if clinics else []
    if not accounts:
        return
    click.echo(f"demo accounts (clinic {accounts[0].clinic_id}; synthetic, for trying the program):")
    for account in accounts:
        click.echo(f"  {account.username:<18} {account.role:<11} password: {account.password}")
