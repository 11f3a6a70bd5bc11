"""``naltrack reminders queue|send|list`` and ``naltrack contact record|withdraw|show`` (docs/reminders.md).

Each calls one use case of :mod:`naltrack.services.reminders` as the user named by ``--as`` (audited). Bad
input or a refused access prints the reason and exits with code 2. ``queue`` and ``send`` are meant for a
daily timer: both are safe to run twice (a reminder is queued once; a sent one is never sent again).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import click

from naltrack.adapters.delivery import senders_from_settings
from naltrack.cli.app import application
from naltrack.cli.errors import bad_input_exits_2
from naltrack.cli.records import cli_actor
from naltrack.config import Settings, get_settings
from naltrack.domain.errors import InvalidInput
from naltrack.domain.reminders import CHANNELS, REMINDER_STATUSES
from naltrack.services import clinics as clinic_cases
from naltrack.services import reminders as cases

_database = click.option("--database", "database_url", default=None, help="Database URL (default: configured).")
_by = click.option("--as", "username", required=True, help="The naltrack user who acts (audited).")


def _now() -> datetime:
    return datetime.now(ZoneInfo(get_settings().timezone))


def options_of(settings: Settings) -> cases.ReminderOptions:
    """The reminder options of the settings."""
    return cases.ReminderOptions(days_ahead=settings.reminder_days_ahead,
                                 default_display_name=settings.reminder_display_name,
                                 display_names=dict(settings.reminder_clinic_names))


@click.group()
def reminders() -> None:
    """Queue, send and list patient reminders."""


@reminders.command("queue")
@_by
@click.option("--day", default=None, help="The clinic-local day to queue for (YYYY-MM-DD; default: today).")
@click.option("--days-ahead", type=int, default=None,
              help="Remind this many days ahead (default: NALTRACK_REMINDER_DAYS_AHEAD).")
@_database
def queue(username: str, day: str | None, days_ahead: int | None, database_url: str | None) -> None:
    """Queue the reminders due for the user's clinic (visits due and booked appointments)."""
    with bad_input_exits_2(), application(database_url) as app:
        actor = cli_actor(app.ctx, username)
        now = _now()
        options = options_of(app.settings)
        if days_ahead is not None:
            if not 0 <= days_ahead <= 14:
                raise InvalidInput("--days-ahead", days_ahead, "must be 0 to 14")
            options = cases.ReminderOptions(days_ahead, options.default_display_name, options.display_names)
        on = _day(day) if day else clinic_cases.clinic_today(clinic_cases.get_clinic_zone(app.ctx, actor.clinic_id),
                                                              now)
        report = cases.queue_reminders(app.ctx, actor, on, options, now)
        click.echo(f"queued {len(report.queued)} reminder(s) for {on.isoformat()}; "
                   f"{report.already_queued} already queued")


@reminders.command("send")
@_by
@_database
def send(username: str, database_url: str | None) -> None:
    """Send the queued reminders and retry the failed ones."""
    with bad_input_exits_2(), application(database_url) as app:
        report = cases.send_reminders(app.ctx, cli_actor(app.ctx, username), senders_from_settings(app.settings),
                                      options_of(app.settings), _now())
        click.echo(f"sent {len(report.sent)}, failed {len(report.failed)}, skipped {len(report.skipped)} "
                   "(no consent in force)")
        for reminder_id, error in report.failed.items():
            click.echo(f"failed {reminder_id}: {error}")


@reminders.command("list")
@_by
@click.option("--status", "statuses", multiple=True, type=click.Choice(REMINDER_STATUSES),
              help="Only reminders in this status (repeatable).")
@_database
def list_command(username: str, statuses: tuple[str, ...], database_url: str | None) -> None:
    """The clinic's reminders, newest first: id, patient, kind, due day, channel, status."""
    with bad_input_exits_2(), application(database_url) as app:
        found = cases.list_reminders(app.ctx, cli_actor(app.ctx, username), _now(), statuses or None)
        for r in found:
            error = f"\t{r.last_error}" if r.last_error else ""
            click.echo(f"{r.id}\t{r.patient_id}\t{r.kind}\t{r.due_on.isoformat()}\t{r.channel}\t{r.status}{error}")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("--day", text, "must be a date YYYY-MM-DD") from None


@click.group()
def contact() -> None:
    """A patient's consent to be contacted (reminders), per channel."""


@contact.command("record")
@click.argument("patient_id")
@click.option("--channel", required=True, type=click.Choice(CHANNELS))
@click.option("--address", required=True, help="The e-mail address, or the mobile number (+16175550100).")
@_by
@_database
def record(patient_id: str, channel: str, address: str, username: str, database_url: str | None) -> None:
    """Record the patient's consent to reminders on CHANNEL at ADDRESS (replacing one in force)."""
    with bad_input_exits_2(), application(database_url) as app:
        consent = cases.record_contact_consent(app.ctx, cli_actor(app.ctx, username), patient_id, channel, address,
                                               _now())
        click.echo(f"recorded {consent.id}: {channel} {consent.address}")


@contact.command("withdraw")
@click.argument("patient_id")
@click.option("--channel", required=True, type=click.Choice(CHANNELS))
@click.option("--reason", default=None, help="Why (at most 200 characters).")
@_by
@_database
def withdraw(patient_id: str, channel: str, reason: str | None, username: str, database_url: str | None) -> None:
    """Withdraw the patient's consent to reminders on CHANNEL."""
    with bad_input_exits_2(), application(database_url) as app:
        consent = cases.withdraw_contact_consent(app.ctx, cli_actor(app.ctx, username), patient_id, channel,
                                                 _now(), reason)
        click.echo(f"withdrawn {consent.id}: {channel}")


@contact.command("show")
@click.argument("patient_id")
@_by
@_database
def show(patient_id: str, username: str, database_url: str | None) -> None:
    """The patient's consents to contact (in force and withdrawn) and whether a calendar link is in force."""
    with bad_input_exits_2(), application(database_url) as app:
        overview = cases.contact_overview(app.ctx, cli_actor(app.ctx, username), patient_id, _now())
        for c in overview.consents:
            state = f"withdrawn {c.withdrawn_at.isoformat()}" if c.withdrawn_at else "in force"
            click.echo(f"{c.id}\t{c.channel}\t{c.address}\t{c.recorded_at.isoformat()}\t{c.recorded_by}\t{state}")
        click.echo(f"calendar link: {'in force' if overview.calendar_link_active else 'none'}")
