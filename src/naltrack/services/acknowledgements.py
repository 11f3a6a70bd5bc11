"""Acknowledging a monitoring alert: the clinician saw it and acted.

An alert is named by its rule and the record it is about (``Alert.rule`` and
``Alert.subject`` of :mod:`naltrack.domain.rules.monitoring`), so an acknowledgement
holds for that record only: a new PHQ-9 with item 9 positive, a new liver result or a new
injection raises a new alert. Acknowledging is audited (action ``acknowledge``); it changes
no clinical record. The table is ``alert_acknowledgements`` (migration 0004).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from naltrack.domain.errors import InvalidInput
from naltrack.domain.rules.base import RULES
from naltrack.domain.security.accounts import Actor
from naltrack.services.access import Access, authorize, patient_in_clinic, run_audited
from naltrack.services.security_ports import SecureUnitOfWork, SecureUnitOfWorkFactory

acks_t = sa.table("alert_acknowledgements", sa.column("id"), sa.column("clinic_id"), sa.column("patient_id"),
                  sa.column("rule"), sa.column("subject"), sa.column("acknowledged_by"),
                  sa.column("acknowledged_at", sa.DateTime(timezone=True)), sa.column("note"))
MONITORING_RULES = frozenset(r.id for r in RULES if r.kind == "monitoring")


@dataclass(frozen=True)
class Acknowledgement:
    patient_id: str
    rule: str
    subject: str
    acknowledged_by: str
    acknowledged_at: datetime


def _stored(at: datetime, connection: Connection) -> datetime:
    utc = at.astimezone(UTC)
    return utc.replace(tzinfo=None) if connection.dialect.name == "sqlite" else utc


def acknowledge_alert(uow_factory: SecureUnitOfWorkFactory, connection: Connection, actor: Actor, patient_id: str,
                      rule: str, subject: str, now: datetime, note: str | None = None) -> Acknowledgement:
    """Record that ``actor`` acknowledged the alert ``(rule, subject)`` of a patient of their clinic.

    Raises
    ------
    InvalidInput
        For a rule that is not a monitoring rule or an empty subject.
    NotFound, AccessDenied
        For a patient of another clinic, or a role that does not see clinical views.
    """
    if rule not in MONITORING_RULES:
        raise InvalidInput("alert.rule", rule, f"is not a monitoring rule ({', '.join(sorted(MONITORING_RULES))})")
    if not subject or len(subject) > 64:
        raise InvalidInput("alert.subject", subject, "must name the record the alert is about (1-64 characters)")
    access = Access(actor=actor, action="acknowledge", category="clinical-views", now=now,
                    record_type=f"alert {rule}", record_id=subject)

    def body(uow: SecureUnitOfWork, access: Access) -> None:
        patient_in_clinic(uow, access, patient_id)
        authorize(uow, access, action="read")

    run_audited(uow_factory, access, body)
    ack = Acknowledgement(patient_id, rule, subject, actor.user.username, now)
    try:
        with connection.begin():
            connection.execute(sa.insert(acks_t).values(
                id=uuid.uuid4().hex, clinic_id=actor.clinic_id, patient_id=patient_id, rule=rule, subject=subject,
                acknowledged_by=ack.acknowledged_by, acknowledged_at=_stored(now, connection), note=note))
    except IntegrityError:
        pass  # acknowledged already (by someone else a moment ago): one acknowledgement is enough
    return ack


def _rows(connection: Connection, where: Any) -> list[Acknowledgement]:
    a = acks_t.c
    rows = connection.execute(sa.select(a.patient_id, a.rule, a.subject, a.acknowledged_by, a.acknowledged_at)
                              .where(where))
    return [Acknowledgement(r.patient_id, r.rule, r.subject, r.acknowledged_by,
                            r.acknowledged_at if r.acknowledged_at.tzinfo else r.acknowledged_at.replace(tzinfo=UTC))
            for r in rows]


def acknowledgements_for(connection: Connection, patient_id: str) -> dict[tuple[str, str], Acknowledgement]:
    """A patient's acknowledgements by ``(rule, subject)``."""
    return {(a.rule, a.subject): a for a in _rows(connection, acks_t.c.patient_id == patient_id)}


def acknowledged_since(connection: Connection, clinic_id: str, since: datetime) -> set[tuple[str, str]]:
    """``(rule, subject)`` of the clinic's alerts acknowledged since ``since`` (index clinic_id, acknowledged_at)."""
    a = acks_t.c
    return {(ack.rule, ack.subject) for ack in _rows(connection, sa.and_(
        a.clinic_id == clinic_id, a.acknowledged_at >= _stored(since, connection)))}
