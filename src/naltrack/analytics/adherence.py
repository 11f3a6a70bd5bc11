"""Adherence over a window: proportion of days covered (PDC) and proportion of days protected.

PDC counts a day covered when some days supply reaches it; an early refill of the same
medication starts when the previous supply ends (the same "overlaps are summed" rule as
POD, clinical.md §7.2). An XR-NTX injection supplies 31 days (clinical.md §7.2).

The protected fraction reads naltrack's own coverage instead (DESIGN.md "coverage"): the
share of days in the window whose band is at least the one asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from naltrack.domain.coverage import PatientCoverage
from naltrack.domain.errors import InvalidInput
from naltrack.domain.units import require_whole_days
from naltrack.pk.bands import BANDS, Band

#: Days an XR-NTX injection covers (clinical.md §7.2, HEDIS POD value set).
INJECTION_DAYS_SUPPLY = 31


@dataclass(frozen=True)
class Supply:
    """A dispensing or administration: ``days`` of medication from ``start``."""

    start: date
    days: int

    def __post_init__(self) -> None:
        require_whole_days("supply.days", self.days, 1, 365)


def _check_window(start: date, end: date) -> int:
    if end < start:
        raise InvalidInput("window.end", end.isoformat(), f"is before the window start {start.isoformat()}")
    return (end - start).days + 1


def calculate_pdc(supplies: Iterable[Supply], start: date, end: date) -> float:
    """Proportion of days from ``start`` to ``end`` (inclusive) covered by the supplies.

    Examples
    --------
    >>> fills = [Supply(date(2026, 1, 1), 30), Supply(date(2026, 1, 20), 30)]
    >>> calculate_pdc(fills, date(2026, 1, 1), date(2026, 3, 1))  # 60 of 60 days: refill shifted
    1.0
    >>> calculate_pdc([Supply(date(2026, 1, 1), 15)], date(2026, 1, 1), date(2026, 1, 30))
    0.5
    """
    n_days = _check_window(start, end)
    covered: set[date] = set()
    next_free: date | None = None
    for supply in sorted(supplies, key=lambda s: s.start):
        begin = supply.start if next_free is None else max(supply.start, next_free)
        for offset in range(supply.days):
            covered.add(begin + timedelta(days=offset))
        next_free = begin + timedelta(days=supply.days)
    return sum(1 for d in covered if start <= d <= end) / n_days


def calculate_protected_fraction(coverage: PatientCoverage, start: date, end: date,
                                 at_least: Band = "protected") -> float:
    """Share of the window's days whose band is ``at_least`` or better (e.g. partial counts partial and protected).

    Raises
    ------
    InvalidInput
        If the window is empty or not inside the coverage.
    """
    n_days = _check_window(start, end)
    if at_least not in BANDS:
        raise InvalidInput("at_least", at_least, f"must be one of {', '.join(BANDS)}")
    first, last = coverage.days[0].day, coverage.days[-1].day
    if start < first or end > last:
        raise InvalidInput("window", f"{start}..{end}", f"is outside the coverage {first}..{last}")
    worst = BANDS.index(at_least)
    good = sum(1 for d in coverage.days if start <= d.day <= end and BANDS.index(d.band) <= worst)
    return good / n_days
