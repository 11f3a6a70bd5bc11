"""The check before a naltrexone dose (domain/pre_dose.py): a not-ready patient is stopped, a day-27
continuation skips the induction checks, a same-day second dose and a dose with no order are stopped
whatever anyone overrides, and review items must each be confirmed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.factories import (
    DAY,
    add,
    ago,
    at,
    make_chart,
    make_injection,
    make_oral_dose,
    make_oral_regimen,
    make_regimen,
    make_screen,
    opioid_panel,
)

from naltrack.domain.errors import InvalidInput
from naltrack.domain.pre_dose import check_dose

ORDERED = add(make_chart(), regimens=[make_regimen(start=ago(30))])


def rules(check, level: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.rule for f in check.at_level(level)]


def test_a_ready_patient_with_an_order_is_given_without_anything_to_confirm() -> None:
    check = check_dose(ORDERED, "xr-ntx", at(DAY), UTC)
    assert check.dose_class.kind == "first"
    assert rules(check, "stop") == [] and rules(check, "override") == [] and rules(check, "confirm") == []
    assert check.unresolved() == ()


def test_an_opioid_positive_screen_two_days_before_stops_the_first_injection_until_a_prescriber_overrides() -> None:
    chart = add(ORDERED, screens=[make_screen(collected_at=at(ago(2)),
                                             results=opioid_panel(opiates="positive", fentanyl="positive"))])
    check = check_dose(chart, "xr-ntx", at(DAY), UTC)
    assert check.dose_class.kind == "first"
    assert rules(check, "override") == ["RDY-OPIOID-FREE", "RDY-OPIOID-FREE"]  # opiates and fentanyl, dated
    assert [f.rule for f in check.unresolved()][:2] == ["RDY-OPIOID-FREE", "RDY-OPIOID-FREE"]
    assert check.unresolved(overridden=True) == ()


def test_without_an_order_the_dose_is_stopped_and_an_override_does_not_lift_it() -> None:
    check = check_dose(make_chart(), "xr-ntx", at(DAY), UTC)
    assert rules(check, "stop") == ["DOSE-NO-ORDER"]
    assert check.findings[0].rule == "DOSE-NO-ORDER"  # stops come first
    assert [f.rule for f in check.unresolved(overridden=True, confirmed={"DOSE-NO-ORDER"})] == ["DOSE-NO-ORDER"]
    assert "No active XR-naltrexone injection order on 2026-03-10" in check.findings[0].message


def test_an_order_that_ended_the_day_before_is_no_order() -> None:
    chart = add(make_chart(), regimens=[make_regimen(start=ago(60), end=ago(1))])
    assert rules(check_dose(chart, "xr-ntx", at(DAY), UTC), "stop") == ["DOSE-NO-ORDER"]
    chart = add(make_chart(), regimens=[make_regimen(start=ago(60), end=DAY)])
    assert rules(check_dose(chart, "xr-ntx", at(DAY), UTC), "stop") == []


def test_a_second_injection_on_the_same_clinic_day_is_stopped_and_the_next_day_is_not() -> None:
    chart = add(ORDERED, injections=[make_injection(given_at=at(DAY, 8))])
    assert rules(check_dose(chart, "xr-ntx", at(DAY, 16), UTC), "stop") == ["DOSE-SAME-DAY"]
    assert "DOSE-SAME-DAY" not in rules(check_dose(chart, "xr-ntx", at(DAY + timedelta(days=1), 9), UTC), "stop")


def test_the_same_day_is_the_clinic_day_not_the_utc_day() -> None:
    """23:30 in New York on 10 March is 03:30 UTC on 11 March: still the same clinic day as a 09:00 dose."""
    from zoneinfo import ZoneInfo
    ny = ZoneInfo("America/New_York")
    first = datetime.combine(DAY, time(9), ny)
    late = datetime.combine(DAY, time(23, 30), ny)
    chart = add(ORDERED, injections=[make_injection(given_at=first)])
    assert late.astimezone(UTC).date() == DAY + timedelta(days=1)
    assert rules(check_dose(chart, "xr-ntx", late, ny), "stop") == ["DOSE-SAME-DAY"]


def test_a_missed_oral_dose_that_day_is_not_a_dose_given() -> None:
    chart = add(make_chart(), regimens=[make_oral_regimen(start=ago(30))],
                oral_doses=[make_oral_dose(taken_at=at(DAY, 8), dose_status="missed", observed_by=None)])
    assert rules(check_dose(chart, "oral", at(DAY, 10), UTC), "stop") == []
    chart = add(chart, oral_doses=[make_oral_dose(taken_at=at(DAY, 8))])
    assert rules(check_dose(chart, "oral", at(DAY, 10), UTC), "stop") == ["DOSE-SAME-DAY"]


@pytest.mark.parametrize(("day", "kind"), [(27, "continuation"), (28, "continuation"), (29, "late")])
def test_a_day_27_continuation_skips_the_induction_checks_even_with_an_opioid_positive_screen(day: int,
                                                                                              kind: str) -> None:
    """Continuations skip the opioid-free interval and screens (clinical.md §2.1-§2.2 are for starting);
    day 29 is late, and a late dose before day 35 needs no screen (clinical.md §1.2 late-dose table)."""
    last = DAY - timedelta(days=day)
    chart = add(make_chart(), regimens=[make_regimen(start=last - timedelta(days=1))],
                injections=[make_injection(given_at=at(last))],
                screens=[make_screen(collected_at=at(ago(1)), results=opioid_panel(fentanyl="positive"))])
    check = check_dose(chart, "xr-ntx", at(DAY), UTC)
    assert check.dose_class.kind == kind
    assert rules(check, "override") == [] and rules(check, "stop") == []


@pytest.mark.parametrize(("day", "needs_screen"), [(34, False), (35, True)])
def test_a_late_injection_from_day_35_runs_the_screen_check(day: int, needs_screen: bool) -> None:
    last = DAY - timedelta(days=day)
    chart = add(make_chart(), regimens=[make_regimen(start=last - timedelta(days=1))],
                injections=[make_injection(given_at=at(last))],
                screens=[make_screen(collected_at=at(ago(1)), results=opioid_panel(fentanyl="positive"))])
    check = check_dose(chart, "xr-ntx", at(DAY), UTC)
    assert check.dose_class.uds_required is needs_screen
    assert ("RDY-UDS-POSITIVE" in rules(check, "override")) is needs_screen


def test_review_items_are_confirmed_one_by_one() -> None:
    chart = replace(ORDERED, screens=(), labs=())
    check = check_dose(chart, "xr-ntx", at(DAY), UTC)
    to_confirm = [f.key for f in check.at_level("confirm")]
    assert to_confirm == ["RDY-UDS-MISSING", "RDY-LIVER-ULN", "RDY-LIVER-ULN/2"]  # no screen; no ALT, no AST
    first, *rest = to_confirm
    assert [f.key for f in check.unresolved(confirmed={first})] == rest
    assert [f.key for f in check.unresolved(confirmed={"RDY-UDS-MISSING", "RDY-LIVER-ULN"})] == ["RDY-LIVER-ULN/2"]
    assert check.unresolved(confirmed=set(to_confirm)) == ()


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(InvalidInput, match="given_at"):
        check_dose(ORDERED, "xr-ntx", datetime(2026, 3, 10, 9), UTC)


@settings(max_examples=150, deadline=None)
@given(hours=st.integers(min_value=0, max_value=23), overridden=st.booleans(),
       confirmed=st.sets(st.sampled_from(["DOSE-NO-ORDER", "DOSE-SAME-DAY", "RDY-UDS-MISSING", "RDY-LIVER"])))
def test_a_same_day_duplicate_is_never_given_whatever_is_overridden_or_confirmed(hours: int, overridden: bool,
                                                                                 confirmed: set[str]) -> None:
    """Safety invariant: two doses of one form on one clinic day never pass the check."""
    chart = add(ORDERED, injections=[make_injection(given_at=at(DAY, 0) + timedelta(minutes=1))])
    check = check_dose(chart, "xr-ntx", at(DAY, 0) + timedelta(hours=hours, minutes=30), UTC)
    assert "DOSE-SAME-DAY" in [f.rule for f in check.unresolved(overridden=overridden, confirmed=confirmed)]
