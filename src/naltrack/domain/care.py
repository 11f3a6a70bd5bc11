"""Care around the medication: adverse events, counseling, support groups, appointments,
planned procedures and documents given to the patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args

from naltrack.domain.errors import InvalidInput
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.units import (
    require_aware,
    require_choice,
    require_not_before,
    require_range,
    require_range_if_given,
    require_text,
)

AdverseEventKind = Literal[
    "injection-site-reaction", "hepatotoxicity", "eosinophilic-pneumonia", "hypersensitivity",
    "depression-suicidality", "precipitated-withdrawal", "nausea", "headache", "insomnia",
    "overdose", "other", "dyspnea",
]
ADVERSE_EVENT_KINDS: tuple[AdverseEventKind, ...] = get_args(AdverseEventKind)
Outcome = Literal["resolving", "resolved", "not-resolved", "resolved-with-sequelae", "fatal", "unknown"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


@dataclass(frozen=True)
class InjectionSiteDetails:
    """What the label asks to watch at the site (clinical.md §3): induration, necrosis."""

    side: Literal["left", "right"]
    induration_cm: float | None = None
    necrosis: bool = False
    surgical_referral: bool = False

    def __post_init__(self) -> None:
        require_choice("site.side", self.side, ("left", "right"))
        require_range_if_given("site.induration_cm", self.induration_cm, 0, 50, "cm")


@dataclass(frozen=True, kw_only=True)
class AdverseEvent(ClinicalRecord):
    """An adverse event, graded by CTCAE (1 mild to 5 death)."""

    kind: AdverseEventKind
    onset: date
    ctcae_grade: int
    outcome: Outcome = "not-resolved"
    description: str | None = None
    injection_id: str | None = None
    site: InjectionSiteDetails | None = None
    resolved_on: date | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("adverse_event.kind", self.kind, ADVERSE_EVENT_KINDS)
        require_range("adverse_event.ctcae_grade", self.ctcae_grade, 1, 5)
        require_choice("adverse_event.outcome", self.outcome, OUTCOMES)
        if self.kind == "injection-site-reaction" and self.site is None:
            raise InvalidInput("adverse_event.site", None, "is required for an injection-site reaction")
        require_not_before("adverse_event.resolved_on", self.resolved_on, self.onset, "the onset")


SessionKind = Literal["cbt", "family", "group", "individual"]
SESSION_KINDS: tuple[SessionKind, ...] = get_args(SessionKind)


@dataclass(frozen=True, kw_only=True)
class CounselingSession(ClinicalRecord):
    """A counseling session. Group sessions name their group, never other members."""

    kind: SessionKind
    held_on: date
    duration_min: int
    counselor: str
    attended: bool = True
    group_id: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("counseling.kind", self.kind, SESSION_KINDS)
        require_range("counseling.duration_min", self.duration_min, 5, 480, "minutes")
        require_text("counseling.counselor", self.counselor, 100)


Fellowship = Literal["AA", "NA", "SMART", "other"]


@dataclass(frozen=True, kw_only=True)
class SupportGroupAttendance(ClinicalRecord):
    """Attendance at a mutual-help meeting, as reported."""

    fellowship: Fellowship
    attended_on: date

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("support_group.fellowship", self.fellowship, ("AA", "NA", "SMART", "other"))


AppointmentKind = Literal["injection", "induction", "prescriber", "counseling", "lab", "intake"]
APPOINTMENT_KINDS: tuple[AppointmentKind, ...] = get_args(AppointmentKind)
AppointmentStatus = Literal["booked", "arrived", "fulfilled", "noshow", "cancelled"]
APPOINTMENT_STATUSES: tuple[AppointmentStatus, ...] = get_args(AppointmentStatus)


@dataclass(frozen=True, kw_only=True)
class Appointment(ClinicalRecord):
    """A scheduled visit."""

    kind: AppointmentKind
    starts_at: datetime
    duration_min: int = 30
    appointment_status: AppointmentStatus = "booked"
    clinician: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("appointment.kind", self.kind, APPOINTMENT_KINDS)
        require_aware("appointment.starts_at", self.starts_at)
        require_range("appointment.duration_min", self.duration_min, 5, 480, "minutes")
        require_choice("appointment.appointment_status", self.appointment_status, APPOINTMENT_STATUSES)


#: The status changes of a visit on the day's schedule (FHIR R4 Appointment.status): a booked patient checks in
#: (arrived) or does not come (noshow); an arrived one is seen (fulfilled), or the check-in is undone (booked); a
#: no-show is undone back to booked. A seen or cancelled visit is final.
_NEXT_STATUSES: dict[str, tuple[AppointmentStatus, ...]] = {
    "booked": ("arrived", "noshow"), "arrived": ("fulfilled", "booked"), "noshow": ("booked",),
}


def next_statuses(status: str) -> tuple[AppointmentStatus, ...]:
    """The statuses a visit in ``status`` may move to on the schedule, in the order they are offered.

    Parameters
    ----------
    status : str
        The visit's current ``appointment_status``.

    Returns
    -------
    tuple of str
        Empty for a final status (``fulfilled``, ``cancelled``).

    Raises
    ------
    InvalidInput
        For a status that is not an appointment status.

    Examples
    --------
    >>> next_statuses("booked")
    ('arrived', 'noshow')
    >>> next_statuses("fulfilled")
    ()
    """
    require_choice("appointment.appointment_status", status, APPOINTMENT_STATUSES)
    return _NEXT_STATUSES.get(status, ())


@dataclass(frozen=True, kw_only=True)
class PlannedProcedure(ClinicalRecord):
    """A planned surgery or procedure: oral naltrexone stops 72 h before, XR-NTX 30 days (clinical.md §3)."""

    planned_on: date
    description: str

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text("procedure.description", self.description)


DocumentKind = Literal["emergency-pain-guidance", "wallet-card", "naloxone-education", "treatment-agreement"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = get_args(DocumentKind)


@dataclass(frozen=True, kw_only=True)
class CareDocument(ClinicalRecord):
    """A document given to or signed by the patient (emergency pain guidance, wallet card, ...)."""

    kind: DocumentKind
    issued_on: date

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("document.kind", self.kind, DOCUMENT_KINDS)

