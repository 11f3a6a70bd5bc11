"""Adherence, naloxone after a lapse, the course filter and the whole program's outcomes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.unit.analytics.course_factory import ORAL_NTX, day, injections, make_course, runs

from naltrack.analytics.adherence import (
    Adherence,
    Supply,
    calculate_pdc,
    care_window,
    days_supplied,
    measure_adherence,
)
from naltrack.analytics.courses import Dose, PatientCourse
from naltrack.analytics.definitions import DEFAULT_DEFINITIONS
from naltrack.analytics.outcomes import (
    CourseFilter,
    NaloxoneOffer,
    filter_courses,
    measure_cascade,
    measure_program,
    measure_retention,
    naloxone_after_lapse,
)
from naltrack.domain.errors import InvalidInput
from naltrack.domain.rules.thresholds import DEFAULT

AS_OF = day(150)


def _xr_patient() -> PatientCourse:
    # injections on day 0, 28 (on time), 60 (day 32: late), 130 (day 70: late, the due day 88 missed)
    return make_course("a", first_dose_on=day(0), first_form="xr-ntx", doses=injections(0, 28, 60, 130),
                       protected=runs((0, 100)))


def _oral_patient() -> PatientCourse:
    oral = tuple(Dose(day(n), "oral", ORAL_NTX) for n in range(10, 20))
    return make_course("b", first_dose_on=day(10), first_form="oral", doses=oral, protected=runs((10, 21)),
                       discharged_on=day(29), discharge_reason="completed")


def test_adherence_counts_protected_days_pdc_and_injections_by_hand() -> None:
    courses = [_xr_patient(), _oral_patient(), make_course("c")]
    result = measure_adherence(courses, AS_OF)
    # windows: a days 0..150 (151), b days 10..29 (20); c has no first dose
    # a covered 0..92 (refills start when the previous supply ends) and 130..150: 114 of 151; b 10 of 20
    assert result.patients == 2
    assert result.protected_share == pytest.approx((101 + 12) / (151 + 20))
    assert result.pdc_median == pytest.approx((114 / 151 + 10 / 20) / 2)
    assert (result.injections_on_time, result.injections_late, result.injections_missed) == (1, 2, 1)


@pytest.mark.parametrize(("as_of", "missed"), [(56, 0), (57, 1), (113, 3)])
def test_due_days_missed_after_the_last_injection_count_once_the_next_has_passed(as_of: int, missed: int) -> None:
    course = make_course(first_dose_on=day(0), doses=injections(0))
    assert measure_adherence([course], day(as_of)).injections_missed == missed


def test_adherence_of_nobody_has_no_shares() -> None:
    assert measure_adherence([], AS_OF) == Adherence(0, None, None, 0, 0, 0)


def test_the_pdc_of_adherence_is_calculate_pdc_over_the_doses_given_by_the_window_end() -> None:
    doses = (Dose(day(40), "oral", ORAL_NTX, days_supply=30), Dose(day(0), "oral", ORAL_NTX, days_supply=30),
             *injections(20), Dose(day(160), "oral", ORAL_NTX, days_supply=30))
    course = make_course(first_dose_on=day(0), doses=doses)
    supplies = [Supply(d.on, days_supplied(d)) for d in doses if d.on <= AS_OF]
    assert measure_adherence([course], AS_OF).pdc_median == calculate_pdc(supplies, day(0), AS_OF)


@pytest.mark.parametrize("days", [-3, 400])
def test_adherence_rejects_a_dose_supply_as_a_supply_does(days: int) -> None:
    course = make_course(first_dose_on=day(0), doses=(Dose(day(0), "oral", ORAL_NTX, days_supply=days),))
    with pytest.raises(InvalidInput, match=f"supply.days: {days} must be a whole number of days from 1 to 365"):
        measure_adherence([course], AS_OF)


def test_the_care_window_ends_at_a_discharge_before_as_of() -> None:
    assert care_window(_oral_patient(), AS_OF) == (day(10), day(29))
    assert care_window(_oral_patient(), day(20)) == (day(10), day(20))
    assert care_window(make_course(), AS_OF) is None


@pytest.mark.parametrize(("offered", "counted"), [(-30, 1), (30, 1), (-31, 0), (31, 0)])
def test_naloxone_counts_within_the_window_around_a_lapse(offered: int, counted: int) -> None:
    course = make_course(lapses=(day(50),), naloxone_offered=(day(50 + offered),))
    assert naloxone_after_lapse([course]) == NaloxoneOffer(1, counted)
    wider = replace(DEFAULT_DEFINITIONS, naloxone_window_days=31)
    assert naloxone_after_lapse([course], wider) == NaloxoneOffer(1, 1)


def _filterable() -> list[PatientCourse]:
    return [
        make_course("a", clinic_id="c1", indication="OUD", first_form="xr-ntx", assessed_on=day(0)),
        make_course("b", clinic_id="c2", indication="AUD", first_form="oral", assessed_on=day(40),
                    first_dose_on=day(45)),
        make_course("c", clinic_id="c1", indication="AUD", first_form="oral", first_dose_on=day(20)),
        make_course("d", clinic_id="c1", indication=None),
    ]


@pytest.mark.parametrize(("criteria", "kept"), [
    ({}, ["a", "b", "c", "d"]),
    ({"clinic_id": "c1"}, ["a", "c", "d"]),
    ({"form": "oral"}, ["b", "c"]),
    ({"indication": "AUD"}, ["b", "c"]),
    ({"start": day(20)}, ["b", "c"]),            # the first dose where there is no episode
    ({"start": day(0), "end": day(20)}, ["a", "c"]),
    ({"end": day(39)}, ["a", "c"]),              # b's episode starts on day 40, before its first dose
    ({"clinic_id": "c1", "form": "oral", "start": day(21)}, []),
])
def test_filter_courses(criteria: dict[str, object], kept: list[str]) -> None:
    assert [c.patient_id for c in filter_courses(_filterable(), CourseFilter(**criteria))] == kept


def test_a_filter_period_must_not_end_before_it_starts() -> None:
    with pytest.raises(InvalidInput, match="end.*before the start"):
        CourseFilter(start=day(10), end=day(9))


def test_program_outcomes_gather_every_measure() -> None:
    courses = [_xr_patient(), _oral_patient(), make_course("c", lapses=(day(5),))]
    outcomes = measure_program(courses, AS_OF, DEFAULT_DEFINITIONS, DEFAULT)
    assert (outcomes.as_of, outcomes.patients) == (AS_OF, 3)
    assert outcomes.retention == measure_retention(courses, AS_OF)
    assert outcomes.cascade == measure_cascade(courses, AS_OF)
    assert outcomes.adherence.injections_late == 2
    assert outcomes.naloxone == NaloxoneOffer(1, 0)
    assert (outcomes.screens, outcomes.drinking, outcomes.bam) == ((), (), ())
