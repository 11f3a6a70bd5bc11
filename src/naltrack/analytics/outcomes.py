"""The program's outcomes from its patients' courses: one call for the page, the report, the CLI and the API.

:func:`measure_program` gathers the measures of the modules below; every one is a pure function
over :class:`naltrack.analytics.courses.PatientCourse` values, the day ``as_of`` the program is read
on, the measure definitions (:mod:`naltrack.analytics.definitions`) and the clinical thresholds
(:class:`naltrack.domain.rules.thresholds.Thresholds`):

* retention and the cascade of care: :mod:`naltrack.analytics.retention`;
* protected days, PDC, injections on time, late and missed: :mod:`naltrack.analytics.adherence`;
* screens, heavy drinking days and the Brief Addiction Monitor by month: :mod:`naltrack.analytics.monthly`;
* naloxone offered when blockade lapsed: :func:`naloxone_after_lapse` here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from naltrack.analytics.adherence import Adherence, measure_adherence
from naltrack.analytics.courses import PatientCourse
from naltrack.analytics.definitions import DEFAULT_DEFINITIONS, MeasureDefinitions
from naltrack.analytics.monthly import BamMonth, MonthRow, bam_by_month, drinking_by_month, screens_by_month
from naltrack.analytics.retention import (
    CascadeStage,
    Retention,
    cascade_of_runs,
    first_runs,
    measure_cascade,
    measure_retention,
    retention_of_runs,
    retention_time,
)
from naltrack.domain.errors import InvalidInput
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds

__all__ = [
    "Adherence", "BamMonth", "CascadeStage", "CourseFilter", "MonthRow", "NaloxoneOffer", "ProgramOutcomes",
    "Retention", "bam_by_month", "drinking_by_month", "filter_courses", "measure_adherence", "measure_cascade",
    "measure_program", "measure_retention", "naloxone_after_lapse", "retention_time", "screens_by_month",
]


@dataclass(frozen=True)
class NaloxoneOffer:
    """Lapses of blockade, and those with rescue naloxone offered around them."""

    lapses: int
    offered: int


def naloxone_after_lapse(courses: Iterable[PatientCourse],
                         definitions: MeasureDefinitions = DEFAULT_DEFINITIONS) -> NaloxoneOffer:
    """Every lapse (the day protection ended), and those with naloxone offered (prescribed, dispensed or
    taught) no more than ``definitions.naloxone_window_days`` days before or after it (clinical.md §1.2: at
    the end of the dosing interval or after a missed dose, consider an overdose reversal agent).

    Examples
    --------
    >>> course = PatientCourse(patient_id="p", clinic_id="c", sex_at_birth="male", birth_date=date(1990, 1, 1),
    ...     lapses=(date(2026, 2, 1), date(2026, 6, 1)), naloxone_offered=(date(2026, 3, 3),))
    >>> naloxone_after_lapse([course])
    NaloxoneOffer(lapses=2, offered=1)
    """
    window = definitions.naloxone_window_days
    lapses = offered = 0
    for course in courses:
        for lapse in course.lapses:
            lapses += 1
            offered += any(abs((day - lapse).days) <= window for day in course.naloxone_offered)
    return NaloxoneOffer(lapses, offered)


@dataclass(frozen=True)
class ProgramOutcomes:
    """Every program measure on the day ``as_of``, over ``patients`` patients."""

    as_of: date
    patients: int
    retention: Retention
    cascade: tuple[CascadeStage, ...]
    adherence: Adherence
    screens: tuple[MonthRow, ...]
    drinking: tuple[MonthRow, ...]
    naloxone: NaloxoneOffer
    bam: tuple[BamMonth, ...]


def measure_program(courses: Iterable[PatientCourse], as_of: date,
                    definitions: MeasureDefinitions = DEFAULT_DEFINITIONS,
                    thresholds: Thresholds = DEFAULT) -> ProgramOutcomes:
    """All the program's outcomes over ``courses`` as known on ``as_of``."""
    known = list(courses)
    runs = first_runs(known, as_of, definitions)  # read by both retention and the cascade
    return ProgramOutcomes(
        as_of=as_of,
        patients=len(known),
        retention=retention_of_runs(runs),
        cascade=cascade_of_runs(known, runs, as_of, definitions),
        adherence=measure_adherence(known, as_of, definitions, thresholds),
        screens=screens_by_month(known),
        drinking=drinking_by_month(known, thresholds),
        naloxone=naloxone_after_lapse(known, definitions),
        bam=bam_by_month(known),
    )


@dataclass(frozen=True)
class CourseFilter:
    """Which patients a measure reads: a clinic, the form of the first dose, the indication, a period."""

    clinic_id: str | None = None
    form: str | None = None
    indication: str | None = None
    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise InvalidInput("end", self.end.isoformat(), f"is before the start {self.start.isoformat()}")


def filter_courses(courses: Iterable[PatientCourse], course_filter: CourseFilter) -> list[PatientCourse]:
    """The courses that match every criterion of ``course_filter`` that is set.

    The period holds a patient whose start (the first episode's start, or the first dose where there is no
    episode) falls from ``start`` to ``end``, both included; a patient with neither is left out of a period.
    """
    f = course_filter
    kept = []
    for course in courses:
        if f.clinic_id is not None and course.clinic_id != f.clinic_id:
            continue
        if f.form is not None and course.first_form != f.form:
            continue
        if f.indication is not None and course.indication != f.indication:
            continue
        if f.start is not None or f.end is not None:
            began = course.assessed_on or course.first_dose_on
            if began is None or (f.start is not None and began < f.start) or (f.end is not None and began > f.end):
                continue
        kept.append(course)
    return kept
