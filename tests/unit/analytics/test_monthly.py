"""Screens, heavy drinking days and BAM by month of treatment: the month boundaries and the sex-specific count."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.analytics.course_factory import day, make_course

from naltrack.analytics.courses import BamEntry, DrinkingEntry, Screen
from naltrack.analytics.monthly import (
    BamMonth,
    MonthRow,
    bam_by_month,
    drinking_by_month,
    screens_by_month,
    treatment_month,
)
from naltrack.domain.rules.thresholds import DEFAULT

FIRST = 40


@pytest.mark.parametrize(("offset", "month"), [
    (-31, None), (-30, 0), (-1, 0), (0, 1), (29, 1), (30, 2), (59, 2), (60, 3)])
def test_month_boundaries_around_the_first_dose(offset: int, month: int | None) -> None:
    assert treatment_month(day(FIRST + offset), day(FIRST)) == month


def test_screens_day_29_and_day_30_fall_in_months_1_and_2() -> None:
    course = make_course(first_dose_on=day(FIRST), screens=(
        Screen(day(FIRST - 5), False, False),   # baseline
        Screen(day(FIRST + 29), True, None),    # month 1, fentanyl not tested
        Screen(day(FIRST + 30), True, True),    # month 2
        Screen(day(FIRST + 31), False, True),   # month 2
        Screen(day(FIRST - 31), True, True),    # before the baseline: not counted
    ))
    assert screens_by_month([course]) == (
        MonthRow(0, 1, 1, 0.0, 0.0, (0, 1), (0, 1)),
        MonthRow(1, 1, 1, 1.0, None, (1, 1), (0, 0)),
        MonthRow(2, 1, 2, 0.5, 1.0, (1, 2), (2, 2)),
    )


def test_screens_count_patients_once_a_month_and_skip_patients_without_a_first_dose() -> None:
    a = make_course("a", first_dose_on=day(0), screens=(Screen(day(1), True, True), Screen(day(2), None, True)))
    b = make_course("b", first_dose_on=day(10), screens=(Screen(day(11), False, None),))
    never = make_course("c", screens=(Screen(day(1), True, True),))
    assert screens_by_month([a, b, never]) == (MonthRow(1, 2, 3, 0.5, 1.0, (1, 2), (2, 2)),)


def _diary(*entries: tuple[int, float]) -> tuple[DrinkingEntry, ...]:
    return tuple(DrinkingEntry(day(FIRST + n), drinks) for n, drinks in entries)


@pytest.mark.parametrize(("sex", "drinks", "heavy"), [
    ("male", 4.0, False), ("male", 5.0, True), ("female", 3.0, False), ("female", 4.0, True),
    ("unknown", 4.0, True)])
def test_a_heavy_day_is_5_drinks_for_men_and_4_for_women(sex: str, drinks: float, heavy: bool) -> None:
    course = make_course(sex_at_birth=sex, first_dose_on=day(FIRST), drinking=_diary((0, drinks), (1, 0.0)))
    (row,) = drinking_by_month([course], DEFAULT)
    assert row.value == pytest.approx(15.0 if heavy else 0.0)  # 1 heavy day of 2 reported = 15 per 30 days


def test_heavy_days_are_per_30_reported_days_with_change_from_baseline() -> None:
    # baseline (month 0): 3 heavy of 6 reported -> 15 per 30; month 1: 1 of 10 -> 3; month 2 (day 30): 0 of 1
    baseline = [(-n, 6.0 if n <= 3 else 1.0) for n in range(1, 7)]
    month1 = [(n, 6.0 if n == 29 else 0.0) for n in range(20, 30)]
    a = make_course("a", first_dose_on=day(FIRST), drinking=_diary(*baseline, *month1, (30, 0.0)))
    b = make_course("b", sex_at_birth="female", first_dose_on=day(FIRST), drinking=_diary((5, 4.0)))  # no baseline
    rows = drinking_by_month([a, b], DEFAULT)
    assert [r.month for r in rows] == [0, 1, 2]
    assert rows[0] == MonthRow(0, 1, 6, 15.0, None)
    assert rows[1].patients == 2 and rows[1].n == 11
    assert rows[1].value == pytest.approx((3.0 + 30.0) / 2)
    assert rows[1].extra == pytest.approx(3.0 - 15.0)  # only a has a baseline
    assert rows[2] == MonthRow(2, 1, 1, 0.0, -15.0)


def test_the_heavy_count_is_a_threshold() -> None:
    course = make_course(first_dose_on=day(FIRST), drinking=_diary((0, 4.0)))
    assert drinking_by_month([course], replace(DEFAULT, heavy_drinking_drinks_male=4.0))[0].value == 30.0


def test_bam_means_use_each_patients_latest_response_in_the_month() -> None:
    a = make_course("a", first_dose_on=day(FIRST), bam=(
        BamEntry(day(FIRST + 2), 10, 20, 5), BamEntry(day(FIRST + 20), 4, 10, 15), BamEntry(day(FIRST - 3), 12, 22, 4)))
    b = make_course("b", first_dose_on=day(FIRST), bam=(BamEntry(day(FIRST + 29), 2, 6, 21),))
    assert bam_by_month([a, b]) == (BamMonth(0, 1, 12.0, 22.0, 4.0), BamMonth(1, 2, 3.0, 8.0, 18.0))


@settings(max_examples=200, deadline=None)
@given(st.integers(-400, 400), st.integers(-60, 400))
def test_each_measure_puts_a_day_in_its_treatment_month(first: int, offset: int) -> None:
    on = day(first + offset)
    course = make_course(first_dose_on=day(first), screens=(Screen(on, True, True),),
                         drinking=(DrinkingEntry(on, 0.0),), bam=(BamEntry(on, 1, 2, 3),))
    month = treatment_month(on, day(first))
    expected = () if month is None else (month,)
    assert tuple(row.month for row in screens_by_month([course])) == expected
    assert tuple(row.month for row in drinking_by_month([course])) == expected
    assert tuple(row.month for row in bam_by_month([course])) == expected
