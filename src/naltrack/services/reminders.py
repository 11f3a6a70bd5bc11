"""Patient reminders that never reveal the nature of the care (docs/reminders.md).

Each use case runs in one :func:`~naltrack.services.access.run_audited` transaction, category
``contact`` of the role matrix:

- consent to be contacted, per channel and address (:mod:`naltrack.services.contact_consent`, whose use
  cases are named here too): :func:`record_contact_consent`, :func:`withdraw_contact_consent`,
  :func:`contact_overview`;
- the outbox: :func:`queue_reminders` (a visit due, from
  :func:`naltrack.domain.due_dates.next_injection_due`, and booked appointments, within
  ``days_ahead`` days; one reminder per patient, kind, subject and channel), :func:`send_reminders`
  (consent checked again at send time; every attempt audited, naming patient, channel and message id,
  never the body), :func:`list_reminders`;
- replies to texts: :func:`receive_sms_reply` (confirm, cancel through
  :func:`naltrack.services.records.correct_record`, STOP, or left for staff);
- the calendar link: :func:`issue_calendar_link`, :func:`revoke_calendar_link`, :func:`calendar_feed`.

The texts come from :mod:`naltrack.domain.reminders` and are checked neutral there.
"""

from __future__ import annotations

__all__ = [
    "CALENDAR_ACTOR", "CALENDAR_NOT_FOUND", "SMS_GATEWAY_ACTOR", "ContactOverview", "Due", "QueueReport",
    "ReminderOptions", "SendReport", "calendar_feed", "check_address", "contact_overview", "issue_calendar_link",
    "list_reminders", "queue_reminders", "receive_sms_reply", "record_contact_consent", "reminders_due",
    "revoke_calendar_link", "send_reminders", "withdraw_contact_consent",
]

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo

from naltrack.domain import reminders as wording
from naltrack.domain.care import Appointment
from naltrack.domain.chart import PatientChart
from naltrack.domain.due_dates import next_injection_due
from naltrack.domain.errors import InvalidInput, NotFound
from naltrack.domain.rules.thresholds import Thresholds
from naltrack.domain.security.accounts import Actor, User
from naltrack.services.access import Access, authorize, authorized_patient, run_audited
from naltrack.services.contact_consent import (
    ContactOverview,
    check_address,
    contact_access,
    contact_overview,
    in_force,
    record_contact_consent,
    withdraw_contact_consent,
)
from naltrack.services.contact_ports import (
    CalendarToken,
    ContactConsent,
    DeliveryFailed,
    MessageSender,
    Reminder,
    SmsReply,
)
from naltrack.services.context import AppContext
from naltrack.services.records import NewRecord, correct_record
from naltrack.services.security import hash_token, new_id
from naltrack.services.security_ports import SecureUnitOfWork
from naltrack.services.unit_of_work import chart_in

#: The actors of requests no staff member makes: a reply texted by the patient, a calendar fetched by
#: the patient's calendar app. Each acts in the patient's clinic, as front desk (schedule and contact).
SMS_GATEWAY_ACTOR = "sms-gateway"
CALENDAR_ACTOR = "calendar-link"


@dataclass(frozen=True)
class ReminderOptions:
    """How reminders are worded and when (from the settings, ``docs/reminders.md``)."""

    days_ahead: int = 3
    default_display_name: str = wording.DEFAULT_DISPLAY_NAME
    display_names: Mapping[str, str] = field(default_factory=dict)

    def display_name(self, clinic_id: str) -> str:
        """The neutral name of the clinic in reminders (checked: :func:`wording.check_display_name`)."""
        return wording.check_display_name(self.display_names.get(clinic_id, self.default_display_name))


# --- the outbox ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """Something to remind a patient of: ``subject`` names it uniquely (the due day, or the visit's start)."""

    kind: str
    subject: str
    on: date
    at: datetime | None = None
    appointment_id: str | None = None


def reminders_due(chart: PatientChart, day: date, days_ahead: int, zone: tzinfo, thresholds: Thresholds,
                  now: datetime) -> list[Due]:
    """What the patient should be reminded of on ``day``: a visit due (XR-NTX, from
    :func:`next_injection_due`) and booked appointments, each falling from ``day`` to ``day + days_ahead``
    (an appointment only while it is still ahead of ``now``)."""
    last = day + timedelta(days=days_ahead)
    found: list[Due] = []
    due = next_injection_due(chart, day, zone, thresholds)
    if due is not None and day <= due <= last:
        found.append(Due("injection", due.isoformat(), due))
    for appointment in _booked(chart, now):
        local = appointment.starts_at.astimezone(zone)
        if day <= local.date() <= last:
            found.append(Due("appointment", _visit_subject(appointment, zone), local.date(), local, appointment.id))
    return found


def _booked(chart: PatientChart, now: datetime) -> list[Appointment]:
    """The chart's booked appointments still ahead of ``now``."""
    return [a for a in chart.appointments if isinstance(a, Appointment) and a.status == "active"
            and a.appointment_status == "booked" and a.starts_at > now]


def _visit_subject(appointment: Appointment, zone: tzinfo) -> str:
    """An appointment reminder's subject: its local start, so that a correction keeping the time (a new record
    id) is not reminded of twice, and a visit moved to another time is."""
    return appointment.starts_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class QueueReport:
    """What one queueing run did."""

    queued: list[Reminder]
    already_queued: int


def queue_reminders(ctx: AppContext, actor: Actor, day: date, options: ReminderOptions,
                    now: datetime) -> QueueReport:
    """Queue the reminders due on ``day`` for the actor's clinic: for each patient with a consent in force,
    one per thing due and consented channel. Run twice, it queues nothing new. Roles that create ``contact``;
    one audit entry per reminder queued (naming patient, channel and message id)."""
    access = contact_access(actor, "create", now, "reminders", detail=f"queue reminders for {day.isoformat()}")

    def body(uow: SecureUnitOfWork, access: Access) -> QueueReport:
        authorize(uow, access)
        clinic = uow.clinics.get(actor.clinic_id)
        name = options.display_name(clinic.id)
        by_patient: dict[str, list[ContactConsent]] = {}
        for consent in uow.contacts.consents_of_clinic(clinic.id):
            if consent.in_force(now):
                by_patient.setdefault(consent.patient_id, []).append(consent)
        queued: list[Reminder] = []
        already = 0
        for patient_id, consents in by_patient.items():
            patient = uow.patients.find(patient_id)
            if patient is None or patient.clinic_id != clinic.id:
                continue
            for due in reminders_due(chart_in(uow, patient), day, options.days_ahead, clinic.zone, ctx.thresholds,
                                     now):
                for consent in consents:
                    text = wording.render(due.kind, consent.channel, clinic=name, on=due.on,
                                          at=due.at.time() if due.at else None)
                    reminder = Reminder(
                        id=new_id(), patient_id=patient.id, clinic_id=clinic.id, kind=due.kind, subject=due.subject,
                        due_on=due.on, channel=consent.channel, address=consent.address, body=text,
                        status="queued", attempts=0, queued_at=now, queued_by=actor.user.id,
                        appointment_id=due.appointment_id)
                    if uow.contacts.add_reminder(reminder):
                        queued.append(reminder)
                        access.wrote("reminders", reminder.id, patient.id,
                                     detail=f"{due.kind} reminder queued for {consent.channel}")
                    else:
                        already += 1
        return QueueReport(queued, already)

    return run_audited(ctx.uow, access, body)


@dataclass(frozen=True)
class SendReport:
    """The outcome of one sending run, by reminder id."""

    sent: list[str]
    failed: dict[str, str]
    skipped: list[str]


def list_reminders(ctx: AppContext, actor: Actor, now: datetime, statuses: tuple[str, ...] | None = None,
                   limit: int = 500) -> list[Reminder]:
    """The clinic's reminders, newest first (roles that read ``contact``); each patient shown is audited."""
    for status in statuses or ():
        if status not in wording.REMINDER_STATUSES:
            raise InvalidInput("reminder.status", status, f"must be one of {', '.join(wording.REMINDER_STATUSES)}")
    access = contact_access(actor, "read", now, "reminders")

    def body(uow: SecureUnitOfWork, access: Access) -> list[Reminder]:
        authorize(uow, access)
        found = uow.contacts.reminders(actor.clinic_id, statuses, limit=limit)
        access.showed([r.patient_id for r in found], "reminder list")
        return found

    return run_audited(ctx.uow, access, body)


def send_reminders(ctx: AppContext, actor: Actor, senders: Mapping[str, MessageSender], options: ReminderOptions,
                   now: datetime) -> SendReport:
    """Send the clinic's queued reminders and retry the failed ones, each in its own audited transaction.

    A reminder whose channel has no consent in force at ``now`` for its address (withdrawn after queueing)
    is marked ``skipped`` and not sent. A carrier's refusal marks it ``failed`` with the reason; the next
    run retries it. Roles that update ``contact``.
    """
    pending = _pending(ctx, actor, now)
    report = SendReport([], {}, [])
    for reminder_id in pending:
        outcome, error = _send_one(ctx, actor, reminder_id, senders, options, now)
        if outcome == "sent":
            report.sent.append(reminder_id)
        elif outcome == "failed":
            report.failed[reminder_id] = error or ""
        elif outcome == "skipped":
            report.skipped.append(reminder_id)
    return report


def _pending(ctx: AppContext, actor: Actor, now: datetime) -> list[str]:
    access = contact_access(actor, "update", now, "reminders", detail="send reminders")

    def body(uow: SecureUnitOfWork, access: Access) -> list[str]:
        authorize(uow, access)
        return [r.id for r in reversed(uow.contacts.reminders(actor.clinic_id, ("queued", "failed"), limit=10_000))]

    return run_audited(ctx.uow, access, body)


def _send_one(ctx: AppContext, actor: Actor, reminder_id: str, senders: Mapping[str, MessageSender],
              options: ReminderOptions, now: datetime) -> tuple[str, str | None]:
    access = contact_access(actor, "update", now, "reminders")

    def body(uow: SecureUnitOfWork, access: Access) -> tuple[str, str | None]:
        reminder = uow.contacts.find_reminder(reminder_id)
        if reminder is None or reminder.clinic_id != actor.clinic_id:
            raise NotFound("reminder", reminder_id)
        access.record_id = reminder.id
        authorized_patient(uow, access, reminder.patient_id)
        if reminder.status not in ("queued", "failed"):
            return "unchanged", None  # sent meanwhile by another run
        if reminder.due_on < now.astimezone(uow.clinics.get(reminder.clinic_id).zone).date():
            uow.contacts.mark_reminder(reminder.id, "skipped", now, "its day has passed")
            access.detail = f"reminder {reminder.id} not sent by {reminder.channel}: its day has passed"
            return "skipped", None
        consent = in_force(uow.contacts.consents_of(reminder.patient_id), reminder.channel, now)
        if consent is None or consent.address != reminder.address:
            uow.contacts.mark_reminder(reminder.id, "skipped", now, "no consent in force for this channel")
            access.detail = f"reminder {reminder.id} not sent by {reminder.channel}: no consent in force"
            return "skipped", None
        sender = senders.get(reminder.channel)
        try:
            if sender is None:
                raise DeliveryFailed(f"no {reminder.channel} carrier is configured")
            sender.send(reminder.address, wording.email_subject(options.display_name(reminder.clinic_id)),
                        reminder.body, reminder.id)
        except DeliveryFailed as error:
            reason = str(error)[:300]
            uow.contacts.mark_reminder(reminder.id, "failed", now, reason)
            access.detail = f"reminder {reminder.id} failed by {reminder.channel}: {reason}"[:500]
            return "failed", reason
        uow.contacts.mark_reminder(reminder.id, "sent", now, None)
        access.detail = f"reminder {reminder.id} sent by {reminder.channel}"
        return "sent", None

    return run_audited(ctx.uow, access, body)


# --- replies to texts ----------------------------------------------------------------------------------


def _system_actor(name: str, clinic_id: str) -> Actor:
    return Actor(User(id=name, username=name, role="front-desk", clinic_id=clinic_id), name, "patient-request")


def receive_sms_reply(ctx: AppContext, from_number: str, body_text: str, now: datetime) -> SmsReply:
    """Act on a text the gateway received from ``from_number``: C/Y confirms and X/N cancels the appointment of
    the last appointment reminder sent to that number, STOP withdraws every SMS consent at that number, and
    anything else is recorded for staff. A number no consent names is recorded as ``unmatched``."""
    try:
        number = check_address("sms", from_number)
    except InvalidInput:
        number = from_number.strip()[:32]
    text = body_text.strip()[:480]
    with ctx.uow() as uow:
        consents = uow.contacts.consents_at("sms", number)
    if not consents:
        reply = SmsReply(id=new_id(), from_number=number, body=text, received_at=now, outcome="unmatched")
        with ctx.uow() as uow:  # names no patient of ours: nothing to audit
            uow.contacts.add_reply(reply)
            uow.commit()
        return reply
    patient_id, clinic_id = consents[0].patient_id, consents[0].clinic_id
    actor = _system_actor(SMS_GATEWAY_ACTOR, clinic_id)
    action = wording.parse_reply(text)
    reminder = _last_appointment_reminder(ctx, patient_id, clinic_id, number)
    outcome = "for-staff"
    if action == "stop":
        outcome = "stopped"
    elif action in ("confirm", "cancel") and reminder is not None:
        outcome = "confirmed" if action == "confirm" else "cancelled"
        if action == "cancel" and not _cancel(ctx, actor, reminder, now):
            outcome = "for-staff"
    access = contact_access(actor, "update", now, "sms_replies", detail=f"SMS reply: {outcome}")

    def body(uow: SecureUnitOfWork, access: Access) -> SmsReply:
        patient = authorized_patient(uow, access, patient_id)
        if outcome == "stopped":
            for consent in uow.contacts.consents_at("sms", number):
                if consent.in_force(now):
                    uow.contacts.withdraw_consent(consent.id, now, actor.user.id, "STOP texted by the patient")
                    access.wrote("contact_consents", consent.id, consent.patient_id, detail="sms consent withdrawn")
        reply = SmsReply(id=new_id(), from_number=number, body=text, received_at=now, outcome=outcome,
                         patient_id=patient.id, clinic_id=clinic_id, reminder_id=reminder.id if reminder else None)
        uow.contacts.add_reply(reply)
        access.wrote("sms_replies", reply.id, patient.id, detail=f"SMS reply: {outcome}")
        return reply

    return run_audited(ctx.uow, access, body)


def _last_appointment_reminder(ctx: AppContext, patient_id: str, clinic_id: str, number: str) -> Reminder | None:
    with ctx.uow() as uow:
        sent = uow.contacts.reminders(clinic_id, ("sent",), patient_id=patient_id, limit=50)
    candidates = [r for r in sent if r.channel == "sms" and r.kind == "appointment" and r.address == number]
    return max(candidates, key=lambda r: r.sent_at or r.queued_at, default=None)


def _cancel(ctx: AppContext, actor: Actor, reminder: Reminder, now: datetime) -> bool:
    """Cancel the booked appointment the reminder was about, as a correction (audited like any); ``False`` when
    it is no longer booked at that time (seen, cancelled, moved)."""
    with ctx.uow() as uow:
        patient = uow.patients.get(reminder.patient_id)
        zone = uow.clinics.get(patient.clinic_id).zone
        chart = chart_in(uow, patient)
    target = next((a for a in _booked(chart, now)
                   if a.id == reminder.appointment_id or _visit_subject(a, zone) == reminder.subject), None)
    if target is None:
        return False

    def build(base: NewRecord) -> Appointment:
        return replace(target, **base.fields, appointment_status="cancelled")

    correct_record(ctx, actor, "appointments", target.id, target.version, build, now)
    return True


# --- the calendar link ---------------------------------------------------------------------------------


def issue_calendar_link(ctx: AppContext, actor: Actor, patient_id: str, now: datetime) -> str:
    """A new secret calendar token for the patient (shown once; kept as its SHA-256); any earlier one is
    revoked. Roles that create ``contact``."""
    access = contact_access(actor, "create", now, "calendar_tokens")
    token = secrets.token_urlsafe(32)

    def body(uow: SecureUnitOfWork, access: Access) -> str:
        patient = authorized_patient(uow, access, patient_id)
        uow.contacts.revoke_calendar_tokens(patient.id, now, actor.user.id)
        stored = CalendarToken(id=new_id(), patient_id=patient.id, clinic_id=patient.clinic_id,
                               token_hash=hash_token(token), created_by=actor.user.id, created_at=now)
        uow.contacts.add_calendar_token(stored)
        access.wrote("calendar_tokens", stored.id, patient.id, detail="calendar link issued")
        return token

    return run_audited(ctx.uow, access, body)


def revoke_calendar_link(ctx: AppContext, actor: Actor, patient_id: str, now: datetime) -> int:
    """Revoke the patient's calendar link(s); how many were in force. Roles that update ``contact``."""
    access = contact_access(actor, "update", now, "calendar_tokens", detail="calendar link revoked")

    def body(uow: SecureUnitOfWork, access: Access) -> int:
        patient = authorized_patient(uow, access, patient_id)
        return uow.contacts.revoke_calendar_tokens(patient.id, now, actor.user.id)

    return run_audited(ctx.uow, access, body)


CALENDAR_NOT_FOUND = "calendar"


def calendar_feed(ctx: AppContext, token: str, options: ReminderOptions, now: datetime) -> str:
    """The iCalendar text of the token's patient: booked appointments from now on and the visit due (from
    :func:`next_injection_due`), in neutral words. An unknown or revoked token is ``NotFound`` (unaudited:
    it names no patient); every fetch of a valid one is audited."""
    if not token or len(token) > 100:
        raise NotFound(CALENDAR_NOT_FOUND, "link")
    with ctx.uow() as uow:
        stored = uow.contacts.find_calendar_token(hash_token(token))
    if stored is None or stored.revoked_at is not None:
        raise NotFound(CALENDAR_NOT_FOUND, "link")
    actor = _system_actor(CALENDAR_ACTOR, stored.clinic_id)
    access = contact_access(actor, "read", now, "calendar_tokens", detail=f"calendar {stored.id} fetched")

    def body(uow: SecureUnitOfWork, access: Access) -> str:
        patient = authorized_patient(uow, access, stored.patient_id)
        clinic = uow.clinics.get(patient.clinic_id)
        chart = chart_in(uow, patient)
        today = now.astimezone(clinic.zone).date()
        appointments = [(a.id, a.starts_at.astimezone(clinic.zone), a.duration_min) for a in _booked(chart, now)]
        due = next_injection_due(chart, today, clinic.zone, ctx.thresholds)
        name = options.display_name(clinic.id)
        events = wording.calendar_events(name, sorted(appointments, key=lambda a: a[1]),
                                         due if due is not None and due >= today else None)
        return wording.ics_calendar(events, now, name)

    return run_audited(ctx.uow, access, body)
