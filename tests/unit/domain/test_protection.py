"""The one end of protection, the blockade on board, a lapse, treatment with naltrexone (docs/pk.md, clinical.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.factories import DAY, ago, at, make_clinic, make_implant, make_injection, make_med, make_patient

from naltrack.domain.chart import PatientChart
from naltrack.domain.coverage import estimate_protection_end
from naltrack.domain.errors import InvalidInput
from naltrack.domain.protection import (
    Blockade,
    has_naltrexone_treatment,
    last_protection_end,
    medication_supply_protection_end,
    naltrexone_on_board,
    protection_end,
)
from naltrack.domain.rules.thresholds import DEFAULT

NY = ZoneInfo("America/New_York")
BASE = PatientChart(patient=make_patient())
#: The typical subject is blocked through day 32 after an XR-NTX injection given in the morning (label: about
#: 28 days; Comer 2002: about 5 weeks; docs/pk.md "Opioid blockade").
XR_BLOCKED_THROUGH_DAY = 32


def _shot(when: datetime) -> PatientChart:
    return replace(BASE, injections=(make_injection(given_at=when),))


def test_the_clinic_gives_the_zone_and_refuses_an_unknown_one() -> None:
    assert make_clinic(timezone="America/Chicago").zone == ZoneInfo("America/Chicago")
    with pytest.raises(InvalidInput, match="clinic.timezone: 'Mars/Olympus' must be an IANA time zone name"):
        make_clinic(timezone="Mars/Olympus")


def test_recorded_doses_give_the_coverage_engines_end() -> None:
    chart = _shot(at(ago(3)))
    end = ago(3) + timedelta(days=XR_BLOCKED_THROUGH_DAY)
    assert protection_end(chart, DAY, UTC) == estimate_protection_end(chart, DAY, UTC) == end
    assert protection_end(chart, DAY, UTC) == end  # the memoised answer is the same
    corrected = replace(chart, injections=(replace(chart.injections[0], status="entered-in-error"),))
    assert protection_end(corrected, DAY, UTC) is None


@pytest.mark.parametrize(("given_local", "end"), [
    (datetime(2026, 3, 7, 23, 30, tzinfo=NY), date(2026, 4, 9)),  # the night before clocks go forward
    (datetime(2026, 10, 31, 23, 30, tzinfo=NY), date(2026, 12, 3)),  # the night before clocks go back
])
def test_the_end_is_a_day_of_the_clinics_zone_however_the_time_was_stored(given_local: datetime, end: date) -> None:
    today = given_local.date() + timedelta(days=10)
    assert protection_end(_shot(given_local), today, NY) == end
    assert protection_end(_shot(given_local.astimezone(UTC)), today, NY) == end
    blockade = naltrexone_on_board(_shot(given_local.astimezone(UTC)), today, NY)
    assert blockade == Blockade("xr-ntx", given_local.date(), end, f"XR-NTX injection on {given_local.date()}",
                                "clinical.md §1.2, §3 (Vivitrol label)")


@pytest.mark.parametrize(("rxnorm", "days"), [
    ("637213", 28),  # XR-NTX: xr_ntx_blockade_days (clinical.md §1.2)
    ("1483744", 3),  # oral: oral_blockade_hours 72 (clinical.md §3, ASAM)
    ("NTX-IMPLANT", 60),  # implant: implant_default_days (clinical.md §1.3)
])
def test_a_medicine_known_without_doses_gives_its_days_supply(rxnorm: str, days: int) -> None:
    chart = replace(BASE, medications=(make_med(rxnorm, ago(40), end=ago(10), source="reported"),))
    assert protection_end(chart, DAY, UTC) == ago(10) + timedelta(days=days)
    assert medication_supply_protection_end(chart, DAY) == ago(10) + timedelta(days=days)


def test_the_days_supply_follows_the_thresholds_and_a_prescription_alone_is_no_supply() -> None:
    reported = replace(BASE, medications=(make_med("1483744", ago(40), end=ago(10), source="reported"),))
    assert protection_end(reported, DAY, UTC, replace(DEFAULT, oral_blockade_hours=96)) == ago(6)
    prescribed = make_med("637213", ago(20), source="prescribed")
    assert protection_end(replace(BASE, medications=(prescribed,)), DAY, UTC) is None
    given = replace(prescribed, last_dose=ago(20))
    assert protection_end(replace(BASE, medications=(given,)), DAY, UTC) == ago(20) + timedelta(days=28)
    contrave = make_med("1551468", ago(20), source="reported")
    assert protection_end(replace(BASE, medications=(contrave,)), DAY, UTC) is None


def test_on_board_through_the_end_then_a_lapse() -> None:
    chart = _shot(at(ago(3)))
    end = ago(3) + timedelta(days=XR_BLOCKED_THROUGH_DAY)
    assert naltrexone_on_board(chart, end, UTC) is not None
    assert last_protection_end(chart, end, UTC) is None
    after = end + timedelta(days=1)
    assert naltrexone_on_board(chart, after, UTC) is None
    assert last_protection_end(chart, after, UTC) == end


def test_the_form_on_board_is_that_of_the_latest_naltrexone() -> None:
    implant = make_implant(ago(10), duration_days=90)
    both = replace(BASE, implants=(implant,), injections=(make_injection(given_at=at(ago(40))),))
    blockade = naltrexone_on_board(both, DAY, UTC)
    assert blockade is not None
    assert (blockade.form, blockade.since, blockade.until) == ("implant", ago(10), protection_end(both, DAY, UTC))
    listed = replace(BASE, medications=(make_med("637213", ago(40), end=ago(5), source="reported"),))
    blockade = naltrexone_on_board(listed, DAY, UTC)
    assert blockade is not None
    assert (blockade.form, blockade.since, blockade.until) == ("xr-ntx", ago(5), ago(5) + timedelta(days=28))
    assert blockade.basis == f"XR-NTX on the medication list, last given {ago(5)}"


@pytest.mark.parametrize(("days_ago", "treated"), [(90, True), (91, False)])
def test_treated_with_naltrexone_within_the_lapse_window(days_ago: int, treated: bool) -> None:
    """``lapse_window_days`` (90): an injection on day 90 counts, on day 91 no longer (anchors.md §3.1)."""
    assert has_naltrexone_treatment(_shot(at(ago(days_ago))), DAY, UTC) is treated


def test_treatment_counts_regimens_and_naltrexone_medicines_not_contrave() -> None:
    assert has_naltrexone_treatment(replace(BASE, medications=(make_med("637213", ago(200)),)), DAY, UTC)
    assert not has_naltrexone_treatment(replace(BASE, medications=(make_med("1551468", ago(20)),)), DAY, UTC)
    assert not has_naltrexone_treatment(replace(BASE, medications=(make_med("637213", ago(200), end=ago(91)),)),
                                        DAY, UTC)
    assert not has_naltrexone_treatment(BASE, DAY, UTC)
