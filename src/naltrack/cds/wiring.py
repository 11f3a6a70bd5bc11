"""Builds the CDS Hooks router over the application (:mod:`naltrack.bootstrap`): stored charts and the Part 2 gate.

:func:`cds_router` is what :func:`naltrack.api.app.create_app` includes. The EHR's patient is linked to
naltrack's by identifier and agreeing demographics within the caller's clinic, and each disclosure to the
calling EHR is decided with the patient's consents (42 CFR 2.31,
:func:`~naltrack.domain.security.consent.decide_disclosure`); an allowed one is recorded as a disclosure
with the redisclosure notice (42 CFR 2.32) and every call goes to the audit chain, in one transaction
(:func:`naltrack.services.cds.disclose_to_cds`). Card feedback is audited under the caller's clinic by
:func:`naltrack.services.cds.record_card_feedback`, one transaction per feedback call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from fastapi import APIRouter

from naltrack.bootstrap import Application
from naltrack.cds.auth import CdsSettings, verifier_from_settings
from naltrack.cds.engine import CdsEngine
from naltrack.cds.feedback import FeedbackLog, FeedbackRecord, RateLimit
from naltrack.cds.router import build_cds_router
from naltrack.domain.identity import Demographics
from naltrack.domain.security.consent import REDISCLOSURE_NOTICE_DEFAULT
from naltrack.services.cds import CardOutcome, LinkedChart, disclose_to_cds, record_card_feedback
from naltrack.services.cds_state import CdsCallState, IssuedCard
from naltrack.services.context import AppContext
from naltrack.services.security_ports import SecureUnitOfWork

SecureFactory = Callable[[], SecureUnitOfWork]


class StoredCharts:
    """naltrack's charts, disclosed to a verified EHR by :func:`naltrack.services.cds.disclose_to_cds`."""

    def __init__(self, uow_factory: SecureFactory, notice: str = REDISCLOSURE_NOTICE_DEFAULT) -> None:
        self.ctx = AppContext(uow=uow_factory, redisclosure_notice=notice)

    def disclose(self, *, clinic_id: str, demographics: Demographics, recipient: str, caller: str, purpose: str,
                 categories: tuple[str, ...], service_id: str, now: datetime) -> LinkedChart:
        return disclose_to_cds(self.ctx, clinic_id=clinic_id, demographics=demographics, recipient=recipient,
                               caller=caller, purpose=purpose, categories=categories, service_id=service_id, now=now)


def feedback_sink(ctx: AppContext) -> Callable[[list[FeedbackRecord]], None]:
    """The card outcomes of one feedback call go to the audit chain under the caller's clinic."""

    def sink(items: list[FeedbackRecord]) -> None:
        by_clinic: dict[str, list[CardOutcome]] = {}
        for i in items:
            if i.clinic_id is not None and i.recorded_at is not None:
                by_clinic.setdefault(i.clinic_id, []).append(CardOutcome(
                    card=i.card, outcome=i.outcome, recorded_at=i.recorded_at, reported_at=i.reported_at,
                    caller=i.caller, override_code=i.override_code, patient_id=i.linked_patient))
        for clinic_id, outcomes in by_clinic.items():
            record_card_feedback(ctx, clinic_id, outcomes)

    return sink


class StoredCallState(CdsCallState):
    """The CDS service's memory between calls (:mod:`naltrack.services.cds_state`) in the database, so every
    server process shares it: each call is its own short transaction."""

    def __init__(self, uow_factory: SecureFactory) -> None:
        self.uow = uow_factory

    def first_use(self, key: str, until: datetime, now: datetime) -> bool:
        with self.uow() as uow:
            first = uow.cds_state.first_use(key, until, now)
            uow.commit()
        return first

    def count_call(self, key: str, now: datetime) -> tuple[int, datetime]:
        with self.uow() as uow:
            counted = uow.cds_state.count_call(key, now)
            uow.commit()
        return counted

    def remember_cards(self, cards: Sequence[tuple[str, IssuedCard]], now: datetime) -> None:
        with self.uow() as uow:
            uow.cds_state.remember_cards(cards, now)
            uow.commit()

    def issued_cards(self, uuids: Sequence[str], now: datetime) -> dict[str, IssuedCard]:
        with self.uow() as uow:
            return uow.cds_state.issued_cards(uuids, now)


def build_engine(ctx: AppContext, cds_settings: CdsSettings | None = None) -> CdsEngine:
    """The CDS engine over the application context ``ctx`` (its units of work, thresholds, zone and notice); its
    memory between calls (used token ids, feedback counts, issued cards) is in the database."""
    cds = cds_settings or CdsSettings()
    state = StoredCallState(ctx.uow)
    return CdsEngine(verifier=verifier_from_settings(cds, state),
                     feedback=FeedbackLog(feedback_sink(ctx), max_items=cds.feedback_max_items, state=state),
                     feedback_rate=RateLimit(cds.feedback_per_minute, state),
                     local=StoredCharts(ctx.uow, ctx.redisclosure_notice), thresholds=ctx.thresholds,
                     timezone=ctx.default_timezone, fhir_timeout_s=cds.fhir_timeout_s,
                     fhir_origins=cds.fhir_origin_policy(),
                     redisclosure_notice=ctx.redisclosure_notice)


def cds_router(application: Application, cds_settings: CdsSettings | None = None) -> APIRouter:
    """The ``/cds-services`` router of ``application`` (what ``create_app`` includes); the settings' unset
    choices are made for the mode it runs in (:meth:`CdsSettings.for_mode`: the demo or not)."""
    cds = (cds_settings or CdsSettings()).for_mode(demo=application.settings.demo)
    return build_cds_router(build_engine(application.ctx, cds), max_body_bytes=cds.max_body_bytes,
                            feedback_max_body_bytes=cds.feedback_max_body_bytes)
