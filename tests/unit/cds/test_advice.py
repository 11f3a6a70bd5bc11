"""What the CDS services say for charts built in the test: cards, indicators, dates, suggestions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naltrack.adapters.fhir.r4_samples import implant_chart, sample_chart, sample_patient
from naltrack.cds.advice import DraftOrder, draft_medications, opioid_on_naltrexone, order_check, patient_view
from naltrack.cds.cards import SUMMARY_MAX
from naltrack.domain.administrations import OralDose
from naltrack.domain.catalog import get_medication
from naltrack.domain.chart import PatientChart
from naltrack.domain.episodes import Diagnosis
from naltrack.domain.observations import LabResult, MedicationUse
from naltrack.domain.protection import naltrexone_on_board, protection_end

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _draft(code: str, rid: str = "draft-1") -> DraftOrder:
    return DraftOrder("MedicationRequest", rid, get_medication(code))


def _json(cards: list) -> list[dict]:
    return [c.as_json() for c in cards]


# opioid-order-on-naltrexone -----------------------------------------------------------------

def test_oxycodone_ten_days_after_an_injection_is_critical_with_the_end_of_blockade() -> None:
    cards = _json(opioid_on_naltrexone(sample_chart(), [_draft("7804")], date(2026, 3, 12), UTC))
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "critical"
    assert "2026-04-05" in card["summary"]  # blocked through: injections 02-02 and 03-02 (docs/pk.md)
    assert len(card["summary"]) < 140
    labels = [s["label"] for s in card["suggestions"]]
    assert labels == ["Cancel the opioid order", "Order a non-opioid analgesic instead"]
    assert card["suggestions"][0]["actions"][0] == {"type": "delete", "description": "Remove oxycodone",
                                                     "resourceId": "MedicationRequest/draft-1"}
    assert card["selectionBehavior"] == "at-most-one"
    assert card["overrideReasons"]


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 4, 5), 1),  # the last blocked day (blockade model, docs/pk.md): still blocked
    (date(2026, 4, 6), 0),  # the day after: protection over
])
def test_blockade_ends_with_the_end_of_protection(day: date, expected: int) -> None:
    assert protection_end(sample_chart(), day, UTC) == date(2026, 4, 5)
    assert len(opioid_on_naltrexone(sample_chart(), [_draft("7804")], day, UTC)) == expected


@pytest.mark.parametrize("code", ["1819", "6813", "2670"])  # buprenorphine, methadone, codeine ingredients
def test_agonist_treatment_and_antitussive_opioids_are_critical(code: str) -> None:
    cards = opioid_on_naltrexone(sample_chart(), [_draft(code)], date(2026, 3, 5), UTC)
    assert [c.indicator for c in cards] == ["critical"]


@pytest.mark.parametrize("code", ["197623", "198274"])  # disulfiram, thioridazine
def test_disulfiram_and_thioridazine_are_warnings(code: str) -> None:
    cards = opioid_on_naltrexone(sample_chart(), [_draft(code)], date(2026, 3, 5), UTC)
    assert [c.indicator for c in cards] == ["warning"]
    assert "suggestions" not in cards[0].as_json()


@pytest.mark.parametrize("days", [1, 10, 20, 28])
def test_an_opioid_on_days_1_to_28_after_an_injection_is_critical_even_for_a_heavy_patient(days: int) -> None:
    """At 180 kg the estimate ends blockade on day 26; the label's blockade of the dosing interval still holds
    for an opioid order (clinical.md §1.2, §3)."""
    weight = LabResult(id="w", patient_id="pt-ada", loinc="29463-7", name="Body weight", value=180.0, unit="kg",
                       collected_at=datetime(2026, 1, 1, tzinfo=UTC))
    chart = replace(sample_chart(), labs=(weight,))
    day = date(2026, 3, 2) + timedelta(days=days)
    (card,) = opioid_on_naltrexone(chart, [_draft("7804")], day, UTC)
    assert card.indicator == "critical"
    assert str(max(date(2026, 3, 30), protection_end(chart, day, UTC) or day)) in card.summary


def test_contrave_against_opioids_in_both_directions() -> None:
    contrave = MedicationUse(id="m1", patient_id="pt-ada", rxnorm="1551468", start=date(2026, 1, 1))
    on_contrave = PatientChart(patient=sample_patient(), medications=(contrave,))
    (card,) = opioid_on_naltrexone(on_contrave, [_draft("7804")], date(2026, 3, 5), UTC)
    assert (card.indicator, card.rule) == ("warning", "IX-CONTRAVE")
    methadone = MedicationUse(id="m2", patient_id="pt-ada", rxnorm="864706", start=date(2026, 1, 1))
    on_methadone = PatientChart(patient=sample_patient(), medications=(methadone,))
    (card,) = opioid_on_naltrexone(on_methadone, [_draft("1551468")], date(2026, 3, 5), UTC)
    assert (card.indicator, card.rule) == ("critical", "IX-CONTRAVE")
    assert len(card.summary) <= SUMMARY_MAX


def test_no_card_when_naltrexone_is_not_on_board() -> None:
    chart = PatientChart(patient=sample_patient())
    assert opioid_on_naltrexone(chart, [_draft("7804")], date(2026, 3, 5), UTC) == []


def test_contrave_is_not_naltrexone_on_board() -> None:
    chart = PatientChart(patient=sample_patient(), medications=(
        MedicationUse(id="m1", patient_id="pt-ada", rxnorm="1551468", start=date(2026, 1, 1)),))
    assert naltrexone_on_board(chart, date(2026, 3, 5), UTC) is None


def test_an_oral_dose_blocks_through_its_end_of_protection() -> None:
    """50 mg at 09:00 blocks about 52 h (label >= 24 h): the whole next day, not the one after (docs/pk.md)."""
    dose = OralDose(id="d1", patient_id="pt-ada", taken_at=datetime(2026, 3, 1, 9, tzinfo=UTC), dose_mg=50.0)
    chart = PatientChart(patient=sample_patient(), oral_doses=(dose,))
    blockade = naltrexone_on_board(chart, date(2026, 3, 1), UTC)
    assert (blockade.form, blockade.since, blockade.until) == ("oral", date(2026, 3, 1), date(2026, 3, 2))
    assert naltrexone_on_board(chart, date(2026, 3, 3), UTC) is None


def test_oral_naltrexone_reported_by_the_ehr_blocks_for_72_hours_after_its_last_day() -> None:
    chart = PatientChart(patient=sample_patient(), medications=(
        MedicationUse(id="m1", patient_id="pt-ada", rxnorm="1483744", start=date(2026, 2, 1), end=date(2026, 3, 1),
                      source="reported"),))
    assert naltrexone_on_board(chart, date(2026, 3, 4), UTC).until == date(2026, 3, 4)
    assert naltrexone_on_board(chart, date(2026, 3, 5), UTC) is None


def test_implant_in_place_blocks_until_its_expected_duration() -> None:
    blockade = naltrexone_on_board(implant_chart(inserted=date(2026, 1, 10)), date(2026, 2, 1), UTC)
    # 1800 mg pellet recorded to last 90 days: blocked to day 89 after insertion (docs/pk.md)
    assert (blockade.form, blockade.until) == ("implant", date(2026, 4, 9))
    assert naltrexone_on_board(implant_chart(inserted=date(2026, 1, 10), removed=date(2026, 1, 20)),
                               date(2026, 2, 1), UTC) is None


def test_xr_ntx_listed_by_the_ehr_counts_from_its_last_dose() -> None:
    chart = PatientChart(patient=sample_patient(), medications=(
        MedicationUse(id="m1", patient_id="pt-ada", rxnorm="637213", start=date(2026, 2, 1),
                      last_dose=date(2026, 3, 1), end=date(2026, 3, 1)),))
    assert naltrexone_on_board(chart, date(2026, 3, 10), UTC).until == date(2026, 3, 29)


# naltrexone-order-check ---------------------------------------------------------------------

def test_order_check_is_critical_and_not_overridable_for_a_hypersensitivity() -> None:
    cards = _json(order_check(sample_chart(), [_draft("637213")], date(2026, 3, 12), UTC))
    assert cards[0]["indicator"] == "critical"
    assert "carboxymethylcellulose" in cards[0]["summary"]
    assert "overrideReasons" not in cards[0]
    assert cards[0]["suggestions"][0]["actions"][0]["type"] == "delete"


def _not_on_naltrexone() -> PatientChart:
    return replace(sample_chart(), injections=(), oral_doses=())


def test_order_check_is_critical_for_fentanyl_four_days_ago() -> None:
    chart = replace(_not_on_naltrexone(), allergies=(), substance_use=(
        replace(sample_chart().substance_use[0], last_use=date(2026, 3, 8), reported_on=date(2026, 3, 12)),))
    cards = order_check(chart, [_draft("637213")], date(2026, 3, 12), UTC)
    assert cards[0].indicator == "critical"
    assert cards[0].rule.startswith("RDY-")


def test_order_check_review_items_are_a_warning() -> None:
    chart = replace(_not_on_naltrexone(), allergies=())
    cards = order_check(chart, [_draft("1483744")], date(2026, 3, 12), UTC)
    assert [c.indicator for c in cards] == ["warning"]
    assert cards[0].as_json()["summary"].startswith("Review before starting oral naltrexone")


def test_next_injection_for_a_patient_on_xr_ntx_is_a_continuation_not_an_induction() -> None:
    chart = replace(sample_chart(), allergies=())
    cards = order_check(chart, [_draft("637213")], date(2026, 3, 26), UTC)
    assert [(c.indicator, c.rule) for c in cards] == [("info", "CDS-CONTINUATION")]
    assert cards[0].summary == "Continuing XR-naltrexone: on time; no contraindication"
    assert "Injection on day 24 after the last one (2026-03-02), due by day 28" in cards[0].detail


def test_a_due_injection_on_day_27_asks_for_no_urine_screen_or_cows() -> None:
    """The order check reads the dose class, not "naltrexone on board": day 27 is on time (clinical.md §1.2)."""
    chart = replace(sample_chart(), allergies=(), screens=(), questionnaires=())
    (card,) = order_check(chart, [_draft("637213")], date(2026, 3, 29), UTC)
    assert (card.indicator, card.rule) == ("info", "CDS-CONTINUATION")
    assert "urine" not in card.summary.lower() and "COWS" not in card.detail


@pytest.mark.parametrize(("day", "indicator", "rule", "text"), [
    (date(2026, 3, 31), "info", "CDS-LATE-DOSE", "Late dose of XR-naltrexone: give it now"),  # day 29
    (date(2026, 4, 6), "warning", "RDY-UDS-MISSING", "Review before giving XR-naltrexone"),  # day 35: screen first
    (date(2026, 4, 27), "warning", "RDY-DOSE-CLASS", "Review before giving XR-naltrexone"),  # day 56: consult
    (date(2026, 5, 5), "warning", "RDY-UDS-MISSING", "Review before starting XR-naltrexone"),  # day 64: restart
])
def test_a_late_injection_follows_the_late_dose_table_and_a_restart_the_induction(
        day: date, indicator: str, rule: str, text: str) -> None:
    chart = replace(sample_chart(), allergies=(), screens=())
    (card,) = order_check(chart, [_draft("637213")], day, UTC)
    assert (card.indicator, card.rule) == (indicator, rule)
    assert card.summary.startswith(text)


def test_a_contraindication_still_counts_when_continuing() -> None:
    cards = order_check(sample_chart(), [_draft("637213")], date(2026, 3, 26), UTC)
    assert [c.indicator for c in cards] == ["critical"]
    assert "carboxymethylcellulose" in cards[0].summary


def test_order_check_ignores_contrave_and_opioids() -> None:
    assert order_check(sample_chart(), [_draft("1551468"), _draft("7804")], date(2026, 3, 12), UTC) == []


# naltrexone-patient-view --------------------------------------------------------------------

def test_patient_view_while_protected_is_info_with_next_injection_and_counts_as_moud() -> None:
    cards = _json(patient_view(sample_chart(), date(2026, 3, 12), UTC))
    assert [c["indicator"] for c in cards] == ["info", "info"]
    assert "next injection due 2026-03-30" in cards[0]["summary"]
    assert cards[1]["summary"].startswith("Treated for opioid use disorder with naltrexone")


def test_patient_view_warns_in_the_last_week_of_protection_and_suggests_naloxone() -> None:
    cards = _json(patient_view(sample_chart(), date(2026, 3, 30), UTC))
    assert cards[0]["indicator"] == "warning"
    assert cards[0]["suggestions"][0]["actions"][0]["resource"]["medicationCodeableConcept"]["coding"][0]["code"] \
        == "1725059"


def test_patient_view_after_a_lapse_is_critical_overdose_risk() -> None:
    cards = _json(patient_view(sample_chart(), date(2026, 4, 12), UTC))
    assert cards[0]["indicator"] == "critical"
    assert "lapsed 2026-04-05" in cards[0]["summary"]
    assert cards[0]["suggestions"][0]["label"] == "Prescribe rescue naloxone"


def test_no_naloxone_suggestion_when_rescue_naloxone_is_on_file() -> None:
    chart = replace(sample_chart(), medications=(
        MedicationUse(id="m2", patient_id="pt-ada", rxnorm="1725059", start=date(2026, 1, 1)),))
    cards = _json(patient_view(chart, date(2026, 4, 12), UTC))
    assert "suggestions" not in cards[0]


def test_untreated_oud_gets_the_offer_moud_warning() -> None:
    dx = Diagnosis(id="dx", patient_id="pt-ada", system="snomed", code="5602001", display="Opioid abuse")
    cards = _json(patient_view(PatientChart(patient=sample_patient(), diagnoses=(dx,)), date(2026, 3, 12), UTC))
    assert [c["indicator"] for c in cards] == ["warning"]
    assert "offer MOUD" in cards[0]["summary"]


def test_draft_medications_reads_codes_and_contained_medications() -> None:
    drafts = draft_medications([
        {"resourceType": "MedicationRequest", "id": "a",
         "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "7804"}]}},
        {"resourceType": "MedicationRequest", "id": "b", "medicationReference": {"reference": "#m"},
         "contained": [{"resourceType": "Medication", "id": "m", "code": {"coding": [{"system": RXNORM,
                                                                                      "code": "637213"}]}}]},
        {"resourceType": "MedicationRequest", "id": "c",
         "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "999999999"}]}},
        {"resourceType": "ServiceRequest", "id": "d"},
    ])
    assert [(d.id, d.medication.code if d.medication else None, d.name) for d in drafts] == [
        ("a", "7804", "oxycodone"), ("b", "637213", "naltrexone 380 MG Injection"),
        ("c", None, "999999999")]  # kept, unclassified, so that it is named rather than passed over


@settings(max_examples=40, deadline=None)
@given(offset=st.integers(min_value=-5, max_value=120), shots=st.integers(min_value=1, max_value=6))
def test_every_card_summary_is_under_140_and_blocked_opioids_are_always_critical(offset: int, shots: int) -> None:
    chart = sample_chart(injections=shots)
    today = date(2026, 3, 2) + timedelta(days=offset)
    blocked = naltrexone_on_board(chart, today, UTC) is not None
    cards = opioid_on_naltrexone(chart, [_draft("7804")], today, UTC) + patient_view(chart, today, UTC)
    assert all(len(c.as_json()["summary"]) <= SUMMARY_MAX for c in cards)
    opioid_cards = [c for c in cards if c.rule == "IX-OPIOID"]
    assert [c.indicator for c in opioid_cards] == (["critical"] if blocked else [])


def test_the_end_of_protection_is_the_coverage_engines_for_recorded_injections_and_memoised() -> None:
    chart = sample_chart()
    first = protection_end(chart, date(2026, 3, 12), UTC)
    assert first == date(2026, 4, 5)
    assert protection_end(chart, date(2026, 3, 12), UTC) == first
    prescribed = MedicationUse(id="m1", patient_id="pt-ada", rxnorm="637213", start=date(2026, 3, 1))
    ehr_only = PatientChart(patient=sample_patient(), medications=(prescribed,))
    assert protection_end(ehr_only, date(2026, 3, 12), UTC) is None  # a prescription alone is no supply
    reported = PatientChart(patient=sample_patient(), medications=(replace(prescribed, source="reported"),))
    assert protection_end(reported, date(2026, 3, 12), UTC) == date(2026, 3, 29)
