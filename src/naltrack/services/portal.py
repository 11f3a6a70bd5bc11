"""Use cases of the patient portal: what a signed-in patient reads and records about themselves, and
the staff side of it (assigning a questionnaire, reviewing a side-effect report, the dashboard's list).

Every use case of the patient takes the patient's actor (:func:`~naltrack.services.portal_accounts.patient_actor`)
and works on the one patient the principal is bound to; no id of a patient comes from the request.
An id of something else (a questionnaire assigned) that belongs to another patient is "not found",
the same answer as an unknown one. Each access is one :func:`~naltrack.services.access.run_audited`
transaction with its audit entries, the patient as the actor; the clinical answers (the next
injection due, the blocked-through date) come from the domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from naltrack.domain.care import Appointment
from naltrack.domain.chart import PatientChart
from naltrack.domain.due_dates import next_injection_due
from naltrack.domain.errors import Conflict, InvalidInput, NotFound
from naltrack.domain.observations import DrinkingDay, QuestionnaireResponse
from naltrack.domain.protection import protection_end
from naltrack.domain.questionnaires import score_answers, score_response
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.patient_accounts import bound_patient_id
from naltrack.domain.security.roles import is_permitted
from naltrack.domain.side_effects import SideEffectReport
from naltrack.instruments.definitions import Instrument, get_instrument, instrument_ids
from naltrack.instruments.scoring import Score
from naltrack.services import records as record_cases
from naltrack.services.access import Access, authorize, authorized_patient, in_clinic, run_audited
from naltrack.services.consents import list_disclosures
from naltrack.services.context import AppContext
from naltrack.services.portal_ports import Assignment
from naltrack.services.record_writes import checked_batch, store_checked
from naltrack.services.records import NewRecord
from naltrack.services.security import new_id
from naltrack.services.security_ports import Disclosure, SecureUnitOfWork
from naltrack.services.unit_of_work import chart_in

#: How many of the latest doses and diary days the portal shows.
RECENT_DOSES = 5
RECENT_DIARY_DAYS = 14
UPCOMING_VISITS = 10
#: The most unreviewed side-effect reports the dashboard lists.
DASHBOARD_SIDE_EFFECTS = 50


@dataclass(frozen=True)
class DoseTaken:
    """A dose as the patient sees it: what, when, how much."""

    form: Literal["injection", "tablet", "implant"]
    at: datetime
    dose_mg: float


@dataclass(frozen=True)
class PortalHome:
    """The patient's home page: their day, schedule, doses and dates, as the domain computes them."""

    given_name: str
    today: date
    zone_name: str
    visits: tuple[Appointment, ...]
    doses: tuple[DoseTaken, ...]
    next_injection_due: date | None
    blocked_through: date | None
    blocked_today: bool
    assignments: tuple[Assignment, ...]
    side_effects: tuple[SideEffectReport, ...]


def _principal(actor: Actor) -> str:
    patient_id = bound_patient_id(actor.user)
    if patient_id is None:
        raise InvalidInput("actor", actor.user.username, "must be a patient signed in to the portal")
    return patient_id


def _doses(chart: PatientChart) -> tuple[DoseTaken, ...]:
    doses = [DoseTaken("injection", i.given_at, i.dose_mg) for i in chart.injections if i.status == "active"]
    doses += [DoseTaken("tablet", o.taken_at, o.dose_mg) for o in chart.oral_doses
              if o.status == "active" and o.dose_status != "missed"]
    doses += [DoseTaken("implant", m.inserted_at, m.dose_mg) for m in chart.implants if m.status == "active"]
    return tuple(sorted(doses, key=lambda d: d.at, reverse=True)[:RECENT_DOSES])


def get_home(ctx: AppContext, actor: Actor, now: datetime) -> PortalHome:
    """The patient's home: upcoming visits, recent doses, next injection due and blocked-through date."""
    patient_id = _principal(actor)
    access = Access(actor=actor, action="read", category="clinical-views", now=now, record_type="portal-home",
                    purpose=actor.purpose)

    def body(uow: SecureUnitOfWork, access: Access) -> PortalHome:
        patient = authorized_patient(uow, access, patient_id)
        clinic = uow.clinics.get(patient.clinic_id)
        zone, chart = clinic.zone, chart_in(uow, patient)
        today = now.astimezone(zone).date()
        visits = sorted((a for a in chart.appointments if a.status == "active" and a.appointment_status == "booked"
                         and a.starts_at >= now), key=lambda a: a.starts_at)
        blocked = protection_end(chart, today, zone, ctx.thresholds)
        return PortalHome(
            given_name=patient.given_name, today=today, zone_name=str(zone), visits=tuple(visits[:UPCOMING_VISITS]),
            doses=_doses(chart), next_injection_due=next_injection_due(chart, today, zone, ctx.thresholds),
            blocked_through=blocked, blocked_today=blocked is not None and blocked >= today,
            assignments=tuple(a for a in uow.portal.assignments_for(patient.id) if a.completed_at is None),
            side_effects=tuple(uow.portal.side_effects_for(patient.id)[:RECENT_DOSES]))

    return run_audited(ctx.uow, access, body)


def get_disclosures(ctx: AppContext, actor: Actor, now: datetime) -> list[Disclosure]:
    """The accounting of the patient's disclosures (42 CFR 2.24), through the staff use case."""
    return list_disclosures(ctx, actor, _principal(actor), now)


@dataclass(frozen=True)
class Diary:
    """The patient's latest diary days, newest first, and the clinic's day (the form's default)."""

    today: date
    days: tuple[DrinkingDay, ...]


def get_diary(ctx: AppContext, actor: Actor, now: datetime) -> Diary:
    """The patient's latest diary days, newest first."""
    patient_id = _principal(actor)
    access = Access(actor=actor, action="read", category="substance-use", now=now, record_type="drinking_days")

    def body(uow: SecureUnitOfWork, access: Access) -> Diary:
        patient = authorized_patient(uow, access, patient_id)
        today = now.astimezone(uow.clinics.get(patient.clinic_id).zone).date()
        days = [d for d in chart_in(uow, patient).drinking_days if d.status == "active"]
        days.sort(key=lambda d: (d.day, d.recorded_at or now), reverse=True)
        return Diary(today, tuple(days[:RECENT_DIARY_DAYS]))

    return run_audited(ctx.uow, access, body)


def record_diary_day(ctx: AppContext, actor: Actor, day: date, standard_drinks: float, craving: int | None,
                     now: datetime) -> DrinkingDay:
    """One diary day (standard drinks and craving 0-10), through the audited record use case."""
    patient_id = _principal(actor)

    def build(new: NewRecord) -> DrinkingDay:
        return DrinkingDay(**new.fields, day=day, standard_drinks=standard_drinks, craving=craving)

    saved = record_cases.create_record(ctx, actor, "drinking_days", patient_id, build, now)
    assert isinstance(saved, DrinkingDay)  # noqa: S101  (create_record checks the kind)
    return saved


def report_side_effect(ctx: AppContext, actor: Actor, kind: str, severity: str, other_text: str | None,
                       now: datetime) -> SideEffectReport:
    """The patient reports a side effect; an urgent one (:func:`is_urgent_side_effect`) heads the dashboard."""
    patient_id = _principal(actor)
    access = Access(actor=actor, action="create", category="adverse-events", now=now,
                    record_type="side-effect-reports")

    def body(uow: SecureUnitOfWork, access: Access) -> SideEffectReport:
        patient = authorized_patient(uow, access, patient_id)
        report = SideEffectReport(id=new_id(), patient_id=patient.id, kind=kind,  # type: ignore[arg-type]
                                  severity=severity, reported_at=now,  # type: ignore[arg-type]
                                  other_text=((other_text or "").strip() or None) if kind == "other" else None)
        uow.portal.add_side_effect(report, patient.clinic_id)
        access.wrote("side-effect-reports", report.id, patient.id,
                     detail=f"{report.kind}, {report.severity}{', urgent' if report.urgent else ''}")
        return report

    return run_audited(ctx.uow, access, body)


def _own_assignment(uow: SecureUnitOfWork, access: Access, patient_id: str, assignment_id: str) -> Assignment:
    access.record_id = assignment_id
    found = uow.portal.find_assignment(assignment_id)
    if found is None or found.patient_id != patient_id:
        raise NotFound("questionnaire", assignment_id)
    return found


def get_assignment(ctx: AppContext, actor: Actor, assignment_id: str, now: datetime) -> tuple[Assignment, Instrument]:
    """A questionnaire assigned to the patient, and its instrument; another patient's is "not found"."""
    patient_id = _principal(actor)
    access = Access(actor=actor, action="read", category="questionnaires", now=now,
                    record_type="questionnaire-assignments")

    def body(uow: SecureUnitOfWork, access: Access) -> tuple[Assignment, Instrument]:
        found = _own_assignment(uow, access, patient_id, assignment_id)
        authorized_patient(uow, access, patient_id)
        return found, get_instrument(found.instrument)

    return run_audited(ctx.uow, access, body)


@dataclass(frozen=True)
class Completed:
    """A completed questionnaire: its score (with its flags, e.g. ``item-9-positive``) and the stored response."""

    score: Score
    response: QuestionnaireResponse
    instrument: Instrument


def complete_assignment(ctx: AppContext, actor: Actor, assignment_id: str, answers: list[float | None],
                        now: datetime) -> Completed:
    """Score the answers on submit (:func:`score_answers`), store the response as the staff form does, and close
    the assignment, in one transaction. A PHQ-9 with item 9 above 0 carries the flag that the monitoring rule
    (``MON-PHQ9-ITEM9``) raises as an urgent alert for staff.

    Raises
    ------
    NotFound
        Not the patient's assignment. ``Conflict``: completed already. ``InvalidInput``: an answer refused.
    """
    patient_id = _principal(actor)
    access = Access(actor=actor, action="create", category="questionnaires", now=now, record_type="questionnaires")

    def body(uow: SecureUnitOfWork, access: Access) -> Completed:
        found = _own_assignment(uow, access, patient_id, assignment_id)
        patient = authorized_patient(uow, access, patient_id)
        if found.completed_at is not None:
            raise Conflict(f"questionnaire {assignment_id} was completed already")
        instrument = get_instrument(found.instrument)
        result = score_answers(patient.sex_at_birth, instrument.id, answers)
        response = score_response(patient.sex_at_birth, instrument.id, answers, id=new_id(), patient_id=patient.id,
                                  completed_at=now)
        stored = store_checked(uow, access, checked_batch(uow, access, [response], now))[0]
        if not uow.portal.complete_assignment(found.id, stored.id, now):
            raise Conflict(f"questionnaire {assignment_id} was completed already")
        assert isinstance(stored, QuestionnaireResponse)  # noqa: S101
        return Completed(result, stored, instrument)

    return run_audited(ctx.uow, access, body)


# --- the staff side -------------------------------------------------------------------------------------------


#: Instruments a patient does not fill in themselves: COWS is rated by a clinician watching for withdrawal signs.
CLINICIAN_RATED = frozenset({"cows"})


def portal_instrument_ids() -> tuple[str, ...]:
    """The instruments a patient can fill in in the portal: self-reported, every answer a choice."""
    return tuple(i for i in instrument_ids() if i not in CLINICIAN_RATED
                 and not any(item.is_continuous for item in get_instrument(i).items))


def assign_questionnaire(ctx: AppContext, actor: Actor, patient_id: str, instrument_id: str,
                         now: datetime) -> Assignment:
    """Staff who may record questionnaires assign one to a patient, to fill in in the portal."""
    instrument = get_instrument(instrument_id)
    if instrument.id not in portal_instrument_ids():
        raise InvalidInput("instrument", instrument_id, f"must be one of {', '.join(portal_instrument_ids())}")
    access = Access(actor=actor, action="create", category="questionnaires", now=now,
                    record_type="questionnaire-assignments")

    def body(uow: SecureUnitOfWork, access: Access) -> Assignment:
        patient = authorized_patient(uow, access, patient_id)
        assignment = Assignment(new_id(), patient.id, instrument.id, actor.user.id, now)
        uow.portal.add_assignment(assignment)
        access.wrote("questionnaire-assignments", assignment.id, patient.id, detail=f"assigned {instrument.id}")
        return assignment

    return run_audited(ctx.uow, access, body)


def review_side_effect(ctx: AppContext, actor: Actor, report_id: str, now: datetime) -> SideEffectReport:
    """Staff mark a patient's side-effect report reviewed (roles that correct adverse events); audited."""
    access = Access(actor=actor, action="update", category="adverse-events", now=now,
                    record_type="side-effect-reports")

    def body(uow: SecureUnitOfWork, access: Access) -> SideEffectReport:
        report, _ = in_clinic(uow, access, "side-effect report", report_id, uow.portal.find_side_effect(report_id))
        authorize(uow, access)
        if not uow.portal.mark_side_effect_reviewed(report.id, actor.user.id, now):
            raise Conflict(f"side-effect report {report_id} was reviewed already")
        access.wrote("side-effect-reports", report.id, report.patient_id, detail="reviewed")
        found = uow.portal.find_side_effect(report.id)
        assert found is not None  # noqa: S101
        return found

    return run_audited(ctx.uow, access, body)


@dataclass(frozen=True)
class PortalOverview:
    """What a patient has in the portal, as staff see it: the account's login name (``None``: not invited or not
    signed up yet), and, for roles that may read them, the assigned questionnaires and the side-effect reports."""

    login_name: str | None
    assignments: tuple[Assignment, ...]
    side_effects: tuple[SideEffectReport, ...]


def get_portal_overview(ctx: AppContext, actor: Actor, patient_id: str, now: datetime) -> PortalOverview:
    """The staff's view of one patient's portal (roles that read demographics); one audited read."""
    access = Access(actor=actor, action="read", category="demographics", now=now, record_type="portal-overview")

    def body(uow: SecureUnitOfWork, access: Access) -> PortalOverview:
        patient = authorized_patient(uow, access, patient_id)
        account = uow.portal.account_of_patient(patient.id)
        assignments = (tuple(uow.portal.assignments_for(patient.id))
                       if is_permitted(actor.role, "questionnaires", "read") else ())
        reports = (tuple(uow.portal.side_effects_for(patient.id))
                   if is_permitted(actor.role, "adverse-events", "read") else ())
        return PortalOverview(account.login_name if account else None, assignments, reports)

    return run_audited(ctx.uow, access, body)


@dataclass(frozen=True)
class SideEffectOnBoard:
    """An unreviewed report on the dashboard: the patient's name, the report and whether it is urgent."""

    patient_id: str
    name: str
    report: SideEffectReport

    @property
    def urgent(self) -> bool:
        return self.report.urgent


def side_effects_on_board(uow: SecureUnitOfWork, clinic_id: str) -> tuple[SideEffectOnBoard, ...]:
    """The clinic's unreviewed reports for the dashboard, urgent first, then oldest first (inside its read)."""
    items = []
    for report in uow.portal.open_side_effects(clinic_id, DASHBOARD_SIDE_EFFECTS):
        patient = uow.patients.find(report.patient_id)
        if patient is not None and patient.clinic_id == clinic_id:
            items.append(SideEffectOnBoard(patient.id, patient.display_name, report))
    return tuple(sorted(items, key=lambda i: (not i.urgent, i.report.reported_at)))

