"""The clinical read views of one patient: alerts, readiness, coverage and the chart.

Each use case loads the chart and the patient's clinic through one audited access
(:func:`naltrack.services.access.run_audited`, category ``clinical-views``) and computes
with the domain. "Today" is the day of ``now`` in the clinic's own zone (``Clinic.zone``),
and that zone is the one every clinical date is computed in: the web chart, the REST API
and the CLI give the same end of protection and the same next injection due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from naltrack.domain.chart import PatientChart
from naltrack.domain.coverage import PatientCoverage, calculate_coverage
from naltrack.domain.dose_classes import classify_dose
from naltrack.domain.due_dates import next_injection_due
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.protection import protection_end
from naltrack.domain.regimens import Form
from naltrack.domain.rules.base import Alert
from naltrack.domain.rules.monitoring import run_monitoring
from naltrack.domain.rules.readiness import Readiness, assess_readiness
from naltrack.domain.security.accounts import Actor
from naltrack.services.access import Access, authorize, patient_in_clinic, run_audited
from naltrack.services.context import AppContext
from naltrack.services.security_ports import SecureUnitOfWork
from naltrack.services.unit_of_work import chart_in


@dataclass(frozen=True)
class PatientRead:
    """A patient's chart as read on ``today``, the clinic-local day of the request."""

    chart: PatientChart
    clinic: Clinic
    today: date

    @property
    def zone(self) -> ZoneInfo:
        return self.clinic.zone


@dataclass(frozen=True)
class PatientAlerts:
    """The monitoring alerts of one patient, with the dates they are computed from."""

    today: date
    alerts: list[Alert]
    protection_ends: date | None
    next_injection_due: date | None


@dataclass(frozen=True)
class PatientReadiness:
    patient: Patient
    on: date
    result: Readiness
    #: Whether a naltrexone order is active on the day (the checklist then offers no new order).
    ordered: bool = False


def read_patient(ctx: AppContext, actor: Actor, patient_id: str, view: str, now: datetime) -> PatientRead:
    """The chart and the clinic of a patient of the actor's clinic; one audited read named ``view``."""
    access = Access(actor=actor, action="read", category="clinical-views", now=now, record_type=view)

    def body(uow: SecureUnitOfWork, access: Access) -> PatientRead:
        patient = patient_in_clinic(uow, access, patient_id)
        authorize(uow, access)
        clinic = uow.clinics.get(patient.clinic_id)
        return PatientRead(chart_in(uow, patient), clinic, now.astimezone(clinic.zone).date())

    return run_audited(ctx.uow, access, body)


def alerts_of(read: PatientRead, ctx: AppContext) -> PatientAlerts:
    """The alerts, the end of protection and the next injection due of a chart already read."""
    chart, today, tz, t = read.chart, read.today, read.zone, ctx.thresholds
    return PatientAlerts(today, run_monitoring(chart, today, tz, t), protection_end(chart, today, tz, t),
                         next_injection_due(chart, today, tz, t))


def patient_alerts(ctx: AppContext, actor: Actor, patient_id: str, now: datetime) -> PatientAlerts:
    """Monitoring alerts on the clinic's today, most severe first."""
    return alerts_of(read_patient(ctx, actor, patient_id, "alerts", now), ctx)


def patient_readiness(ctx: AppContext, actor: Actor, patient_id: str, now: datetime, form: Form = "xr-ntx",
                      on: date | None = None) -> PatientReadiness:
    """Readiness for a dose of ``form`` on ``on`` (default: the clinic's today), by the kind of dose it is
    (:func:`~naltrack.domain.dose_classes.classify_dose`: a restart gets the full induction again)."""
    read = read_patient(ctx, actor, patient_id, "readiness", now)
    day = on or read.today
    dose = classify_dose(read.chart, form, day, read.zone, ctx.thresholds)
    return PatientReadiness(read.chart.patient, day, assess_readiness(read.chart, form, day, ctx.thresholds,
                                                                      dose_class=dose),
                            ordered=bool(read.chart.active_regimens_on(day)))


def patient_coverage(ctx: AppContext, actor: Actor, patient_id: str, now: datetime, days_back: int = 180,
                     days_ahead: int = 60) -> PatientCoverage:
    """Daily coverage bands from the pharmacokinetic model, in the clinic's zone."""
    read = read_patient(ctx, actor, patient_id, "coverage", now)
    return calculate_coverage(read.chart, read.today, tz=read.zone, days_back=days_back, days_ahead=days_ahead)


def patient_chart(ctx: AppContext, actor: Actor, patient_id: str, now: datetime) -> PatientRead:
    """The whole chart for the chart page, with the clinic and its today."""
    return read_patient(ctx, actor, patient_id, "chart", now)
