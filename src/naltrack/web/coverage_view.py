"""The coverage of one patient as the chart shows it: today's band, the end of protection,
and the series behind the Plotly chart, with the band thresholds drawn.

Bands and thresholds are the PK engine's (:mod:`naltrack.pk.bands`: protected >= 2,
partial 1-2, waning 0.5-1, unprotected < 0.5 ng/mL; pk.md §4.1). The series come from the
coverage engine when it is installed (``naltrack.domain.coverage``); without it the chart
shows the monitoring rules' days'-supply estimate of the end of protection only.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from naltrack.domain.chart import PatientChart
from naltrack.domain.rules.monitoring import days_supply_protection_end
from naltrack.pk.bands import DEFAULT_THRESHOLDS

THRESHOLD_COLORS = ("#1e6b34", "#7a4a00", "#a4161a")


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


def thresholds() -> list[dict[str, Any]]:
    t = DEFAULT_THRESHOLDS
    values = (("protected", t.protected_ng_ml), ("partial", t.partial_ng_ml), ("waning", t.waning_ng_ml))
    return [{"label": label, "ng_per_ml": value, "color": color}
            for (label, value), color in zip(values, THRESHOLD_COLORS, strict=True)]


def _engine() -> Any:
    try:
        return importlib.import_module("naltrack.domain.coverage")
    except ImportError:
        return None


def coverage_view(chart: PatientChart, today: date, tz: ZoneInfo) -> CoverageView | None:
    """``None`` for a patient who never received naltrexone."""
    end = days_supply_protection_end(chart, today)
    if end is None:
        return None
    engine = _engine()
    if engine is not None and hasattr(engine, "web_series"):
        return engine.web_series(chart, today, tz)  # type: ignore[no-any-return]
    band = "protected" if end >= today else "unprotected"
    return CoverageView(band_today=band, level_today=None, protection_ends_on=end, thresholds=thresholds(),
                        summary=f"protection estimated to {'end' if end >= today else 'have ended'} on {end}")
