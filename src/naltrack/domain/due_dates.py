"""When the next XR-NTX injection is due: the one computation for the chart, the rules, CDS and the dashboard.

The schedule is 380 mg every 4 weeks (clinical.md §1.2): the next injection is due one
interval after the clinic-local day of the last one. The interval is the active regimen's,
else :attr:`Thresholds.injection_interval_days`. The local day of an injection is
``given_at.astimezone(tz).date()`` in the clinic's zone (``Clinic.zone``), never the server's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta, tzinfo
from typing import Literal

from naltrack.domain.chart import PatientChart, local_day
from naltrack.domain.indications import active_regimen
from naltrack.domain.regimens import SCHEDULED_ORAL_KINDS, Regimen
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds


def injection_interval_days(regimens: Iterable[Regimen], thresholds: Thresholds = DEFAULT) -> int:
    """The interval of the first XR-NTX regimen among ``regimens`` that sets one, else the default.

    Examples
    --------
    >>> injection_interval_days([])
    28
    """
    for regimen in regimens:
        if regimen.form == "xr-ntx" and regimen.interval_days:
            return regimen.interval_days
    return thresholds.injection_interval_days


def injection_due_on(last_given_on: date, interval_days: int) -> date:
    """The day the next injection is due: the clinic-local day of the last one plus the interval.

    Examples
    --------
    >>> injection_due_on(date(2026, 3, 1), 28)
    datetime.date(2026, 3, 29)
    """
    return last_given_on + timedelta(days=interval_days)


def injection_timeliness(days_since_previous: int, interval_days: int | None,
                         thresholds: Thresholds = DEFAULT) -> Literal["on-time", "late"]:
    """Whether an injection given ``days_since_previous`` days after the one before came by its due day.

    On time by the due day, the interval after the previous injection (the same rule as
    :mod:`naltrack.domain.dose_classes`; clinical.md §1.2, every 4 weeks), late after it.

    Parameters
    ----------
    days_since_previous : int
        Clinic-local days from the previous injection to this one.
    interval_days : int or None
        The regimen's interval in days; ``None`` takes :attr:`Thresholds.injection_interval_days`.
    thresholds : Thresholds
        The default interval.

    Examples
    --------
    >>> injection_timeliness(28, None), injection_timeliness(29, None), injection_timeliness(29, 30)
    ('on-time', 'late', 'on-time')
    """
    interval = interval_days or thresholds.injection_interval_days
    return "on-time" if days_since_previous <= interval else "late"


def missed_injections(gap_days: int, interval_days: int | None, thresholds: Thresholds = DEFAULT) -> int:
    """The due days passed without an injection inside a gap of ``gap_days`` after an injection.

    The due days are every interval after the injection (clinical.md §1.2). ``gap_days`` runs to the next
    injection, or to the day the schedule is read. A due day is missed once the next due day has also
    passed (strictly before the gap's last day) without an injection: the first due day passed is the one
    a late injection answers (:func:`injection_timeliness`), so a gap shorter than two intervals misses none.

    Parameters
    ----------
    gap_days : int
        Clinic-local days from the injection to the next one (or to the day read).
    interval_days, thresholds
        The interval in days and the default interval, as for :func:`injection_timeliness`.

    Examples
    --------
    >>> missed_injections(28, None), missed_injections(56, None), missed_injections(57, None)
    (0, 0, 1)
    >>> missed_injections(113, 28)
    3
    """
    interval = interval_days or thresholds.injection_interval_days
    passed = max(0, (gap_days - 1) // interval)
    return max(0, passed - 1)


def next_injection_due(chart: PatientChart, today: date, tz: tzinfo,
                       thresholds: Thresholds = DEFAULT) -> date | None:
    """The next XR-NTX injection's due day for a patient on an active XR-NTX regimen, else ``None``.

    Parameters
    ----------
    chart : PatientChart
        The patient's records (entered-in-error injections are ignored).
    today : date
        The clinic-local day the chart is read on; injections given after it are ignored.
    tz : tzinfo
        The clinic's time zone: the day of an injection is its local day there.
    thresholds : Thresholds
        The default interval when the regimen sets none.
    """
    regimen = active_regimen(chart, today, "xr-ntx")
    last = chart.last_injection(today, tz)
    if regimen is None or last is None:
        return None
    return injection_due_on(local_day(last.given_at, tz), injection_interval_days([regimen], thresholds))


def days_since_last_injection(chart: PatientChart, today: date, tz: tzinfo) -> int | None:
    """Whole clinic-local days from the last injection to ``today`` (0 on the day given), or ``None``."""
    last = chart.last_injection(today, tz)
    return None if last is None else (today - local_day(last.given_at, tz)).days


def next_dose_due(chart: PatientChart, today: date, tz: tzinfo, thresholds: Thresholds = DEFAULT) -> date | None:
    """The next naltrexone dose due after ``today``: the next XR-NTX injection (:func:`next_injection_due`), else
    the next day an active scheduled oral regimen has a dose (within a week), else the end of the recorded
    duration of an implant in place (clinical.md §1.1-§1.3); ``None`` when nothing is scheduled."""
    due = next_injection_due(chart, today, tz, thresholds)
    if due is not None:
        return due
    for regimen in chart.active_regimens_on(today):
        days = [today + timedelta(days=k) for k in range(1, 8)]
        scheduled = [day for day in days if regimen.oral_dose_on(day) > 0]
        if scheduled:
            return scheduled[0]
    ends = [local_day(m.inserted_at, tz) + timedelta(days=m.expected_duration_days)
            for m in chart.implants_in_place(today, tz) if m.expected_duration_days is not None]
    return min(ends) if ends else None


def next_dose_scheduled(chart: PatientChart, today: date, tz: tzinfo) -> bool:
    """Whether the patient's next naltrexone dose is already scheduled: on an XR-NTX regimen with an
    injection on file (the 4-week schedule, clinical.md §1.2), or on a scheduled oral regimen (daily or
    on set weekdays, §1.1; targeted dosing is as needed, §1.4)."""
    if active_regimen(chart, today, "xr-ntx") is not None and chart.last_injection(today, tz) is not None:
        return True
    return any(r.kind in SCHEDULED_ORAL_KINDS for r in chart.active_regimens_on(today))
