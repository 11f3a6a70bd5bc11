"""Proportion of days covered and of days protected."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naltrack.analytics.adherence import Supply, calculate_pdc, calculate_protected_fraction
from naltrack.domain.administrations import Injection
from naltrack.domain.chart import PatientChart
from naltrack.domain.coverage import calculate_coverage
from naltrack.domain.errors import InvalidInput
from naltrack.domain.patients import Patient

D0 = date(2026, 1, 1)


def test_pdc_counts_each_day_once_and_shifts_early_refills() -> None:
    fills = [Supply(D0, 30), Supply(D0 + timedelta(days=10), 30)]
    assert calculate_pdc(fills, D0, D0 + timedelta(days=89)) == pytest.approx(60 / 90)


def test_pdc_ignores_days_outside_the_window() -> None:
    assert calculate_pdc([Supply(D0 - timedelta(days=10), 20)], D0, D0 + timedelta(days=19)) == 0.5


def test_pdc_with_no_supply_is_zero() -> None:
    assert calculate_pdc([], D0, D0) == 0.0


@pytest.mark.parametrize("days", [0, -3, 400])
def test_rejects_bad_days_supply(days: int) -> None:
    with pytest.raises(InvalidInput, match=f"supply.days: {days} must be a whole number of days from 1 to 365"):
        Supply(D0, days)


def test_rejects_a_window_that_ends_before_it_starts() -> None:
    with pytest.raises(InvalidInput, match="window.end: '2025-12-31' is before the window start 2026-01-01"):
        calculate_pdc([], D0, D0 - timedelta(days=1))


def test_protected_fraction_reads_the_bands() -> None:
    patient = Patient(id="p1", clinic_id="c1", given_name="A", family_name="B", birth_date=date(1980, 1, 1),
                      sex_at_birth="male")
    shot = Injection(id="i1", patient_id="p1", given_at=datetime(2026, 1, 1, 10, tzinfo=ZoneInfo("UTC")),
                     side="left", lot="L", expiry=date(2027, 1, 1), needle_length_in=1.5, given_by="n")
    cov = calculate_coverage(PatientChart(patient=patient, injections=(shot,)), date(2026, 3, 1), tz=UTC, days_back=70)
    end = D0 + timedelta(days=39)
    protected = calculate_protected_fraction(cov, D0, end)
    at_least_partial = calculate_protected_fraction(cov, D0, end, at_least="partial")
    # XR-NTX ≥2 ng/mL to about day 24 and ≥1 to about day 34 (pk.md §7.2).
    assert 0.5 <= protected <= 0.65 < at_least_partial <= 0.9
    with pytest.raises(InvalidInput, match="window: .* is outside the coverage"):
        calculate_protected_fraction(cov, D0 - timedelta(days=400), end)


def _pdc_by_days(supplies: list[Supply], start: date, end: date) -> float:
    """PDC counted day by day: each supply starts when the previous one ends at the earliest."""
    covered: set[date] = set()
    next_free: date | None = None
    for supply in sorted(supplies, key=lambda s: s.start):
        begin = supply.start if next_free is None else max(supply.start, next_free)
        covered.update(begin + timedelta(days=k) for k in range(supply.days))
        next_free = begin + timedelta(days=supply.days)
    return sum(1 for d in covered if start <= d <= end) / ((end - start).days + 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 200), st.integers(1, 60)), max_size=12), st.integers(0, 150),
       st.integers(0, 150))
def test_pdc_equals_the_day_by_day_count(fills: list[tuple[int, int]], first: int, length: int) -> None:
    supplies = [Supply(date(2026, 1, 1) + timedelta(days=s), days) for s, days in fills]
    start = date(2026, 1, 1) + timedelta(days=first)
    end = start + timedelta(days=length)
    assert calculate_pdc(supplies, start, end) == pytest.approx(_pdc_by_days(supplies, start, end))
