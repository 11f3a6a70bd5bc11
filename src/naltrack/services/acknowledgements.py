"""Acknowledging a monitoring alert: the clinician saw it and acted.

An alert is named by its rule and the record it is about (``Alert.rule`` and
``Alert.subject`` of :mod:`naltrack.domain.rules.monitoring`), so an acknowledgement
holds for that record only: a new PHQ-9 with item 9 positive, a new liver result or a new
injection raises a new alert. A PHQ-9 item 9 alert cannot be acknowledged: only a recorded
safety assessment closes it (:mod:`naltrack.domain.safety`). Acknowledging is audited (action
``acknowledge``) in the same transaction that stores it; it changes no clinical record.
"""

from __future__ import annotations

from datetime import datetime

from naltrack.domain.errors import InvalidInput
from naltrack.domain.rules.base import RULES
from naltrack.domain.safety import NOT_ACKNOWLEDGEABLE
from naltrack.domain.security.accounts import Actor
from naltrack.services.access import Access, authorize, patient_in_clinic, run_audited
from naltrack.services.context import AppContext
from naltrack.services.read_models import Acknowledgement
from naltrack.services.security_ports import SecureUnitOfWork

MONITORING_RULES = frozenset(r.id for r in RULES if r.kind == "monitoring")


def acknowledge_alert(ctx: AppContext, actor: Actor, patient_id: str, rule: str, subject: str, now: datetime,
                      note: str | None = None) -> Acknowledgement:
    """Record that ``actor`` acknowledged the alert ``(rule, subject)`` of a patient of their clinic.

    An alert acknowledged already keeps its first acknowledgement; this one is audited all the same.

    Raises
    ------
    InvalidInput
        For a rule that is not a monitoring rule, a rule only a documented assessment closes
        (PHQ-9 item 9, :data:`~naltrack.domain.safety.NOT_ACKNOWLEDGEABLE`), or an empty subject.
    NotFound, AccessDenied
        For a patient of another clinic, or a role that does not see clinical views.
    """
    if rule not in MONITORING_RULES:
        raise InvalidInput("alert.rule", rule, f"is not a monitoring rule ({', '.join(sorted(MONITORING_RULES))})")
    if rule in NOT_ACKNOWLEDGEABLE:
        raise InvalidInput("alert.rule", rule, "is closed by recording a safety assessment, not by an acknowledgement")
    if not subject or len(subject) > 64:
        raise InvalidInput("alert.subject", subject, "must name the record the alert is about (1-64 characters)")
    access = Access(actor=actor, action="acknowledge", category="clinical-views", now=now,
                    record_type=f"alert {rule}", record_id=subject)

    def body(uow: SecureUnitOfWork, access: Access) -> Acknowledgement:
        patient_in_clinic(uow, access, patient_id)
        authorize(uow, access, action="read")
        ack = Acknowledgement(patient_id, rule, subject, actor.user.username, now)
        uow.read_models.acknowledge(actor.clinic_id, ack, note)
        return ack

    return run_audited(ctx.uow, access, body)


def list_acknowledgements(ctx: AppContext, actor: Actor, patient_id: str,
                          now: datetime) -> dict[tuple[str, str], Acknowledgement]:
    """A patient's acknowledged alerts by ``(rule, subject)``, for a patient of the actor's clinic.

    Raises
    ------
    NotFound, AccessDenied
        For a patient of another clinic, or a role that does not see clinical views.
    """
    access = Access(actor=actor, action="read", category="clinical-views", now=now,
                    record_type="alert acknowledgements")

    def body(uow: SecureUnitOfWork, access: Access) -> dict[tuple[str, str], Acknowledgement]:
        patient_in_clinic(uow, access, patient_id)
        authorize(uow, access)
        return uow.read_models.acknowledgements(patient_id)

    return run_audited(ctx.uow, access, body)
