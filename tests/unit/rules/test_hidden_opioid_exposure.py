"""Hidden opioid exposure: kratom and high-dose loperamide count in the opioid-free interval
(clinical.md §2.1; thresholds ``opioid_free_days_kratom``, ``opioid_free_days_loperamide`` and
``loperamide_opioid_exposure_above_mg_per_day``, all UNCONFIRMED defaults)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.factories import DAY, ago, at, make_chart, make_med, make_report, make_screen

from naltrack.domain.catalog import KRATOM_CODE, get_medication, names_kratom
from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import ANALYTE_LOINC, OPIOID_ANALYTES, SUBSTANCES, AnalyteResult, SubstanceUseReport
from naltrack.domain.rules import facts
from naltrack.domain.rules.readiness import assess_readiness
from naltrack.domain.rules.thresholds import DEFAULT, THRESHOLD_SOURCES

LOPERAMIDE = "6468"


def _opioid_free(chart: object, form: str = "xr-ntx", thresholds: object = DEFAULT) -> list[tuple[str, str]]:
    result = assess_readiness(chart, form, DAY, thresholds)  # type: ignore[arg-type]
    return [(r.severity, r.message) for r in result.reasons if r.rule == "RDY-OPIOID-FREE"]


# Kratom -----------------------------------------------------------------------------------------

def test_kratom_is_a_substance_an_opioid_analyte_and_a_catalog_entry_without_rxnorm() -> None:
    assert "kratom" in SUBSTANCES and "kratom" in OPIOID_ANALYTES
    assert ANALYTE_LOINC["kratom"] == "75649-4"
    entry = get_medication(KRATOM_CODE)
    assert (entry.medication_class, entry.opioid_action) == ("kratom", "kratom")
    assert entry.system == "urn:naltrack:medication"
    assert entry.is_opioid
    assert names_kratom("Mitragyna speciosa (mitragynine) capsules") and not names_kratom("kava root")


@pytest.mark.parametrize(("days_ago", "severity"), [(6, "not-ready"), (7, "info")])
def test_reported_kratom_use_counts_with_its_own_interval(days_ago: int, severity: str) -> None:
    chart = make_chart(substance_use=(make_report("kratom", ago(days_ago)),))
    ((found, message),) = _opioid_free(chart)
    assert found == severity
    assert "kratom" in message
    if severity == "not-ready":
        assert assess_readiness(chart, "xr-ntx", DAY).earliest_ready_date == ago(days_ago - 7)


def test_the_kratom_interval_is_configurable() -> None:
    chart = make_chart(substance_use=(make_report("kratom", ago(8)),))
    longer = replace(DEFAULT, opioid_free_days_kratom=10)
    assert [s for s, _ in _opioid_free(chart, thresholds=longer)] == ["not-ready"]
    assert DEFAULT.opioid_free_days("kratom") == 7
    assert THRESHOLD_SOURCES["opioid_free_days_kratom"].startswith("UNCONFIRMED")


def test_a_positive_kratom_screen_is_opioid_use_and_a_contraindication() -> None:
    screen = make_screen(collected_at=at(ago(1)), results=(AnalyteResult("opiates", "negative"),
                                                           AnalyteResult("fentanyl", "negative"),
                                                           AnalyteResult("kratom", "positive")))
    chart = make_chart(screens=(screen,), substance_use=())
    uses = facts.last_opioid_use(chart, DAY)
    assert uses["kratom"].day == ago(1) and uses["kratom"].evidence == "urine screen positive for kratom"
    result = assess_readiness(chart, "xr-ntx", DAY)
    assert [r.severity for r in result.reasons if r.rule == "RDY-UDS-POSITIVE"] == ["contraindication"]


def test_kratom_on_the_medication_list_counts_while_taken() -> None:
    chart = make_chart(medications=(make_med(KRATOM_CODE, ago(90), source="reported"),))
    ((severity, message),) = [r for r in _opioid_free(chart) if "kratom" in r[1]]
    assert severity == "not-ready" and "0 days ago" in message
    result = assess_readiness(chart, "xr-ntx", DAY)
    assert [r.severity for r in result.reasons if r.rule == "RDY-OPIOID-RX"] == ["contraindication"]
    assert (result.verdict, result.earliest_ready_date) == ("not-ready", None)
    stopped = make_chart(medications=(make_med(KRATOM_CODE, ago(90), end=ago(7), source="reported"),))
    assert [s for s, m in _opioid_free(stopped) if "kratom" in m] == ["info"]


def test_an_unknown_substance_is_still_refused() -> None:
    with pytest.raises(InvalidInput, match="substance_use.substance.*must be one of .*kratom"):
        SubstanceUseReport(id="s1", patient_id="p1", substance="betel", last_use=DAY,  # type: ignore[arg-type]
                           reported_on=DAY)


# Loperamide -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("mg_per_day", "exposure"),
    [(None, False), (8.0, False), (16.0, False), (16.5, True), (200.0, True)],
)
def test_loperamide_is_opioid_exposure_only_above_the_daily_amount(mg_per_day: float | None, exposure: bool) -> None:
    med = make_med(LOPERAMIDE, ago(30), source="reported", daily_dose_mg=mg_per_day)
    assert facts.loperamide_exposure(med) is exposure
    chart = make_chart(medications=(med,))
    result = assess_readiness(chart, "xr-ntx", DAY)
    assert ("loperamide" in facts.last_opioid_use(chart, DAY)) is exposure
    assert result.verdict == ("not-ready" if exposure else "review")
    (opioid_rx,) = [r for r in result.reasons if r.rule == "RDY-OPIOID-RX"]
    assert opioid_rx.severity == ("not-ready" if exposure else "review")
    assert ("opioid misuse" in opioid_rx.message) is exposure
    assert result.earliest_ready_date is None  # still taken: no date while it goes on


def test_high_dose_loperamide_with_a_planned_end_gives_the_day_after_its_interval() -> None:
    med = make_med(LOPERAMIDE, ago(30), end=DAY, source="reported", daily_dose_mg=40.0)
    result = assess_readiness(make_chart(medications=(med,)), "xr-ntx", DAY)
    (opioid_rx,) = [r for r in result.reasons if r.rule == "RDY-OPIOID-RX"]
    assert (opioid_rx.severity, opioid_rx.ready_on) == ("not-ready", ago(-7))
    assert f"until {DAY}" in opioid_rx.message
    assert result.earliest_ready_date == ago(-7)


def test_high_dose_loperamide_stopped_counts_from_its_last_day() -> None:
    med = make_med(LOPERAMIDE, ago(60), end=ago(3), source="reported", daily_dose_mg=64.0)
    result = assess_readiness(make_chart(medications=(med,)), "oral", DAY)
    (reason,) = [r for r in result.reasons if r.rule == "RDY-OPIOID-FREE" and "loperamide" in r.message]
    assert reason.severity == "not-ready" and reason.ready_on == ago(3 - 7)
    assert "64 mg/day" in reason.message and "above 16 mg/day" in reason.message
    assert result.verdict == "not-ready"


def test_the_loperamide_amount_and_interval_are_configurable() -> None:
    med = make_med(LOPERAMIDE, ago(60), end=ago(3), source="reported", daily_dose_mg=12.0)
    chart = make_chart(medications=(med,))
    otc = replace(DEFAULT, loperamide_opioid_exposure_above_mg_per_day=8.0)
    assert "loperamide" not in facts.last_opioid_use(chart, DAY)
    assert "loperamide" in facts.last_opioid_use(chart, DAY, otc)
    assert assess_readiness(chart, "xr-ntx", DAY, otc).verdict == "not-ready"
    short = replace(otc, opioid_free_days_loperamide=3)
    assert [s for s, m in _opioid_free(chart, thresholds=short) if "loperamide" in m] == ["info"]
    assert "16 mg/day" in THRESHOLD_SOURCES["loperamide_opioid_exposure_above_mg_per_day"]


@pytest.mark.parametrize("bad", [0.0, -2.0, 20_000.0, float("nan")])
def test_a_daily_dose_out_of_range_is_refused(bad: float) -> None:
    with pytest.raises(InvalidInput, match="medication.daily_dose_mg"):
        make_med(LOPERAMIDE, ago(30), daily_dose_mg=bad)
