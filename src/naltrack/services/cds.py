"""CDS Hooks use cases: the Part 2 disclosure of an answer to a calling EHR, and card feedback.

The caller is an EHR (authenticated by its JWT, :mod:`naltrack.cds.auth`), not a naltrack user,
so the audit entries name it as ``cds:<caller>``. Each use case is one transaction: the
disclosure (when allowed) and its audit entry commit together; so do a feedback call's
entries, one per card outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from naltrack.domain.security.audit import AuditEvent
from naltrack.domain.security.consent import decide_disclosure
from naltrack.services.context import AppContext
from naltrack.services.security_ports import Disclosure


@dataclass(frozen=True)
class CardOutcome:
    """One outcome of one card, as the EHR reported it."""

    card: str
    outcome: str
    outcome_at: datetime
    caller: str
    override_code: str | None = None
    patient_id: str | None = None


def disclose_to_cds(ctx: AppContext, *, patient_id: str, recipient: str, purpose: str,
                    categories: tuple[str, ...], service_id: str, now: datetime) -> bool:
    """Decide a disclosure to a calling EHR from the patient's consents (42 CFR 2.31).

    An allowed one is recorded as a disclosure with the redisclosure notice (42 CFR 2.32);
    both outcomes are audited, in the same transaction. An unknown patient is refused
    without an audit entry (there is no clinic to file it under).
    """
    with ctx.uow() as uow:
        patient = uow.patients.find(patient_id)
        if patient is None:
            return False
        decision = decide_disclosure(uow.security.consents_for(patient_id), recipient, purpose, categories, now)
        if decision.allowed:
            uow.security.add_disclosure(Disclosure(
                id=str(uuid.uuid4()), patient_id=patient_id, recipient=recipient, purpose=purpose,
                categories=categories, consent_id=decision.consent_id, break_glass_id=None, disclosed_at=now,
                disclosed_by=f"cds:{service_id}", notice=ctx.redisclosure_notice, record_count=1))
        uow.security.append_audit(AuditEvent(
            at=now, actor=f"cds:{recipient}"[:100], clinic_id=patient.clinic_id, action="disclose",
            category="disclosures", record_type="cds-answer", patient_id=patient_id, purpose=purpose,
            outcome="allowed" if decision.allowed else "denied", source=service_id, detail=decision.reason))
        uow.commit()
    return decision.allowed


def record_card_feedback(ctx: AppContext, outcomes: Sequence[CardOutcome]) -> None:
    """Audit each card outcome (who accepted or overrode what, and why): one entry each, one transaction."""
    with ctx.uow() as uow:
        for item in outcomes:
            detail = f"card {item.card} {item.outcome}" + (f" ({item.override_code})" if item.override_code else "")
            uow.security.append_audit(AuditEvent(
                at=item.outcome_at, actor=f"cds:{item.caller}"[:100], clinic_id=None, action="feedback",
                category="clinical-views", record_type="cds-card", record_id=item.card,
                patient_id=item.patient_id, detail=detail[:500]))
        uow.commit()
