"""Care around the medication: adverse events, counseling, mutual help, appointments, documents.

Adverse events follow the label's warnings and common events (clinical.md §3): site
reactions with induration, rarely necrosis and surgical referral; nausea, headache,
insomnia; rare hepatotoxicity. Rates are in :class:`ProgramParams`.
"""

from __future__ import annotations

from datetime import date, timedelta

from naltrack.domain.administrations import Injection
from naltrack.domain.care import (
    AdverseEvent,
    Appointment,
    CareDocument,
    CounselingSession,
    InjectionSiteDetails,
    SupportGroupAttendance,
)
from naltrack.synthetic.builder import PatientBuilder

#: Days around the program end date that get appointment records (past ones with an outcome).
APPOINTMENT_WINDOW_DAYS = 14


def site_reactions(b: PatientBuilder, injections: list[Injection]) -> None:
    """Injection-site reactions, most mild; a few severe ones (clinical.md §3)."""
    for shot in injections:
        if not b.chance(b.params.injection_site_reaction_per_injection):
            continue
        onset = shot.given_at.date() + b.days(0, 2)
        if not b.is_past(onset):
            continue
        severe = b.chance(b.params.severe_site_reaction_share)
        induration = float(b.rng.uniform(6, 12) if severe else b.rng.uniform(0.5, 4))
        site = InjectionSiteDetails(side=shot.side, induration_cm=round(induration, 1),
                                    necrosis=severe and b.chance(0.5), surgical_referral=severe)
        resolved = onset + b.days(3, 21)
        done = b.is_past(resolved) and not severe
        b.add(AdverseEvent, kind="injection-site-reaction", onset=onset,
              ctcae_grade=3 if severe else int(b.rng.integers(1, 3)),
              outcome="resolved" if done else "resolving", resolved_on=resolved if done else None,
              injection_id=shot.id, site=site,
              description="enlarging induration; referred to surgery" if severe else "induration, tenderness")


def early_effects(b: PatientBuilder, start: date) -> None:
    """Nausea, headache, insomnia in the first weeks (common adverse events, clinical.md §3)."""
    for kind, rate in (("nausea", b.params.nausea), ("headache", b.params.headache),
                       ("insomnia", b.params.insomnia)):
        onset = start + b.days(0, 10)
        if b.chance(rate) and b.is_past(onset):
            resolved = onset + b.days(2, 14)
            done = b.is_past(resolved)
            b.add(AdverseEvent, kind=kind, onset=onset, ctcae_grade=1 if b.chance(0.8) else 2,
                  outcome="resolved" if done else "resolving", resolved_on=resolved if done else None)


def hepatotoxicity(b: PatientBuilder, day: date) -> None:
    """Clinically significant liver injury: naltrexone stopped (clinical.md §2.7, §3)."""
    b.add(AdverseEvent, kind="hepatotoxicity", onset=day, ctcae_grade=int(b.rng.integers(2, 4)),
          outcome="resolving", description="transaminases above 5x ULN; naltrexone stopped")


def counseling(b: PatientBuilder, start: date, stop: date) -> None:
    """Sessions every two weeks (clinical.md §6, Krupitsky 2011) while the patient is in care."""
    group_id = f"{b.clinic.id}-group-{b.pick(('mon', 'wed', 'thu'))}"
    day = start
    while day <= stop and b.is_past(day):
        kind = b.pick(("individual", "cbt", "group", "family"), (0.4, 0.25, 0.25, 0.1))
        b.add(CounselingSession, kind=kind, held_on=day, duration_min=90 if kind == "group" else 50,
              counselor=b.staff_member("counselors"), attended=b.chance(b.params.counseling_attendance),
              group_id=group_id if kind == "group" else None)
        day += timedelta(days=b.params.counseling_interval_days + int(b.rng.integers(-2, 3)))


def support_groups(b: PatientBuilder, start: date, stop: date) -> None:
    """Weekly mutual-help meetings for some patients: AA for alcohol, NA for opioids, or SMART."""
    if not b.chance(b.params.support_group_share):
        return
    fellowship = "SMART" if b.chance(0.25) else ("AA" if b.indication == "AUD" else "NA")
    day = start + b.days(0, 6)
    while day <= stop and b.is_past(day):
        if b.chance(0.7):
            b.add(SupportGroupAttendance, fellowship=fellowship, attended_on=day)
        day += timedelta(days=7)


def appointments(b: PatientBuilder, next_due: date | None, kind: str, in_care: bool) -> None:
    """Appointments near the program end date: the next dose due (maybe today or overdue), counseling."""
    if not in_care:
        return
    window_start = b.end - timedelta(days=APPOINTMENT_WINDOW_DAYS)
    if next_due is not None and next_due >= window_start:
        status = "booked" if next_due >= b.end else "noshow"
        b.add(Appointment, kind=kind, starts_at=b.at(next_due, int(b.rng.integers(8, 16)), 0),
              appointment_status=status, clinician=b.staff_member("nurses"))
        if status == "noshow":  # rebooked in the coming days: overdue until then
            b.add(Appointment, kind=kind, starts_at=b.at(b.end + b.days(0, 6), 10, 30),
                  appointment_status="booked", clinician=b.staff_member("nurses"))
    day = b.end + b.days(-APPOINTMENT_WINDOW_DAYS, APPOINTMENT_WINDOW_DAYS)
    past = day < b.end
    b.add(Appointment, kind="counseling", starts_at=b.at(day, int(b.rng.integers(9, 17)), 30), duration_min=50,
          appointment_status=("fulfilled" if b.chance(0.8) else "noshow") if past else "booked",
          clinician=b.staff_member("counselors"))


def documents(b: PatientBuilder, intake: date, start: date | None, blockade: bool) -> None:
    """Treatment agreement at intake; wallet card, naloxone and pain guidance with a blockade (clinical.md §3)."""
    b.add(CareDocument, kind="treatment-agreement", issued_on=intake)
    if start is not None and blockade and b.is_past(start):
        for kind in ("wallet-card", "naloxone-education", "emergency-pain-guidance"):
            b.add(CareDocument, kind=kind, issued_on=start)
