"""Courses of naltrexone: injections, oral doses and implants, with adherence and dropout.

Doses, intervals and sites follow ``clinical.md §1``: XR-NTX 380 mg every 4 weeks into
alternating buttocks with the carton's 1.5 or 2 inch needle (§1.2); oral 50 mg daily
after a 25 mg test dose in OUD (§1.1); the three-times-weekly 100/100/150 mg schedule
(§1.1, weekdays UNCONFIRMED, so they are data here); targeted 50 mg about an hour before
drinking (§1.4); compounded implants replaced about every 2 months (§1.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from naltrack.domain.administrations import ImplantInsertion, ImplantRemoval, Injection, OralDose
from naltrack.domain.regimens import XR_NTX_INTERVAL_DAYS, Regimen, ScheduledDose
from naltrack.synthetic.builder import PatientBuilder

DAY = timedelta(days=1)
#: Implant products (clinical.md §1.3): 1000 mg (Krupitsky 2012) and the 6 x 200 mg pellet kit.
IMPLANTS: tuple[tuple[str, float, int], ...] = (
    ("naltrexone implant 1000 mg (compounded)", 1000.0, 60),
    ("naltrexone pellets 6 x 200 mg (compounded)", 1200.0, 60),
)


@dataclass
class Course:
    """What a course left behind, for the monitoring and care that follow it."""

    start: date
    stop: date
    active_at_end: bool
    visits: list[date] = field(default_factory=list)
    next_due: date | None = None
    injections: list[Injection] = field(default_factory=list)


def run_course(b: PatientBuilder, regimen: Regimen) -> Course:
    """Administer ``regimen`` from its start until dropout or the program end."""
    if regimen.form == "xr-ntx":
        return _xr_ntx(b, regimen)
    if regimen.form == "implant":
        return _implants(b, regimen)
    return _oral(b, regimen)


def _next_interval(b: PatientBuilder) -> int:
    timing = b.pick(("on-time", "late", "very-late"), b.params.injection_timing)
    low, high = {"on-time": (26, 30), "late": (31, 35), "very-late": (36, 50)}[timing]
    return int(b.rng.integers(low, high + 1))


def _xr_ntx(b: PatientBuilder, regimen: Regimen) -> Course:
    day, side = regimen.start, b.pick(("left", "right"))
    needle = 1.5 if b.chance(0.25) else 2.0
    lot_serial = int(b.rng.integers(100, 999))
    course = Course(start=regimen.start, stop=regimen.start, active_at_end=True)
    while b.is_past(day):
        lot_serial += int(b.rng.integers(0, 3))
        course.injections.append(b.add(
            Injection, given_at=b.clinic_time(day), side=side, lot=f"VX{day.year % 100}{lot_serial:03d}",
            expiry=day + b.days(120, 540), needle_length_in=needle, given_by=b.staff_member("nurses"),
            regimen_id=regimen.id))
        course.visits.append(day)
        side = "right" if side == "left" else "left"  # alternate buttocks (clinical.md §1.2)
        if not b.chance(b.params.xr_ntx_continue_per_cycle):
            course.active_at_end = False
            course.stop = min(day + timedelta(days=XR_NTX_INTERVAL_DAYS - 1), b.end - DAY)
            return course
        day += timedelta(days=_next_interval(b))
    last = course.injections[-1].given_at.date() if course.injections else regimen.start
    course.next_due = last + timedelta(days=XR_NTX_INTERVAL_DAYS) if course.injections else regimen.start
    course.stop = b.end - DAY
    return course


def _duration_days(b: PatientBuilder, p_continue: float, block_days: int) -> int:
    """Days on treatment: whole blocks survived (geometric), then part of the last one."""
    blocks = int(b.rng.geometric(1.0 - p_continue))
    return blocks * block_days - int(b.rng.integers(0, block_days))


def _course_window(b: PatientBuilder, start: date, p_continue: float, block_days: int) -> Course:
    stop = start + timedelta(days=max(_duration_days(b, p_continue, block_days), 1))
    active = stop >= b.end
    return Course(start=start, stop=min(stop, b.end - DAY), active_at_end=active)


def _oral(b: PatientBuilder, regimen: Regimen) -> Course:
    course = _course_window(b, regimen.start, b.params.oral_continue_per_4_weeks, 28)
    course.visits = [course.start + timedelta(days=d) for d in range(0, (course.stop - course.start).days + 1, 14)]
    if regimen.kind == "targeted":
        return course  # doses follow the drinking diary (see monitoring.drinking_diary)
    adherence = float(b.rng.beta(8, 2))
    first_kept = max(course.start, b.end - timedelta(days=b.params.oral_dose_window_days))
    day = first_kept
    while day <= course.stop:
        dose = 25.0 if day == regimen.start and regimen.induction_test_dose else regimen.oral_dose_on(day)
        if dose > 0:
            _oral_dose(b, regimen, day, dose, adherence, supervised=regimen.kind == "oral-schedule")
        day += DAY
    return course


def _oral_dose(b: PatientBuilder, regimen: Regimen, day: date, dose: float, adherence: float,
               supervised: bool) -> None:
    if not b.chance(adherence):
        b.add(OralDose, taken_at=b.at(day, 9), dose_mg=dose, dose_status="missed", regimen_id=regimen.id)
        return
    observed = supervised or day.weekday() == regimen.start.weekday()
    if observed:
        b.add(OralDose, taken_at=b.clinic_time(day), dose_mg=dose, dose_status="observed",
              observed_by=b.staff_member("nurses"), regimen_id=regimen.id)
    else:
        b.add(OralDose, taken_at=b.at(day, int(b.rng.integers(7, 11)), int(b.rng.integers(0, 60))),
              dose_mg=dose, dose_status="taken", regimen_id=regimen.id)


def add_targeted_doses(b: PatientBuilder, regimen: Regimen, drinking_days: list[tuple[date, float]]) -> None:
    """Targeted dosing: 50 mg about one hour before drinking (clinical.md §1.4), mostly remembered."""
    for day, drinks in drinking_days:
        if drinks > 0 and b.chance(0.8):
            b.add(OralDose, taken_at=b.at(day, 18), dose_mg=regimen.dose_mg, dose_status="taken",
                  regimen_id=regimen.id)


def _implants(b: PatientBuilder, regimen: Regimen) -> Course:
    product, dose_mg, duration = IMPLANTS[int(b.rng.integers(len(IMPLANTS)))]
    course = Course(start=regimen.start, stop=regimen.start, active_at_end=True)
    day = regimen.start
    while b.is_past(day):
        implant = b.add(ImplantInsertion, inserted_at=b.clinic_time(day), dose_mg=dose_mg, product=product,
                        inserted_by=b.staff_member("prescribers"), expected_duration_days=duration,
                        lot=f"CP{int(b.rng.integers(1000, 9999))}", regimen_id=regimen.id)
        course.visits.append(day)
        removal_day = day + b.days(5, 40)
        if b.chance(0.04) and b.is_past(removal_day):
            b.add(ImplantRemoval, implant_id=implant.id, removed_at=b.clinic_time(removal_day),
                  reason=b.pick(("wound infection at the site", "patient request", "elective surgery planned")),
                  removed_by=b.staff_member("prescribers"))
        if not b.chance(b.params.implant_continue_per_implant):
            course.active_at_end = False
            course.stop = min(day + timedelta(days=duration - 1), b.end - DAY)
            return course
        day += timedelta(days=duration + int(b.rng.integers(-3, 15)))
    course.next_due = day
    course.stop = b.end - DAY
    return course


def make_regimen(b: PatientBuilder, kind: str, start: date) -> Regimen:
    """The order for ``kind`` starting on ``start`` (built, not yet kept: its end comes later)."""
    prescriber = b.staff_member("prescribers")
    common: dict[str, Any] = {"kind": kind, "start": start, "prescriber": prescriber}
    if kind in ("xr-ntx-q4w", "xr-ntx-bupropion"):
        return b.build(Regimen, dose_mg=380.0, interval_days=XR_NTX_INTERVAL_DAYS, rxnorm="637213", **common)
    if kind == "implant":
        return b.build(Regimen, dose_mg=1000.0, expected_duration_days=60, implant_product="compounded naltrexone",
                     rxnorm="NTX-IMPLANT", **common)
    if kind == "oral-schedule":
        schedule = ((ScheduledDose("mon", 100.0), ScheduledDose("wed", 100.0), ScheduledDose("fri", 150.0))
                    if b.chance(0.6) else
                    tuple(ScheduledDose(d, 50.0) for d in ("mon", "tue", "wed", "thu", "fri"))
                    + (ScheduledDose("sat", 100.0),))
        return b.build(Regimen, dose_mg=max(d.dose_mg for d in schedule), schedule=schedule, rxnorm="1483744",
                     note="supervised alternative schedule (clinical.md §1.1)", **common)
    test_dose = kind == "oral-daily" and b.indication in ("OUD", "OUD+AUD")
    return b.build(Regimen, dose_mg=50.0, induction_test_dose=test_dose, rxnorm="1483744", days_supply=30,
                 note="targeted: about one hour before drinking (clinical.md §1.4)" if kind == "targeted" else None,
                 **common)
