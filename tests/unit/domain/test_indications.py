"""OUD and AUD on record, rescue naloxone on file and the active regimen: one answer for every face (codes.md §4)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.factories import (
    DAY,
    ago,
    make_dx,
    make_episode,
    make_med,
    make_oral_regimen,
    make_patient,
    make_regimen,
    make_report,
)

from naltrack.domain.chart import PatientChart
from naltrack.domain.indications import active_regimen, has_aud, has_oud, has_rescue_naloxone, is_aud_only

BASE = PatientChart(patient=make_patient())


@pytest.mark.parametrize(("records", "oud", "aud", "aud_only"), [
    ({}, False, False, False),  # nothing on file: not AUD-only (the overdose wording stays)
    ({"episodes": (make_episode("OUD"),)}, True, False, False),
    ({"episodes": (make_episode("AUD"),)}, False, True, True),
    ({"episodes": (make_episode("OUD+AUD"),)}, True, True, False),
    ({"diagnoses": (make_dx("F11.20", "Opioid dependence"),)}, True, False, False),
    ({"diagnoses": (make_dx("F10.20", "Alcohol dependence"),)}, False, True, True),
    # "Combined opioid with other drug dependence", the CDC opioid IG's example (anchors.md §5.3)
    ({"diagnoses": (make_dx("191865004", "Combined opioid with other drug dependence", "snomed"),)},
     True, False, False),
    ({"diagnoses": (make_dx("F11.20", "Opioid dependence", clinical_status="resolved"),)}, False, False, False),
    ({"episodes": (make_episode("AUD"),), "substance_use": (make_report("heroin", ago(200)),)}, False, True, False),
])
def test_indication_from_episodes_and_diagnoses(records: dict, oud: bool, aud: bool, aud_only: bool) -> None:  # type: ignore[type-arg]
    chart = replace(BASE, **records)
    assert (has_oud(chart, DAY), has_aud(chart, DAY), is_aud_only(chart, DAY)) == (oud, aud, aud_only)


def test_a_diagnosis_with_a_later_onset_does_not_count_yet() -> None:
    later = make_dx("F11.20", "Opioid dependence", onset=DAY.replace(day=DAY.day + 1))
    assert not has_oud(replace(BASE, diagnoses=(later,)), DAY)


def test_rescue_naloxone_on_file_from_its_start_and_not_buprenorphine_naloxone() -> None:
    nasal = make_med("1725059", DAY)
    assert has_rescue_naloxone(replace(BASE, medications=(nasal,)), DAY)
    assert not has_rescue_naloxone(replace(BASE, medications=(nasal,)), ago(1))
    assert not has_rescue_naloxone(replace(BASE, medications=(make_med("1010604", ago(30)),)), DAY)


def test_the_active_regimen_of_a_form() -> None:
    xr, oral = make_regimen(start=ago(100)), make_oral_regimen(start=ago(10))
    chart = replace(BASE, regimens=(xr, oral))
    assert active_regimen(chart, DAY) == xr
    assert active_regimen(chart, DAY, "oral") == oral
    assert active_regimen(chart, ago(20), "oral") is None
    assert active_regimen(chart, DAY, "implant") is None
