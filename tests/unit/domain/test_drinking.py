"""The drinking diary by week: heavy drinking days counted from the thresholds, by sex at birth."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from naltrack.domain.drinking import diary_weeks, heavy_drinking_from
from naltrack.domain.observations import DrinkingDay
from naltrack.domain.rules.thresholds import DEFAULT


def day(n: int, drinks: float, **kw: object) -> DrinkingDay:
    return DrinkingDay(id=f"d{n}-{drinks}", patient_id="p1", day=date(2026, 3, n), standard_drinks=drinks, **kw)


@pytest.mark.parametrize(("sex", "count"), [("male", 5.0), ("female", 4.0), ("intersex", 4.0), ("unknown", 4.0)])
def test_the_heavy_day_count_comes_from_the_thresholds(sex: str, count: float) -> None:
    assert heavy_drinking_from(sex) == count
    local = replace(DEFAULT, heavy_drinking_drinks_male=6.0, heavy_drinking_drinks_female=5.0)
    assert heavy_drinking_from(sex, local) == count + 1


@pytest.mark.parametrize(("sex", "heavy"), [("male", 1), ("female", 2)])
def test_a_day_at_the_count_is_heavy_and_just_below_is_not(sex: str, heavy: int) -> None:
    days = [day(2, 5.0), day(3, 4.0), day(4, 3.5), day(5, 0.0)]
    [week] = diary_weeks(days, date(2026, 3, 7), 1, sex)
    assert (week.first, week.last) == (date(2026, 3, 1), date(2026, 3, 7))
    assert (week.reported, week.drinking, week.heavy, week.drinks) == (4, 3, heavy, 12.5)


def test_weeks_are_newest_first_and_a_day_entered_again_counts_as_last_recorded() -> None:
    first = day(10, 8.0, recorded_at=datetime(2026, 3, 11, 9, tzinfo=UTC))
    again = day(10, 1.0, recorded_at=datetime(2026, 3, 12, 9, tzinfo=UTC))
    wrong = day(3, 9.0, status="entered-in-error")
    weeks = diary_weeks([again, first, wrong, day(2, 2.0)], date(2026, 3, 14), 2, "male")
    assert [(w.first, w.reported, w.heavy, w.drinks) for w in weeks] == [
        (date(2026, 3, 8), 1, 0, 1.0), (date(2026, 3, 1), 1, 0, 2.0)]
