"""Dose classification: first, continuation, late (late-dose table, clinical.md §1.2), restart (full induction)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.factories import make_episode, make_injection, make_man, make_med, make_oral_dose, make_oral_regimen

from naltrack.domain.chart import PatientChart
from naltrack.domain.dose_classes import classify_dose, dose_on
from naltrack.domain.errors import InvalidInput
from naltrack.domain.rules.readiness import assess_readiness
from naltrack.domain.rules.thresholds import DEFAULT

DAY = date(2026, 6, 1)
BASE = PatientChart(patient=make_man(), episodes=(make_episode("OUD", start=DAY - timedelta(days=400)),))


def _shot(days_before: int) -> PatientChart:
    return replace(BASE, injections=(make_injection(given_at=datetime.combine(DAY - timedelta(days=days_before),
                                                                              time(10), UTC)),))


def _tablets(*days_before: int, mg: float = 50.0) -> PatientChart:
    return replace(BASE, oral_doses=tuple(make_oral_dose(taken_at=datetime.combine(DAY - timedelta(days=d), time(9),
                                                                                   UTC), dose_mg=mg)
                                          for d in days_before))


@pytest.mark.parametrize(("day", "kind", "uds", "consult"), [
    (14, "continuation", False, False), (26, "continuation", False, False), (28, "continuation", False, False),
    (29, "late", False, False), (34, "late", False, False), (35, "late", True, False), (55, "late", True, False),
    (56, "late", True, True), (60, "late", True, True),  # blocked through day 32: 27 whole days without
    (61, "restart", False, False), (365, "restart", False, False),
])
def test_an_injection_by_days_since_the_last(day: int, kind: str, uds: bool, consult: bool) -> None:
    """On time by day 28; the late-dose table's screen from day 35 and consult from day 56 (clinical.md §1.2);
    a restart after ``restart_after_unblocked_days`` (28) whole days without blockade (day 32 + 28 + 1)."""
    dose = classify_dose(_shot(day), "xr-ntx", DAY, UTC)
    assert (dose.kind, dose.uds_required, dose.consult_required, dose.days_since_last) == (kind, uds, consult, day)


def test_the_classes_carry_the_reason_and_the_source() -> None:
    late = classify_dose(_shot(40), "xr-ntx", DAY, UTC)
    assert late.reason == (f"Injection on day 40 after the last one ({DAY - timedelta(days=40)}), due on day 28: late, "
                           "a point-of-care urine drug screen first (from day 35); if positive, do not inject.")
    assert late.source == "clinical.md §1.2 (late-dose table, a local protocol)"
    assert classify_dose(BASE, "oral", DAY, UTC).kind == "first"
    assert classify_dose(BASE, "oral", DAY, UTC).as_dict()["kind"] == "first"


@pytest.mark.parametrize(("days_before", "kind", "uds"), [
    ((1, 2, 3), "continuation", False),  # yesterday's tablet blocks today
    ((3, 4, 5), "continuation", False),  # daily tablets block through two days after the last: blocked yesterday
    ((4, 5, 6), "late", False),  # blocked through 2 days ago: one whole day without
    ((5, 6, 7), "late", True),  # two or more: a urine screen first
    ((40, 41, 42), "restart", False),
])
def test_an_oral_dose_by_the_blockade_of_the_earlier_ones(days_before: tuple[int, ...], kind: str,
                                                          uds: bool) -> None:
    dose = classify_dose(_tablets(*days_before), "oral", DAY, UTC)
    assert (dose.kind, dose.uds_required) == (kind, uds)


def test_the_dose_being_classified_is_not_its_own_history() -> None:
    chart = _tablets(0)
    assert dose_on(chart, DAY, UTC) == "oral"
    assert classify_dose(chart, "oral", DAY, UTC).kind == "first"
    assert dose_on(chart, DAY - timedelta(days=1), UTC) is None


def test_a_switch_from_tablets_to_an_injection_while_blocked_is_a_continuation() -> None:
    assert classify_dose(_tablets(1, 2, 3), "xr-ntx", DAY, UTC).kind == "continuation"


def test_xr_ntx_known_from_the_medication_list_counts() -> None:
    listed = replace(BASE, medications=(make_med("637213", DAY - timedelta(days=60), last_dose=DAY - timedelta(days=20),
                                                 source="reported"),))
    assert classify_dose(listed, "xr-ntx", DAY, UTC).kind == "continuation"


def test_days_are_those_of_the_clinics_zone() -> None:
    ny = ZoneInfo("America/New_York")
    late_evening = replace(BASE, injections=(make_injection(given_at=datetime(2026, 4, 27, 23, 30, tzinfo=ny)),))
    assert classify_dose(late_evening, "xr-ntx", date(2026, 5, 25), ny).days_since_last == 28
    assert classify_dose(late_evening, "xr-ntx", date(2026, 5, 25), UTC).days_since_last == 27


def test_the_restart_gap_is_configurable() -> None:
    assert classify_dose(_shot(50), "xr-ntx", DAY, UTC, replace(DEFAULT, restart_after_unblocked_days=14)).kind \
        == "restart"


def test_an_unknown_form_is_refused() -> None:
    with pytest.raises(InvalidInput, match="form: 'patch' must be one of oral, xr-ntx, implant"):
        classify_dose(BASE, "patch", DAY, UTC)  # type: ignore[arg-type]


def test_a_restart_a_year_later_asks_for_the_oral_test_dose_again() -> None:
    """Re-induction after a year: not "naltrexone already given" (clinical.md §1.1: 25 mg first for OUD)."""
    chart = replace(_tablets(365, 366, 367), regimens=(make_oral_regimen(kind="oral-daily", dose_mg=50.0, schedule=(),
                                                                         start=DAY),))
    dose = classify_dose(chart, "oral", DAY, UTC)
    assert dose.kind == "restart"
    reasons = assess_readiness(chart, "oral", DAY, dose_class=dose).reasons
    (test_dose,) = [r for r in reasons if r.rule == "RDY-ORAL-TEST-DOSE"]
    assert (test_dose.severity, test_dose.message) == (
        "review", "Oral regimen starts at 50 mg without the 25 mg test dose: give 25 mg once, then 50 mg daily if no "
        "withdrawal.")
    assert {r.rule for r in reasons} >= {"RDY-OPIOID-FREE", "RDY-UDS-MISSING", "RDY-WITHDRAWAL"}


def test_a_continuation_skips_the_induction_checks_and_a_late_dose_gets_the_screen_and_consult() -> None:
    on_time = assess_readiness(_shot(27), "xr-ntx", DAY, dose_class=classify_dose(_shot(27), "xr-ntx", DAY, UTC))
    rules = {r.rule for r in on_time.reasons}
    assert not rules & {"RDY-OPIOID-FREE", "RDY-UDS-MISSING", "RDY-NALOXONE-CHALLENGE", "RDY-WITHDRAWAL"}
    assert [(r.severity, r.message.split(":")[0]) for r in on_time.reasons if r.rule == "RDY-DOSE-CLASS"] == \
        [("info", "Continuation dose")]
    late = assess_readiness(_shot(56), "xr-ntx", DAY, dose_class=classify_dose(_shot(56), "xr-ntx", DAY, UTC))
    by_rule = {r.rule: r.severity for r in late.reasons}
    assert (by_rule["RDY-DOSE-CLASS"], by_rule["RDY-UDS-MISSING"]) == ("review", "review")
    assert "RDY-OPIOID-FREE" not in by_rule
