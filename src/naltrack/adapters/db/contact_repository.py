"""Contact consents, the reminder outbox, SMS replies and calendar tokens in SQLAlchemy Core
(:class:`~naltrack.services.contact_ports.ContactRepository`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from naltrack.adapters.db import reminder_tables as rt
from naltrack.services.contact_ports import CalendarToken, ContactConsent, ContactRepository, Reminder, SmsReply


class SqlContactRepository(ContactRepository):
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def _rows(self, query: Any) -> list[Any]:
        return list(self._c.execute(query).mappings())

    def add_consent(self, consent: ContactConsent) -> None:
        self._c.execute(sa.insert(rt.contact_consents).values(**asdict(consent)))

    def consents_of(self, patient_id: str) -> list[ContactConsent]:
        t = rt.contact_consents
        rows = self._rows(sa.select(t).where(t.c.patient_id == patient_id).order_by(t.c.recorded_at.desc(),
                                                                                    t.c.id))
        return [ContactConsent(**row) for row in rows]

    def withdraw_consent(self, consent_id: str, at: datetime, by: str, reason: str | None) -> bool:
        t = rt.contact_consents
        done = self._c.execute(sa.update(t).where(t.c.id == consent_id, t.c.withdrawn_at.is_(None))
                               .values(withdrawn_at=at, withdrawn_by=by, withdrawal_reason=reason))
        return done.rowcount == 1

    def consents_at(self, channel: str, address: str) -> list[ContactConsent]:
        t = rt.contact_consents
        rows = self._rows(sa.select(t).where(t.c.channel == channel, t.c.address == address)
                          .order_by(t.c.recorded_at.desc(), t.c.id))
        return [ContactConsent(**row) for row in rows]

    def consents_of_clinic(self, clinic_id: str) -> list[ContactConsent]:
        t = rt.contact_consents
        rows = self._rows(sa.select(t).where(t.c.clinic_id == clinic_id, t.c.withdrawn_at.is_(None))
                          .order_by(t.c.recorded_at, t.c.id))
        return [ContactConsent(**row) for row in rows]

    def find_reminder(self, reminder_id: str) -> Reminder | None:
        row = self._c.execute(sa.select(rt.reminders).where(rt.reminders.c.id == reminder_id)).mappings().first()
        return None if row is None else Reminder(**row)

    def add_reminder(self, reminder: Reminder) -> bool:
        t = rt.reminders
        exists = self._c.execute(sa.select(t.c.id).where(
            t.c.patient_id == reminder.patient_id, t.c.kind == reminder.kind, t.c.subject == reminder.subject,
            t.c.channel == reminder.channel)).first()
        if exists is not None:
            return False
        try:
            with self._c.begin_nested():  # a concurrent run queued the same reminder: keep the first
                self._c.execute(sa.insert(t).values(**asdict(reminder)))
        except IntegrityError:
            return False
        return True

    def reminders(self, clinic_id: str, statuses: tuple[str, ...] | None = None,
                  patient_id: str | None = None, limit: int = 500) -> list[Reminder]:
        t = rt.reminders
        query = sa.select(t).where(t.c.clinic_id == clinic_id)
        if statuses is not None:
            query = query.where(t.c.status.in_(statuses))
        if patient_id is not None:
            query = query.where(t.c.patient_id == patient_id)
        rows = self._rows(query.order_by(t.c.queued_at.desc(), t.c.id).limit(limit))
        return [Reminder(**row) for row in rows]

    def mark_reminder(self, reminder_id: str, status: str, at: datetime, error: str | None) -> None:
        t = rt.reminders
        values: dict[str, Any] = {"status": status, "last_error": error}
        if status == "sent":
            values["sent_at"] = at
        if status in ("sent", "failed"):
            values["attempts"] = t.c.attempts + 1
        self._c.execute(sa.update(t).where(t.c.id == reminder_id).values(**values))

    def add_reply(self, reply: SmsReply) -> None:
        self._c.execute(sa.insert(rt.sms_replies).values(**asdict(reply)))

    def replies(self, clinic_id: str, patient_id: str | None = None, limit: int = 100) -> list[SmsReply]:
        t = rt.sms_replies
        query = sa.select(t).where(t.c.clinic_id == clinic_id)
        if patient_id is not None:
            query = query.where(t.c.patient_id == patient_id)
        return [SmsReply(**row) for row in self._rows(query.order_by(t.c.received_at.desc(), t.c.id).limit(limit))]

    def add_calendar_token(self, token: CalendarToken) -> None:
        self._c.execute(sa.insert(rt.calendar_tokens).values(**asdict(token)))

    def calendar_tokens_of(self, patient_id: str) -> list[CalendarToken]:
        t = rt.calendar_tokens
        rows = self._rows(sa.select(t).where(t.c.patient_id == patient_id).order_by(t.c.created_at.desc(), t.c.id))
        return [CalendarToken(**row) for row in rows]

    def find_calendar_token(self, token_hash: str) -> CalendarToken | None:
        t = rt.calendar_tokens
        row = self._c.execute(sa.select(t).where(t.c.token_hash == token_hash)).mappings().first()
        return None if row is None else CalendarToken(**row)

    def revoke_calendar_tokens(self, patient_id: str, at: datetime, by: str) -> int:
        t = rt.calendar_tokens
        done = self._c.execute(sa.update(t).where(t.c.patient_id == patient_id, t.c.revoked_at.is_(None))
                               .values(revoked_at=at, revoked_by=by))
        return done.rowcount
