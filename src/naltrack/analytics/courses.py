"""One patient's course of treatment, as the outcome and quality measures read it.

The measures of :mod:`naltrack.analytics` are pure functions over :class:`PatientCourse` values:
the program's own records reduced to dated facts (no names, no notes). The database read model
(``adapters/db/read_models/outcomes.py``) builds them set-based for a whole program; tests build
them by hand. Every date is a clinic-local day.

Examples
--------
>>> course = PatientCourse(patient_id="p1", clinic_id="c1", sex_at_birth="female", birth_date=date(1990, 1, 1),
...                        indication="OUD", assessed_on=date(2026, 1, 5), first_dose_on=date(2026, 1, 12),
...                        first_form="xr-ntx", treated=(Interval(date(2026, 1, 12), date(2026, 2, 13)),))
>>> course.treated[0].days
33
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from naltrack.domain.errors import InvalidInput

#: The forms of naltrexone, as :data:`naltrack.domain.regimens.FORMS` names them.
CourseForm = Literal["oral", "xr-ntx", "implant"]


@dataclass(frozen=True)
class Interval:
    """The days ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput("interval.end", self.end.isoformat(), f"is before the start {self.start.isoformat()}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Dose:
    """A naltrexone administration given (an injection, an implant inserted, an oral dose taken or observed)."""

    on: date
    form: CourseForm
    rxnorm: str
    days_supply: int | None = None
    """Days the dose supplies where the record says (an oral prescription's supply); ``None`` where the code's
    rule sets it (HEDIS POD, clinical.md §7.2)."""


@dataclass(frozen=True)
class Screen:
    """A urine drug screen's opioid and fentanyl results: ``True`` negative, ``False`` positive, ``None`` not tested."""

    collected_on: date
    opioids_negative: bool | None
    fentanyl_negative: bool | None


@dataclass(frozen=True)
class DrinkingEntry:
    """A day of the drinking diary: the standard drinks of that day (0 is a day without alcohol)."""

    day: date
    standard_drinks: float


@dataclass(frozen=True)
class BamEntry:
    """A Brief Addiction Monitor response's three scores (use, risk factors, protective factors)."""

    completed_on: date
    use: int
    risk: int
    protective: int


@dataclass(frozen=True)
class PatientCourse:
    """The dated facts of one patient that the program's measures read.

    ``assessed_on`` is the start of the patient's first episode of care (the intake assessment);
    ``ready_on`` the first day a first dose was found ready (a first dose's pre-dose check with nothing
    overridden, or the first dose itself where it was recorded without its check). ``treated`` holds
    the days blocked by the blockade estimate or covered by an oral supply, merged and in order;
    ``protected`` the days blocked by the blockade estimate alone. ``treatment_contacts`` are the days of
    the program's treatment contacts (counseling, groups, visits seen, doses), the events IET counts.
    ``lapses`` are the days protection ended (the day after the last blocked day of a run) and
    ``naloxone_offered`` the days rescue naloxone was prescribed, dispensed or taught.
    """

    patient_id: str
    clinic_id: str
    sex_at_birth: str
    birth_date: date
    indication: str | None = None
    assessed_on: date | None = None
    ready_on: date | None = None
    first_dose_on: date | None = None
    first_form: CourseForm | None = None
    discharged_on: date | None = None
    discharge_reason: str | None = None
    doses: tuple[Dose, ...] = ()
    treated: tuple[Interval, ...] = ()
    protected: tuple[Interval, ...] = ()
    screens: tuple[Screen, ...] = ()
    drinking: tuple[DrinkingEntry, ...] = ()
    bam: tuple[BamEntry, ...] = ()
    treatment_contacts: tuple[date, ...] = ()
    lapses: tuple[date, ...] = ()
    naloxone_offered: tuple[date, ...] = ()
    diagnosed_on: date | None = None
    """The day the first OUD or AUD diagnosis was recorded (IET's index when it precedes the episode): the encounter
    that made the diagnosis, HEDIS's diagnosis event, not its onset (when the disorder began, often years before)."""
