"""Part 2 use cases: consents, disclosures outside the program, break-the-glass.

A disclosure (an export, a report, an answer to an outside system) goes through
:func:`disclose`: the consent decision (42 CFR 2.31, :func:`decide_disclosure`), the
records of the consented categories only, the redisclosure notice (42 CFR 2.32), and a
disclosure row plus an audit entry in the same transaction. A refusal is audited too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from naltrack.domain.errors import Conflict
from naltrack.domain.errors import DisclosureRefused as DisclosureRefused
from naltrack.domain.patients import Patient
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.consent import (
    BreakGlass,
    Consent,
    decide_disclosure,
    open_break_glass,
)
from naltrack.domain.security.roles import KIND_CATEGORY
from naltrack.errors import StaleVersion
from naltrack.services.access import Access, authorize, authorized_patient, in_clinic, read_patient, run_audited
from naltrack.services.context import AppContext
from naltrack.services.security import new_id
from naltrack.services.security_ports import Disclosure, SecureUnitOfWork


def create_consent(ctx: AppContext, actor: Actor, patient_id: str, values: dict[str, Any],
                   now: datetime) -> Consent:
    access = Access(actor=actor, action="create", category="consents", now=now, record_type="consents")

    def body(uow: SecureUnitOfWork, access: Access) -> Consent:
        authorized_patient(uow, access, patient_id)
        consent = Consent(**values, id=new_id(), patient_id=patient_id, recorded_by=actor.user.id, recorded_at=now)
        access.record_id = consent.id
        uow.security.add_consent(consent)
        return consent

    return run_audited(ctx.uow, access, body)


def list_consents(ctx: AppContext, actor: Actor, patient_id: str,
                  now: datetime) -> list[Consent]:
    access = Access(actor=actor, action="read", category="consents", now=now, record_type="consents")
    return read_patient(ctx.uow, access, patient_id, lambda uow, _: uow.security.consents_for(patient_id))


def _owned_consent(uow: SecureUnitOfWork, access: Access, consent_id: str) -> Consent:
    return in_clinic(uow, access, "consent", consent_id, uow.security.find_consent(consent_id))[0]


def get_consent(ctx: AppContext, actor: Actor, consent_id: str, now: datetime) -> Consent:
    access = Access(actor=actor, action="read", category="consents", now=now, record_type="consents")

    def body(uow: SecureUnitOfWork, access: Access) -> Consent:
        consent = _owned_consent(uow, access, consent_id)
        authorize(uow, access)
        return consent

    return run_audited(ctx.uow, access, body)


def revoke_consent(ctx: AppContext, actor: Actor, consent_id: str, expected_version: int,
                   now: datetime) -> Consent:
    """Revocation stops future disclosures; past ones stay recorded."""
    access = Access(actor=actor, action="update", category="consents", now=now, record_type="consents")

    def body(uow: SecureUnitOfWork, access: Access) -> Consent:
        consent = _owned_consent(uow, access, consent_id)
        authorize(uow, access)
        if consent.version != expected_version:
            raise StaleVersion(f"version {expected_version} is stale: the consent is at version {consent.version}")
        if consent.revoked_at is not None:
            raise Conflict(f"consent {consent_id} was already revoked")
        revoked = replace(consent, revoked_at=now, version=consent.version + 1)
        uow.security.update_consent(revoked)
        access.detail = "revoked"
        return revoked

    return run_audited(ctx.uow, access, body)


@dataclass(frozen=True)
class DisclosurePackage:
    """What leaves the program: the records, the notice, and the disclosure as recorded."""

    disclosure: Disclosure
    notice: str
    records: dict[str, list[dict[str, Any]]]


def disclose(ctx: AppContext, actor: Actor, patient_id: str, recipient: str, purpose: str,
             categories: tuple[str, ...], now: datetime) -> DisclosurePackage:
    """Disclose the consented categories of one patient's record to an outside recipient."""
    access = Access(actor=actor, action="disclose", category="disclosures", now=now, record_type="disclosures",
                    purpose=purpose)

    def body(uow: SecureUnitOfWork, access: Access) -> DisclosurePackage:
        disclosure, records = _record_disclosure(ctx, uow, access, patient_id, recipient, purpose, categories)
        access.record_id = disclosure.id
        return DisclosurePackage(disclosure, ctx.redisclosure_notice, records)

    return run_audited(ctx.uow, access, body)


def disclose_all(ctx: AppContext, actor: Actor, requests: Sequence[tuple[str, tuple[str, ...]]], recipient: str,
                 purpose: str, now: datetime,
                 deliver: Callable[[SecureUnitOfWork, list[Disclosure]], None]) -> list[Disclosure]:
    """Disclose several patients' records (``(patient id, categories)`` each) in one transaction.

    ``deliver`` hands the records over (writes the files, builds the answer) inside that transaction:
    every disclosure is recorded, one audit entry each, only if every one is allowed and ``deliver``
    succeeds; a refusal or a failed delivery records none as made.
    """
    access = Access(actor=actor, action="disclose", category="disclosures", now=now, record_type="disclosures",
                    purpose=purpose)

    def body(uow: SecureUnitOfWork, access: Access) -> list[Disclosure]:
        made = []
        for patient_id, categories in requests:
            disclosure, _ = _record_disclosure(ctx, uow, access, patient_id, recipient, purpose, categories)
            access.wrote("disclosures", disclosure.id, patient_id, detail=access.detail)
            made.append(disclosure)
        deliver(uow, made)
        return made

    return run_audited(ctx.uow, access, body)


def disclosed_patient(patient: Patient, categories: Sequence[str]) -> Patient | None:
    """What of ``patient`` a disclosure of ``categories`` carries: nothing without ``demographics``
    (no name, birth date, contacts or record number), and no pregnancy status without ``labs``."""
    if "demographics" not in categories:
        return None
    return patient if "labs" in categories else replace(patient, reproductive=None)


def _record_disclosure(ctx: AppContext, uow: SecureUnitOfWork, access: Access, patient_id: str, recipient: str,
                       purpose: str, categories: tuple[str, ...]) -> tuple[Disclosure, dict[str, list[dict[str, Any]]]]:
    """Decide (42 CFR 2.31) and record one disclosure; raises ``DisclosureRefused`` when no consent covers it."""
    patient = authorized_patient(uow, access, patient_id)
    now = access.now
    grants = uow.security.break_glass_for(patient_id=patient_id, user_id=access.actor.user.id)
    emergency = next((g for g in grants if g.is_in_force(now)), None)
    decision = decide_disclosure(uow.security.consents_for(patient_id), recipient, purpose, categories, now, emergency)
    if not decision.allowed:
        raise DisclosureRefused(decision.reason)
    records = _records_in(uow, patient_id, categories)
    shown = disclosed_patient(patient, categories)
    if shown is not None:
        records["demographics"] = [asdict(shown)]
    disclosure = Disclosure(
        id=new_id(), patient_id=patient_id, recipient=recipient, purpose=purpose, categories=categories,
        consent_id=decision.consent_id, break_glass_id=decision.break_glass_id, disclosed_at=now,
        disclosed_by=access.actor.user.id, notice=ctx.redisclosure_notice,
        record_count=sum(len(v) for v in records.values()),
    )
    uow.security.add_disclosure(disclosure)
    access.detail = f"to {recipient[:100]}; {decision.reason}"
    return disclosure, records


def _records_in(uow: SecureUnitOfWork, patient_id: str, categories: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    chart = uow.records.for_patient(patient_id)
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, rows in chart.items():
        if KIND_CATEGORY.get(kind) in categories:
            out[kind] = [asdict(r) for r in rows if r.status == "active"]
    return out


def list_disclosures(ctx: AppContext, actor: Actor, patient_id: str,
                     now: datetime) -> list[Disclosure]:
    """The accounting of disclosures of one patient."""
    access = Access(actor=actor, action="read", category="disclosures", now=now, record_type="disclosures")
    return read_patient(ctx.uow, access, patient_id, lambda uow, _: uow.security.disclosures_for(patient_id))


def break_the_glass(ctx: AppContext, actor: Actor, patient_id: str, reason: str, minutes: int,
                    max_minutes: int, now: datetime) -> BreakGlass:
    """Open a time-limited emergency grant; it is recorded and listed for the privacy officer to review."""
    access = Access(actor=actor, action="create", category="break-glass", now=now, record_type="break_glass",
                    purpose="emergency")

    def body(uow: SecureUnitOfWork, access: Access) -> BreakGlass:
        authorized_patient(uow, access, patient_id)
        grant = open_break_glass(new_id(), actor.user.id, patient_id, reason, now, minutes, max_minutes)
        uow.security.add_break_glass(grant)
        access.record_id = grant.id
        access.detail = f"break-the-glass until {grant.expires_at.isoformat()}: {grant.reason[:200]}"
        return grant

    return run_audited(ctx.uow, access, body)


def list_break_glass(ctx: AppContext, actor: Actor, unreviewed_only: bool,
                     now: datetime) -> list[BreakGlass]:
    """The privacy officer's queue: every grant in the clinic (unreviewed first)."""
    access = Access(actor=actor, action="read", category="break-glass", now=now, record_type="break_glass")

    def body(uow: SecureUnitOfWork, access: Access) -> list[BreakGlass]:
        authorize(uow, access)
        grants = uow.security.break_glass_for(clinic_id=actor.clinic_id)
        if actor.role != "auditor":
            grants = [g for g in grants if g.user_id == actor.user.id]
        if unreviewed_only:
            grants = [g for g in grants if g.reviewed_at is None]
        return sorted(grants, key=lambda g: (g.reviewed_at is not None, g.started_at))

    return run_audited(ctx.uow, access, body)


def review_break_glass(ctx: AppContext, actor: Actor, grant_id: str,
                       now: datetime) -> BreakGlass:
    access = Access(actor=actor, action="update", category="break-glass", now=now, record_type="break_glass")

    def body(uow: SecureUnitOfWork, access: Access) -> BreakGlass:
        grant, _ = in_clinic(uow, access, "break-glass grant", grant_id, uow.security.find_break_glass(grant_id))
        authorize(uow, access)
        if grant.reviewed_at is not None:
            raise Conflict(f"grant {grant_id} was already reviewed")
        uow.security.review_break_glass(grant_id, actor.user.id, now)
        return replace(grant, reviewed_by=actor.user.id, reviewed_at=now)

    return run_audited(ctx.uow, access, body)


