"""The port of patient contact and reminders: consent to contact per channel, the reminder outbox, inbound
SMS replies and calendar-link tokens. Reached as ``uow.contacts`` on the secure unit of work, so that each
change is written in the same transaction as its audit entry; and the port of message delivery."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True)
class ContactConsent:
    """A patient's consent to be contacted on ``channel`` at ``address``; in force until withdrawn."""

    id: str
    patient_id: str
    clinic_id: str
    channel: str
    address: str
    recorded_by: str
    recorded_at: datetime
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawal_reason: str | None = None

    def in_force(self, now: datetime) -> bool:
        return self.recorded_at <= now and (self.withdrawn_at is None or self.withdrawn_at > now)


@dataclass(frozen=True)
class Reminder:
    """One message of the outbox: ``subject`` is what it reminds of (the due day, or the appointment)."""

    id: str
    patient_id: str
    clinic_id: str
    kind: str
    subject: str
    due_on: date
    channel: str
    address: str
    body: str
    status: str
    attempts: int
    queued_at: datetime
    queued_by: str
    appointment_id: str | None = None
    last_error: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class SmsReply:
    """An inbound text and what was done with it (``confirmed``, ``cancelled``, ``stopped``, ``for-staff``,
    ``unmatched``)."""

    id: str
    from_number: str
    body: str
    received_at: datetime
    outcome: str
    patient_id: str | None = None
    clinic_id: str | None = None
    reminder_id: str | None = None


@dataclass(frozen=True)
class CalendarToken:
    """A patient's calendar link, kept as the SHA-256 of its secret."""

    id: str
    patient_id: str
    clinic_id: str
    token_hash: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None


class ContactRepository(abc.ABC):
    """Storage of contact consents, reminders, replies and calendar tokens."""

    @abc.abstractmethod
    def add_consent(self, consent: ContactConsent) -> None: ...

    @abc.abstractmethod
    def consents_of(self, patient_id: str) -> list[ContactConsent]:
        """Every consent of the patient, newest first (withdrawn ones included)."""

    @abc.abstractmethod
    def withdraw_consent(self, consent_id: str, at: datetime, by: str, reason: str | None) -> bool:
        """Withdraw a consent in force; ``False`` when it was withdrawn already."""

    @abc.abstractmethod
    def consents_at(self, channel: str, address: str) -> list[ContactConsent]:
        """The consents (any patient, any state) naming ``address`` on ``channel``, newest first."""

    @abc.abstractmethod
    def consents_of_clinic(self, clinic_id: str) -> list[ContactConsent]:
        """The consents of the clinic's patients not withdrawn, oldest first."""

    @abc.abstractmethod
    def find_reminder(self, reminder_id: str) -> Reminder | None: ...

    @abc.abstractmethod
    def add_reminder(self, reminder: Reminder) -> bool:
        """Queue ``reminder`` unless one of the same patient, kind, subject and channel exists; ``True`` if added."""

    @abc.abstractmethod
    def reminders(self, clinic_id: str, statuses: tuple[str, ...] | None = None,
                  patient_id: str | None = None, limit: int = 500) -> list[Reminder]:
        """The clinic's reminders (of one patient), newest first, optionally only in ``statuses``."""

    @abc.abstractmethod
    def mark_reminder(self, reminder_id: str, status: str, at: datetime, error: str | None) -> None:
        """Record a send attempt: ``sent`` (with ``at``), ``failed`` (with the error) or ``skipped``."""

    @abc.abstractmethod
    def add_reply(self, reply: SmsReply) -> None: ...

    @abc.abstractmethod
    def replies(self, clinic_id: str, patient_id: str | None = None, limit: int = 100) -> list[SmsReply]: ...

    @abc.abstractmethod
    def add_calendar_token(self, token: CalendarToken) -> None: ...

    @abc.abstractmethod
    def calendar_tokens_of(self, patient_id: str) -> list[CalendarToken]: ...

    @abc.abstractmethod
    def find_calendar_token(self, token_hash: str) -> CalendarToken | None: ...

    @abc.abstractmethod
    def revoke_calendar_tokens(self, patient_id: str, at: datetime, by: str) -> int:
        """Revoke every token of the patient in force; how many were."""


class DeliveryFailed(Exception):
    """A message could not be handed to the mail server or the SMS gateway (the reason, never the body)."""


class MessageSender(Protocol):
    """Hands one message to a channel's carrier; raises :class:`DeliveryFailed` when it cannot."""

    def send(self, to: str, subject: str, body: str, reference: str) -> None: ...
