"""Builds the CDS Hooks router from the settings: storage-backed charts and the Part 2 gate.

:func:`cds_router` is what :func:`naltrack.api.app.create_app` includes. The gate decides each
disclosure to a calling EHR with the patient's consents (42 CFR 2.31,
:func:`~naltrack.domain.security.consent.decide_disclosure`); an allowed one is recorded as a
disclosure with the redisclosure notice (42 CFR 2.32) and both outcomes go to the audit chain,
in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter

from naltrack.adapters.fhir.exchange import secure_factory
from naltrack.bootstrap import Storage, build_storage
from naltrack.cds.auth import CdsSettings, verifier_from_settings
from naltrack.cds.blockade import coverage_estimator
from naltrack.cds.engine import CdsEngine
from naltrack.cds.feedback import FeedbackLog, FeedbackRecord
from naltrack.cds.router import build_cds_router
from naltrack.config import Settings
from naltrack.domain.chart import PatientChart
from naltrack.domain.security.audit import AuditEvent
from naltrack.domain.security.consent import REDISCLOSURE_NOTICE_DEFAULT, decide_disclosure
from naltrack.services.records import load_chart
from naltrack.services.security_ports import Disclosure, SecureUnitOfWork

SecureFactory = Callable[[], SecureUnitOfWork]


class StoredCharts:
    """Charts of patients naltrack knows, by patient id."""

    def __init__(self, uow_factory: SecureFactory) -> None:
        self.uow_factory = uow_factory

    def find_chart(self, patient_id: str) -> PatientChart | None:
        with self.uow_factory() as uow:
            if uow.patients.find(patient_id) is None:
                return None
        return load_chart(self.uow_factory(), patient_id)


class ConsentGate:
    """Decides a disclosure from the stored consents; records and audits it in one transaction."""

    def __init__(self, uow_factory: SecureFactory, notice: str = REDISCLOSURE_NOTICE_DEFAULT) -> None:
        self.uow_factory = uow_factory
        self.notice = notice

    def permit(self, *, patient_id: str, recipient: str, purpose: str, categories: tuple[str, ...],
               now: datetime, service_id: str) -> bool:
        with self.uow_factory() as uow:
            patient = uow.patients.find(patient_id)
            if patient is None:
                return False
            decision = decide_disclosure(uow.security.consents_for(patient_id), recipient, purpose, categories, now)
            if decision.allowed:
                uow.security.add_disclosure(Disclosure(
                    id=str(uuid.uuid4()), patient_id=patient_id, recipient=recipient, purpose=purpose,
                    categories=categories, consent_id=decision.consent_id, break_glass_id=None, disclosed_at=now,
                    disclosed_by=f"cds:{service_id}", notice=self.notice, record_count=1))
            uow.security.append_audit(AuditEvent(
                at=now, actor=f"cds:{recipient}"[:100], clinic_id=patient.clinic_id, action="disclose",
                category="disclosures", record_type="cds-answer", patient_id=patient_id, purpose=purpose,
                outcome="allowed" if decision.allowed else "denied", source=service_id, detail=decision.reason))
            uow.commit()
        return decision.allowed


def feedback_sink(uow_factory: SecureFactory) -> Callable[[FeedbackRecord], None]:
    """Each card outcome goes to the audit chain (who overrode what, and why)."""

    def sink(item: FeedbackRecord) -> None:
        detail = f"card {item.card} {item.outcome}" + (f" ({item.override_code})" if item.override_code else "")
        with uow_factory() as uow:
            uow.security.append_audit(AuditEvent(
                at=item.outcome_at, actor=f"cds:{item.caller}"[:100], clinic_id=None, action="feedback",
                category="clinical-views", record_type="cds-card", record_id=item.card, patient_id=item.patient_id,
                detail=detail[:500]))
            uow.commit()

    return sink


def build_engine(settings: Settings, storage: Storage | None = None,
                 cds_settings: CdsSettings | None = None) -> CdsEngine:
    cds = cds_settings or CdsSettings()
    factory = secure_factory(storage or build_storage(settings))
    notice = getattr(settings, "part2_redisclosure_notice", None) or REDISCLOSURE_NOTICE_DEFAULT
    return CdsEngine(verifier=verifier_from_settings(cds), feedback=FeedbackLog(feedback_sink(factory)),
                     local=StoredCharts(factory), gate=ConsentGate(factory, notice), estimate=coverage_estimator(),
                     timezone=settings.timezone,
                     fhir_timeout_s=cds.fhir_timeout_s)


def cds_router(settings: Settings, storage: Storage | None = None,
               cds_settings: CdsSettings | None = None) -> APIRouter:
    """The ``/cds-services`` router for ``settings`` (what ``create_app`` includes)."""
    cds = cds_settings or CdsSettings()
    return build_cds_router(build_engine(settings, storage, cds), max_body_bytes=cds.max_body_bytes)
