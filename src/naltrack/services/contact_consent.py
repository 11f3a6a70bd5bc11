"""Consent to be contacted, per channel and address (docs/reminders.md), and what the contact page shows.

Each use case runs in one :func:`~naltrack.services.access.run_audited` transaction, category
``contact`` of the role matrix: :func:`record_contact_consent`, :func:`withdraw_contact_consent`,
:func:`contact_overview`. :func:`check_address` normalises an address for its channel; :func:`in_force`
finds the consent a reminder is sent under (:mod:`naltrack.services.reminders` checks it again at send time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from naltrack.domain import reminders as wording
from naltrack.domain.errors import InvalidInput, NotFound
from naltrack.domain.patients import Patient
from naltrack.domain.security.accounts import Actor
from naltrack.services.access import Access, authorized_patient, run_audited
from naltrack.services.contact_ports import ContactConsent, Reminder, SmsReply
from naltrack.services.context import AppContext
from naltrack.services.security import new_id
from naltrack.services.security_ports import SecureUnitOfWork

CATEGORY = "contact"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,252}\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+[1-9][0-9]{7,14}$")


def check_address(channel: str, address: str) -> str:
    """The address normalised for its channel: an e-mail address, or an E.164 number (+ and 8-15 digits).

    >>> check_address("sms", "+1 (617) 555-0100")
    '+16175550100'
    >>> check_address("email", " Pat@Example.org ")
    'Pat@example.org'
    """
    if channel not in wording.CHANNELS:
        raise InvalidInput("contact.channel", channel, f"must be one of {', '.join(wording.CHANNELS)}")
    text = address.strip()
    if channel == "sms":
        number = re.sub(r"[\s().-]", "", text)
        if not _PHONE.match(number):
            raise InvalidInput("contact.address", address, "must be a phone number in international form, "
                                                           "e.g. +16175550100")
        return number
    if not _EMAIL.match(text):
        raise InvalidInput("contact.address", address, "must be an e-mail address")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def contact_access(actor: Actor, action: str, now: datetime, record_type: str, detail: str | None = None) -> Access:
    """The audited access of a contact use case (category ``contact``)."""
    return Access(actor=actor, action=action, category=CATEGORY, now=now, record_type=record_type, detail=detail)


def in_force(consents: list[ContactConsent], channel: str, now: datetime) -> ContactConsent | None:
    """The consent in force on ``channel`` at ``now``, if any."""
    return next((c for c in consents if c.channel == channel and c.in_force(now)), None)


# --- consent to contact -----------------------------------------------------------------------------


def record_contact_consent(ctx: AppContext, actor: Actor, patient_id: str, channel: str, address: str,
                           now: datetime) -> ContactConsent:
    """Record the patient's consent to reminders on ``channel`` at ``address``; a consent in force on the same
    channel is withdrawn by it (replaced). Roles that create ``contact``."""
    checked = check_address(channel, address)
    access = contact_access(actor, "create", now, "contact_consents")

    def body(uow: SecureUnitOfWork, access: Access) -> ContactConsent:
        patient = authorized_patient(uow, access, patient_id)
        for old in uow.contacts.consents_of(patient.id):
            if old.channel == channel and old.withdrawn_at is None:
                uow.contacts.withdraw_consent(old.id, now, actor.user.id, "replaced")
                access.wrote("contact_consents", old.id, patient.id, detail=f"{channel} consent replaced")
        consent = ContactConsent(id=new_id(), patient_id=patient.id, clinic_id=patient.clinic_id, channel=channel,
                                 address=checked, recorded_by=actor.user.id, recorded_at=now)
        uow.contacts.add_consent(consent)
        access.wrote("contact_consents", consent.id, patient.id, detail=f"{channel} consent recorded")
        return consent

    return run_audited(ctx.uow, access, body)


def withdraw_contact_consent(ctx: AppContext, actor: Actor, patient_id: str, channel: str, now: datetime,
                             reason: str | None = None) -> ContactConsent:
    """Withdraw the patient's consent in force on ``channel``; ``NotFound`` when there is none."""
    if channel not in wording.CHANNELS:
        raise InvalidInput("contact.channel", channel, f"must be one of {', '.join(wording.CHANNELS)}")
    if reason is not None and len(reason) > 200:
        raise InvalidInput("contact.reason", reason, "must be at most 200 characters")
    access = contact_access(actor, "update", now, "contact_consents")

    def body(uow: SecureUnitOfWork, access: Access) -> ContactConsent:
        patient = authorized_patient(uow, access, patient_id)
        consent = in_force(uow.contacts.consents_of(patient.id), channel, now)
        if consent is None:
            raise NotFound("contact consent", f"{patient_id}/{channel}")
        uow.contacts.withdraw_consent(consent.id, now, actor.user.id, reason)
        access.wrote("contact_consents", consent.id, patient.id, detail=f"{channel} consent withdrawn")
        return replace(consent, withdrawn_at=now, withdrawn_by=actor.user.id, withdrawal_reason=reason)

    return run_audited(ctx.uow, access, body)


@dataclass(frozen=True)
class ContactOverview:
    """What the contact page shows: consents (newest first), the patient's reminders and replies, the link."""

    patient: Patient
    consents: list[ContactConsent]
    reminders: list[Reminder]
    replies: list[SmsReply]
    calendar_link_active: bool
    names: dict[str, str] = field(default_factory=dict)
    """The user names of the staff who recorded the consents, by user id."""

    def in_force(self, channel: str, now: datetime) -> ContactConsent | None:
        return in_force(self.consents, channel, now)


def contact_overview(ctx: AppContext, actor: Actor, patient_id: str, now: datetime) -> ContactOverview:
    """The patient's consents to contact, reminders, replies and whether a calendar link is in force."""
    access = contact_access(actor, "read", now, "contact_consents")

    def body(uow: SecureUnitOfWork, access: Access) -> ContactOverview:
        patient = authorized_patient(uow, access, patient_id)
        tokens = uow.contacts.calendar_tokens_of(patient.id)
        consents = uow.contacts.consents_of(patient.id)
        return ContactOverview(
            patient=patient, consents=consents,
            reminders=uow.contacts.reminders(patient.clinic_id, patient_id=patient.id, limit=50),
            replies=uow.contacts.replies(patient.clinic_id, patient_id=patient.id, limit=50),
            calendar_link_active=any(t.revoked_at is None for t in tokens),
            names=uow.security.audit_names(patient.clinic_id, {c.recorded_by for c in consents}))

    return run_audited(ctx.uow, access, body)
