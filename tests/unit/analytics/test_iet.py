"""HEDIS IET from the program's records: the 14-day initiation, the 34-day engagement, the 194-day history."""

from __future__ import annotations

import pytest
from tests.unit.analytics.course_factory import IMPLANT, ORAL_NTX, day, injections, make_course

from naltrack.analytics.courses import Dose, PatientCourse
from naltrack.analytics.iet import IetCohort, IetPatient, index_day, measure_iet
from naltrack.domain.errors import InvalidInput

START, END = day(0), day(90)


def _episode(pid: str = "p", contacts: tuple[int, ...] = (), indication: str | None = "OUD",
             **overrides: object) -> PatientCourse:
    return make_course(pid, indication=indication, assessed_on=day(0),
                       treatment_contacts=tuple(day(n) for n in contacts), **overrides)


def _one(course: PatientCourse) -> IetPatient:
    (patient,) = measure_iet([course], START, END).patients
    return patient


@pytest.mark.parametrize(("contact", "initiated"), [(0, True), (13, True), (14, False)])
def test_initiation_within_14_days_counting_the_index_day(contact: int, initiated: bool) -> None:
    patient = _one(_episode(contacts=(contact,)))
    assert patient.initiated_on == (day(contact) if initiated else None)
    assert patient.reason.startswith("initiated" if initiated else "not initiated")


def test_a_naltrexone_dose_initiates() -> None:
    assert _one(_episode(doses=(Dose(day(5), "oral", ORAL_NTX),))).initiated_on == day(5)


@pytest.mark.parametrize(("second", "engaged"), [(34, True), (35, False)])
def test_engagement_is_two_more_contacts_within_34_days_of_initiation(second: int, engaged: bool) -> None:
    patient = _one(_episode(contacts=(2, 10, 2 + second)))
    assert (patient.initiated_on, patient.engaged) == (day(2), engaged)


@pytest.mark.parametrize(("shot", "engaged"), [(34, True), (35, False)])
def test_one_long_acting_dose_within_34_days_engages(shot: int, engaged: bool) -> None:
    patient = _one(_episode(contacts=(0,), doses=injections(shot)))
    assert patient.engaged is engaged
    if engaged:
        assert "long-acting dose" in patient.reason


def test_an_implant_engages_but_a_long_acting_dose_on_the_initiation_day_does_not() -> None:
    assert _one(_episode(doses=(Dose(day(20), "implant", IMPLANT),), contacts=(3,))).engaged
    patient = _one(_episode(doses=injections(0)))
    assert (patient.initiated_on, patient.engaged) == (day(0), False)


def test_contacts_on_the_same_day_count_once() -> None:
    course = _episode(contacts=(0, 5, 5), doses=(Dose(day(5), "oral", ORAL_NTX),))
    assert _one(course).engaged is False


@pytest.mark.parametrize(("prior", "excluded"), [(-194, True), (-195, False), (-1, True)])
def test_a_dose_in_the_194_days_before_the_index_fails_the_negative_history(prior: int, excluded: bool) -> None:
    course = _episode(contacts=(1,), doses=(Dose(day(prior), "oral", ORAL_NTX),))
    result = measure_iet([course], START, END)
    assert (result.patients[0].cohort == "excluded") is excluded
    assert result.cohorts[-1].denominator == (0 if excluded else 1)


def test_the_index_is_the_earlier_of_the_episode_and_the_diagnosis() -> None:
    assert index_day(_episode(diagnosed_on=day(-3))) == day(-3)
    assert index_day(make_course(diagnosed_on=day(4))) == day(4)
    assert index_day(make_course()) is None


def test_cohorts_count_each_patient_once_in_the_total() -> None:
    courses = [
        _episode("oud", contacts=(0, 5, 9)),                   # opioid: initiated, engaged
        _episode("aud", indication="AUD", contacts=(3,)),      # alcohol: initiated
        _episode("both", indication="OUD+AUD", contacts=(1, 2, 3)),  # both cohorts, engaged
        _episode("stim", indication="stimulant"),              # total only, not initiated
        _episode("none", indication=None, contacts=(20,)),     # an OUD/AUD diagnosis without a cohort: total only
        make_course("late", assessed_on=day(91), treatment_contacts=(day(91),)),  # index after the period
        _episode("prior", contacts=(0,), doses=(Dose(day(-10), "oral", ORAL_NTX),)),  # excluded
    ]
    result = measure_iet(courses, START, END)
    assert result.cohorts == (IetCohort("alcohol", 2, 2, 1), IetCohort("opioid", 2, 2, 2), IetCohort("total", 5, 3, 2))
    assert [(p.patient_id, p.cohort) for p in result.patients] == [
        ("aud", "alcohol"), ("both", "alcohol+opioid"), ("none", "other"), ("oud", "opioid"), ("prior", "excluded"),
        ("stim", "other")]


def test_an_open_period_takes_every_index_on_that_side() -> None:
    courses = [_episode("a"), make_course("b", assessed_on=day(400))]
    assert [p.patient_id for p in measure_iet(courses, None, None).patients] == ["a", "b"]
    assert [p.patient_id for p in measure_iet(courses, day(1), None).patients] == ["b"]
    assert [p.patient_id for p in measure_iet(courses, None, day(399)).patients] == ["a"]


def test_the_period_must_not_end_before_it_starts() -> None:
    with pytest.raises(InvalidInput, match="end.*before the start"):
        measure_iet([], END, START)
