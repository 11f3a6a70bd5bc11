"""Every code of the generated terminology tables, through the CDS advice.

Each RxNorm code of the opioid, MAT (buprenorphine, methadone) and naltrexone classes of
``code_tables/rxnorm_classes.json`` is sent as a draft MedicationRequest (the code alone, no display) for a
patient ten days after an XR-NTX injection; each OUD/AUD code of ``code_tables/snomed_oud_aud.json`` is
sent as an EHR Condition, read by the CDS chart reader, and judged by the order-check and patient-view
advice. Figures with the tables of 2026-12-03: 1,601 opioid codes (1,198 of the CDC opioid-analgesic set's
expansions), 319 buprenorphine and methadone codes, all with a critical card; 270 OUD/AUD codes recognised
(docs/terminology.md, "Where it is used").
"""

from __future__ import annotations

import json
from datetime import UTC, date
from functools import cache
from importlib import resources
from typing import Any

import pytest

from naltrack.adapters.fhir.r4_samples import sample_chart, sample_patient
from naltrack.cds.advice import draft_medications, opioid_on_naltrexone, order_check, patient_view
from naltrack.cds.engine import default_chart_reader
from naltrack.domain.catalog import all_medications, is_naltrexone_therapy
from naltrack.domain.chart import PatientChart
from naltrack.domain.terminology import (
    ICD10CM,
    RXNORM_TABLE,
    SNOMED,
    condition_table,
    resolve_rxnorm,
    rxnorm_table,
)

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
DAY = date(2026, 3, 12)  # ten days after the XR-NTX injection of 2026-03-02 (sample_chart)
OPIOID_CLASSES = frozenset({"opioid-analgesic", "opioid-antitussive", "opioid-antidiarrheal", "illicit-opioid",
                            "mixed-agonist-antagonist"})
MAT_CLASSES = frozenset({"buprenorphine-oud", "buprenorphine-pain", "methadone"})
NALTREXONE_CLASSES = frozenset({"naltrexone-oral", "naltrexone-xr", "naltrexone-implant", "naltrexone-not-mat"})
CDC_OPIOID_ANALGESICS = "http://fhir.org/guides/cdc/opioid-cds/ValueSet/opioid-analgesics-with-ambulatory-misuse-potential"


def codes_of(classes: frozenset[str]) -> list[str]:
    return sorted(code for code, row in rxnorm_table().items() if row["class"] in classes)


def cdc_opioid_analgesic_codes() -> list[str]:
    """Codes of the table held by any expansion of the CDC opioid-analgesic set (the table header numbers them)."""
    header = json.loads(resources.files("naltrack.domain.code_tables").joinpath(RXNORM_TABLE).read_text("utf-8"))
    sets = {n for n, source in enumerate(header["sources"]) if source["url"] == CDC_OPIOID_ANALGESICS}
    return sorted(code for code, row in rxnorm_table().items() if sets & set(row["in"]))


def request(code: str, display: str | None = None, rid: str = "draft-1") -> dict[str, Any]:
    coding = {"system": RXNORM, "code": code, **({"display": display} if display else {})}
    return {"resourceType": "MedicationRequest", "id": rid, "status": "draft", "intent": "order",
            "medicationCodeableConcept": {"coding": [coding]}}


@cache
def on_xr_ntx() -> PatientChart:
    return sample_chart()


def opioid_cards(code: str, display: str | None = None, chart: PatientChart | None = None) -> list[tuple[str, str]]:
    cards = opioid_on_naltrexone(chart or on_xr_ntx(), draft_medications([request(code, display)]), DAY, UTC)
    return [(c.indicator, c.rule) for c in cards]


def without_critical(codes: list[str]) -> list[str]:
    return [code for code in codes if not any(indicator == "critical" for indicator, _ in opioid_cards(code))]


def test_every_opioid_code_draws_a_critical_card() -> None:
    codes = codes_of(OPIOID_CLASSES)
    missed = without_critical(codes)
    assert len(codes) == 1601
    assert 1 - len(missed) / len(codes) >= 0.99, missed
    assert missed == []  # 1,601 of 1,601


def test_every_code_of_the_cdc_opioid_analgesic_set_draws_a_critical_card() -> None:
    codes = cdc_opioid_analgesic_codes()
    assert len(codes) == 1198  # the union of its expansions of 2020-03-26 (1,177), 2022-05-09 and 2025-02-24
    assert without_critical(codes) == []


def test_every_buprenorphine_and_methadone_code_draws_a_critical_card() -> None:
    codes = codes_of(MAT_CLASSES)
    assert len(codes) == 319
    assert without_critical(codes) == []


def test_naltrexone_codes_go_to_the_order_check_and_contrave_is_flagged() -> None:
    chart = on_xr_ntx()
    codes = codes_of(NALTREXONE_CLASSES) + [m.code for m in all_medications() if m.ingredient == "naltrexone"]
    for code in sorted(set(codes)):
        med = resolve_rxnorm(code)
        assert med is not None
        drafts = draft_medications([request(code)])
        if is_naltrexone_therapy(med):
            assert len(order_check(chart, drafts, DAY, UTC)) == 1, code
            assert opioid_cards(code) == [], code
        else:
            assert med.medication_class == "naltrexone-not-mat"
            assert order_check(chart, drafts, DAY, UTC) == []
            assert opioid_cards(code) == [("warning", "IX-CONTRAVE")], code


def test_an_unknown_code_is_read_by_its_display() -> None:
    assert opioid_cards("999999901", "tapentadol 50 MG Oral Tablet") == [("critical", "IX-OPIOID")]
    assert opioid_cards("999999902", "Sublocade 100 MG in 0.5 ML Prefilled Syringe") == [
        ("critical", "IX-AGONIST-TREATMENT")]


@pytest.mark.parametrize(("code", "display", "named"), [
    ("999999903", "Mystery Herbal Relief capsule", "Mystery Herbal Relief capsule"),
    ("999999904", None, "999999904"),
    ("353392", "naloxone 2 MG", "naloxone 2 MG"),  # left out of the tables on purpose: a component, not rescue
])
def test_an_unclassifiable_medicine_draws_an_information_card_naming_it(code: str, display: str | None,
                                                                        named: str) -> None:
    (card,) = opioid_on_naltrexone(on_xr_ntx(), draft_medications([request(code, display)]), DAY, UTC)
    assert (card.indicator, card.rule) == ("info", "CDS-UNCLASSIFIED-MEDICINE")
    assert card.summary == f"naltrack could not tell whether {named} contains an opioid; check before ordering"
    assert "2026-04-05" in card.detail  # the blockade it would meet
    assert len(card.as_json()["summary"]) <= 139


def test_an_unclassifiable_medicine_draws_no_card_when_naltrexone_does_not_block() -> None:
    after = date(2026, 4, 6)  # the day after the end of protection (docs/pk.md)
    assert opioid_on_naltrexone(on_xr_ntx(), draft_medications([request("999999903")]), after, UTC) == []


def test_a_long_unclassifiable_name_is_shortened_in_the_summary_and_whole_in_the_detail() -> None:
    name = "Compounded " + "very " * 30 + "special capsule"
    (card,) = opioid_on_naltrexone(on_xr_ntx(), draft_medications([request("999999905", name)]), DAY, UTC)
    assert len(card.as_json()["summary"]) <= 139 and card.summary.endswith("contains an opioid; check before ordering")
    assert name in card.detail


# Diagnoses: the chart reader of the CDS services, then order-check and patient-view ------------------------

def condition_codes() -> list[tuple[str, str, str, str]]:
    """(system URI, code, display, kind) of every code of the condition table."""
    table = condition_table()
    return [(uri, code, row["display"], row["kind"]) for key, uri in (("snomed", SNOMED), ("icd10cm", ICD10CM))
            for code, row in sorted(table[key].items())]


def chart_with(system: str, code: str, display: str) -> PatientChart:
    pid = sample_patient().id
    patient = {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1988-03-14"}
    condition = {"resourceType": "Condition", "id": "dx-1", "subject": {"reference": f"Patient/{pid}"},
                 "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                                "code": "active"}]},
                 "code": {"coding": [{"system": system, "code": code, "display": display}]},
                 "recordedDate": "2026-01-05"}
    return default_chart_reader([patient, condition], pid)


def test_every_oud_and_aud_code_is_recognised_by_order_check_and_patient_view() -> None:
    codes = condition_codes()
    assert len(codes) == 270  # 77 SNOMED CT concepts, 193 ICD-10-CM codes
    missed = []
    for system, code, display, kind in codes:
        chart = chart_with(system, code, display)
        (readiness,) = order_check(chart, draft_medications([request("637213")]), DAY, UTC)
        views = {c.rule for c in patient_view(chart, DAY, UTC)}
        indication_found = "RDY-INDICATION" not in readiness.detail  # a missing indication is a review item
        by_kind = {"oud": "CDS-MOUD-NONE" in views, "aud": "CDS-MOUD-NONE" not in views}[kind]
        opioid_free = "Last opioid use is not recorded" in readiness.detail  # asked of OUD only
        if not (indication_found and by_kind and opioid_free == (kind == "oud")):
            missed.append((system, code, display))
    assert missed == []


def test_a_diagnosis_nothing_recognises_leaves_the_indication_to_review() -> None:
    chart = chart_with(SNOMED, "38341003", "Hypertensive disorder")
    (readiness,) = order_check(chart, draft_medications([request("637213")]), DAY, UTC)
    assert "rule RDY-INDICATION" in readiness.detail
    assert "CDS-MOUD-NONE" not in {c.rule for c in patient_view(chart, DAY, UTC)}
