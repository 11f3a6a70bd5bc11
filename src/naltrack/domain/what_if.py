"""What-ifs on a patient's coverage: the next injection late, oral doses stopped (the chart's curve).

Each adds hypothetical doses to :func:`naltrack.domain.coverage.calculate_coverage`; its end of
protection then includes them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from naltrack.domain.chart import PatientChart
from naltrack.domain.coverage import PatientCoverage, _check_window, _hours, calculate_coverage
from naltrack.domain.due_dates import injection_due_on, injection_interval_days
from naltrack.domain.errors import InvalidInput
from naltrack.domain.records import current
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.units import require_whole_days
from naltrack.pk.models import DoseEvent, Form


def what_if_injection_late(chart: PatientChart, today: date, late_days: int, *, tz: tzinfo,
                           thresholds: Thresholds = DEFAULT, days_back: int = 180,
                           days_ahead: int = 60) -> PatientCoverage:
    """Coverage if the next XR-NTX injection comes ``late_days`` after it is due.

    The next injection is due one interval (:func:`naltrack.domain.due_dates.injection_interval_days`,
    clinical.md §1.2) after the clinic-local day of the last one, or today if that date has passed;
    it is given at the clock time of the last one.

    Raises
    ------
    InvalidInput
        If ``late_days`` is negative or above 60, or there is no injection on record.
    """
    require_whole_days("what_if.late_days", late_days, 0, 60)
    last = chart.last_injection(today, tz)
    if last is None:
        raise InvalidInput("what_if.late_days", late_days, "needs an XR-NTX injection on record")
    local = last.given_at.astimezone(tz)
    due = max(injection_due_on(local.date(), injection_interval_days(chart.active_regimens_on(today), thresholds)),
              today)
    given = datetime.combine(due + timedelta(days=late_days), local.timetz())
    return _with_extra(chart, today, [("xr-ntx", given, last.dose_mg)], tz, days_back, days_ahead)


def what_if_oral_stopped(chart: PatientChart, today: date, stop_days: int, *, tz: tzinfo, days_back: int = 180,
                         days_ahead: int = 60) -> PatientCoverage:
    """Coverage if the active oral regimen is taken from tomorrow on, except the next ``stop_days`` days.

    Raises
    ------
    InvalidInput
        If ``stop_days`` is negative or above 365, or no oral regimen is active today.
    """
    require_whole_days("what_if.stop_days", stop_days, 0, 365)
    regimen = next((r for r in chart.active_regimens_on(today) if r.form == "oral" and r.kind != "targeted"), None)
    if regimen is None:
        raise InvalidInput("what_if.stop_days", stop_days, "needs an active scheduled oral regimen")
    taken = [d for d in current(chart.oral_doses) if d.was_taken]
    last_time = max(taken, key=lambda d: d.taken_at).taken_at if taken else None
    clock = last_time.astimezone(tz).timetz() if last_time else time(9, tzinfo=tz)
    extra: list[tuple[Form, datetime, float]] = []
    for offset in range(1 + stop_days, days_ahead + 1):
        day = today + timedelta(days=offset)
        if regimen.oral_dose_on(day) > 0:
            extra.append(("oral", datetime.combine(day, clock), regimen.oral_dose_on(day)))
    return _with_extra(chart, today, extra, tz, days_back, days_ahead)


def _with_extra(chart: PatientChart, today: date, extra: list[tuple[Form, datetime, float]], tz: tzinfo,
                days_back: int, days_ahead: int) -> PatientCoverage:
    _check_window(days_back, days_ahead)
    origin = datetime.combine(today - timedelta(days=days_back), time(0), tzinfo=tz)
    doses = [DoseEvent(form, _hours(when, origin), amount) for form, when, amount in extra]
    return calculate_coverage(chart, today, days_back=days_back, days_ahead=days_ahead, tz=tz, extra_doses=doses)
