"""Domain records: validation at construction, corrections that supersede, never overwrite."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from naltrack.domain.administrations import Injection, OralDose, suggest_injection_side
from naltrack.domain.episodes import Diagnosis, Episode
from naltrack.domain.errors import Conflict, DoseLimitExceeded, InvalidInput
from naltrack.domain.observations import AnalyteResult, LabResult, MedicationUse, UrineDrugScreen
from naltrack.domain.records import current, supersede
from naltrack.domain.regimens import Regimen, ScheduledDose
from naltrack.domain.units import require_not_future

NOON = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def make_injection(**overrides: object) -> Injection:
    fields: dict[str, object] = dict(
        id="inj-1", patient_id="p1", given_at=NOON, side="left", lot="LOT123",
        expiry=date(2027, 6, 30), needle_length_in=1.5, given_by="RN Vega",
    )
    fields.update(overrides)
    return Injection(**fields)  # type: ignore[arg-type]


def test_injection_without_side_is_rejected_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"injection\.side: '' must be one of left, right"):
        make_injection(side="")


def test_injection_needle_must_be_a_carton_needle() -> None:
    with pytest.raises(InvalidInput, match=r"needle_length_in: 1\.0 must be 1\.5 or 2 inches"):
        make_injection(needle_length_in=1.0)


def test_injection_with_expired_kit_is_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"injection\.expiry: '2026-11-01' is before the injection date"):
        make_injection(expiry=date(2026, 11, 1))


def test_injection_on_expiry_day_is_accepted() -> None:
    assert make_injection(expiry=date(2026, 11, 2)).expiry == date(2026, 11, 2)


def test_injection_time_must_be_timezone_aware() -> None:
    with pytest.raises(InvalidInput, match=r"given_at.*timezone-aware"):
        make_injection(given_at=datetime(2026, 11, 2, 12, 0))


def test_negative_oral_dose_is_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"oral_dose\.dose_mg: -50 must be greater than 0"):
        OralDose(id="d1", patient_id="p1", taken_at=NOON, dose_mg=-50)


@pytest.mark.parametrize(("dose_mg", "accepted"), [(150.0, True), (150.5, False)])
def test_oral_dose_limit_is_the_largest_labelled_single_dose(dose_mg: float, accepted: bool) -> None:
    if accepted:
        assert OralDose(id="d1", patient_id="p1", taken_at=NOON, dose_mg=dose_mg).dose_mg == dose_mg
    else:
        with pytest.raises(DoseLimitExceeded, match=r"exceeds the largest single oral dose 150 mg"):
            OralDose(id="d1", patient_id="p1", taken_at=NOON, dose_mg=dose_mg)


def test_observed_dose_needs_the_observer() -> None:
    with pytest.raises(InvalidInput, match=r"observed_by: None is required"):
        OralDose(id="d1", patient_id="p1", taken_at=NOON, dose_mg=50, dose_status="observed")


def test_xr_ntx_regimen_has_one_strength() -> None:
    with pytest.raises(InvalidInput, match=r"must be 380 mg"):
        Regimen(id="r1", patient_id="p1", kind="xr-ntx-q4w", start=date(2026, 1, 1), dose_mg=190)


def test_three_times_weekly_schedule_gives_the_dose_of_each_weekday() -> None:
    regimen = Regimen(
        id="r1", patient_id="p1", kind="oral-schedule", start=date(2026, 11, 2), dose_mg=100,
        schedule=(ScheduledDose("mon", 100), ScheduledDose("wed", 100), ScheduledDose("fri", 150)),
    )
    week = [regimen.oral_dose_on(date(2026, 11, 2) + timedelta(days=k)) for k in range(7)]
    assert week == [100, 0, 100, 0, 150, 0, 0]


def test_schedule_naming_a_weekday_twice_is_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"names a weekday twice"):
        Regimen(id="r1", patient_id="p1", kind="oral-schedule", start=date(2026, 1, 1),
                schedule=(ScheduledDose("mon", 50), ScheduledDose("mon", 100)))


def test_regimen_indication_is_one_of_the_indications_or_unstated() -> None:
    order = {"id": "r1", "patient_id": "p1", "kind": "targeted", "start": date(2026, 1, 1)}
    with pytest.raises(InvalidInput, match=r"regimen\.indication: 'cocaine' must be one of OUD, AUD, OUD\+AUD, stim"):
        Regimen(**order, indication="cocaine")  # type: ignore[arg-type]
    assert Regimen(**order, indication="AUD").indication == "AUD"  # type: ignore[arg-type]
    assert Regimen(**order).indication is None  # type: ignore[arg-type]


def test_lab_without_unit_is_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"lab\.unit: '' is required"):
        LabResult(id="l1", patient_id="p1", loinc="1742-6", name="ALT", value=30, unit="", collected_at=NOON)


def test_lab_reports_multiples_of_the_upper_limit() -> None:
    lab = LabResult(id="l1", patient_id="p1", loinc="1742-6", name="ALT", value=124, unit="U/L",
                    reference_high=40, collected_at=NOON)
    assert lab.times_upper_limit == pytest.approx(3.1)


def test_malformed_loinc_is_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"lab\.loinc: '17426' is not a LOINC code"):
        LabResult(id="l1", patient_id="p1", loinc="17426", name="ALT", value=30, unit="U/L", collected_at=NOON)


def test_an_unclassified_rxcui_is_kept_and_a_code_that_is_no_rxcui_is_rejected() -> None:
    kept = MedicationUse(id="m1", patient_id="p1", rxnorm="999999999", start=date(2026, 1, 1))
    assert kept.rxnorm == "999999999"
    with pytest.raises(Exception, match=r"RxNorm code 'lisinopril' not found"):
        MedicationUse(id="m1", patient_id="p1", rxnorm="lisinopril", start=date(2026, 1, 1))


def test_medication_with_days_supply_ends_on_its_last_covered_day() -> None:
    med = MedicationUse(id="m1", patient_id="p1", rxnorm="1049621", start=date(2026, 11, 1), days_supply=5)
    assert med.is_active_on(date(2026, 11, 5)) is True
    assert med.is_active_on(date(2026, 11, 6)) is False


def test_screen_reports_positive_opioid_analytes_only() -> None:
    screen = UrineDrugScreen(id="s1", patient_id="p1", collected_at=NOON, results=(
        AnalyteResult("fentanyl", "positive"), AnalyteResult("cocaine", "positive"),
        AnalyteResult("opiates", "negative"),
    ))
    assert screen.positive_opioids == ("fentanyl",)


def test_icd10_code_shape_is_checked() -> None:
    assert Diagnosis(id="d1", patient_id="p1", system="icd10cm", code="F11.20", display="OUD").code == "F11.20"
    with pytest.raises(InvalidInput, match=r"diagnosis\.code: 'F1120X' is not an ICD-10-CM code"):
        Diagnosis(id="d1", patient_id="p1", system="icd10cm", code="F1120X", display="OUD")


def test_closed_episode_needs_a_discharge_reason() -> None:
    with pytest.raises(InvalidInput, match=r"discharge_reason: None is required when the episode ends"):
        Episode(id="e1", patient_id="p1", indication="OUD", level_of_care="OP",
                start=date(2026, 1, 1), end=date(2026, 3, 1))


def test_correction_supersedes_and_keeps_the_old_version() -> None:
    wrong = make_injection(id="inj-1", lot="LOT-TYPO")
    fixed = make_injection(id="inj-2", lot="LOT123")
    retired, linked = supersede(wrong, fixed)
    assert retired.status == "entered-in-error" and retired.lot == "LOT-TYPO"
    assert linked.supersedes == "inj-1"
    assert [r.id for r in current([retired, linked])] == ["inj-2"]


def test_a_retired_record_cannot_be_corrected_twice() -> None:
    retired, _ = supersede(make_injection(id="a"), make_injection(id="b"))
    with pytest.raises(Conflict, match=r"already entered-in-error"):
        supersede(retired, make_injection(id="c"))


def test_future_administration_is_rejected_against_the_callers_clock() -> None:
    with pytest.raises(InvalidInput, match=r"given_at: '2026-11-02T12:00:01\+00:00' is in the future"):
        require_not_future("given_at", NOON + timedelta(seconds=1), NOON)
    require_not_future("given_at", NOON, NOON)


def test_next_injection_goes_in_the_other_buttock() -> None:
    assert suggest_injection_side(make_injection(side="left")) == "right"
    assert suggest_injection_side(make_injection(side="right")) == "left"
