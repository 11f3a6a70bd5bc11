"""The blockade estimate in the domain: the label schedules keep a patient blocked and quiet (DESIGN.md
"The central idea: coverage"; docs/pk.md "How the domain uses the blockade estimate").

Targets: XR-NTX 380 mg on time is blocked through day 28 and raises no protection-ending or lapse alert
before the due window; oral 50 mg daily and 100/100/150 mg Mon/Wed/Fri, taken, are blocked every day
without a critical alert; an implant's recorded duration is honoured.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from tests.factories import (
    make_document,
    make_episode,
    make_implant,
    make_injection,
    make_lab,
    make_man,
    make_med,
    make_oral_dose,
    make_oral_regimen,
    make_regimen,
)

from naltrack.domain.administrations import ImplantRemoval
from naltrack.domain.chart import PatientChart
from naltrack.domain.protection import naltrexone_on_board, protection_end
from naltrack.domain.rules.monitoring import run_monitoring
from naltrack.domain.rules.thresholds import DEFAULT

START = date(2026, 1, 5)  # a Monday
BASE = PatientChart(patient=make_man(), episodes=(make_episode("OUD", start=START - timedelta(days=30)),),
                    documents=(make_document(day=START),), medications=(make_med("1725059", START),))


def _xr(n_injections: int) -> PatientChart:
    shots = tuple(make_injection(given_at=datetime.combine(START + timedelta(days=28 * k), time(10), UTC))
                  for k in range(n_injections))
    return replace(BASE, regimens=(make_regimen(start=START),), injections=shots)


def _oral(kind: str, days: int) -> PatientChart:
    regimen = make_oral_regimen(start=START) if kind == "oral-schedule" else \
        make_oral_regimen(kind="oral-daily", dose_mg=50.0, schedule=(), start=START)
    doses = tuple(make_oral_dose(taken_at=datetime.combine(START + timedelta(days=k), time(9), UTC),
                                 dose_mg=regimen.oral_dose_on(START + timedelta(days=k)))
                  for k in range(days) if regimen.oral_dose_on(START + timedelta(days=k)) > 0)
    return replace(BASE, regimens=(regimen,), oral_doses=doses)


def test_an_on_time_xr_ntx_patient_is_blocked_through_day_28_and_quiet_before_the_due_window() -> None:
    chart = _xr(1)
    assert protection_end(chart, START, UTC) is not None
    assert protection_end(chart, START, UTC) >= START + timedelta(days=28)  # type: ignore[operator]
    for day in range(1, 29):
        today = START + timedelta(days=day)
        assert naltrexone_on_board(chart, today, UTC) is not None, day
        alerts = run_monitoring(chart, today, UTC)
        assert not [a for a in alerts if a.severity == "critical"], (day, alerts)
        assert not [a for a in alerts if a.rule == "MON-PROTECTION-END"], (day, alerts)
        due = [a.severity for a in alerts if a.rule == "MON-INJECTION-DUE"]
        assert due == (["info"] if day >= 28 - DEFAULT.injection_due_window_days else []), day


def test_injections_every_28_days_keep_the_patient_blocked_without_a_gap() -> None:
    chart = _xr(6)
    for day in range(1, 6 * 28):
        assert naltrexone_on_board(chart, START + timedelta(days=day), UTC) is not None, day


@pytest.mark.parametrize("kind", ["oral-daily", "oral-schedule"])
def test_an_adherent_oral_patient_is_blocked_every_day_without_a_critical_alert(kind: str) -> None:
    """50 mg daily, or 100/100/150 mg Mon/Wed/Fri (clinical.md §1.1), taken for 8 weeks."""
    chart = _oral(kind, 56)
    for day in range(1, 56):
        today = START + timedelta(days=day)
        end = protection_end(chart, today, UTC)
        assert end is not None and end >= today, (day, end)
        alerts = run_monitoring(chart, today, UTC)
        assert not [a for a in alerts if a.severity == "critical"], (day, alerts)
        assert not [a for a in alerts if a.rule == "MON-PROTECTION-END"], (day, alerts)


@pytest.mark.parametrize(("dose_mg", "days"), [(1000.0, 60), (1000.0, 120), (1700.0, 90), (3400.0, 180)])
def test_an_implant_blocks_for_its_recorded_duration(dose_mg: float, days: int) -> None:
    """clinical.md §1.3: the product's duration is what the clinic records (docs/pk.md, implants)."""
    implant = make_implant(START, dose_mg=dose_mg, duration_days=days)
    chart = replace(BASE, implants=(implant,))
    assert protection_end(chart, START + timedelta(days=1), UTC) == START + timedelta(days=days - 1)
    for day in range(1, days):
        alerts = run_monitoring(chart, START + timedelta(days=day), UTC)
        assert not [a for a in alerts if a.severity == "critical"], (day, alerts)
    lapsed = run_monitoring(chart, START + timedelta(days=days + 1), UTC)
    assert [a.severity for a in lapsed if a.rule == "MON-PROTECTION-END"] == ["critical"]


def test_a_heavy_patients_implant_still_blocks_for_its_recorded_duration_unless_removed() -> None:
    """Clearance rises with weight (pk.md §2.3), but the recorded duration is the product's (clinical.md §1.3)."""
    weight = make_lab(loinc="29463-7", name="Body weight", value=150.0, unit="kg", reference_low=None,
                      reference_high=None, collected_at=datetime.combine(START, time(8), UTC))
    implant = make_implant(START, dose_mg=1000.0, duration_days=60)
    chart = replace(BASE, implants=(implant,), labs=(weight,))
    assert protection_end(chart, START + timedelta(days=1), UTC) == START + timedelta(days=59)
    removal = ImplantRemoval(id="rm", patient_id=implant.patient_id, implant_id=implant.id, reason="asked",
                             removed_by="Dr Ng", removed_at=datetime.combine(START + timedelta(days=20), time(12), UTC))
    removed = protection_end(replace(chart, implant_removals=(removal,)), START + timedelta(days=30), UTC)
    assert removed is not None and removed <= START + timedelta(days=21)
