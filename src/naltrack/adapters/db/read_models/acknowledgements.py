"""Acknowledgements of monitoring alerts (table ``alert_acknowledgements``, migration 0004).

An alert is named by its rule and the record it is about, so an acknowledgement holds for
that record only. The first acknowledgement of an alert is kept: a second one, by someone
else a moment later, is not an error and changes nothing (``INSERT ... ON CONFLICT DO
NOTHING``, which leaves the surrounding transaction and its audit entry intact).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from naltrack.adapters.db import tables as t
from naltrack.services.read_models import Acknowledgement

_acks = t.alert_acknowledgements


def add_acknowledgement(connection: Connection, clinic_id: str, ack: Acknowledgement, note: str | None) -> None:
    """Store ``ack`` unless the alert ``(patient, rule, subject)`` is acknowledged already."""
    insert = postgresql.insert(_acks) if connection.dialect.name == "postgresql" else sqlite.insert(_acks)
    connection.execute(insert.values(
        id=uuid.uuid4().hex, clinic_id=clinic_id, patient_id=ack.patient_id, rule=ack.rule, subject=ack.subject,
        acknowledged_by=ack.acknowledged_by, acknowledged_at=ack.acknowledged_at, note=note,
    ).on_conflict_do_nothing(index_elements=["patient_id", "rule", "subject"]))


def _rows(connection: Connection, where: sa.ColumnElement[bool]) -> list[Acknowledgement]:
    a = _acks.c
    query = sa.select(a.patient_id, a.rule, a.subject, a.acknowledged_by, a.acknowledged_at).where(where)
    return [Acknowledgement(r.patient_id, r.rule, r.subject, r.acknowledged_by, r.acknowledged_at)
            for r in connection.execute(query)]


def find_for_patient(connection: Connection, patient_id: str) -> dict[tuple[str, str], Acknowledgement]:
    """A patient's acknowledgements by ``(rule, subject)``."""
    return {(a.rule, a.subject): a for a in _rows(connection, _acks.c.patient_id == patient_id)}


def find_since(connection: Connection, clinic_id: str, since: datetime) -> set[tuple[str, str]]:
    """``(rule, subject)`` of the clinic's alerts acknowledged since ``since`` (index clinic_id, acknowledged_at)."""
    a = _acks.c
    return {(ack.rule, ack.subject) for ack in _rows(connection, sa.and_(a.clinic_id == clinic_id,
                                                                          a.acknowledged_at >= since))}
