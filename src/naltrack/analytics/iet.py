"""HEDIS "Initiation and Engagement of Substance Use Disorder Treatment" (IET) from the program's records.

Implements the measure as clinical.md §7.3 gives it (HEDIS MY2025 IET), over the patients' courses:

* the **index** is a patient's first episode of care (``assessed_on``) or first OUD or AUD diagnosis
  (``diagnosed_on``), whichever is earlier, in the intake period, with a negative history: no naltrexone
  dose in the ``iet_negative_history_days`` (194) days before it (an episode or diagnosis before it would
  have been the index);
* **initiation**: a treatment contact or a naltrexone dose from the index day through
  ``iet_initiation_days`` (14) days in all (index + 13);
* **engagement**: initiation, then from the day after it through ``iet_engagement_days`` (34) days after
  it either two more treatment contacts (on different days) or one long-acting dose (an XR-NTX injection
  or an implant, the medication events IET counts by themselves);
* cohorts: **alcohol** (indication AUD or OUD+AUD), **opioid** (OUD or OUD+AUD), and **total**, which
  counts each patient once (any indication, and an OUD or AUD diagnosis without an episode).

The windows are :class:`naltrack.analytics.definitions.MeasureDefinitions` fields. Not applied, because
the program's records do not carry them or the licensed specification's value sets are not reproduced
here: the age of 13 or more, continuous enrollment and the negative-history enrollment, the hospice and
death exclusions, the inpatient and detoxification settings of the index, and the "other drug" cohort
as a separate rate (its patients count in the total only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import chain
from operator import attrgetter

from naltrack.analytics.courses import PatientCourse
from naltrack.analytics.definitions import DEFAULT_DEFINITIONS, MeasureDefinitions
from naltrack.domain.errors import InvalidInput

#: Treatment contacts after the initiation that engage a patient without a long-acting dose (clinical.md §7.3).
ENGAGEMENT_CONTACTS = 2
#: The forms whose one dose engages (long-acting naltrexone: the injection, the implant).
LONG_ACTING_FORMS = ("xr-ntx", "implant")
#: Cohorts by the episode's indication; a patient of both counts in each and once in the total.
COHORTS_BY_INDICATION: dict[str, tuple[str, ...]] = {"AUD": ("alcohol",), "OUD": ("opioid",),
                                                     "OUD+AUD": ("alcohol", "opioid")}
#: The cohort of a patient listed without a negative history (in no denominator).
EXCLUDED = "excluded"


@dataclass(frozen=True)
class IetCohort:
    """One cohort's denominator (index episodes) and its patients initiated and engaged."""

    name: str
    denominator: int
    initiation: int
    engagement: int


@dataclass(frozen=True)
class IetPatient:
    """One patient's index episode and why the patient is, or is not, in each numerator.

    ``cohort`` is ``alcohol``, ``opioid``, ``alcohol+opioid``, ``other`` (in the total only) or ``excluded``
    (no negative history: in no denominator).
    """

    patient_id: str
    cohort: str
    index_on: date
    initiated_on: date | None
    engaged: bool
    reason: str


@dataclass(frozen=True)
class IetResult:
    """The cohorts ``alcohol``, ``opioid`` and ``total``, and every patient with an index in the period."""

    cohorts: tuple[IetCohort, ...]
    patients: tuple[IetPatient, ...]


def measure_iet(courses: Iterable[PatientCourse], start: date | None, end: date | None,
                definitions: MeasureDefinitions = DEFAULT_DEFINITIONS) -> IetResult:
    """IET over the patients whose index falls from ``start`` to ``end`` (both included; ``None`` leaves
    that side open).

    A patient whose index has no negative history is listed with the reason and counted in no cohort.

    Raises
    ------
    InvalidInput
        If ``end`` is before ``start``.
    """
    if start is not None and end is not None and end < start:
        raise InvalidInput("end", end.isoformat(), f"is before the start {start.isoformat()}")
    low, high = start or date.min, end or date.max
    windows = _Windows.of(definitions)
    return iet_result([(_assess(course, index, windows), course.indication)
                       for course in courses if (index := index_day(course)) is not None and low <= index <= high])


def iet_result(assessed: Iterable[tuple[IetPatient, str | None]]) -> IetResult:
    """The cohorts and the patients, from each patient assessed (:func:`iet_patient`) with the indication that
    places it in the cohorts (``OUD``, ``AUD``, ``OUD+AUD``; any other, or ``None``, counts in the total only)."""
    listed = list(assessed)
    counted = [(p, COHORTS_BY_INDICATION.get(indication or "", ())) for p, indication in listed
               if p.cohort != EXCLUDED]
    cohorts = tuple(
        IetCohort(name, len(members), sum(1 for p in members if p.initiated_on), sum(1 for p in members if p.engaged))
        for name, members in (("alcohol", [p for p, names in counted if "alcohol" in names]),
                              ("opioid", [p for p, names in counted if "opioid" in names]),
                              ("total", [p for p, _ in counted]))
    )
    return IetResult(cohorts, tuple(sorted((p for p, _ in listed), key=attrgetter("index_on", "patient_id"))))


def index_day(course: PatientCourse) -> date | None:
    """The earlier of the first episode's start and the first OUD or AUD diagnosis, or ``None``."""
    assessed, diagnosed = course.assessed_on, course.diagnosed_on
    if assessed is None or diagnosed is None:
        return assessed or diagnosed
    return min(assessed, diagnosed)


@dataclass(frozen=True)
class _Windows:
    """The measure's windows as spans of days, built once per measure rather than once per patient."""

    definitions: MeasureDefinitions
    negative_history: timedelta
    initiation_last: timedelta  # from the index to the initiation window's last day
    engagement: timedelta  # from the initiation to the engagement window's last day

    @classmethod
    def of(cls, d: MeasureDefinitions) -> _Windows:
        return cls(d, timedelta(days=d.iet_negative_history_days), timedelta(days=d.iet_initiation_days - 1),
                   timedelta(days=d.iet_engagement_days))


def _assess(course: PatientCourse, index: date, w: _Windows) -> IetPatient:
    history = index - w.negative_history
    dose_days = [dose.on for dose in course.doses]
    prior = max((day for day in dose_days if history <= day < index), default=None)
    # the events IET counts (treatment contacts and doses; a day may hold several) from the index to the
    # last day an engagement can reach: those the initiation and the engagement are read from
    last_initiation = index + w.initiation_last
    events = [day for day in chain(course.treatment_contacts, dose_days)
              if index <= day <= last_initiation + w.engagement]
    initiated = min((day for day in events if day <= last_initiation), default=None)
    long_acting, later = None, 0
    if initiated is not None:
        last_engagement = initiated + w.engagement
        later = len({day for day in events if initiated < day <= last_engagement})
        long_acting = min((dose.on for dose in course.doses
                           if dose.form in LONG_ACTING_FORMS and initiated < dose.on <= last_engagement), default=None)
    return iet_patient(course.patient_id, course.indication, index, prior, initiated, long_acting, later,
                       w.definitions)


def iet_patient(patient_id: str, indication: str | None, index: date, prior_dose: date | None,
                initiated: date | None, long_acting: date | None, later_days: int,
                definitions: MeasureDefinitions = DEFAULT_DEFINITIONS) -> IetPatient:
    """One patient's place in the measure, from the facts read around the index (by :func:`measure_iet` from a
    course, or by the population SQL of :mod:`naltrack.analytics.iet_population`): the latest naltrexone dose in
    the negative-history window, the initiation (the first contact or dose in the initiation window), the first
    long-acting dose and the number of days with a contact or dose in the engagement window after it.

    Examples
    --------
    >>> p = iet_patient("p", "OUD", date(2026, 1, 5), None, date(2026, 1, 6), date(2026, 1, 20), 1)
    >>> p.cohort, p.engaged, p.reason
    ('opioid', True, 'initiated on 2026-01-06; engaged: a long-acting dose on 2026-01-20')
    >>> iet_patient("p", "AUD", date(2026, 1, 5), None, date(2026, 1, 6), None, 1).engaged
    False
    """
    d = definitions
    if prior_dose is not None:
        return IetPatient(patient_id, EXCLUDED, index, None, False,
                          f"no negative history: a naltrexone dose on {prior_dose.isoformat()}, within "
                          f"{d.iet_negative_history_days} days before the index")
    cohort = "+".join(COHORTS_BY_INDICATION.get(indication or "", ())) or "other"
    if initiated is None:
        return IetPatient(patient_id, cohort, index, None, False,
                          f"not initiated: no treatment contact or dose within {d.iet_initiation_days} days")
    engaged = long_acting is not None or later_days >= ENGAGEMENT_CONTACTS
    why = (f"a long-acting dose on {long_acting.isoformat()}" if long_acting is not None
           else f"{later_days} treatment contact(s) in the {d.iet_engagement_days} days after it")
    return IetPatient(patient_id, cohort, index, initiated, engaged,
                      f"initiated on {initiated.isoformat()}; {'engaged' if engaged else 'not engaged'}: {why}")
