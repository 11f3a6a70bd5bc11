"""Auditing a refusal: a request refused before any use case ran, and the entry of any refused attempt.

A refused request may carry anything (an id of 10,000 characters, a detail of a megabyte);
its audit entry must still be written, so :func:`fit_for_audit` cuts every text to what the
audit log's columns hold (:mod:`naltrack.domain.limits`) before it is appended.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from naltrack.domain.limits import AUDIT_DETAIL_MAX_LENGTH, AUDIT_LABEL_MAX_LENGTH, ID_MAX_LENGTH
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.audit import AuditEvent
from naltrack.services.context import AppContext


def _cut(value: str | None, length: int) -> str | None:
    return None if value is None else value.replace("\x00", "\\0")[:length]


def fit_for_audit(event: AuditEvent) -> AuditEvent:
    """``event`` with every text cut to its audit column and NUL characters spelt out (never refused).

    Examples
    --------
    >>> from datetime import UTC
    >>> event = AuditEvent(at=datetime(2026, 1, 1, tzinfo=UTC), actor="u1", clinic_id="c1", action="read",
    ...                    category="labs", patient_id="p" * 500, outcome="not-found")
    >>> len(fit_for_audit(event).patient_id)
    64
    """
    return replace(
        event, actor=_cut(event.actor, ID_MAX_LENGTH) or event.actor, clinic_id=_cut(event.clinic_id, ID_MAX_LENGTH),
        action=_cut(event.action, AUDIT_LABEL_MAX_LENGTH) or event.action,
        category=_cut(event.category, AUDIT_LABEL_MAX_LENGTH) or event.category,
        record_type=_cut(event.record_type, ID_MAX_LENGTH), record_id=_cut(event.record_id, ID_MAX_LENGTH),
        patient_id=_cut(event.patient_id, ID_MAX_LENGTH),
        purpose=_cut(event.purpose, AUDIT_LABEL_MAX_LENGTH) or event.purpose,
        source=_cut(event.source, ID_MAX_LENGTH), detail=_cut(event.detail, AUDIT_DETAIL_MAX_LENGTH),
    )


def audit_refused_request(ctx: AppContext, actor: Actor, action: str, detail: str, now: datetime) -> None:
    """Audit a request refused at the edge (bad input, before any use case ran): outcome ``invalid``."""
    event = AuditEvent(at=now, actor=actor.user.id, clinic_id=actor.clinic_id, action=action, category="request",
                       purpose=actor.purpose, outcome="invalid", source=actor.source, detail=detail)
    with ctx.uow() as uow:
        uow.security.append_audit(fit_for_audit(event))
        uow.commit()
