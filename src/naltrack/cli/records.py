"""``naltrack record ... --as USER``: record an injection, an oral dose or a lab result from a script.

A naltrexone dose given by staff (an injection, an observed oral dose) passes the pre-dose check
(:mod:`naltrack.services.doses`) as on the web and the API: a stopped dose exits with code 2 and lists
each reason with its key; ``--confirm KEY`` confirms a review item, and a prescriber's
``--override-reason`` overrides contraindications and not-ready reasons. ``naltrack record not-given``
records a dose held by staff or refused by the patient, with the reason.

The record goes through the same use case as the web and the API
(:func:`naltrack.services.records.create_records`): the user named by ``--as`` must be an
active account whose role may record it, the patient must be of that user's clinic, and the
record and its audit entry (under that user) are written in one transaction. Values are
checked by the domain and the use case; bad input (an unknown user included) prints the
field, the value and the rule, exits with code 2, and writes nothing. Times are ISO 8601; a
time without an offset is read in the clinic's time zone (``NALTRACK_TIMEZONE``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import click

from naltrack.cli.app import application
from naltrack.cli.errors import BadInput, bad_input_exits_2
from naltrack.config import get_settings
from naltrack.domain.administrations import Injection, OralDose
from naltrack.domain.catalog import FORM_CODE
from naltrack.domain.errors import DoseStopped, InvalidInput
from naltrack.domain.observations import LabResult
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.regimens import FORMS
from naltrack.domain.security.accounts import Actor
from naltrack.services.context import AppContext
from naltrack.services.doses import UNCONFIRMED, DoseAuthorisation, record_dose_not_given
from naltrack.services.records import create_records

_database = click.option("--database", "database_url", default=None, help="Database URL (default: configured).")
_patient = click.option("--patient", "patient_id", required=True, help="Patient id.")
_by = click.option("--as", "username", required=True, help="The naltrack user who records it (audited).")


def cli_actor(ctx: AppContext, username: str) -> Actor:
    """The active account named by ``--as``; exit code 2 naming the value otherwise."""
    with ctx.uow() as uow:
        found = uow.security.find_credentials(username)
    if found is None or not found[0].active:
        raise BadInput(f"--as: {username!r} is not an active user")
    return Actor(found[0], "cli", "treatment")


def _parse_time(field: str, text: str | None, now: datetime) -> datetime:
    if text is None:
        return now
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput(field, text, "is not an ISO 8601 date-time (e.g. 2026-03-01T09:30)") from error
    return value if value.tzinfo is not None else value.replace(tzinfo=now.tzinfo)


def _parse_date(field: str, text: str | None) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError as error:
        raise InvalidInput(field, text, "is not an ISO date (e.g. 2027-06-30)") from error


def _number(field: str, text: str | None) -> float:
    try:
        return float(str(text))
    except ValueError as error:
        raise InvalidInput(field, text, "must be a number") from error


def _save(database_url: str | None, username: str, build: Callable[[datetime], ClinicalRecord],
          authorisation: DoseAuthorisation = UNCONFIRMED) -> None:
    now = datetime.now(ZoneInfo(get_settings().timezone))
    with bad_input_exits_2():
        record = build(now)
        with application(database_url) as app:
            actor = cli_actor(app.ctx, username)
            try:
                stored = create_records(app.ctx, actor, [record], now, authorisation)[0]
            except DoseStopped as stopped:
                raise BadInput(stopped_message(stopped)) from stopped
    click.echo(f"recorded {type(stored).__name__} {stored.id} for patient {stored.patient_id}")


_HOW = {"stop": "fix the cause", "override": "a prescriber's --override-reason", "confirm": "--confirm"}


def stopped_message(stopped: DoseStopped) -> str:
    """Each reason on its own line with its key and what lifts it."""
    lines = [f"dose not given ({stopped.dose_class} dose):"]
    lines += [f"  [{f['level']}] {f['key']}: {f['message']} ({_HOW[f['level']]})" for f in stopped.findings]
    return "\n".join(lines)


def _authorisation(confirm: tuple[str, ...], override_reason: str | None) -> DoseAuthorisation:
    return DoseAuthorisation(confirmed=frozenset(confirm), override_reason=override_reason)


_confirm = click.option("--confirm", multiple=True, metavar="KEY",
                        help="Confirm a review item of the pre-dose check by its key (repeat for each).")
_override = click.option("--override-reason", default=None,
                         help="Prescribers only: override contraindications and not-ready reasons, with this reason.")


@click.group()
def record() -> None:
    """Record an administration or a result (for staff scripts)."""


@record.command()
@_patient
@click.option("--given-at", default=None, help="When it was given (ISO 8601; default now).")
@click.option("--side", default=None, help="Gluteal side: left or right.")
@click.option("--lot", default=None, help="Kit lot number.")
@click.option("--expiry", default=None, help="Kit expiry date (YYYY-MM-DD).")
@click.option("--needle", "needle_in", default=None, help="Needle length in inches: 1.5 or 2.")
@click.option("--given-by", default=None, help="Clinician who gave it.")
@click.option("--regimen", "regimen_id", default=None, help="Regimen id.")
@click.option("--rxnorm", default=FORM_CODE["xr-ntx"], show_default=True, help="RxNorm code of the product.")
@_confirm
@_override
@_by
@_database
def injection(patient_id: str, given_at: str | None, side: str | None, lot: str | None, expiry: str | None,
              needle_in: str | None, given_by: str | None, regimen_id: str | None, rxnorm: str,
              confirm: tuple[str, ...], override_reason: str | None, username: str, database_url: str | None) -> None:
    """Record an XR-NTX 380 mg injection (after the pre-dose check)."""
    _save(database_url, username, lambda now: Injection(
        id=uuid.uuid4().hex, patient_id=patient_id, given_at=_parse_time("injection.given_at", given_at, now),
        side=side, lot=lot or "", expiry=_parse_date("injection.expiry", expiry),  # type: ignore[arg-type]
        needle_length_in=_number("injection.needle_length_in", needle_in), given_by=given_by or "",
        regimen_id=regimen_id, rxnorm=rxnorm), _authorisation(confirm, override_reason))


@record.command("oral-dose")
@_patient
@click.option("--dose-mg", default=None, help="Dose in mg.")
@click.option("--taken-at", default=None, help="When (ISO 8601; default now).")
@click.option("--status", "dose_status", default="taken", show_default=True, help="taken, observed or missed.")
@click.option("--observed-by", default=None, help="Staff member who watched it (observed doses).")
@click.option("--regimen", "regimen_id", default=None, help="Regimen id.")
@_confirm
@_override
@_by
@_database
def oral_dose(patient_id: str, dose_mg: str | None, taken_at: str | None, dose_status: str,
              observed_by: str | None, regimen_id: str | None, confirm: tuple[str, ...], override_reason: str | None,
              username: str, database_url: str | None) -> None:
    """Record an oral naltrexone dose (taken, observed or missed); an observed dose passes the pre-dose check."""
    _save(database_url, username, lambda now: OralDose(
        id=uuid.uuid4().hex, patient_id=patient_id, taken_at=_parse_time("oral_dose.taken_at", taken_at, now),
        dose_mg=_number("oral_dose.dose_mg", dose_mg), dose_status=dose_status,  # type: ignore[arg-type]
        observed_by=observed_by, regimen_id=regimen_id), _authorisation(confirm, override_reason))


@record.command("not-given")
@_patient
@click.option("--form", type=click.Choice(FORMS), default="xr-ntx", show_default=True, help="The form of the dose.")
@click.option("--at", "at_text", default=None, help="When it was due (ISO 8601; default now).")
@click.option("--outcome", type=click.Choice(["held", "refused"]), required=True,
              help="held (by staff) or refused (by the patient).")
@click.option("--reason", required=True, help="Why the dose was not given.")
@_by
@_database
def not_given(patient_id: str, form: str, at_text: str | None, outcome: str, reason: str, username: str,
              database_url: str | None) -> None:
    """Record a naltrexone dose held by staff or refused by the patient."""
    now = datetime.now(ZoneInfo(get_settings().timezone))
    with bad_input_exits_2():
        at = _parse_time("dose_decision.decided_at", at_text, now)
        with application(database_url) as app:
            decision = record_dose_not_given(app.ctx, cli_actor(app.ctx, username), patient_id, form,  # type: ignore[arg-type]
                                             at, outcome, reason, now)  # type: ignore[arg-type]
    click.echo(f"recorded dose {decision.outcome} ({decision.form}) {decision.id} for patient {decision.patient_id}")


@record.command()
@_patient
@click.option("--loinc", required=True, help="LOINC code, e.g. 1742-6 (ALT).")
@click.option("--name", "test_name", required=True, help="Test name, e.g. ALT.")
@click.option("--value", required=True, help="Numeric result.")
@click.option("--unit", default=None, help="UCUM unit, e.g. U/L.")
@click.option("--collected-at", default=None, help="When collected (ISO 8601; default now).")
@click.option("--ref-low", default=None, help="Reference range low.")
@click.option("--ref-high", default=None, help="Reference range high (upper limit of normal).")
@_by
@_database
def lab(patient_id: str, loinc: str, test_name: str, value: str, unit: str | None, collected_at: str | None,
        ref_low: str | None, ref_high: str | None, username: str, database_url: str | None) -> None:
    """Record a numeric lab result."""
    _save(database_url, username, lambda now: LabResult(
        id=uuid.uuid4().hex, patient_id=patient_id, loinc=loinc, name=test_name,
        value=_number("lab.value", value), unit=unit or "",
        collected_at=_parse_time("lab.collected_at", collected_at, now),
        reference_low=None if ref_low is None else _number("lab.reference_low", ref_low),
        reference_high=None if ref_high is None else _number("lab.reference_high", ref_high)))
