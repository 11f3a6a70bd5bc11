"""Property: a patient whose recorded doses follow a label schedule never gets a critical alert.

Oral 50 mg daily, or 100/100/150 mg Mon/Wed/Fri (clinical.md §1.1); XR-NTX every 28 days give or take
the due window (§1.2); an implant within its recorded duration (§1.3). Critical alerts are for overdose
risk, a late injection needing a urine screen, self-harm, necrosis or hepatitis, never for the schedule.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.factories import (
    make_document,
    make_episode,
    make_implant,
    make_injection,
    make_lab,
    make_man,
    make_oral_dose,
    make_oral_regimen,
    make_regimen,
)

from naltrack.domain.chart import PatientChart
from naltrack.domain.regimens import ScheduledDose
from naltrack.domain.rules.monitoring import run_monitoring
from naltrack.domain.rules.thresholds import DEFAULT

START = date(2026, 1, 5)
ZONES: tuple[tzinfo, ...] = (UTC, ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles"))


def _at(day: date, hour: int, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(hour), tz)


@st.composite
def treatments(draw: st.DrawFn) -> tuple[PatientChart, date, tzinfo]:
    """A chart following one label schedule from START, and the last day of treatment."""
    tz = draw(st.sampled_from(ZONES))
    hour = draw(st.integers(6, 21))
    start = START + timedelta(days=draw(st.integers(0, 200)))
    weeks = draw(st.integers(2, 16))
    schedule = draw(st.sampled_from(["oral-daily", "oral-mwf", "xr-ntx", "implant"]))
    base = PatientChart(patient=make_man(), episodes=(make_episode(draw(st.sampled_from(["OUD", "AUD", "OUD+AUD"])),
                                                                   start=start - timedelta(days=30)),),
                        documents=(make_document(day=start),))
    if draw(st.booleans()):
        weight = make_lab(loinc="29463-7", name="Body weight", value=draw(st.floats(50.0, 120.0)), unit="kg",
                          reference_low=None, reference_high=None, collected_at=_at(start, 8, tz))
        base = replace(base, labs=(weight,))
    last = start + timedelta(days=7 * weeks)
    if schedule == "xr-ntx":
        days, day = [], start
        while day <= last:
            days.append(day)
            day += timedelta(days=28 + draw(st.integers(-DEFAULT.injection_due_window_days,
                                                         DEFAULT.injection_due_window_days)))
        shots = tuple(make_injection(given_at=_at(d, hour, tz)) for d in days)
        return replace(base, regimens=(make_regimen(start=start),), injections=shots), days[-1] + \
            timedelta(days=28), tz
    if schedule == "implant":
        duration = draw(st.integers(14, 365))
        implant = make_implant(start, dose_mg=draw(st.sampled_from([1000.0, 1700.0, 2200.0, 3400.0])),
                               duration_days=duration)
        implant = replace(implant, inserted_at=_at(start, hour, tz))
        return replace(base, implants=(implant,)), start + timedelta(days=duration - 1), tz
    mwf = (ScheduledDose("mon", 100.0), ScheduledDose("wed", 100.0), ScheduledDose("fri", 150.0))
    regimen = make_oral_regimen(start=start, schedule=mwf) if schedule == "oral-mwf" else \
        make_oral_regimen(kind="oral-daily", dose_mg=50.0, schedule=(), start=start)
    doses = tuple(make_oral_dose(taken_at=_at(start + timedelta(days=k), hour, tz),
                                 dose_mg=regimen.oral_dose_on(start + timedelta(days=k)))
                  for k in range((last - start).days + 1) if regimen.oral_dose_on(start + timedelta(days=k)) > 0)
    first = min(d.taken_at for d in doses).astimezone(tz).date()
    return replace(base, regimens=(replace(regimen, start=first),), oral_doses=doses), last, tz


@settings(max_examples=60, deadline=None)
@given(treatments())
def test_no_critical_alert_on_any_day_of_a_label_schedule(case: tuple[PatientChart, date, tzinfo]) -> None:
    chart, last, tz = case
    first = min([d.taken_at for d in chart.oral_doses] + [i.given_at for i in chart.injections]
                + [m.inserted_at for m in chart.implants]).astimezone(tz).date()
    for offset in range((last - first).days + 1):
        today = first + timedelta(days=offset)
        critical = [a for a in run_monitoring(chart, today, tz) if a.severity == "critical"]
        assert critical == [], (today, critical)
