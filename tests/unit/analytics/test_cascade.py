"""The cascade of care against counts made by hand, patient by patient."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tests.unit.analytics.course_factory import day, make_course, runs

from naltrack.analytics.courses import PatientCourse
from naltrack.analytics.definitions import DEFAULT_DEFINITIONS
from naltrack.analytics.retention import CascadeStage, measure_cascade

AS_OF = day(200)


def _patient(pid: str, assessed: int | None, ready: int | None, first: int | None,
             *spans: tuple[int, int], **overrides: object) -> PatientCourse:
    def on(n: int | None) -> date | None:
        return None if n is None else day(n)

    return make_course(pid, assessed_on=on(assessed), ready_on=on(ready), first_dose_on=on(first),
                       first_form=None if first is None else "xr-ntx", treated=runs(*spans), **overrides)


# Each line: what the patient reaches on day 200 (first-dose day -> eligible horizons; run length -> retained).
PROGRAM = [
    _patient("p01", 0, 5, 7, (7, 199)),            # in treatment: retained 30, 90, 180
    _patient("p02", 0, 3, 3, (3, 40)),             # run of 37 days: retained 30 only
    _patient("p03", 10, None, None),               # assessed only
    _patient("p04", 10, 12, None),                 # ready, never started
    _patient("p05", 20, 21, 21, (21, 110)),        # 89 days: retained 30; 90 eligible, not reached; 180 not eligible
    _patient("p06", 100, 101, 101, (101, 200)),    # in treatment, 99 days: 30 and 90 eligible and retained
    _patient("p07", 150, 160, 160, (160, 175)),    # 15 days, ended: 30 eligible, not retained
    _patient("p08", 180, 185, 185, (185, 215)),    # 15 days in treatment: eligible for none
    _patient("p09", None, 50, 50, (50, 199)),      # no episode: not assessed; in treatment, 30 and 90
    _patient("p10", 0, 2, 2, (2, 60), discharged_on=day(60), discharge_reason="transferred"),  # 58 days: 30 only
    _patient("p11", 210, None, None),              # assessed after as_of: counts nowhere
    _patient("p12", 5, 6, 6, (6, 30), (35, 190)),  # bridged, ended at 184 days: retained 30, 90, 180
    _patient("p13", 30, 190, 190, (190, 200)),     # 10 days: eligible for none
]


def test_cascade_counts_match_the_hand_count() -> None:
    assert measure_cascade(PROGRAM, AS_OF) == (
        CascadeStage("assessed", "Assessed", 11, 13),
        CascadeStage("ready", "Found ready", 11, 13),
        CascadeStage("first-dose", "First dose", 10, 13),
        CascadeStage("retained-30", "Retained 30 days", 7, 8),
        CascadeStage("retained-90", "Retained 90 days", 4, 7),
        CascadeStage("retained-180", "Retained 180 days", 2, 4),
    )


def test_the_horizons_and_the_gap_are_definitions() -> None:
    # a 4-day gap no longer bridges: p12 ends on day 30 (24 days), so it leaves retained-30 as well
    definitions = replace(DEFAULT_DEFINITIONS, horizons=(30,), retention_allowed_gap_days=3)
    stages = measure_cascade(PROGRAM, AS_OF, definitions)
    assert [(s.key, s.count, s.of) for s in stages[3:]] == [("retained-30", 6, 8)]


def test_an_empty_program_has_empty_stages() -> None:
    assert [(s.count, s.of) for s in measure_cascade([], AS_OF)] == [(0, 0)] * 6
