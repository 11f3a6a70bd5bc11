"""The coverage of one patient as the chart shows it: today's band and level, the projected end
of protection, and the series behind the Plotly chart with the band thresholds drawn.

Everything comes from the coverage engine (:func:`naltrack.domain.coverage.calculate_coverage`:
hourly median and 90% interval of a fixed-seed virtual population, daily bands) and the end of
protection ("blocked through": the opioid-blockade estimate) from
:func:`naltrack.domain.protection.protection_end`, the one every face shows; the
thresholds are :mod:`naltrack.pk.bands` (protected >= 2, partial
1-2, waning 0.5-1, unprotected < 0.5 ng/mL; pk.md §4.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from naltrack.domain.chart import PatientChart
from naltrack.domain.coverage import PatientCoverage, calculate_coverage
from naltrack.domain.protection import protection_end
from naltrack.domain.records import current
from naltrack.pk.bands import BandThresholds

THRESHOLD_COLORS = ("#1e6b34", "#7a4a00", "#a4161a")
#: Window of the chart: this many days back and ahead of today.
DAYS_BACK = 120
DAYS_AHEAD = 45
#: One point every this many hours on the plot (the table keeps every day).
PLOT_STEP_H = 3
#: Lowest level drawn on the log axis, ng/mL: a tenth of the waning threshold.
PLOT_FLOOR_NG_ML = 0.05


@dataclass
class CoverageView:
    band_today: str
    level_today: float | None
    protection_ends_on: date | None
    days: list[str] = field(default_factory=list)
    plot: dict[str, Any] = field(default_factory=dict)
    table: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""
    thresholds: list[dict[str, Any]] = field(default_factory=list)


def threshold_lines(t: BandThresholds) -> list[dict[str, Any]]:
    values = (("protected", t.protected_ng_ml), ("partial", t.partial_ng_ml), ("waning", t.waning_ng_ml))
    return [{"label": label, "ng_per_ml": value, "color": color}
            for (label, value), color in zip(values, THRESHOLD_COLORS, strict=True)]


def _dose_marks(chart: PatientChart, first: date, tz: ZoneInfo) -> list[dict[str, str]]:
    marks: list[tuple[datetime, str]] = [(i.given_at, f"XR-NTX {i.side}") for i in current(chart.injections)]
    marks += [(m.inserted_at, f"implant {m.dose_mg:g} mg") for m in current(chart.implants)]
    marks += [(d.taken_at, f"oral {d.dose_mg:g} mg") for d in current(chart.oral_doses) if d.was_taken]
    return [{"day": when.astimezone(tz).strftime("%Y-%m-%d %H:%M"), "label": label}
            for when, label in sorted(marks) if when.astimezone(tz).date() >= first][-60:]


def _plot(coverage: PatientCoverage, chart: PatientChart, today: date, tz: ZoneInfo) -> dict[str, Any]:
    step = slice(None, None, PLOT_STEP_H)
    origin = coverage.origin
    stamps = [(origin + timedelta(hours=float(h))).astimezone(tz).strftime("%Y-%m-%d %H:%M")
              for h in coverage.hours[step]]
    peak = float(max(coverage.p95_ng_ml.max(initial=0.0), coverage.thresholds.protected_ng_ml * 2))
    return {"days": stamps, "median": _floor(coverage.median_ng_ml[step]), "low": _floor(coverage.p5_ng_ml[step]),
            "high": _floor(coverage.p95_ng_ml[step]),
            "thresholds": threshold_lines(coverage.thresholds), "today": today.isoformat(),
            "doses": _dose_marks(chart, coverage.days[0].day, tz), "ymax": round(peak * 1.05, 2), "log": True,
            "ymin": PLOT_FLOOR_NG_ML}


def _floor(values: Any) -> list[float]:
    """Levels for a log axis: below the floor reads as "none" (the thresholds stay far above it)."""
    return [round(max(float(v), PLOT_FLOOR_NG_ML), 3) for v in values]


def coverage_view(chart: PatientChart, today: date, tz: ZoneInfo) -> CoverageView | None:
    """``None`` for a patient who never received naltrexone; ``tz`` is the clinic's zone."""
    has_doses = bool(current(chart.injections)) or bool(current(chart.implants)) or bool(current(chart.oral_doses))
    if not has_doses:
        return None
    coverage = calculate_coverage(chart, today, days_back=DAYS_BACK, days_ahead=DAYS_AHEAD, tz=tz)
    now = coverage.day(today)
    end = protection_end(chart, today, tz)
    table = [{"day": d.day, "median": d.median_ng_ml, "band": d.band} for d in reversed(coverage.days)
             if d.day <= today][:60]
    if end is None:
        summary = f"no blocked day in the last {DAYS_BACK} days; today {now.band}"
    elif end >= today:
        summary = f"today {now.band} at {now.median_ng_ml:.2f} ng/mL; opioids blocked through {end.isoformat()}"
    else:
        summary = f"today {now.band} at {now.median_ng_ml:.2f} ng/mL; blockade ended after {end.isoformat()}"
    return CoverageView(band_today=now.band, level_today=now.median_ng_ml, protection_ends_on=end,
                        days=[d.day.isoformat() for d in coverage.days], plot=_plot(coverage, chart, today, tz),
                        table=table, summary=summary, thresholds=threshold_lines(coverage.thresholds))
