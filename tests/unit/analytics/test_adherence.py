"""Proportion of days covered and of days protected."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

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
