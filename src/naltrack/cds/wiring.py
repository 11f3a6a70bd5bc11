"""Builds the CDS Hooks router over the application (:mod:`naltrack.bootstrap`): stored charts and the Part 2 gate.

:func:`cds_router` is what :func:`naltrack.api.app.create_app` includes. The gate decides each
disclosure to a calling EHR with the patient's consents (42 CFR 2.31,
:func:`~naltrack.domain.security.consent.decide_disclosure`); an allowed one is recorded as a
disclosure with the redisclosure notice (42 CFR 2.32) and both outcomes go to the audit chain,
in one transaction (:func:`naltrack.services.cds.disclose_to_cds`); card feedback is audited by
:func:`naltrack.services.cds.record_card_feedback`, one transaction per feedback call.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from naltrack.bootstrap import Application
from naltrack.cds.auth import CdsSettings, verifier_from_settings
from naltrack.cds.engine import CdsEngine
from naltrack.cds.feedback import FeedbackLog, FeedbackRecord
from naltrack.cds.router import build_cds_router
from naltrack.domain.chart import PatientChart
from naltrack.services.cds import CardOutcome, disclose_to_cds, record_card_feedback
from naltrack.services.context import AppContext
from naltrack.services.records import chart_in
from naltrack.services.security_ports import SecureUnitOfWork

SecureFactory = Callable[[], SecureUnitOfWork]


class StoredCharts:
    """Charts of patients naltrack knows, by patient id."""

    def __init__(self, uow_factory: SecureFactory) -> None:
        self.uow_factory = uow_factory

    def find_chart(self, patient_id: str) -> PatientChart | None:
        with self.uow_factory() as uow:
            patient = uow.patients.find(patient_id)
            return None if patient is None else chart_in(uow, patient)

    def clinic_zone(self, patient_id: str) -> ZoneInfo | None:
        with self.uow_factory() as uow:
            patient = uow.patients.find(patient_id)
            return None if patient is None else uow.clinics.get(patient.clinic_id).zone


class ConsentGate:
    """Decides a disclosure from the stored consents (:func:`naltrack.services.cds.disclose_to_cds`)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def permit(self, *, patient_id: str, recipient: str, purpose: str, categories: tuple[str, ...],
               now: datetime, service_id: str) -> bool:
        return disclose_to_cds(self.ctx, patient_id=patient_id, recipient=recipient, purpose=purpose,
                               categories=categories, service_id=service_id, now=now)


def feedback_sink(ctx: AppContext) -> Callable[[list[FeedbackRecord]], None]:
    """The card outcomes of one feedback call go to the audit chain (who overrode what, and why)."""

    def sink(items: list[FeedbackRecord]) -> None:
        record_card_feedback(ctx, [CardOutcome(card=i.card, outcome=i.outcome, outcome_at=i.outcome_at,
                                               caller=i.caller, override_code=i.override_code,
                                               patient_id=i.patient_id) for i in items])

    return sink


def build_engine(ctx: AppContext, cds_settings: CdsSettings | None = None) -> CdsEngine:
    """The CDS engine over the application context ``ctx`` (its units of work, thresholds and zone)."""
    cds = cds_settings or CdsSettings()
    return CdsEngine(verifier=verifier_from_settings(cds), feedback=FeedbackLog(feedback_sink(ctx)),
                     local=StoredCharts(ctx.uow), gate=ConsentGate(ctx), thresholds=ctx.thresholds,
                     timezone=ctx.default_timezone, fhir_timeout_s=cds.fhir_timeout_s,
                     fhir_origins=cds.fhir_origin_policy())


def cds_router(application: Application, cds_settings: CdsSettings | None = None) -> APIRouter:
    """The ``/cds-services`` router of ``application`` (what ``create_app`` includes); the settings' unset
    choices are made for the mode it runs in (:meth:`CdsSettings.for_mode`: the demo or not)."""
    cds = (cds_settings or CdsSettings()).for_mode(demo=application.settings.demo)
    return build_cds_router(build_engine(application.ctx, cds), max_body_bytes=cds.max_body_bytes)
