"""The runs of blocked days of many patients over a window (the program's course of treatment), against the
end of protection the chart and the dashboard read."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from naltrack.domain.coverage import estimate_blocked_runs, estimate_protection_ends, protection_origin
from naltrack.pk.models import DoseEvent
from naltrack.pk.protection import Dosing

NEW_YORK = ZoneInfo("America/New_York")
FIRST = date(2026, 1, 1)


def hours(day: date, hour: int = 10, origin: date = FIRST) -> float:
    start = datetime.combine(origin, time(0), tzinfo=NEW_YORK)
    return (datetime.combine(day, time(hour), tzinfo=NEW_YORK) - start).total_seconds() / 3600


def test_an_injection_blocks_one_run_from_the_day_after_it_and_nobody_else() -> None:
    shot = DoseEvent("xr-ntx", hours(date(2026, 1, 5)), 380.0)
    runs = estimate_blocked_runs(Dosing.of([([shot], None), ([], None)]), FIRST, date(2026, 4, 30), NEW_YORK)
    [(first, last)], none = runs
    assert none == []
    assert first == date(2026, 1, 6)  # the day of the injection is not blocked at every hour
    assert date(2026, 2, 1) < last < date(2026, 2, 15)


def test_the_last_run_ends_where_the_dashboards_end_of_protection_does() -> None:
    today = date(2026, 3, 20)
    doses = [(date(2026, 1, 5), "xr-ntx", 380.0), (date(2026, 2, 27), "xr-ntx", 380.0),
             (date(2026, 3, 18), "oral", 50.0)]
    origin_day = protection_origin(today, NEW_YORK).date()
    ends = estimate_protection_ends(
        Dosing.of([([DoseEvent(form, hours(day, origin=origin_day), mg) for day, form, mg in doses], 80.0)]),
        today, NEW_YORK)
    runs = estimate_blocked_runs(Dosing.of([([DoseEvent(form, hours(day), mg) for day, form, mg in doses], 80.0)]),
                                 FIRST, today + timedelta(days=120), NEW_YORK)
    assert len(runs[0]) == 2  # the first injection's blockade ends before the second starts
    assert runs[0][-1][1] == ends[0]


def test_a_run_reaching_the_window_end_is_cut_there() -> None:
    shot = DoseEvent("xr-ntx", hours(date(2026, 1, 5)), 380.0)
    [[(_, last)]] = estimate_blocked_runs(Dosing.of([([shot], None)]), FIRST, date(2026, 1, 20), NEW_YORK)
    assert last == date(2026, 1, 20)


def test_an_implant_blocks_at_least_its_recorded_duration_unless_removed() -> None:
    inserted = hours(date(2026, 1, 5))
    kept = DoseEvent("implant", inserted, 1000.0, float("inf"), 24.0 * 200)
    removed = DoseEvent("implant", inserted, 1000.0, hours(date(2026, 1, 25)), 24.0 * 200)
    runs = estimate_blocked_runs(Dosing.of([([kept], None), ([removed], None)]), FIRST, date(2026, 12, 31), NEW_YORK)
    assert runs[0][-1][1] >= date(2026, 1, 5) + timedelta(days=199)
    assert runs[1][-1][1] < date(2026, 4, 1)
