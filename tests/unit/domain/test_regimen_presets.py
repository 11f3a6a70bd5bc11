"""The order form's defaults from the domain: the usual dose of each kind and the label's weekly oral schedules
(clinical.md §1.1, §1.2)."""

from __future__ import annotations

from datetime import date

import pytest

from naltrack.domain.regimens import (
    KIND_LABELS,
    REGIMEN_KINDS,
    SCHEDULE_PRESETS,
    Regimen,
    default_dose_mg,
)


@pytest.mark.parametrize(("kind", "dose"), [("oral-daily", 50.0), ("oral-schedule", 50.0), ("targeted", 50.0),
                                            ("xr-ntx-q4w", 380.0), ("xr-ntx-bupropion", 380.0), ("implant", None)])
def test_each_kind_has_its_usual_dose_and_an_order_without_one_takes_it(kind: str, dose: float | None) -> None:
    assert default_dose_mg(kind) == dose
    if dose is not None:
        assert Regimen(id="r", patient_id="p", kind=kind, start=date(2026, 1, 5),  # type: ignore[arg-type]
                       schedule=SCHEDULE_PRESETS[0].doses).dose_mg == dose


def test_every_kind_has_a_plain_name() -> None:
    assert set(KIND_LABELS) == set(REGIMEN_KINDS)
    assert KIND_LABELS["xr-ntx-q4w"] == "XR-naltrexone 380 mg every 4 weeks"


@pytest.mark.parametrize(("preset", "days", "weekly_mg"), [("weekdays-saturday", 6, 350.0),
                                                          ("three-times-weekly", 3, 350.0)])
def test_the_label_schedules_give_the_weekly_dose_of_50_mg_daily(preset: str, days: int, weekly_mg: float) -> None:
    found = next(p for p in SCHEDULE_PRESETS if p.id == preset)
    assert (len(found.doses), sum(d.dose_mg for d in found.doses)) == (days, weekly_mg)
    assert max(d.dose_mg for d in found.doses) <= 150.0 and found.source.startswith("clinical.md §1.1")
    order = Regimen(id="r", patient_id="p", kind="oral-schedule", start=date(2026, 1, 5), schedule=found.doses)
    assert order.oral_dose_on(date(2026, 1, 9)) == found.doses[4 if days == 6 else 2].dose_mg  # a Friday
