"""``naltrack fhir export`` and ``naltrack fhir import``: FHIR R4 NDJSON out, bundles and NDJSON in.

An export leaves the program, so it is a Part 2 disclosure (42 CFR 2.31): it names the user who
makes it, the recipient and the purpose; each patient's consent must name that recipient and
purpose, only the consented record categories leave, and each disclosure is recorded and audited.
Patients without such a consent are left out and listed. The redisclosure notice (42 CFR 2.32)
is written beside the NDJSON files as ``NOTICE.txt``. An export that fails part-way writes nothing and
records no disclosure (:mod:`naltrack.adapters.fhir.bulk_export`); a record that cannot be written as
FHIR R4 is left out and named, and does not stop the export.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from naltrack.cli.app import application
from naltrack.cli.errors import BadInput, bad_input_exits_2
from naltrack.cli.records import cli_actor
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.consent import PURPOSES
from naltrack.services.context import AppContext
from naltrack.services.security_ports import SecureUnitOfWorkFactory


@click.group("fhir")
def fhir() -> None:
    """Exchange records as FHIR R4: bulk NDJSON export, bundle and NDJSON import."""


@fhir.command("export")
@click.option("--patient", "patient_ids", multiple=True, help="Patient id (repeatable).")
@click.option("--all", "all_patients", is_flag=True, help="Every patient of the user's clinic.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="A new or empty folder for <Type>.ndjson files.")
@click.option("--recipient", required=True, help="Who receives the records (as the consent names them).")
@click.option("--purpose", type=click.Choice([p for p in PURPOSES if p != "emergency"]), default="treatment",
              show_default=True)
@click.option("--as", "username", required=True, help="The naltrack user making the disclosure.")
@click.option("--database-url", default=None, help="Database (default: the settings').")
def export_command(patient_ids: tuple[str, ...], all_patients: bool, out_dir: Path, recipient: str, purpose: str,
                   username: str, database_url: str | None) -> None:
    """Export patients as FHIR R4 NDJSON, one file per resource type (FHIR Bulk Data style).

    All or nothing: the files appear in --out and the disclosures are recorded only when the whole export
    succeeded. A record that cannot be written as FHIR R4 is left out and listed under ``not_written``.
    """
    from naltrack.adapters.fhir.bulk_export import export_disclosures, refuse_unconsented

    if bool(patient_ids) == all_patients:
        raise BadInput("give either --patient ID (one or more) or --all")
    with bad_input_exits_2(), application(database_url) as app:
        ctx = app.ctx
        factory, actor = ctx.uow, cli_actor(ctx, username)
        ids = list(patient_ids) or _clinic_patients(factory, actor.clinic_id)
        now = datetime.now(UTC)
        if patient_ids:  # named patients must all be covered: refuse before anything is disclosed or written
            refusals = [refuse_unconsented(ctx, actor, pid, recipient, purpose, now) for pid in ids
                        if not _has_consent(factory, pid, recipient, purpose, now)]  # each refusal is audited
            if refusals:
                raise BadInput("; ".join(refusals))
        result = export_disclosures(ctx, actor, ids, recipient, purpose, now, out_dir)
    click.echo(json.dumps({"out": str(out_dir), "patients": len(result.disclosed), "resources": result.counts,
                           "left_out_without_consent": result.refused, "not_written": result.not_written}, indent=2))


def _has_consent(factory: SecureUnitOfWorkFactory, patient_id: str, recipient: str, purpose: str,
                 now: datetime) -> bool:
    from naltrack.adapters.fhir.exchange import consented_categories

    with factory() as uow:
        return bool(consented_categories(uow, patient_id, recipient, purpose, now))


def _clinic_patients(factory: SecureUnitOfWorkFactory, clinic_id: str) -> list[str]:
    with factory() as uow:
        total = uow.patients.count(clinic_id=clinic_id)
        return [p.id for p in uow.patients.search(clinic_id=clinic_id, limit=max(total, 1), offset=0)]


@fhir.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--as", "username", required=True, help="The naltrack user importing (each record audited).")
@click.option("--clinic", "clinic_id", default=None, help="The clinic the patients belong to (the user's own).")
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option("--database-url", default=None, help="Database (default: the settings').")
def import_command(path: Path, username: str, clinic_id: str | None, dry_run: bool, database_url: str | None) -> None:
    """Import a transaction/collection Bundle, an NDJSON file, or a folder of them: all or nothing."""
    from naltrack.adapters.fhir.r4_import import ImportRefused, import_path

    try:
        with bad_input_exits_2(), application(database_url) as app:
            actor = cli_actor(app.ctx, username)
            _check_clinic(app.ctx, actor, clinic_id)
            report = import_path(app.ctx, actor, path, now=datetime.now(UTC), dry_run=dry_run)
    except BadInput as error:
        cause = error.__cause__
        if isinstance(cause, ImportRefused):
            lines = [str(p) for p in cause.report.problems[:50]]
            more = len(cause.report.problems) - len(lines)
            raise BadInput("nothing imported:\n  " + "\n  ".join(lines) + (f"\n  ... {more} more" if more else "")) \
                from cause
        raise
    click.echo(json.dumps({**report.as_dict(), "dry_run": dry_run}, indent=2))


def _check_clinic(ctx: AppContext, actor: Actor, clinic_id: str | None) -> None:
    """``--clinic``, when given, must be the importing user's clinic."""
    if clinic_id is None or clinic_id == actor.clinic_id:
        return
    with ctx.uow() as uow:
        exists = uow.clinics.find(clinic_id) is not None
    reason = f"is not the clinic of user {actor.user.username!r}" if exists else "does not exist"
    raise BadInput(f"nothing imported:\n  Clinic/{clinic_id}: clinic: {reason}")
