"""The port of the web app's set-based read models, and the records they return.

DESIGN.md "A day in the program", step 1: injections due today and overdue, patients whose
protection ends within a week or has ended, urgent alerts (PHQ-9 item 9, liver tests,
injection site) and inductions in progress; the clinic's schedule of a day; the
acknowledgements of monitoring alerts. With 10,000 patients none of these can load
10,000 charts: the adapter (``adapters/db/read_models/``) answers each with a few queries
that the indexes serve. :class:`ReadModels` is reached through the unit of work
(``uow.read_models``), so a read happens in the same transaction as its audit entry.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from naltrack.analytics.courses import PatientCourse
from naltrack.domain.rules.thresholds import Thresholds

#: How many inductions the dashboard lists (the patient list shows the rest).
INDUCTION_LIST_LIMIT = 12
#: The dashboard's lists, each of which a role may be refused (``web`` hides what is refused).
DASHBOARD_SECTIONS = ("injections", "protection", "alerts", "inductions")


@dataclass(frozen=True)
class PatientRef:
    patient_id: str
    name: str
    mrn: str | None


@dataclass(frozen=True)
class DueInjection(PatientRef):
    last_given_on: date
    days_since: int
    due_on: date
    last_side: str
    suggested_side: str


@dataclass(frozen=True)
class UrgentAlert(PatientRef):
    kind: str
    rule: str
    kind_label: str
    message: str
    on: date
    severity: str


@dataclass(frozen=True)
class InductionInProgress(PatientRef):
    started_on: date


@dataclass(frozen=True)
class ProtectionEnding(PatientRef):
    form: str
    last_dose_on: date
    protection_ends_on: date
    days_left: int
    """Days from today to ``protection_ends_on``: negative once protection has ended (the list is sorted
    by it, the most lapsed first)."""
    phone: str | None = None
    """The patient's first phone number on record, to call."""


@dataclass(frozen=True)
class Dashboard:
    """What the nurse sees at 8:00 (DESIGN.md, "A day in the program")."""

    today: date
    patient_count: int
    due_today: tuple[DueInjection, ...]
    overdue: tuple[DueInjection, ...]
    protection: tuple[ProtectionEnding, ...]
    alerts: tuple[UrgentAlert, ...]
    inductions: tuple[InductionInProgress, ...]
    induction_total: int


@dataclass(frozen=True)
class ScheduledVisit(PatientRef):
    appointment_id: str
    version: int
    starts_at: datetime
    kind: str
    duration_min: int
    status: str
    clinician: str | None


@dataclass(frozen=True)
class Acknowledgement:
    """A monitoring alert ``(rule, subject)`` of a patient that a clinician saw and acted on."""

    patient_id: str
    rule: str
    subject: str
    acknowledged_by: str
    acknowledged_at: datetime


@dataclass(frozen=True)
class ProgramClinic:
    """A clinic whose patients' courses are read, up to its local day ``as_of`` in its ``zone``."""

    clinic_id: str
    as_of: date
    zone: ZoneInfo


class ReadModels(abc.ABC):
    """Set-based reads of one clinic, and the acknowledgements of alerts, inside a unit of work."""

    @abc.abstractmethod
    def dashboard(self, clinic_id: str, today: date, tz: ZoneInfo, thresholds: Thresholds, *,
                  sections: Mapping[str, bool] | None = None,
                  acknowledged: Iterable[tuple[str, str]] = ()) -> Dashboard:
        """The dashboard of ``clinic_id`` on the clinic-local day ``today``.

        ``sections`` switches off the lists (:data:`DASHBOARD_SECTIONS`) a role may not see, so
        that nothing it may not read is queried; ``acknowledged`` holds the ``(rule, subject)``
        of alerts to leave out.
        """

    @abc.abstractmethod
    def inductions(self, clinic_id: str, today: date,
                   limit: int = INDUCTION_LIST_LIMIT) -> tuple[list[InductionInProgress], int]:
        """Patients in care with no naltrexone yet, newest episodes first (at most ``limit``); and their count."""

    @abc.abstractmethod
    def in_care(self, clinic_id: str, today: date) -> list[PatientRef]:
        """The clinic's patients in an episode open on ``today``, by name."""

    @abc.abstractmethod
    def appointments(self, clinic_id: str, day: date, tz: ZoneInfo) -> list[ScheduledVisit]:
        """The clinic's appointments on the clinic-local ``day``, in time order."""

    @abc.abstractmethod
    def acknowledgements(self, patient_id: str) -> dict[tuple[str, str], Acknowledgement]:
        """A patient's acknowledgements by ``(rule, subject)``."""

    @abc.abstractmethod
    def acknowledged_since(self, clinic_id: str, since: datetime) -> set[tuple[str, str]]:
        """``(rule, subject)`` of the clinic's alerts acknowledged since ``since``."""

    @abc.abstractmethod
    def acknowledge(self, clinic_id: str, acknowledgement: Acknowledgement, note: str | None = None) -> None:
        """Store ``acknowledgement``; an alert acknowledged already keeps its first acknowledgement."""

    @abc.abstractmethod
    def program_courses(self, clinics: Sequence[ProgramClinic]) -> list[PatientCourse]:
        """The course of treatment of every patient of ``clinics`` (in patient id order), from the active records
        dated up to each clinic's ``as_of``: the facts the program's outcome and quality measures read."""
