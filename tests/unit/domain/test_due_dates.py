"""The next XR-NTX injection: the interval, the due day, the clinic-local day of the last one (clinical.md §1.2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.factories import DAY, ago, at, make_injection, make_oral_regimen, make_patient, make_regimen

from naltrack.domain.chart import PatientChart
from naltrack.domain.due_dates import (
    days_since_last_injection,
    injection_due_on,
    injection_interval_days,
    next_injection_due,
)
from naltrack.domain.rules.monitoring import run_monitoring
from naltrack.domain.rules.thresholds import DEFAULT

NY = ZoneInfo("America/New_York")


def _on_xr(*given: datetime, **regimen: object) -> PatientChart:
    return PatientChart(patient=make_patient(), regimens=(make_regimen(start=date(2025, 6, 1), **regimen),),
                        injections=tuple(make_injection(given_at=g) for g in given))


def test_the_interval_is_the_regimens_else_the_default() -> None:
    assert injection_interval_days([]) == 28
    assert injection_interval_days([make_regimen(interval_days=35)]) == 35
    assert injection_interval_days([make_oral_regimen(), make_regimen(interval_days=21)]) == 21
    assert injection_interval_days([make_regimen()], replace(DEFAULT, injection_interval_days=30)) == 30


def test_due_one_interval_after_the_last_day_given() -> None:
    assert injection_due_on(date(2026, 2, 2), 28) == date(2026, 3, 2)
    assert injection_due_on(date(2026, 2, 27), 28) == date(2026, 3, 27)  # across a short February


@pytest.mark.parametrize(("days", "severity"), [(25, None), (26, "info"), (28, "info"), (29, "warning")])
def test_the_due_day_and_the_due_alert_agree_on_the_boundaries(days: int, severity: str | None) -> None:
    """Day 26 (interval - 2) due, day 28 the due day itself still due, day 29 overdue (clinical.md §1.2)."""
    chart = _on_xr(at(ago(days)))
    due = next_injection_due(chart, DAY, UTC)
    assert due == ago(days) + timedelta(days=28)
    assert days_since_last_injection(chart, DAY, UTC) == days
    found = [a.severity for a in run_monitoring(chart, DAY, UTC) if a.rule == "MON-INJECTION-DUE"]
    assert found == ([severity] if severity else [])
    assert (DAY > due) == (severity == "warning")


@pytest.mark.parametrize(("given_local", "due"), [
    (datetime(2026, 3, 7, 23, 30, tzinfo=NY), date(2026, 4, 4)),  # the night before clocks go forward
    (datetime(2026, 10, 31, 23, 30, tzinfo=NY), date(2026, 11, 28)),  # the night before clocks go back
])
def test_the_day_of_an_injection_is_its_day_in_the_clinics_zone(given_local: datetime, due: date) -> None:
    """23:30 in New York is already the next day in UTC: stored either way, the due day is the clinic's."""
    today = given_local.date() + timedelta(days=10)
    for stored in (given_local, given_local.astimezone(UTC)):
        chart = _on_xr(stored)
        assert next_injection_due(chart, today, NY) == due
        assert days_since_last_injection(chart, today, NY) == 10
    assert next_injection_due(_on_xr(given_local), today, UTC) == due + timedelta(days=1)


def test_an_injection_later_in_the_clinics_day_is_not_yet_given() -> None:
    """On the evening of 2026-03-07 in New York the 23:30 injection is on that day, not on 03-06."""
    chart = _on_xr(datetime(2026, 2, 7, 10, tzinfo=NY), datetime(2026, 3, 7, 23, 30, tzinfo=NY))
    assert next_injection_due(chart, date(2026, 3, 6), NY) == date(2026, 3, 7)
    assert next_injection_due(chart, date(2026, 3, 7), NY) == date(2026, 4, 4)


def test_no_due_day_without_an_active_xr_ntx_regimen_or_an_injection() -> None:
    shot = at(ago(10))
    assert next_injection_due(_on_xr(), DAY, UTC) is None
    ended = _on_xr(shot, end=ago(5))
    assert next_injection_due(ended, DAY, UTC) is None
    assert next_injection_due(PatientChart(patient=make_patient(), injections=(make_injection(given_at=shot),)),
                              DAY, UTC) is None
    assert days_since_last_injection(_on_xr(), DAY, UTC) is None


def test_the_regimens_interval_sets_the_due_day() -> None:
    assert next_injection_due(_on_xr(at(ago(3)), interval_days=35), DAY, UTC) == ago(3) + timedelta(days=35)
