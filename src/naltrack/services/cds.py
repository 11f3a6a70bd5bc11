"""CDS Hooks use cases: linking the EHR's patient to naltrack's, the Part 2 disclosure of an answer to a
calling EHR, and card feedback.

The caller is an EHR (authenticated by its JWT, :mod:`naltrack.cds.auth`) configured for one clinic,
not a naltrack user, so the audit entries name it as ``cds:<caller>`` and are filed under that clinic.

Linking (:func:`link_ehr_patient`): never by the EHR's patient id, never by a ``urn:naltrack:patient``
identifier; only by an identifier the patient holds in naltrack (system and value, e.g. the EHR's MRN
recorded at intake or import) together with agreeing demographics
(:func:`~naltrack.domain.identity.match_person`), and only among the patients of the caller's clinic.
A ``urn:naltrack:patient`` identifier naming any other patient than the one so linked cancels the link.
Membership of the program is itself protected (42 CFR 2.13), so the work done does not depend on it:
:func:`disclose_to_cds` looks the identifiers up, reads the consents, and audits every call, linked or
not, in one transaction; the chart is read only for a disclosure the consent allows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from naltrack.domain.chart import PatientChart
from naltrack.domain.identity import Demographics, match_person
from naltrack.domain.patients import Patient
from naltrack.domain.person_data import NALTRACK_ID_SYSTEM
from naltrack.domain.security.audit import AuditEvent
from naltrack.domain.security.consent import decide_disclosure
from naltrack.services.context import AppContext
from naltrack.services.security_ports import Disclosure, SecureUnitOfWork
from naltrack.services.unit_of_work import chart_in

#: Identifiers of the EHR's Patient looked up, at most (the same number of lookups for any patient).
MAX_LINK_IDENTIFIERS = 20
#: No patient has this id (ids are non-empty): a non-member's consents are read by the same query, finding none.
_NOBODY = ""


@dataclass(frozen=True)
class LinkedChart:
    """naltrack's chart of the EHR's patient as disclosed (``None`` when not linked or not consented), the
    caller clinic's zone, and why there is no chart (``""`` when there is one)."""

    chart: PatientChart | None
    zone: ZoneInfo
    reason: str = ""

    @property
    def patient_id(self) -> str | None:
        return None if self.chart is None else self.chart.patient.id


def _candidate(uow: SecureUnitOfWork, clinic_id: str, demographics: Demographics) -> tuple[Patient | None, str]:
    """The one patient of the clinic holding one of the identifiers and agreeing with the demographics."""
    found: dict[str, Patient] = {}
    looked_up = [i for i in demographics.identifiers if i.system != NALTRACK_ID_SYSTEM][:MAX_LINK_IDENTIFIERS]
    for identifier in looked_up:
        for patient in uow.patients.find_by_identifier(identifier.system, identifier.value):
            if patient.clinic_id == clinic_id:  # no identifier selects a patient of another clinic
                found[patient.id] = patient
    same = [p for p in found.values() if match_person(p, demographics).is_same]
    if len(same) == 1:
        return same[0], ""
    if len(same) > 1:
        return None, "the identifiers name more than one patient"
    return None, "no patient of the clinic holds these identifiers with agreeing demographics"


def _linked(uow: SecureUnitOfWork, clinic_id: str, demographics: Demographics) -> tuple[Patient | None, str]:
    """The linked patient (module notes), or ``None`` and why not."""
    patient, reason = _candidate(uow, clinic_id, demographics)
    claimed = {i.value for i in demographics.identifiers if i.system == NALTRACK_ID_SYSTEM}
    if patient is not None and claimed - {patient.id}:
        return None, f"a {NALTRACK_ID_SYSTEM} identifier names another patient"
    return patient, reason


def disclose_to_cds(ctx: AppContext, *, clinic_id: str, demographics: Demographics, recipient: str, caller: str,
                    purpose: str, categories: tuple[str, ...], service_id: str, now: datetime) -> LinkedChart:
    """naltrack's chart of the EHR's patient, when linked within ``clinic_id`` and consented, as disclosed.

    The patient is linked by an identifier in common and agreeing demographics (module notes); the disclosure
    is decided from the consents naming ``recipient``, the verified issuer (42 CFR 2.31). An allowed one is
    read and recorded with the redisclosure notice (42 CFR 2.32) in the same transaction. Every call is
    audited under the caller's clinic, an unlinked one as denied with the reason, after the same queries:
    the chart is read only once the disclosure is allowed, which tells nothing a consented answer does not.
    """
    with ctx.uow() as uow:
        zone = uow.clinics.get(clinic_id).zone
        patient, reason = _linked(uow, clinic_id, demographics)
        decision = decide_disclosure(uow.security.consents_for(_NOBODY if patient is None else patient.id),
                                     recipient, purpose, categories, now)
        chart = chart_in(uow, patient) if patient is not None and decision.allowed else None
        if chart is not None:
            uow.security.add_disclosure(Disclosure(
                id=str(uuid.uuid4()), patient_id=chart.patient.id, recipient=recipient, purpose=purpose,
                categories=categories, consent_id=decision.consent_id, break_glass_id=None, disclosed_at=now,
                disclosed_by=f"cds:{service_id}"[:64], notice=ctx.redisclosure_notice, record_count=1))
        detail = decision.reason if patient is not None else f"no naltrack patient linked: {reason}"
        uow.security.append_audit(AuditEvent(
            at=now, actor=f"cds:{caller}"[:64], clinic_id=clinic_id, action="disclose", category="disclosures",
            record_type="cds-answer", patient_id=None if patient is None else patient.id, purpose=purpose,
            outcome="allowed" if chart is not None else "denied", source=service_id[:64], detail=detail[:500]))
        uow.commit()
    return LinkedChart(chart, zone, "" if chart is not None else reason or "no consent in force")


@dataclass(frozen=True)
class CardOutcome:
    """One outcome of one card, as the EHR reported it, stamped with the server's time ``recorded_at``."""

    card: str
    outcome: str
    recorded_at: datetime
    reported_at: datetime
    """The caller's ``outcomeTimestamp``: its clock, not ours, so it is kept as a detail of the audit
    entry and never as its time."""
    caller: str
    override_code: str | None = None
    patient_id: str | None = None
    """naltrack's patient whose records the card drew on; ``None`` for a card built from the EHR's data
    only (the entry then names no patient)."""


def record_card_feedback(ctx: AppContext, clinic_id: str, outcomes: Sequence[CardOutcome]) -> None:
    """Audit each card outcome under the caller's clinic (who accepted or overrode what, and why): one entry
    each, one transaction."""
    with ctx.uow() as uow:
        for item in outcomes:
            detail = (f"card {item.card} {item.outcome}" + (f" ({item.override_code})" if item.override_code else "")
                      + f"; reported at {item.reported_at.isoformat()}")
            uow.security.append_audit(AuditEvent(
                at=item.recorded_at, actor=f"cds:{item.caller}"[:64], clinic_id=clinic_id, action="feedback",
                category="clinical-views", record_type="cds-card", record_id=item.card[:64],
                patient_id=item.patient_id, detail=detail[:500]))
        uow.commit()
