"""Interactions in both directions, and the value-set traps (clinical.md §4, codes.md §3)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.factories import (
    DAY,
    ago,
    at,
    make_implant,
    make_injection,
    make_man,
    make_med,
    make_oral_regimen,
)

from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import NotFound
from naltrack.domain.rules.interactions import check_interactions, check_order_for_chart, naltrexone_codes_on
from naltrack.domain.rules.thresholds import DEFAULT

ORAL, XR = "1483744", "637213"


@pytest.mark.parametrize(
    ("other", "rule", "severity"),
    [
        ("1049621", "IX-OPIOID", "critical"),              # oxycodone
        ("245134", "IX-OPIOID", "critical"),               # fentanyl patch
        ("995868", "IX-OPIOID", "critical"),               # codeine/guaifenesin antitussive
        ("1190572", "IX-OPIOID", "critical"),              # diphenoxylate/atropine antidiarrheal
        ("863845", "IX-OPIOID", "critical"),               # Embeda: contains naltrexone but is an opioid
        ("864706", "IX-AGONIST-TREATMENT", "critical"),    # methadone
        ("1010604", "IX-AGONIST-TREATMENT", "critical"),   # buprenorphine/naloxone: not rescue naloxone
        ("904880", "IX-AGONIST-TREATMENT", "critical"),    # Butrans (pain buprenorphine)
        ("8001", "IX-MIXED-AGONIST", "critical"),          # pentazocine
        ("312289", "IX-MIXED-AGONIST", "critical"),        # pentazocine/naloxone
        ("6468", "IX-LOPERAMIDE", "warning"),              # UNCONFIRMED
        ("197623", "IX-DISULFIRAM", "warning"),
        ("198274", "IX-THIORIDAZINE", "warning"),
        ("1551468", "IX-CONTRAVE", "warning"),             # bupropion/naltrexone is not MAT
        ("1725059", "IX-NOT-AN-INTERACTION", "info"),      # rescue naloxone
        ("2639721", "IX-NOT-AN-INTERACTION", "info"),      # nalmefene nasal
        ("3289", "IX-NOT-AN-INTERACTION", "info"),         # dextromethorphan is not an opioid
    ],
)
@pytest.mark.parametrize("naltrexone", [ORAL, XR, "NTX-IMPLANT"])
def test_naltrexone_ordered_against_current_medicines(naltrexone: str, other: str, rule: str, severity: str) -> None:
    (alert,) = check_interactions(naltrexone, [other])
    assert (alert.rule, alert.severity, alert.subject) == (rule, severity, other)
    assert alert.source.startswith(("clinical.md", "codes.md"))


@pytest.mark.parametrize(
    ("ordered", "rule", "fragment"),
    [
        ("1049621", "IX-OPIOID", "fatal overdose"),
        ("864706", "IX-AGONIST-TREATMENT", "blocked"),
        ("197623", "IX-DISULFIRAM", "hepatotoxic"),
        ("198274", "IX-THIORIDAZINE", "somnolence"),
        ("1725059", "IX-NOT-AN-INTERACTION", "recommended"),
    ],
)
def test_medicine_ordered_for_a_patient_on_naltrexone(ordered: str, rule: str, fragment: str) -> None:
    (alert,) = check_interactions(ordered, [XR, "855332"])
    assert alert.rule == rule
    assert fragment in alert.message


@pytest.mark.parametrize("other", ["42347", "993541", "835726", "855332", "1364445"])
def test_no_interaction_with_bupropion_acamprosate_or_anticoagulants(other: str) -> None:
    assert check_interactions(XR, [other]) == []
    assert check_interactions(other, [ORAL]) == []


def test_contrave_with_an_opioid_warns_that_it_contains_naltrexone() -> None:
    (alert,) = check_interactions("1049621", ["1551468"])
    assert alert.rule == "IX-CONTRAVE"
    assert "not MAT" in alert.message
    assert check_interactions("1551468", ["855332"]) == []


def test_several_interactions_are_sorted_by_severity_and_unknown_current_codes_are_skipped() -> None:
    alerts = check_interactions(XR, ["3289", "197623", "1049621", "999999999"])
    assert [a.severity for a in alerts] == ["critical", "warning", "info"]


def test_an_unknown_ordered_code_is_not_found() -> None:
    with pytest.raises(NotFound, match="RxNorm code '424242' not found"):
        check_interactions("424242", [XR])


@pytest.mark.parametrize(("days", "flagged"), [(28, True), (30, True), (31, False)])
def test_an_opioid_order_is_flagged_for_30_days_after_an_injection(days: int, flagged: bool) -> None:
    chart = PatientChart(patient=make_man(), injections=(make_injection(given_at=at(ago(days))),))
    assert naltrexone_codes_on(chart, DAY) == ([XR] if flagged else [])
    assert [a.rule for a in check_order_for_chart(chart, "1049621", DAY)] == (["IX-OPIOID"] if flagged else [])


def test_the_window_after_an_injection_is_configurable() -> None:
    chart = PatientChart(patient=make_man(), injections=(make_injection(given_at=at(ago(29))),))
    shorter = replace(DEFAULT, opioid_order_window_after_injection_days=28)
    assert check_order_for_chart(chart, "1049621", DAY, shorter) == []
    assert naltrexone_codes_on(chart, DAY, blockade_days=29) == [XR]


@pytest.mark.parametrize("code", ["904880", "1716057"])  # Butrans, Belbuca
def test_pain_buprenorphine_is_not_called_agonist_treatment(code: str) -> None:
    (forward,) = check_interactions(XR, [code])
    assert (forward.rule, forward.severity) == ("IX-AGONIST-TREATMENT", "critical")
    assert "buprenorphine for pain" in forward.message and "agonist treatment" not in forward.message
    (reverse,) = check_interactions(code, [XR])
    assert "buprenorphine for pain" in reverse.message and "non-opioid analgesics" in reverse.action
    (oud,) = check_interactions(XR, ["1010604"])
    assert "opioid agonist treatment" in oud.message


def test_chart_check_sees_recent_injections_and_implants() -> None:
    chart = PatientChart(patient=make_man(), injections=(make_injection(given_at=at(ago(20))),))
    assert naltrexone_codes_on(chart, DAY) == [XR]
    assert [a.rule for a in check_order_for_chart(chart, "1049621", DAY)] == ["IX-OPIOID"]
    old = PatientChart(patient=make_man(), injections=(make_injection(given_at=at(ago(40))),))
    assert check_order_for_chart(old, "1049621", DAY) == []
    implant = PatientChart(patient=make_man(), implants=(make_implant(ago(20)),))
    assert naltrexone_codes_on(implant, DAY) == ["NTX-IMPLANT"]
    oral = PatientChart(patient=make_man(),
                        regimens=(make_oral_regimen(kind="oral-daily", schedule=(), start=ago(5)),),
                        medications=(make_med("197623", ago(3)),))
    assert [a.rule for a in check_order_for_chart(oral, "1049621", DAY)] == ["IX-OPIOID"]
    assert [a.rule for a in check_order_for_chart(oral, ORAL, DAY)] == ["IX-DISULFIRAM"]
