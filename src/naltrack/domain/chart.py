"""A patient's whole record, as the rules read it.

:class:`PatientChart` is a plain aggregate of tuples. Rules take a chart and a date; they
never load anything. Records marked entered-in-error are kept in the chart (for the
history) and skipped by the ``active_*`` accessors the rules use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from naltrack.domain import observations as obs
from naltrack.domain.administrations import ImplantInsertion, ImplantRemoval, Injection, OralDose
from naltrack.domain.care import (
    AdverseEvent,
    Appointment,
    CareDocument,
    CounselingSession,
    PlannedProcedure,
    SupportGroupAttendance,
)
from naltrack.domain.dose_decisions import DoseDecision
from naltrack.domain.episodes import Diagnosis, Episode
from naltrack.domain.patients import Patient
from naltrack.domain.records import current
from naltrack.domain.regimens import Regimen
from naltrack.domain.safety import SafetyAssessment


@dataclass(frozen=True)
class PatientChart:
    """Everything recorded about one patient."""

    patient: Patient
    episodes: tuple[Episode, ...] = field(default_factory=tuple)
    diagnoses: tuple[Diagnosis, ...] = field(default_factory=tuple)
    regimens: tuple[Regimen, ...] = field(default_factory=tuple)
    oral_doses: tuple[OralDose, ...] = field(default_factory=tuple)
    injections: tuple[Injection, ...] = field(default_factory=tuple)
    implants: tuple[ImplantInsertion, ...] = field(default_factory=tuple)
    implant_removals: tuple[ImplantRemoval, ...] = field(default_factory=tuple)
    medications: tuple[obs.MedicationUse, ...] = field(default_factory=tuple)
    substance_use: tuple[obs.SubstanceUseReport, ...] = field(default_factory=tuple)
    drinking_days: tuple[obs.DrinkingDay, ...] = field(default_factory=tuple)
    labs: tuple[obs.LabResult, ...] = field(default_factory=tuple)
    screens: tuple[obs.UrineDrugScreen, ...] = field(default_factory=tuple)
    naloxone_challenges: tuple[obs.NaloxoneChallenge, ...] = field(default_factory=tuple)
    questionnaires: tuple[obs.QuestionnaireResponse, ...] = field(default_factory=tuple)
    allergies: tuple[obs.Allergy, ...] = field(default_factory=tuple)
    adverse_events: tuple[AdverseEvent, ...] = field(default_factory=tuple)
    counseling: tuple[CounselingSession, ...] = field(default_factory=tuple)
    support_groups: tuple[SupportGroupAttendance, ...] = field(default_factory=tuple)
    appointments: tuple[Appointment, ...] = field(default_factory=tuple)
    procedures: tuple[PlannedProcedure, ...] = field(default_factory=tuple)
    documents: tuple[CareDocument, ...] = field(default_factory=tuple)
    safety_assessments: tuple[SafetyAssessment, ...] = field(default_factory=tuple)
    dose_decisions: tuple[DoseDecision, ...] = field(default_factory=tuple)

    def active_injections(self) -> list[Injection]:
        """Injections in force, oldest first."""
        return sorted(current(self.injections), key=lambda i: i.given_at)

    def last_injection(self, on_or_before: date | None = None, tz: tzinfo | None = None) -> Injection | None:
        """The latest injection in force given on or before the day ``on_or_before`` of ``tz``.

        Without ``tz`` the day is that of the offset the time was recorded with; clinical dates
        pass the clinic's zone (``Clinic.zone``).
        """
        shots = [i for i in self.active_injections()
                 if on_or_before is None or local_day(i.given_at, tz) <= on_or_before]
        return shots[-1] if shots else None

    def active_regimens_on(self, day: date) -> list[Regimen]:
        return [r for r in self.regimens if r.is_active_on(day)]

    def active_episode_on(self, day: date) -> Episode | None:
        open_ = [e for e in current(self.episodes) if e.is_open_on(day)]
        return max(open_, key=lambda e: e.start) if open_ else None

    def implants_in_place(self, day: date, tz: tzinfo | None = None) -> list[ImplantInsertion]:
        """Implants inserted on or before ``day`` (of ``tz``, as in :meth:`last_injection`), not removed by then."""
        removed = {r.implant_id for r in current(self.implant_removals) if local_day(r.removed_at, tz) <= day}
        return [i for i in current(self.implants) if local_day(i.inserted_at, tz) <= day and i.id not in removed]

    def labs_for(self, loinc: str, on_or_before: date | None = None) -> list[obs.LabResult]:
        """Results of one test, oldest first."""
        return sorted(
            (lab for lab in current(self.labs)
             if lab.loinc == loinc and (on_or_before is None or lab.collected_at.date() <= on_or_before)),
            key=lambda lab: lab.collected_at,
        )

    def responses_to(self, instrument: str) -> list[obs.QuestionnaireResponse]:
        """Responses to one instrument, oldest first."""
        return sorted((q for q in current(self.questionnaires) if q.instrument == instrument),
                      key=lambda q: q.completed_at)


def local_day(when: datetime, tz: tzinfo | None) -> date:
    """The calendar day of ``when`` in ``tz`` (the clinic's zone); without ``tz``, in its own offset."""
    return when.astimezone(tz).date() if tz is not None else when.date()
