"""Brief Addiction Monitor responses of a synthetic patient: one at intake, then about monthly while in treatment.

The use items follow the patient's own record: drug days from the positive urine screens of the 30 days before
(each positive screen stands for a few days of use, the substances it found name items 7A-7G), alcohol days from
the drinking diary where it was kept and from the patient's drinking rate where it was not (heavy days are 5 or
more drinks for men, 4 for women: the BAM's item 5, clinical.md §6). Risk factors fall and protective factors rise
month by month in treatment (rates in :class:`ProgramParams`), and a month with use sets both back.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from naltrack.domain.observations import UrineDrugScreen
from naltrack.instruments.bam import BAM_ITEMS
from naltrack.synthetic.builder import PatientBuilder
from naltrack.synthetic.monitoring import record_response

#: The upper ends of the BAM's day ranges (0, 1-3, 4-8, 9-15, 16-30 days score 0-4).
DAY_RANGE_ENDS = (0, 3, 8, 15, 30)
#: The item (7A-7G) of each drug a screen finds.
DRUG_ITEM = {"cannabinoids": "a", "benzodiazepines": "b", "cocaine": "c", "amphetamines": "d", "opiates": "e",
             "fentanyl": "e", "oxycodone": "e"}
RISK_ITEMS = ("bam-1", "bam-2", "bam-3", "bam-8", "bam-11", "bam-15")
#: The protective items answered on a 0-4 range, and item 17 (satisfaction), which follows them.
PROTECTIVE_ITEMS = ("bam-9", "bam-10", "bam-12", "bam-13", "bam-16", "bam-17")
#: Days a BAM looks back on.
WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Use:
    """Days of use in the 30 days a BAM asks about."""

    alcohol_days: int = 0
    heavy_days: int = 0
    drug_days: int = 0
    drug_items: frozenset[str] = frozenset()


def day_points(days: int) -> float:
    """The points of a day count on the BAM's ranges: 0 -> 0, 1-3 -> 1, 4-8 -> 2, 9-15 -> 3, 16-30 -> 4."""
    return float(bisect.bisect_left(DAY_RANGE_ENDS, min(days, 30)))


def bam_answers(b: PatientBuilder, use: Use, risk: float, protection: float) -> list[float]:
    """The 23 answers: the use items from ``use``, the risk and protective items drawn around ``risk`` and
    ``protection`` (0 none to 1 most) in one draw; items the form skips are answered 0."""
    levels = (np.array([risk] * 6 + [protection] * 6) + b.rng.normal(0.0, 0.12, size=12)).clip(0.0, 1.0)
    points: dict[str, float] = dict(zip(RISK_ITEMS + PROTECTIVE_ITEMS, b.rng.binomial(4, levels).tolist(), strict=True))
    points["bam-14"] = 4.0 if b.chance(0.3 + 0.6 * protection) else 0.0
    points["bam-4"], points["bam-6"] = day_points(use.alcohol_days), day_points(use.drug_days)
    points["bam-5"] = day_points(use.heavy_days) if use.alcohol_days else 0.0
    if use.drug_days:
        points.update({f"bam-7{letter}": day_points(use.drug_days) for letter in use.drug_items})
    return [float(points.get(item.link_id, 0.0)) for item in BAM_ITEMS]


def intake_bam(b: PatientBuilder, day: date, screen: UrineDrugScreen) -> None:
    """The BAM at intake: the use that brings the patient (drugs on most days for opioids and stimulants, drinking
    on most days for alcohol), risk high and protection low (the patient's starting levels)."""
    drugs = b.indication != "AUD"
    drug_days = int(b.rng.integers(9, 31)) if drugs else int(b.rng.integers(1, 4)) if b.chance(0.2) else 0
    alcohol = b.indication in ("AUD", "OUD+AUD")
    alcohol_days = int(b.rng.integers(8, 31)) if alcohol else int(b.rng.integers(1, 9)) if b.chance(0.3) else 0
    items = _drug_items([screen]) or frozenset({"e" if b.indication != "stimulant" else "d"})
    use = Use(alcohol_days, round(alcohol_days * float(b.rng.uniform(0.3, 0.9))), drug_days, items)
    record_response(b, "bam", day, bam_answers(b, use, b.bam_risk, b.bam_protection))


def bam_series(b: PatientBuilder, start: date, stop: date, diary: list[tuple[date, float]]) -> None:
    """A BAM about every month from ``start`` to ``stop`` (the course): risk falling and protection rising with
    each month in treatment, use as the patient's screens and ``diary`` of the 30 days before show it."""
    params = b.params
    screens = [r for r in b.records if isinstance(r, UrineDrugScreen)]
    drinking_rate = _drinking_rate(b, diary)
    day = start + timedelta(days=params.bam_interval_days)
    while day <= stop and b.is_past(day):
        months = (day - start).days / 30.0
        use = _use_before(b, day, screens, diary, drinking_rate)
        setback = 0.15 if use.drug_days or use.heavy_days else 0.0
        risk = max(0.08, b.bam_risk * params.bam_risk_kept_per_month ** months) + setback
        protection = 1.0 - (1.0 - b.bam_protection) * (1.0 - params.bam_protection_gain_per_month) ** months
        record_response(b, "bam", day, bam_answers(b, use, risk, protection - setback))
        day += timedelta(days=params.bam_interval_days + int(b.rng.integers(-3, 4)))


def _use_before(b: PatientBuilder, day: date, screens: list[UrineDrugScreen], diary: list[tuple[date, float]],
                drinking_rate: float) -> Use:
    recent = [s for s in screens if day - WINDOW <= s.collected_at.date() <= day]
    items = _drug_items(recent)
    positives = sum(1 for s in recent if _drug_items([s]))
    drug_days = min(30, sum(int(b.rng.integers(1, 8)) for _ in range(positives)))
    kept = [drinks for entry_day, drinks in diary if day - WINDOW <= entry_day < day]
    heavy = 5.0 if b.patient.sex_at_birth == "male" else 4.0
    if len(kept) >= 5:
        alcohol_days = round(30 * sum(1 for d in kept if d > 0) / len(kept))
        heavy_days = round(30 * sum(1 for d in kept if d >= heavy) / len(kept))
    else:
        alcohol_days = int(b.rng.binomial(30, drinking_rate))
        heavy_days = int(b.rng.binomial(alcohol_days, 0.4))
    return Use(alcohol_days, heavy_days, drug_days, items)


def _drinking_rate(b: PatientBuilder, diary: list[tuple[date, float]]) -> float:
    """The share of days with a drink: from the diary where there is one, else little (no alcohol indication)."""
    if diary:
        return sum(1 for _, drinks in diary if drinks > 0) / len(diary)
    return 0.2 if b.indication in ("AUD", "OUD+AUD") else 0.01


def _drug_items(screens: list[UrineDrugScreen]) -> frozenset[str]:
    return frozenset(DRUG_ITEM[r.analyte] for s in screens for r in s.results
                     if r.analyte in DRUG_ITEM and r.result == "positive")
