"""Contrave against opioids in both directions, kratom, and high-dose loperamide
(clinical.md §4, §8.1; the Contrave label's contraindications; codes.md §3 trap 1)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.factories import DAY, ago, make_chart, make_man, make_med

from naltrack.domain.catalog import KRATOM_CODE, contains_naltrexone, get_medication, is_naltrexone_therapy
from naltrack.domain.chart import PatientChart
from naltrack.domain.rules.interactions import check_interactions, check_order_for_chart
from naltrack.domain.rules.thresholds import DEFAULT

CONTRAVE, XR, ORAL, LOPERAMIDE = "1551468", "637213", "1483744", "6468"


@pytest.mark.parametrize(
    ("code", "contains", "therapy"),
    [(CONTRAVE, True, False), (XR, True, True), (ORAL, True, True), ("NTX-IMPLANT", True, True),
     ("863845", False, False), ("1806701", False, False), ("1010604", False, False)],
)
def test_contains_naltrexone_is_distinct_from_naltrexone_therapy(code: str, contains: bool, therapy: bool) -> None:
    med = get_medication(code)
    assert (contains_naltrexone(med), is_naltrexone_therapy(med)) == (contains, therapy)


@pytest.mark.parametrize(
    "opioid",
    ["864706",    # methadone
     "1010604",   # buprenorphine/naloxone
     "904880",    # Butrans
     "1049621",   # oxycodone
     "863845",    # Embeda
     KRATOM_CODE],
)
def test_contrave_ordered_for_a_patient_on_an_opioid_is_critical(opioid: str) -> None:
    (alert,) = check_interactions(CONTRAVE, [opioid])
    assert (alert.rule, alert.severity, alert.subject) == ("IX-CONTRAVE", "critical", opioid)
    assert "contraindicated with opioids" in alert.message and "not MAT" in alert.message
    assert alert.source.startswith("clinical.md §4, §8.1") and "Contrave label" in alert.source


@pytest.mark.parametrize("opioid", ["864706", "1010604", "1049621", "995868", KRATOM_CODE])
def test_an_opioid_ordered_for_a_contrave_patient_is_a_warning(opioid: str) -> None:
    (alert,) = check_interactions(opioid, [CONTRAVE])
    assert (alert.rule, alert.severity, alert.subject) == ("IX-CONTRAVE", "warning", CONTRAVE)
    assert "may not work" in alert.message and "partial opioid blockade" in alert.message


@pytest.mark.parametrize("other", ["855332", "3289", "1725059", LOPERAMIDE, "42347"])
def test_contrave_with_non_opioids_is_quiet(other: str) -> None:
    assert check_interactions(CONTRAVE, [other]) == []
    assert check_interactions(other, [CONTRAVE]) == []


def test_contrave_and_naltrexone_therapy_keep_their_duplicate_warning() -> None:
    assert [(a.rule, a.severity) for a in check_interactions(XR, [CONTRAVE])] == [("IX-CONTRAVE", "warning")]
    assert [(a.rule, a.severity) for a in check_interactions(CONTRAVE, [XR])] == [("IX-CONTRAVE", "warning")]


def test_contrave_ordered_for_a_patient_on_naltrexone_and_methadone_names_both() -> None:
    alerts = check_interactions(CONTRAVE, [ORAL, "864706"])
    assert [(a.rule, a.severity, a.subject) for a in alerts] == [
        ("IX-CONTRAVE", "critical", "864706"), ("IX-CONTRAVE", "warning", CONTRAVE)]


def test_an_opioid_for_a_patient_on_naltrexone_and_contrave_is_critical_first() -> None:
    alerts = check_interactions("1049621", [XR, CONTRAVE])
    assert [(a.rule, a.severity) for a in alerts] == [("IX-OPIOID", "critical"), ("IX-CONTRAVE", "warning")]


def test_the_chart_check_sees_contrave_on_the_medication_list() -> None:
    chart = PatientChart(patient=make_man(), medications=(make_med(CONTRAVE, ago(40), source="reported"),))
    assert [(a.rule, a.severity) for a in check_order_for_chart(chart, "1049621", DAY)] == [("IX-CONTRAVE", "warning")]
    stopped = PatientChart(patient=make_man(), medications=(make_med(CONTRAVE, ago(40), end=ago(1)),))
    assert check_order_for_chart(stopped, "1049621", DAY) == []
    methadone = PatientChart(patient=make_man(), medications=(make_med("864706", ago(40)),))
    assert [(a.rule, a.severity) for a in check_order_for_chart(methadone, CONTRAVE, DAY)] == [
        ("IX-CONTRAVE", "critical")]


@pytest.mark.parametrize("naltrexone", [ORAL, XR, "NTX-IMPLANT"])
def test_naltrexone_ordered_for_a_kratom_user_is_critical(naltrexone: str) -> None:
    (alert,) = check_interactions(naltrexone, [KRATOM_CODE])
    assert (alert.rule, alert.severity) == ("IX-OPIOID", "critical")
    assert "mu-opioid partial agonist" in alert.message
    (reverse,) = check_interactions(KRATOM_CODE, [naltrexone])
    assert (reverse.rule, reverse.severity) == ("IX-OPIOID", "critical")


@pytest.mark.parametrize(("mg_per_day", "severity"), [(None, "warning"), (16.0, "warning"), (16.5, "critical")])
def test_naltrexone_against_loperamide_depends_on_the_daily_amount(mg_per_day: float | None, severity: str) -> None:
    med = make_med(LOPERAMIDE, ago(30), source="reported", daily_dose_mg=mg_per_day)
    chart = make_chart(medications=(med,))
    (alert,) = check_order_for_chart(chart, XR, DAY)
    assert (alert.rule, alert.severity, alert.subject) == ("IX-LOPERAMIDE", severity, LOPERAMIDE)
    assert ("opioid misuse" in alert.message) is (severity == "critical")
    assert [a.severity for a in check_interactions(XR, [LOPERAMIDE])] == ["warning"]  # the code alone


def test_the_loperamide_amount_of_the_chart_check_is_configurable_and_ends_with_the_medicine() -> None:
    med = make_med(LOPERAMIDE, ago(30), source="reported", daily_dose_mg=12.0)
    chart = make_chart(medications=(med,))
    otc = replace(DEFAULT, loperamide_opioid_exposure_above_mg_per_day=8.0)
    assert [a.severity for a in check_order_for_chart(chart, XR, DAY, otc)] == ["critical"]
    stopped = make_chart(medications=(replace(med, end=ago(2)),))
    assert check_order_for_chart(stopped, XR, DAY, otc) == []
    assert [a.rule for a in check_order_for_chart(chart, "1049621", DAY, otc)] == []  # not a naltrexone order
