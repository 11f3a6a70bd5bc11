"""``naltrack documents KIND PATIENT --as USER --out FILE.pdf``: print a patient document as PDF.

The kinds are the wallet card, the after-visit summary, the injection record, the Part 2 consent form
(blank, or ``--consent ID`` filled from a recorded consent) and the referral packet (a disclosure to
``--recipient`` for ``--purpose`` of ``--category`` records, decided by consent and recorded as every
disclosure is: :func:`naltrack.services.consents.disclose`). Each reads through one use case of
:mod:`naltrack.services.documents` as the user named by ``--as`` (audited); bad input, a refused access
or a refused disclosure prints the reason and exits with code 2, and no file is written.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from naltrack.cli.app import application
from naltrack.cli.errors import bad_input_exits_2
from naltrack.cli.records import cli_actor
from naltrack.config import get_settings
from naltrack.domain.errors import InvalidInput
from naltrack.domain.patients import CLINIC_PHONE_MAX
from naltrack.domain.security.consent import PURPOSES
from naltrack.domain.security.roles import CLINICAL_CATEGORIES
from naltrack.services import documents as cases
from naltrack.web import documents_pdf as pdf

#: The longest clinic contact printed (it must fit one line of the card): as long as a clinic's phone.
MAX_CONTACT_CHARS = CLINIC_PHONE_MAX

_database = click.option("--database", "database_url", default=None, help="Database URL (default: configured).")
_by = click.option("--as", "username", required=True, help="The naltrack user who prints it (audited).")
_out = click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                    help="The PDF file to write.")
_contact = click.option("--contact", default=None,
                        help="The phone number printed on the document (default: the clinic's phone on record).")


@click.group()
def documents() -> None:
    """Print a patient document (PDF)."""


def _now() -> datetime:
    return datetime.now(ZoneInfo(get_settings().timezone))


def _checked_contact(contact: str | None) -> str | None:
    if contact is not None and not 1 <= len(contact.strip()) <= MAX_CONTACT_CHARS:
        raise InvalidInput("--contact", contact, f"must be 1 to {MAX_CONTACT_CHARS} characters")
    return contact.strip() if contact is not None else None


def _write(out: Path, body: bytes) -> None:
    if not out.parent.is_dir():
        raise InvalidInput("--out", str(out), "must be in an existing directory")
    out.write_bytes(body)
    click.echo(f"wrote {out} ({len(body)} bytes)")


@documents.command("wallet-card")
@click.argument("patient_id")
@_by
@_out
@_contact
@_database
def wallet_card(patient_id: str, username: str, out: Path, contact: str | None, database_url: str | None) -> None:
    """The emergency wallet card: naltrexone, its form, the last dose, blocked through which day."""
    with bad_input_exits_2(), application(database_url) as app:
        content = cases.wallet_card(app.ctx, cli_actor(app.ctx, username), patient_id, _now(),
                                    _checked_contact(contact))
        _write(out, pdf.render_wallet_card(content))


@documents.command("after-visit")
@click.argument("patient_id")
@_by
@_out
@_contact
@_database
def after_visit(patient_id: str, username: str, out: Path, contact: str | None, database_url: str | None) -> None:
    """Today's doses, the next injection due and visits, the blocked-through day, what to report."""
    with bad_input_exits_2(), application(database_url) as app:
        content = cases.after_visit(app.ctx, cli_actor(app.ctx, username), patient_id, _now(),
                                    _checked_contact(contact))
        _write(out, pdf.render_after_visit(content))


@documents.command("injection-record")
@click.argument("patient_id")
@_by
@_out
@_database
def injection_record(patient_id: str, username: str, out: Path, database_url: str | None) -> None:
    """Every XR-NTX injection (date, side, lot, given by) and the next due day."""
    with bad_input_exits_2(), application(database_url) as app:
        content = cases.injection_record(app.ctx, cli_actor(app.ctx, username), patient_id, _now())
        _write(out, pdf.render_injection_record(content))


@documents.command("consent-form")
@click.argument("patient_id")
@_by
@_out
@click.option("--consent", "consent_id", default=None, help="A recorded consent to fill the form from.")
@_database
def consent_form(patient_id: str, username: str, out: Path, consent_id: str | None,
                 database_url: str | None) -> None:
    """A 42 CFR 2.31 consent form for signature: blank, or filled from a recorded consent."""
    with bad_input_exits_2(), application(database_url) as app:
        content = cases.consent_form(app.ctx, cli_actor(app.ctx, username), patient_id, app.settings.program_name,
                                     _now(), consent_id)
        _write(out, pdf.render_consent_form(content))


@documents.command("referral-packet")
@click.argument("patient_id")
@_by
@_out
@click.option("--recipient", required=True, help="Who receives the records, as the consent names them.")
@click.option("--purpose", type=click.Choice([p for p in PURPOSES if p != "emergency"]), default="referral",
              show_default=True, help="The purpose, as the consent names it.")
@click.option("--category", "categories", multiple=True, required=True, type=click.Choice(CLINICAL_CATEGORIES),
              help="A record category to disclose (repeat for more); the consent must cover each.")
@_database
def referral_packet(patient_id: str, username: str, out: Path, recipient: str, purpose: str,
                    categories: tuple[str, ...], database_url: str | None) -> None:
    """Disclose the consented records to RECIPIENT (recorded, audited) and print them with the 42 CFR 2.32 notice."""
    with bad_input_exits_2(), application(database_url) as app:
        if not out.parent.is_dir():
            raise InvalidInput("--out", str(out), "must be in an existing directory")
        content = cases.referral_packet(app.ctx, cli_actor(app.ctx, username), patient_id, recipient, purpose,
                                        tuple(dict.fromkeys(categories)), app.settings.program_name, _now())
        _write(out, pdf.render_referral_packet(content))
