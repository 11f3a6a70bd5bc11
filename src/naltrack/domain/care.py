"""Care around the medication: adverse events, counseling, support groups, appointments,
planned procedures and documents given to the patient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, get_args

from naltrack.domain.errors import InvalidInput
from naltrack.domain.limits import FREE_TEXT_MAX_LENGTH
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


NoteFormat = Literal["free", "dap", "birp"]
NOTE_FORMATS: tuple[NoteFormat, ...] = get_args(NoteFormat)
NoteSectionName = Literal["data", "assessment", "plan", "behavior", "intervention", "response"]
#: The sections of each note format, in order, with their headings: DAP (Data, Assessment, Plan) and BIRP
#: (Behavior, Intervention, Response, Plan); a free note is the session's ``note`` alone.
NOTE_SECTIONS: dict[NoteFormat, tuple[tuple[NoteSectionName, str], ...]] = {
    "free": (),
    "dap": (("data", "Data"), ("assessment", "Assessment"), ("plan", "Plan")),
    "birp": (("behavior", "Behavior"), ("intervention", "Intervention"), ("response", "Response"), ("plan", "Plan")),
}


@dataclass(frozen=True)
class NoteSection:
    """One section of a structured counseling note: which one, and its text (required, free text length)."""

    section: NoteSectionName
    text: str

    def __post_init__(self) -> None:
        require_text(f"counseling.note_sections.{self.section}", self.text, FREE_TEXT_MAX_LENGTH)


@dataclass(frozen=True, kw_only=True)
class CounselingSession(ClinicalRecord):
    """A counseling session. Group sessions name their group, never other members. A structured note (DAP or
    BIRP) holds exactly the sections of its format (:data:`NOTE_SECTIONS`), in order."""

    kind: SessionKind
    held_on: date
    duration_min: int
    counselor: str
    attended: bool = True
    group_id: str | None = None
    note: str | None = None
    note_format: NoteFormat = "free"
    note_sections: tuple[NoteSection, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("counseling.kind", self.kind, SESSION_KINDS)
        require_range("counseling.duration_min", self.duration_min, 5, 480, "minutes")
        require_text("counseling.counselor", self.counselor, 100)
        require_choice("counseling.note_format", self.note_format, NOTE_FORMATS)
        expected = tuple(name for name, _ in NOTE_SECTIONS[self.note_format])
        given = tuple(s.section for s in self.note_sections)
        if given != expected:
            rule = (f"must be the sections of a {self.note_format.upper()} note, in order: {', '.join(expected)}"
                    if expected else "must be empty for a free note")
            raise InvalidInput("counseling.note_sections", ", ".join(given) or "none", rule)


Fellowship = Literal["AA", "NA", "SMART", "other"]


@dataclass(frozen=True, kw_only=True)
class SupportGroupAttendance(ClinicalRecord):
    """Attendance at a mutual-help meeting, as reported."""

    fellowship: Fellowship
    attended_on: date

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("support_group.fellowship", self.fellowship, get_args(Fellowship))


AppointmentKind = Literal["injection", "induction", "prescriber", "counseling", "lab", "intake"]
APPOINTMENT_KINDS: tuple[AppointmentKind, ...] = get_args(AppointmentKind)
AppointmentStatus = Literal["booked", "arrived", "fulfilled", "noshow", "cancelled"]
APPOINTMENT_STATUSES: tuple[AppointmentStatus, ...] = get_args(AppointmentStatus)
#: A visit's status in words (the stored values are FHIR R4 Appointment.status codes).
APPOINTMENT_STATUS_LABELS: dict[str, str] = {"booked": "Booked", "arrived": "Checked in", "fulfilled": "Seen",
                                             "noshow": "No-show", "cancelled": "Cancelled"}
#: A visit's kind in words.
APPOINTMENT_KIND_LABELS: dict[str, str] = {"injection": "Injection", "induction": "Induction",
                                           "prescriber": "Prescriber visit", "counseling": "Counseling",
                                           "lab": "Lab draw", "intake": "Intake"}


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

