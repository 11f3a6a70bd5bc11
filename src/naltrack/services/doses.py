"""The check before every naltrexone dose, inside the write that records it (:mod:`naltrack.domain.pre_dose`).

Every face records a dose through :func:`naltrack.services.records.create_record` or
:func:`~naltrack.services.records.create_records`; both call :func:`decide_doses` in the same audited
transaction, so the web form, the REST API and the CLI stop the same doses for the same reasons.
A dose given by staff (an injection, an implant, an observed oral dose) is checked against the chart as
it stood before it; a dose the check stops raises :class:`~naltrack.errors.DoseStopped` and nothing is
written. A dose given gets a :class:`~naltrack.domain.dose_decisions.DoseDecision` beside it (its class,
the review items confirmed, a prescriber's override and reason), audited like any record.

Self-reported oral doses (``taken``) and missed ones are reports, not doses given by staff: they are not
checked. The FHIR import records doses given elsewhere (:mod:`naltrack.services.imports`): stopping
them would hide naltrexone a patient has on board, so the import does not check them either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from naltrack.domain.administrations import ImplantInsertion, Injection, OralDose
from naltrack.domain.chart import PatientChart
from naltrack.domain.dose_decisions import DecisionOutcome, DoseDecision
from naltrack.domain.errors import DoseStopped, InvalidInput
from naltrack.domain.pre_dose import PreDoseCheck, check_dose
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.regimens import Form
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.roles import AccessDenied
from naltrack.services.access import Access, authorized_patient, run_audited
from naltrack.services.context import AppContext
from naltrack.services.record_writes import write_records
from naltrack.services.security import new_id
from naltrack.services.security_ports import SecureUnitOfWork
from naltrack.services.unit_of_work import KIND_OF, chart_in

#: Roles whose override lifts contraindications and not-ready reasons (clinical.md §2: the prescriber decides).
OVERRIDING_ROLES = frozenset({"prescriber"})


@dataclass(frozen=True)
class DoseAuthorisation:
    """What the person recording a dose brings to the check: the review items confirmed (finding keys)
    and, from a prescriber only, the reason for overriding contraindications and not-ready reasons."""

    confirmed: frozenset[str] = frozenset()
    override_reason: str | None = None


#: No confirmations and no override: what a face passes when the user has said nothing yet.
UNCONFIRMED = DoseAuthorisation()


def dose_form(record: ClinicalRecord) -> Form | None:
    """The form of a dose given by staff, or ``None`` for anything the check does not apply to."""
    if isinstance(record, Injection):
        return "xr-ntx"
    if isinstance(record, ImplantInsertion):
        return "implant"
    if isinstance(record, OralDose) and record.dose_status == "observed":
        return "oral"
    return None


def given_at(record: Injection | ImplantInsertion | OralDose) -> datetime:
    if isinstance(record, Injection):
        return record.given_at
    return record.inserted_at if isinstance(record, ImplantInsertion) else record.taken_at


def decide_doses(ctx: AppContext, uow: SecureUnitOfWork, access: Access, records: Sequence[ClinicalRecord],
                 authorisation: DoseAuthorisation) -> list[DoseDecision]:
    """Check every dose in ``records`` (in time order, each against the chart with the batch's other records
    and the doses before it) and return their decisions; raise :class:`DoseStopped` at the first one stopped."""
    doses = sorted((r for r in records if isinstance(r, Injection | ImplantInsertion | OralDose)
                    and dose_form(r) is not None), key=given_at)
    decisions: list[DoseDecision] = []
    charts: dict[str, PatientChart] = {}
    for dose in doses:
        chart = charts.get(dose.patient_id) or _chart_with(uow, dose.patient_id, [r for r in records
                                                                                  if dose_form(r) is None])
        check = _check(ctx, uow, chart, dose)
        decisions.append(_decision(check, dose, access.actor, authorisation))
        charts[dose.patient_id] = _add(chart, dose)
    return decisions


def _chart_with(uow: SecureUnitOfWork, patient_id: str, others: list[ClinicalRecord]) -> PatientChart:
    chart = chart_in(uow, uow.patients.get(patient_id))
    for record in others:
        if record.patient_id == patient_id:
            chart = _add(chart, record)
    return chart


def _add(chart: PatientChart, record: ClinicalRecord) -> PatientChart:
    kind = KIND_OF[type(record)]
    added: dict[str, Any] = {kind: (*getattr(chart, kind), record)}
    return replace(chart, **added)


def _check(ctx: AppContext, uow: SecureUnitOfWork, chart: PatientChart,
           dose: Injection | ImplantInsertion | OralDose) -> PreDoseCheck:
    form = dose_form(dose)
    assert form is not None
    zone = uow.clinics.get(chart.patient.clinic_id).zone
    return check_dose(chart, form, given_at(dose), zone, ctx.thresholds)


def _decision(check: PreDoseCheck, dose: Injection | ImplantInsertion | OralDose, actor: Actor,
              authorisation: DoseAuthorisation) -> DoseDecision:
    overriding = authorisation.override_reason is not None and bool(authorisation.override_reason.strip())
    if overriding and actor.role not in OVERRIDING_ROLES:
        raise AccessDenied(actor.role, "dose overrides", "create")
    unresolved = check.unresolved(overridden=overriding, confirmed=authorisation.confirmed)
    if unresolved:
        raise DoseStopped(check.dose_class.kind, [f.as_dict() for f in unresolved])
    overridden = tuple(f.key for f in check.at_level("override")) if overriding else ()
    to_confirm = {f.key for f in check.at_level("confirm")}
    return DoseDecision(id=new_id(), patient_id=dose.patient_id, form=check.form, decided_at=given_at(dose),
                        outcome="given", dose_class=check.dose_class.kind, decided_by=actor.user.username,
                        dose_id=dose.id,
                        confirmed=tuple(sorted(to_confirm & authorisation.confirmed)), overridden=overridden,
                        override_reason=authorisation.override_reason if overridden else None)


def check_before_dose(ctx: AppContext, actor: Actor, patient_id: str, form: Form, at: datetime,
                      now: datetime) -> PreDoseCheck:
    """What the check would say of a dose of ``form`` at ``at``, before it is entered (an audited read)."""
    access = Access(actor=actor, action="read", category="administrations", now=now, record_type="pre-dose-check")

    def body(uow: SecureUnitOfWork, access: Access) -> PreDoseCheck:
        patient = authorized_patient(uow, access, patient_id)
        return check_dose(chart_in(uow, patient), form, at, uow.clinics.get(patient.clinic_id).zone, ctx.thresholds)

    return run_audited(ctx.uow, access, body)


def record_dose_not_given(ctx: AppContext, actor: Actor, patient_id: str, form: Form, at: datetime,
                          outcome: DecisionOutcome, reason: str, now: datetime) -> DoseDecision:
    """A dose of ``form`` due at ``at`` held by staff or refused by the patient, with the reason."""
    if outcome not in ("held", "refused"):
        raise InvalidInput("dose_decision.outcome", outcome, "must be held or refused")
    access = Access(actor=actor, action="create", category="administrations", now=now, record_type="dose_decisions")

    def body(uow: SecureUnitOfWork, access: Access) -> DoseDecision:
        patient = authorized_patient(uow, access, patient_id)
        zone = uow.clinics.get(patient.clinic_id).zone
        kind = check_dose(chart_in(uow, patient), form, at, zone, ctx.thresholds).dose_class.kind
        decision = DoseDecision(id=new_id(), patient_id=patient_id, form=form, decided_at=at, outcome=outcome,
                                dose_class=kind, decided_by=actor.user.username, reason=reason)
        write_records(uow, access, [decision], now)
        return decision

    return run_audited(ctx.uow, access, body)

