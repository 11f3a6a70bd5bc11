"""The program measures' definitions: every number the outcome measures use, with its source.

A measure's clinical numbers come from :class:`naltrack.domain.rules.thresholds.Thresholds` (heavy
drinking, the injection interval) or from :class:`MeasureDefinitions` here (what ends a run of
treatment, the horizons of retention, small-cell suppression). Each field names its source in
:data:`DEFINITION_SOURCES`; build a local set with :func:`dataclasses.replace`.

Examples
--------
>>> DEFAULT_DEFINITIONS.retention_allowed_gap_days, DEFAULT_DEFINITIONS.horizons
(7, (30, 90, 180))
>>> from dataclasses import replace
>>> replace(DEFAULT_DEFINITIONS, retention_allowed_gap_days=14).retention_allowed_gap_days
14
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from naltrack.domain.errors import InvalidInput


@dataclass(frozen=True)
class MeasureDefinitions:
    """How the program measures count (units in the names).

    ``retention_allowed_gap_days``: untreated days that still bridge two treated days; a longer run of
    untreated days ends treatment (discontinuation). ``retention_censor_reasons``: an episode closed for
    one of these discharge reasons is censored at the end of treatment instead of counting as discontinued.
    ``horizons``: the days at which retention is read. ``naloxone_window_days``: naloxone counts as offered
    for a lapse when offered this many days before or after it. ``min_cell``: counts below it are suppressed
    in anything that leaves the program. ``iet_*``: HEDIS IET's negative history, initiation and engagement
    windows (:mod:`naltrack.analytics.iet`).
    """

    retention_allowed_gap_days: int = 7
    retention_censor_reasons: tuple[str, ...] = ("transferred",)
    horizons: tuple[int, ...] = (30, 90, 180)
    naloxone_window_days: int = 30
    min_cell: int = 11
    iet_negative_history_days: int = 194
    iet_initiation_days: int = 14
    iet_engagement_days: int = 34

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int) and value < 0:
                raise InvalidInput(f"definitions.{f.name}", value, "must be 0 or more days")
        if not self.horizons or any(h <= 0 for h in self.horizons):
            raise InvalidInput("definitions.horizons", self.horizons, "must be one or more days greater than 0")
        if self.min_cell < 1:
            raise InvalidInput("definitions.min_cell", self.min_cell, "must be 1 or more")


DEFAULT_DEFINITIONS = MeasureDefinitions()

_C = "configurable default"
#: Where each definition comes from; ``UNCONFIRMED`` marks numbers no retrieved source fixes.
DEFINITION_SOURCES: dict[str, str] = {
    "retention_allowed_gap_days": f"{_C}: HEDIS POD's allowed gap (clinical.md §7.2: 180 days without a gap of "
                                  "8 or more days, i.e. gaps up to 7 days allowed, to accommodate weekly billing)",
    "retention_censor_reasons": f"{_C}: a patient transferred to another program continues treatment elsewhere, so "
                                "the end of treatment here is not a discontinuation (right-censoring, as trials "
                                "report retention; clinical.md §6)",
    "horizons": "issue 15 and the trials' reporting (clinical.md §6: X:BOT 24 weeks, Krupitsky 2012 6 months): "
                "retention at 30, 90 and 180 days",
    "naloxone_window_days": f"UNCONFIRMED {_C}: the label (clinical.md §1.2, 12/2025) asks to strongly consider an "
                            "overdose reversal agent at the end of the dosing interval or after a missed dose, "
                            "without a window",
    "iet_negative_history_days": "clinical.md §7.3: HEDIS IET (MY2025), negative SUD history of 194 days",
    "iet_initiation_days": "clinical.md §7.3: HEDIS IET (MY2025), initiation within 14 days of the index episode",
    "iet_engagement_days": "clinical.md §7.3: HEDIS IET (MY2025), engagement within 34 days of the initiation",
    "min_cell": "CMS cell size suppression policy: counts from 1 to 10 are not released (fewer than 11)",
}
