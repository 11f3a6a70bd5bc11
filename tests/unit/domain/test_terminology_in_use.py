"""Where the terminology is used: storage, the chart rules, the interactions, the indication and the FHIR reader
all take a code that ``resolve_rxnorm`` or ``classify_condition`` knows, not only the catalog's (docs/terminology.md,
"Where it is used"). The codes below are in the code tables and not in the catalog."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from tests.factories import DAY, ago, make_chart, make_dx, make_med, make_regimen

from naltrack.adapters.fhir.bundle_reader import read_bundle
from naltrack.domain.catalog import find_medication
from naltrack.domain.errors import NotFound
from naltrack.domain.indications import has_aud, has_oud, has_rescue_naloxone
from naltrack.domain.rules import facts
from naltrack.domain.rules.interactions import check_interactions, check_order_for_chart
from naltrack.domain.rules.readiness import assess_readiness
from naltrack.domain.terminology import resolve_rxnorm
from naltrack.services.record_writes import check_record

OXYCODONE_APAP = "1014599"  # Acetaminophen 300 MG / Oxycodone Hydrochloride 10 MG Oral Tablet (SCD)
PHYSEPTONE = "141950"  # Methadone Hydrochloride 5 MG Oral Tablet [Physeptone] (SBD)
NALOXONE_INJECTION = "1191212"  # Naloxone Hydrochloride 0.02 MG/ML Injectable Solution (SCD)
RIVAROXABAN = "1114198"  # rivaroxaban 10 MG Oral Tablet (SCD)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def test_the_codes_are_outside_the_catalog_and_in_the_code_tables() -> None:
    for code in (OXYCODONE_APAP, PHYSEPTONE, NALOXONE_INJECTION, RIVAROXABAN):
        assert find_medication(code) is None
        med = resolve_rxnorm(code)
        assert med is not None and med.source == "code table rxnorm_classes.json"


def test_a_medication_use_keeps_any_rxcui_and_names_a_code_that_is_none() -> None:
    assert make_med(OXYCODONE_APAP, ago(3)).rxnorm == OXYCODONE_APAP
    unclassified = make_med("424242", ago(3))  # the outside medication list is kept whole
    assert resolve_rxnorm(unclassified.rxnorm) is None
    with pytest.raises(NotFound, match="RxNorm code 'NOT-A-CODE' not found"):
        make_med("NOT-A-CODE", ago(3))


def test_a_record_write_names_an_unknown_code() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    check_record(make_regimen(patient_id="p1"), now)
    with pytest.raises(NotFound, match="RxNorm code '424242' not found"):
        check_record(make_regimen(patient_id="p1", rxnorm="424242"), now)


@pytest.mark.parametrize(("code", "rule", "severity"), [
    (OXYCODONE_APAP, "RDY-OPIOID-RX", "contraindication"),
    (PHYSEPTONE, "RDY-AGONIST-TREATMENT", "contraindication"),
    (RIVAROXABAN, "RDY-BLEEDING", "review"),
])
def test_readiness_reads_a_medication_list_coded_at_any_level(code: str, rule: str, severity: str) -> None:
    chart = replace(make_chart(), medications=(make_med(code, ago(5)),))
    found = [(r.rule, r.severity) for r in assess_readiness(chart, "xr-ntx", DAY).reasons if r.rule == rule]
    assert (rule, severity) in found


def test_the_last_opioid_use_and_rescue_naloxone_read_the_code_tables() -> None:
    chart = replace(make_chart(), substance_use=(), medications=(make_med(OXYCODONE_APAP, ago(20), ago(4)),
                                                                 make_med(NALOXONE_INJECTION, ago(30))))
    assert facts.last_opioid_use(chart, DAY)["short"].day == ago(4)
    assert has_rescue_naloxone(chart, DAY)


def test_interactions_take_codes_and_entries_the_terminology_resolved() -> None:
    assert [(a.rule, a.severity) for a in check_interactions(OXYCODONE_APAP, ["637213"])] == [("IX-OPIOID", "critical")]
    by_display = resolve_rxnorm("999999901", "tapentadol 50 MG Oral Tablet")
    assert by_display is not None
    assert [a.rule for a in check_interactions(by_display, ["637213"])] == ["IX-OPIOID"]
    chart = replace(make_chart(), medications=(make_med(PHYSEPTONE, ago(5)),))
    assert [(a.rule, a.severity) for a in check_order_for_chart(chart, "637213", DAY)] == [
        ("IX-AGONIST-TREATMENT", "critical")]
    with pytest.raises(NotFound, match="RxNorm code '424242' not found"):
        check_interactions("424242", ["637213"])


@pytest.mark.parametrize(("code", "display", "oud", "aud"), [
    ("1142050005", "Uncomplicated opioid withdrawal (disorder)", True, False),
    ("1255013006", "Combined opioid with non-opioid substance dependence", True, False),
    ("10741871000119101", "Alcohol dependence in pregnancy (disorder)", False, True),
    ("38341003", "Hypertensive disorder", False, False),
])
def test_the_indication_reads_every_snomed_code_of_the_value_sets(code: str, display: str, oud: bool,
                                                                   aud: bool) -> None:
    chart = replace(make_chart(), episodes=(), diagnoses=(make_dx(code, display, "snomed"),))
    assert (has_oud(chart, DAY), has_aud(chart, DAY)) == (oud, aud)


def _bundle(*resources: dict[str, object]) -> dict[str, object]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1980-01-01"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in (patient, *resources)]}


def test_the_fhir_reader_keeps_a_code_of_the_tables_and_dots_an_icd10cm_code() -> None:
    statement = {"resourceType": "MedicationStatement", "id": "ms-1", "status": "active",
                 "subject": {"reference": "Patient/p1"}, "effectivePeriod": {"start": "2026-03-01"},
                 "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": PHYSEPTONE}]}}
    conditions = [{"resourceType": "Condition", "id": f"dx-{n}", "subject": {"reference": "Patient/p1"},
                   "code": {"coding": [{"system": system, "code": code, "display": "Opioid dependence"}]}}
                  for n, (system, code) in enumerate([("http://hl7.org/fhir/sid/icd-10-cm", "F1120"),
                                                      ("urn:oid:2.16.840.1.113883.6.90", "F11.21")])]
    chart = read_bundle(_bundle(statement, *conditions))
    assert [m.rxnorm for m in chart.medications] == [PHYSEPTONE]
    assert [(d.system, d.code) for d in chart.diagnoses] == [("icd10cm", "F11.20"), ("icd10cm", "F11.21")]
    assert has_oud(replace(chart, episodes=()), DAY)
