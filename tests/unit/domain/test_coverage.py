"""Per-patient coverage from a chart: mapping, bands, projection, what-ifs, time zones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from naltrack.domain.administrations import ImplantInsertion, ImplantRemoval, Injection, OralDose
from naltrack.domain.chart import PatientChart
from naltrack.domain.coverage import (
    calculate_coverage,
    dose_events,
    estimate_protection_end,
)
from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import LabResult
from naltrack.domain.patients import Patient
from naltrack.domain.regimens import Regimen
from naltrack.domain.what_if import what_if_injection_late, what_if_oral_stopped

NY = ZoneInfo("America/New_York")
TODAY = date(2026, 6, 1)
PATIENT = Patient(id="p1", clinic_id="c1", given_name="Ada", family_name="Lane",
                  birth_date=date(1985, 2, 3), sex_at_birth="female")


def _shot(n: int, day: date, status: str = "active") -> Injection:
    return Injection(id=f"inj{n}", patient_id="p1", given_at=datetime.combine(day, datetime.min.time(), NY)
                     + timedelta(hours=10), side="left" if n % 2 else "right", lot="L1", expiry=date(2027, 1, 1),
                     needle_length_in=1.5, given_by="nurse", status=status)  # type: ignore[arg-type]


def _tablet(n: int, day: date, status: str = "taken") -> OralDose:
    return OralDose(id=f"o{n}", patient_id="p1", taken_at=datetime.combine(day, datetime.min.time(), NY)
                    + timedelta(hours=9), dose_mg=50.0, dose_status=status)  # type: ignore[arg-type]


def _implant(day: date, dose_mg: float = 3400.0) -> ImplantInsertion:
    return ImplantInsertion(id="imp1", patient_id="p1", dose_mg=dose_mg, product="Go Medical",
                            inserted_by="dr", inserted_at=datetime.combine(day, datetime.min.time(), NY))


def test_no_doses_means_no_protection() -> None:
    cov = calculate_coverage(PatientChart(patient=PATIENT), TODAY, tz=NY)
    assert cov.protection_ends is None
    assert cov.days_in_band == {"protected": 0, "partial": 0, "waning": 0, "unprotected": 181}
    assert np.all(cov.median_ng_ml == 0.0)


def test_an_injection_blocks_through_day_28_and_days_add_up() -> None:
    chart = PatientChart(patient=PATIENT, injections=(_shot(1, TODAY - timedelta(days=10)),))
    cov = calculate_coverage(chart, TODAY, tz=NY)
    assert len(cov.days) == 241 and cov.days[0].day == TODAY - timedelta(days=180)
    assert sum(cov.days_in_band.values()) == 181
    assert cov.day(TODAY).band == "protected" and not cov.day(TODAY).projected
    # Blocked through day 28, ending by day 35 (label; Bigelow 2012, Comer 2002; docs/pk.md "Opioid blockade").
    assert cov.protection_ends is not None
    assert 28 <= (cov.protection_ends - (TODAY - timedelta(days=10))).days <= 34
    assert cov.day(TODAY + timedelta(days=30)).band in ("waning", "unprotected")
    assert np.all(cov.p5_ng_ml <= cov.median_ng_ml + 1e-12) and np.all(cov.median_ng_ml <= cov.p95_ng_ml + 1e-12)


def test_estimate_protection_end_matches_the_coverage() -> None:
    chart = PatientChart(patient=PATIENT, injections=(_shot(1, TODAY - timedelta(days=3)),))
    assert estimate_protection_end(chart, TODAY, NY) == calculate_coverage(chart, TODAY, tz=NY).protection_ends


def test_entered_in_error_injection_is_ignored() -> None:
    chart = PatientChart(patient=PATIENT, injections=(_shot(1, TODAY, status="entered-in-error"),))
    assert estimate_protection_end(chart, TODAY, NY) is None


def test_implant_protection_is_projected_past_the_window() -> None:
    """3.4 g implant without a recorded duration: blocked between its ≥ 2 ng/mL (188 d) and ≥ 1 ng/mL (297 d)
    durations (pk.md §3, §4.1)."""
    inserted = TODAY - timedelta(days=5)
    end = estimate_protection_end(PatientChart(patient=PATIENT, implants=(_implant(inserted),)), TODAY, NY)
    assert end is not None and 188 <= (end - inserted).days <= 297


def test_an_implants_recorded_duration_sets_its_end() -> None:
    inserted = TODAY - timedelta(days=5)
    implant = replace(_implant(inserted), expected_duration_days=90)
    end = estimate_protection_end(PatientChart(patient=PATIENT, implants=(implant,)), TODAY, NY)
    assert end == inserted + timedelta(days=89)  # blocked until 90 days after insertion (docs/pk.md)


def test_removing_an_implant_ends_protection_the_day_after_it_is_removed() -> None:
    inserted = TODAY - timedelta(days=40)
    removal = ImplantRemoval(id="rm1", patient_id="p1", implant_id="imp1", reason="surgery", removed_by="dr",
                             removed_at=datetime.combine(TODAY - timedelta(days=2), datetime.min.time(), NY)
                             + timedelta(hours=12))
    chart = PatientChart(patient=PATIENT, implants=(_implant(inserted),), implant_removals=(removal,))
    # The release stops; the receptor site trails plasma (effect half-life 16 h): blocked through the next day.
    assert estimate_protection_end(chart, TODAY, NY) == TODAY - timedelta(days=1)


def test_missed_tablets_do_not_count() -> None:
    days = [TODAY - timedelta(days=i) for i in range(1, 8)]
    taken = PatientChart(patient=PATIENT, oral_doses=tuple(_tablet(i, d) for i, d in enumerate(days)))
    missed = PatientChart(patient=PATIENT, oral_doses=tuple(_tablet(i, d, "missed") for i, d in enumerate(days)))
    assert len(dose_events(taken, datetime(2026, 1, 1, tzinfo=NY))) == 7
    assert dose_events(missed, datetime(2026, 1, 1, tzinfo=NY)) == []
    cov = calculate_coverage(taken, TODAY, tz=NY)
    # A day with a 50 mg tablet averages ~2.7 ng/mL (AUC 65 / 24 h): protected (docs/pk.md "Daily bands").
    assert cov.day(TODAY - timedelta(days=3)).band == "protected"
    # The last tablet (yesterday) blocks through tomorrow (docs/pk.md: a missed week ends blockade in 2 days).
    assert cov.protection_ends == TODAY + timedelta(days=1)


def test_next_injection_late_lowers_the_days_before_it() -> None:
    last = TODAY - timedelta(days=20)
    chart = PatientChart(patient=PATIENT, injections=(_shot(1, last),))
    on_time = what_if_injection_late(chart, TODAY, 0, tz=NY)
    late = what_if_injection_late(chart, TODAY, 7, tz=NY)
    due = last + timedelta(days=28)
    assert on_time.day(due + timedelta(days=2)).band == "protected"
    assert late.day(due + timedelta(days=5)).band != "protected"
    assert late.protection_ends is not None and on_time.protection_ends is not None
    assert late.day(due + timedelta(days=2)).median_ng_ml < on_time.day(due + timedelta(days=2)).median_ng_ml


def test_oral_stopped_for_some_days_leaves_unprotected_days() -> None:
    regimen = Regimen(id="r1", patient_id="p1", kind="oral-daily", start=TODAY - timedelta(days=30))
    doses = tuple(_tablet(i, TODAY - timedelta(days=i)) for i in range(0, 10))
    chart = PatientChart(patient=PATIENT, regimens=(regimen,), oral_doses=doses)
    kept = what_if_oral_stopped(chart, TODAY, 0, tz=NY)
    stopped = what_if_oral_stopped(chart, TODAY, 5, tz=NY)
    assert kept.day(TODAY + timedelta(days=3)).band == "protected"
    assert stopped.day(TODAY + timedelta(days=3)).band == "unprotected"
    assert stopped.day(TODAY + timedelta(days=7)).band == "protected"


def test_what_ifs_need_the_right_records() -> None:
    empty = PatientChart(patient=PATIENT)
    with pytest.raises(InvalidInput, match="what_if.late_days: 3 needs an XR-NTX injection on record"):
        what_if_injection_late(empty, TODAY, 3, tz=NY)
    with pytest.raises(InvalidInput, match="what_if.stop_days: 2 needs an active scheduled oral regimen"):
        what_if_oral_stopped(empty, TODAY, 2, tz=NY)
    with pytest.raises(InvalidInput, match="what_if.late_days: -1 must be a whole number of days from 0 to 60"):
        what_if_injection_late(empty, TODAY, -1, tz=NY)


@pytest.mark.parametrize(("back", "ahead", "match"), [(0, 10, "coverage.days_back: 0"), (10, -1, "days_ahead: -1")])
def test_rejects_an_empty_or_negative_window(back: int, ahead: int, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        calculate_coverage(PatientChart(patient=PATIENT), TODAY, tz=NY, days_back=back, days_ahead=ahead)


def test_daylight_saving_day_has_23_hours_and_days_stay_local() -> None:
    """2026-03-08 is 23 hours long in New York; local dates still map one to one."""
    chart = PatientChart(patient=PATIENT, injections=(_shot(1, date(2026, 3, 1)),))
    cov = calculate_coverage(chart, date(2026, 3, 10), tz=NY, days_back=10, days_ahead=0)
    assert [d.day for d in cov.days][-3:] == [date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)]
    assert cov.hours.shape[0] == 11 * 24 - 1 + 1  # 11 local days, one of 23 h, plus the closing hour


def test_body_weight_moves_the_estimate() -> None:
    """Weight on CL (pk.md §2.3): a heavier patient has lower levels on the same day."""
    chart = PatientChart(patient=PATIENT, injections=(_shot(1, TODAY - timedelta(days=14)),))
    weight = LabResult(id="w1", patient_id="p1", loinc="29463-7", name="Body weight", value=130.0, unit="kg",
                       collected_at=datetime(2026, 5, 1, 9, tzinfo=UTC))
    heavy = replace(chart, labs=(weight,))
    heavy_level = calculate_coverage(heavy, TODAY, tz=NY).day(TODAY).median_ng_ml
    assert heavy_level < calculate_coverage(chart, TODAY, tz=NY).day(TODAY).median_ng_ml


def test_measured_levels_make_the_estimate_individual() -> None:
    """A level twice the population's pulls the median toward it and lengthens protection."""
    shot_day = TODAY - timedelta(days=14)
    chart = PatientChart(patient=PATIENT, injections=(_shot(1, shot_day),))
    population = calculate_coverage(chart, TODAY, tz=NY, level_loinc="99999-9")
    assert population.levels_used == 0
    drawn = datetime.combine(TODAY - timedelta(days=1), datetime.min.time(), NY) + timedelta(hours=10)
    level = LabResult(id="n1", patient_id="p1", loinc="99999-9", name="Naltrexone, plasma", value=6.0,
                      unit="ng/mL", collected_at=drawn)
    individual = calculate_coverage(replace(chart, labs=(level,)), TODAY, tz=NY, level_loinc="99999-9")
    assert individual.levels_used == 1
    hour = int((drawn - individual.origin).total_seconds() // 3600)
    assert individual.median_ng_ml[hour] == pytest.approx(6.0, rel=0.25)
    assert population.median_ng_ml[hour] < 4.0
    # The fitted median stays protected longer; the end of protection itself is the typical
    # subject's (one definition for every screen, docs/pk.md "End of protection").
    assert _last_protected(individual) > _last_protected(population)
    assert individual.protection_ends == population.protection_ends
    # Without the code, recorded levels are not read.
    assert calculate_coverage(replace(chart, labs=(level,)), TODAY, tz=NY).levels_used == 0


def _last_protected(cov: object) -> date:
    return max(d.day for d in cov.days if d.band == "protected")  # type: ignore[attr-defined]
