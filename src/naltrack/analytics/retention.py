"""Retention in treatment and the cascade of care, from the patients' courses.

Retention is the time from the first dose to the end of the first continuous run of treatment
(:func:`retention_time`), drawn as Kaplan–Meier curves (:mod:`naltrack.analytics.survival`) for the
program, by the form of the first dose and by the quarter of the first dose, as trials report it
(clinical.md §6: X:BOT, Lee et al. 2018). What ends a run, and which discharges censor, is set by
:class:`naltrack.analytics.definitions.MeasureDefinitions`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Literal

from naltrack.analytics.courses import PatientCourse
from naltrack.analytics.definitions import DEFAULT_DEFINITIONS, MeasureDefinitions
from naltrack.analytics.survival import SurvivalCurve, kaplan_meier

#: How the first run of treatment stands at ``as_of``.
RunState = Literal["discontinued", "in-treatment", "censored-discharge"]
_START = attrgetter("start")


@dataclass(frozen=True)
class FirstRun:
    """The first continuous run of treatment: its last day counted, and how it stands."""

    first_dose_on: date
    end: date
    state: RunState

    @property
    def days(self) -> int:
        return (self.end - self.first_dose_on).days


def first_run(course: PatientCourse, as_of: date,
              definitions: MeasureDefinitions = DEFAULT_DEFINITIONS) -> FirstRun | None:
    """The first run of treatment of ``course`` as known on ``as_of``; ``None`` without a first dose by then.

    The run starts on the first dose and takes in every treated day (``course.treated``) that follows
    an earlier one after at most ``retention_allowed_gap_days`` untreated days; its end is its last
    treated day. Treatment known only after ``as_of`` is not read. The run is:

    * **discontinued** when more than the allowed untreated days lie between its end and ``as_of`` (or
      the discharge day when the episode closed), or when the episode closed for a reason that is not
      one of ``retention_censor_reasons``; an episode closed ends the run on its discharge day at the latest;
    * **censored-discharge** when the episode closed for a censoring reason (e.g. transferred);
    * **in-treatment** otherwise: its end is then ``as_of`` at the latest (a blockade that lasts beyond
      ``as_of`` is not yet follow-up).
    """
    start = course.first_dose_on
    if start is None or start > as_of:
        return None
    gap = definitions.retention_allowed_gap_days
    end = start
    for interval in sorted(course.treated, key=_START):
        if interval.end < start or interval.start > as_of:
            continue
        if (interval.start - end).days - 1 > gap:
            break
        if interval.end > end:
            end = interval.end
    closed = course.discharged_on if course.discharged_on and start <= course.discharged_on <= as_of else None
    horizon = closed or as_of
    if (horizon - end).days > gap:
        return FirstRun(start, end, "discontinued")
    if closed is not None:
        censored = course.discharge_reason in definitions.retention_censor_reasons
        return FirstRun(start, min(end, closed), "censored-discharge" if censored else "discontinued")
    return FirstRun(start, min(end, as_of), "in-treatment")


def retention_time(course: PatientCourse, as_of: date,
                   definitions: MeasureDefinitions = DEFAULT_DEFINITIONS) -> tuple[int, bool] | None:
    """Days from the first dose to the last treated day of the first continuous run, and whether it ended.

    The run allows untreated gaps of up to ``definitions.retention_allowed_gap_days`` days. ``True``
    (discontinued, an event) when the run ended more than that many days before ``as_of``, or the
    episode closed for a reason other than ``retention_censor_reasons``; ``False`` (censored) when the
    patient is still in treatment on ``as_of`` (follow-up to ``as_of`` at most, or to the run's last
    treated day when ``as_of`` falls in an allowed gap) or the episode closed for a censoring reason.
    ``None`` when there is no first dose by ``as_of``. See :func:`first_run`.

    Examples
    --------
    >>> from naltrack.analytics.courses import Interval
    >>> course = PatientCourse(patient_id="p", clinic_id="c", sex_at_birth="male", birth_date=date(1990, 1, 1),
    ...     first_dose_on=date(2026, 1, 1), treated=(Interval(date(2026, 1, 1), date(2026, 1, 31)),))
    >>> retention_time(course, date(2026, 2, 7)), retention_time(course, date(2026, 2, 8))
    ((30, False), (30, True))
    """
    run = first_run(course, as_of, definitions)
    return None if run is None else (run.days, run.state == "discontinued")


@dataclass(frozen=True)
class Retention:
    """Retention curves of the whole program, by the form of the first dose, and by its quarter."""

    overall: SurvivalCurve
    by_form: tuple[SurvivalCurve, ...]
    by_cohort: tuple[SurvivalCurve, ...]


def cohort_label(first_dose_on: date) -> str:
    """The start cohort of a first dose: its calendar quarter, e.g. ``"2026 Q1"``.

    Examples
    --------
    >>> cohort_label(date(2026, 4, 1))
    '2026 Q2'
    """
    return f"{first_dose_on.year} Q{(first_dose_on.month - 1) // 3 + 1}"


def first_runs(courses: Iterable[PatientCourse], as_of: date,
               definitions: MeasureDefinitions = DEFAULT_DEFINITIONS) -> list[tuple[PatientCourse, FirstRun]]:
    """Every course with a first dose by ``as_of``, in order, with its first run (:func:`first_run`).

    Retention and the cascade read the same runs: a caller that measures both
    (:func:`naltrack.analytics.outcomes.measure_program`) finds them once and passes them to
    :func:`retention_of_runs` and :func:`cascade_of_runs`.
    """
    return [(course, run) for course in courses if (run := first_run(course, as_of, definitions)) is not None]


def measure_retention(courses: Iterable[PatientCourse], as_of: date,
                      definitions: MeasureDefinitions = DEFAULT_DEFINITIONS) -> Retention:
    """Kaplan–Meier retention (:func:`retention_time`) of every patient with a first dose by ``as_of``.

    ``by_form`` has one curve per form of the first dose (labels ``oral``, ``xr-ntx``, ``implant``, in that
    order, where present); ``by_cohort`` one per quarter of the first dose, oldest first.
    """
    return retention_of_runs(first_runs(courses, as_of, definitions))


def retention_of_runs(runs: Iterable[tuple[PatientCourse, FirstRun]]) -> Retention:
    """:func:`measure_retention` of the runs :func:`first_runs` found."""
    by_form: dict[str, list[tuple[int, bool]]] = {"oral": [], "xr-ntx": [], "implant": []}
    by_cohort: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    overall = []
    for course, run in runs:
        time = (run.days, run.state == "discontinued")
        overall.append(time)
        by_form.setdefault(course.first_form or "", []).append(time)
        by_cohort[cohort_label(run.first_dose_on)].append(time)
    return Retention(_curve("all", overall),
                     tuple(_curve(form, times) for form, times in by_form.items() if form and times),
                     tuple(_curve(label, by_cohort[label]) for label in sorted(by_cohort)))


def _curve(label: str, times: Sequence[tuple[int, bool]]) -> SurvivalCurve:
    return kaplan_meier([t for t, _ in times], [e for _, e in times], label=label)


@dataclass(frozen=True)
class CascadeStage:
    """One step of the cascade of care: ``count`` of the ``of`` patients who could reach it reached it."""

    key: str
    label: str
    count: int
    of: int


def measure_cascade(courses: Sequence[PatientCourse], as_of: date,
                    definitions: MeasureDefinitions = DEFAULT_DEFINITIONS) -> tuple[CascadeStage, ...]:
    """The cascade of care on ``as_of``: assessed, found ready, first dose, retained at each horizon.

    Each stage counts the patients whose date for it is on or before ``as_of``: ``assessed`` an episode
    started (``assessed_on``), ``ready`` a first dose found ready (``ready_on``), ``first-dose`` a first
    dose given; these are of all patients. ``retained-N`` is of the patients whose first dose was N or
    more days before ``as_of``: those whose first run (:func:`first_run`) reached day N (its last treated
    day N or more days after the first dose), or who are still in treatment on ``as_of``.
    """
    return cascade_of_runs(courses, first_runs(courses, as_of, definitions), as_of, definitions)


def cascade_of_runs(courses: Sequence[PatientCourse], runs: Iterable[tuple[PatientCourse, FirstRun]], as_of: date,
                    definitions: MeasureDefinitions = DEFAULT_DEFINITIONS) -> tuple[CascadeStage, ...]:
    """:func:`measure_cascade` of ``courses``, given their runs as :func:`first_runs` found them."""
    everyone = len(courses)
    stages = [
        _stage("assessed", "Assessed", [c.assessed_on for c in courses], as_of, everyone),
        _stage("ready", "Found ready", [c.ready_on for c in courses], as_of, everyone),
        _stage("first-dose", "First dose", [c.first_dose_on for c in courses], as_of, everyone),
    ]
    # per run: days followed up to as_of, days reached, still in treatment
    follow_up = [((as_of - run.first_dose_on).days, run.days, run.state == "in-treatment") for _, run in runs]
    for horizon in definitions.horizons:
        eligible = [(reached, in_treatment) for followed, reached, in_treatment in follow_up if followed >= horizon]
        kept = sum(1 for reached, in_treatment in eligible if reached >= horizon or in_treatment)
        stages.append(CascadeStage(f"retained-{horizon}", f"Retained {horizon} days", kept, len(eligible)))
    return tuple(stages)


def _stage(key: str, label: str, days: Iterable[date | None], as_of: date, of: int) -> CascadeStage:
    count = sum(1 for d in days if d is not None and d <= as_of)
    return CascadeStage(key, label, count, of)
