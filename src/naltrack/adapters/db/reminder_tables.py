"""Tables of patient contact and reminders, on the shared :data:`~naltrack.adapters.db.tables.metadata`
(migration ``0016_patient_contact_reminders``).

- ``contact_consents``: a patient's consent to be contacted on one channel (email, sms) at one
  address, who recorded it and when, and its withdrawal. A row is never updated except to be
  withdrawn; a new address is a new row.
- ``reminders``: the outbox. One row per patient, kind, subject (the due date, or the
  appointment) and channel, enforced by a unique constraint, so queueing twice queues once.
  The body is kept for sending; the audit log never holds it.
- ``sms_replies``: inbound SMS replies and what was done with each.
- ``calendar_tokens``: the secret of a patient's calendar link, kept as its SHA-256 only.
"""

from __future__ import annotations

import sqlalchemy as sa

from naltrack.adapters.db.tables import UtcDateTime, metadata

_ID = 64

contact_consents = sa.Table(
    "contact_consents", metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("patient_id", sa.String(_ID), sa.ForeignKey("patients.id"), nullable=False),
    sa.Column("clinic_id", sa.String(_ID), sa.ForeignKey("clinics.id"), nullable=False, index=True),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("address", sa.String(254), nullable=False),
    sa.Column("recorded_by", sa.String(_ID), nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Column("withdrawn_at", UtcDateTime),
    sa.Column("withdrawn_by", sa.String(_ID)),
    sa.Column("withdrawal_reason", sa.String(200)),
    sa.Index("ix_contact_consents_patient_channel", "patient_id", "channel"),
    sa.Index("ix_contact_consents_address", "channel", "address"),
)

reminders = sa.Table(
    "reminders", metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("patient_id", sa.String(_ID), sa.ForeignKey("patients.id"), nullable=False, index=True),
    sa.Column("clinic_id", sa.String(_ID), sa.ForeignKey("clinics.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("subject", sa.String(_ID + 32), nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("appointment_id", sa.String(_ID)),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("address", sa.String(254), nullable=False),
    sa.Column("body", sa.String(480), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.String(300)),
    sa.Column("queued_at", UtcDateTime, nullable=False),
    sa.Column("queued_by", sa.String(_ID), nullable=False),
    sa.Column("sent_at", UtcDateTime),
    sa.UniqueConstraint("patient_id", "kind", "subject", "channel", name="uq_reminders_once"),
    sa.Index("ix_reminders_clinic_status", "clinic_id", "status"),
)

sms_replies = sa.Table(
    "sms_replies", metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("from_number", sa.String(32), nullable=False),
    sa.Column("body", sa.String(480), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("patient_id", sa.String(_ID), sa.ForeignKey("patients.id"), index=True),
    sa.Column("clinic_id", sa.String(_ID), sa.ForeignKey("clinics.id")),
    sa.Column("reminder_id", sa.String(_ID)),
    sa.Column("outcome", sa.String(20), nullable=False),
)

calendar_tokens = sa.Table(
    "calendar_tokens", metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("patient_id", sa.String(_ID), sa.ForeignKey("patients.id"), nullable=False, index=True),
    sa.Column("clinic_id", sa.String(_ID), sa.ForeignKey("clinics.id"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_by", sa.String(_ID), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
    sa.Column("revoked_by", sa.String(_ID)),
)

REMINDER_TABLES = (contact_consents, reminders, sms_replies, calendar_tokens)
