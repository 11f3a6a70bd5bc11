"""The drinking diary read week by week: days reported, drinking days and heavy drinking days (clinical.md §6).

A day of the diary (:class:`~naltrack.domain.observations.DrinkingDay`) holds the standard drinks of that day;
``0`` is a day without alcohol, a day without an entry is not reported. A heavy drinking day is one with at least
:meth:`heavy_drinking_from` drinks, a count that depends on the sex at birth (``Thresholds``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from naltrack.domain.observations import DrinkingDay
from naltrack.domain.records import current
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds

#: Days in a week of the diary.
WEEK_DAYS = 7


def heavy_drinking_from(sex_at_birth: str, thresholds: Thresholds = DEFAULT) -> float:
    """The standard drinks from which a day is a heavy drinking day.

    Parameters
    ----------
    sex_at_birth : str
        The patient's sex at birth; a sex other than ``male`` takes the lower (female) count.
    thresholds : Thresholds
        The counts (``heavy_drinking_drinks_male``, ``heavy_drinking_drinks_female``).

    Returns
    -------
    float
        The number of standard drinks; a day with at least this many is heavy.

    Examples
    --------
    >>> heavy_drinking_from("male"), heavy_drinking_from("female"), heavy_drinking_from("unknown")
    (5.0, 4.0, 4.0)
    """
    if sex_at_birth == "male":
        return thresholds.heavy_drinking_drinks_male
    return thresholds.heavy_drinking_drinks_female


@dataclass(frozen=True)
class DiaryWeek:
    """One week of the diary: its first and last day, and what the days reported."""

    first: date
    last: date
    reported: int
    drinking: int
    heavy: int
    drinks: float


def latest_by_day(days: Iterable[DrinkingDay]) -> dict[date, DrinkingDay]:
    """The diary's days in force, one per date: a day entered again counts as last recorded."""
    ordered = sorted(current(days), key=lambda e: e.recorded_at.timestamp() if e.recorded_at else float("-inf"))
    return {entry.day: entry for entry in ordered}


def diary_weeks(days: Iterable[DrinkingDay], last_day: date, weeks: int, sex_at_birth: str,
                thresholds: Thresholds = DEFAULT) -> list[DiaryWeek]:
    """The ``weeks`` weeks of the diary ending on ``last_day``, newest first.

    Parameters
    ----------
    days : iterable of DrinkingDay
        The patient's diary (entered-in-error days are left out; a day entered twice counts once, as last recorded).
    last_day : date
        The last day of the newest week.
    weeks : int
        How many weeks to show.
    sex_at_birth : str
        Sets the heavy drinking count (:func:`heavy_drinking_from`).
    thresholds : Thresholds
        The heavy drinking counts.

    Returns
    -------
    list of DiaryWeek
        Days reported, drinking days (more than 0 drinks), heavy drinking days and total drinks of each week.

    Examples
    --------
    >>> d = [DrinkingDay(id=str(n), patient_id="p", day=date(2026, 3, n), standard_drinks=n - 1) for n in (1, 2, 6)]
    >>> [(w.reported, w.drinking, w.heavy, w.drinks) for w in diary_weeks(d, date(2026, 3, 7), 2, "male")]
    [(3, 2, 1, 6.0), (0, 0, 0, 0.0)]
    """
    by_day = latest_by_day(days)
    heavy = heavy_drinking_from(sex_at_birth, thresholds)
    out = []
    for n in range(weeks):
        last = last_day - timedelta(days=n * WEEK_DAYS)
        first = last - timedelta(days=WEEK_DAYS - 1)
        counts = [e.standard_drinks for d, e in by_day.items() if first <= d <= last]
        out.append(DiaryWeek(first, last, len(counts), sum(1 for c in counts if c > 0),
                             sum(1 for c in counts if c >= heavy), float(sum(counts))))
    return out
