"""MedicationAdministration restated as MedicationStatement for the bundle reader."""

from __future__ import annotations

from datetime import date

from naltrack.adapters.fhir.bundle_reader import read_bundle
from naltrack.adapters.fhir.r4_export import as_bundle, export_chart
from naltrack.adapters.fhir.r4_normalize import administration_as_statement, with_administrations_as_statements
from naltrack.adapters.fhir.r4_samples import sample_chart


def test_administration_keeps_medication_subject_and_date_with_a_statement_status() -> None:
    given = {"resourceType": "MedicationAdministration", "id": "a1", "status": "not-done",
             "medicationCodeableConcept": {"text": "x"}, "subject": {"reference": "Patient/p"},
             "effectiveDateTime": "2026-03-02", "dosage": {"text": "380 mg"}}
    statement = administration_as_statement(given)
    assert statement == {"resourceType": "MedicationStatement", "id": "a1", "status": "not-taken",
                         "medicationCodeableConcept": {"text": "x"}, "subject": {"reference": "Patient/p"},
                         "effectiveDateTime": "2026-03-02"}
    other = {"resourceType": "Observation", "id": "o"}
    assert administration_as_statement(other) is other


def test_exported_injections_reach_the_reader_as_xr_ntx_uses_with_their_day() -> None:
    resources = with_administrations_as_statements(export_chart(sample_chart(), provenance=False))
    chart = read_bundle(as_bundle(resources))
    shots = sorted(m.last_dose for m in chart.medications if m.rxnorm == "637213" and m.last_dose)
    assert shots == [date(2026, 2, 2), date(2026, 3, 2)]
    oral = [m for m in chart.medications if m.id == "pt-ada-od-1"]
    assert oral[0].last_dose == date(2026, 1, 31)
