"""``naltrack clinics add|set|list``: the clinics (tenants), set up by the operator before their users.

A clinic's time zone decides every clinical date of its patients; its phone is printed on the
wallet card and the patient documents.
"""

from __future__ import annotations

import click

from naltrack.cli.app import application
from naltrack.cli.errors import bad_input_exits_2
from naltrack.domain.patients import Clinic
from naltrack.services import patients as patient_cases

_database = click.option("--database", "database_url", default=None,
                         help="Database URL (default: the configured one).")


@click.group()
def clinics() -> None:
    """The clinics (tenants): add one, change its name, time zone or phone, list them."""


@clinics.command("add")
@click.argument("clinic_id")
@click.option("--name", required=True, help="The clinic's name, as patients know it.")
@click.option("--timezone", default="America/New_York", show_default=True, help="IANA time zone of the clinic.")
@click.option("--phone", default=None, help="The phone printed on the wallet card and documents.")
@_database
def add(clinic_id: str, name: str, timezone: str, phone: str | None, database_url: str | None) -> None:
    """Add the clinic CLINIC_ID."""
    with application(database_url) as app, bad_input_exits_2():
        clinic = patient_cases.register_clinic(app.ctx, Clinic(id=clinic_id, name=name, timezone=timezone,
                                                               phone=phone))
    click.echo(f"clinic {clinic.id} ({clinic.name}, {clinic.timezone}) added")


@clinics.command("set")
@click.argument("clinic_id")
@click.option("--name", default=None, help="A new name.")
@click.option("--timezone", default=None, help="A new IANA time zone.")
@click.option("--phone", default=None, help="A new phone number.")
@_database
def set_(clinic_id: str, name: str | None, timezone: str | None, phone: str | None, database_url: str | None) -> None:
    """Change the name, time zone or phone of the clinic CLINIC_ID."""
    with application(database_url) as app, bad_input_exits_2():
        clinic = patient_cases.update_clinic(app.ctx, clinic_id, name=name, timezone=timezone, phone=phone)
    click.echo(f"clinic {clinic.id}: {clinic.name}, {clinic.timezone}, phone {clinic.phone or 'none'}")


@clinics.command("list")
@_database
def list_(database_url: str | None) -> None:
    """List the clinics: id, name, time zone and phone, tab-separated."""
    with application(database_url) as app, app.ctx.uow() as uow:
        for clinic in uow.clinics.list():
            click.echo(f"{clinic.id}\t{clinic.name}\t{clinic.timezone}\t{clinic.phone or ''}")
