"""The export of the synthetic demo program is closed (every reference resolves), has no empty element,
labels every resource, validates, and one record the writer cannot render stops nothing but itself."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from tests.fhir_checks import empty_elements, unresolved

from naltrack.adapters.fhir import r4_export
from naltrack.adapters.fhir.exchange import only_categories
from naltrack.adapters.fhir.r4_common import FhirValidationError, find_problems, is_part2_labelled, prune_empty
from naltrack.adapters.fhir.r4_export import export_chart, render_chart, sensitivities
from naltrack.adapters.fhir.r4_samples import sample_chart
from naltrack.domain.chart import PatientChart
from naltrack.domain.episodes import Diagnosis
from naltrack.services.unit_of_work import KIND_OF
from naltrack.synthetic import generate_clinics, generate_patients

END = date(2026, 3, 1)


def demo_charts(n: int) -> list[PatientChart]:
    charts = []
    for patient, records in generate_patients(n, seed=5, end=END):
        kinds: dict[str, list[Any]] = {}
        for record in records:
            kinds.setdefault(KIND_OF[type(record)], []).append(record)
        charts.append(PatientChart(patient=patient, **{k: tuple(v) for k, v in kinds.items()}))
    return charts


def test_the_checkers_find_what_they_look_for() -> None:
    assert empty_elements({"meta": {}, "a": [{"b": ""}], "c": None, "d": 0}) == ["meta", "a[0].b", "c"]
    assert unresolved([{"resourceType": "Patient", "id": "p", "managingOrganization": {"reference": "Organization/o"},
                        "link": [{"other": {"reference": "Patient/p"}}, {"other": {"reference": "#c"}}]}]) == [
        "Organization/o", "#c"]


def test_the_demo_programs_export_is_closed_valid_empty_free_and_labelled() -> None:
    clinics = {c.id: c for c in generate_clinics(5)}
    total = 0
    for chart in demo_charts(25):
        out = render_chart(chart, clinic=clinics[chart.patient.clinic_id])
        assert out.problems == []
        resources = out.resources
        total += len(resources)
        assert unresolved(resources) == [], chart.patient.id
        assert empty_elements(resources) == [], chart.patient.id
        assert all(is_part2_labelled(r) for r in resources)
        assert all(find_problems(r) == [] for r in resources)
        (organization,) = [r for r in resources if r["resourceType"] == "Organization"]
        assert organization["name"] == clinics[chart.patient.clinic_id].name
    assert total > 600


@pytest.mark.parametrize("categories", [("administrations",), ("labs", "questionnaires"), ("diagnoses",)])
def test_a_partial_disclosure_is_closed_too(categories: tuple[str, ...]) -> None:
    for chart in demo_charts(8):
        out = render_chart(only_categories(chart, categories), demographics=False)
        assert out.problems == []
        assert unresolved(out.resources) == [] and empty_elements(out.resources) == []
        assert out.resources[0] == {"resourceType": "Patient", "id": chart.patient.id,
                                    "meta": {"security": out.resources[0]["meta"]["security"]}}


def test_a_reference_to_a_record_left_out_is_display_only() -> None:
    chart = only_categories(sample_chart(), ("administrations",))
    shot = next(r for r in render_chart(chart).resources if r["id"] == "pt-ada-inj-1")
    assert shot["request"] == {"type": "MedicationRequest", "display": "MedicationRequest not included"}


def test_the_clinic_is_an_organization_named_by_its_identifier_without_a_clinic() -> None:
    resources = export_chart(sample_chart())
    assert resources[0]["managingOrganization"] == {"reference": "Organization/clinic-1"}
    organization = resources[-1]
    assert (organization["resourceType"], organization["id"], organization["identifier"]) == (
        "Organization", "clinic-1", [{"system": "urn:naltrack:clinic", "value": "clinic-1"}])
    assert "name" not in organization and is_part2_labelled(organization)


def _poisoned() -> PatientChart:
    """A chart whose second injection has a UTC offset of +23:59, as a row stored before the domain refused it."""
    chart = sample_chart()
    bad = replace(chart.injections[1])
    object.__setattr__(bad, "given_at", datetime(2026, 3, 2, 10, tzinfo=timezone(timedelta(hours=23, minutes=59))))
    return replace(chart, injections=(chart.injections[0], bad))


def test_an_offset_beyond_14_hours_leaves_that_record_out_named() -> None:
    out = render_chart(_poisoned())
    assert [(p.resource, p.path) for p in out.problems] == [
        ("MedicationAdministration/pt-ada-inj-1", "effectiveDateTime")]
    ids = {r["id"] for r in out.resources}
    assert "pt-ada-inj-1" not in ids and "pt-ada-inj-0" in ids
    assert "prov-MedicationAdministration-pt-ada-inj-1" not in ids  # no Provenance of what is not there
    assert unresolved(out.resources) == []
    with pytest.raises(FhirValidationError, match=r"MedicationAdministration/pt-ada-inj-1: effectiveDateTime"):
        export_chart(_poisoned())


def test_a_record_the_writer_cannot_build_is_named_and_the_rest_written(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any) -> dict[str, Any]:
        raise KeyError("in-remission?")

    whole = len(export_chart(sample_chart()))
    monkeypatch.setattr(r4_export, "condition_resource", boom)
    out = render_chart(sample_chart())
    assert [(p.resource, p.path, p.message) for p in out.problems] == [
        ("Condition/pt-ada-dx-1", "(record)", "cannot be written as FHIR R4: 'in-remission?'")]
    assert len(out.resources) == whole - 2  # neither the Condition nor its Provenance


@pytest.mark.parametrize(("system", "code", "label"), [
    ("snomed", "231477003", "OPIOIDUD"),  # heroin dependence
    ("snomed", "66590003", "ETHUD"),  # alcohol dependence
    ("icd10cm", "F10.20", "ETHUD"),
])
def test_snomed_and_icd10_diagnoses_give_their_sensitivity(system: str, code: str, label: str) -> None:
    chart = replace(sample_chart(), episodes=(), diagnoses=(
        Diagnosis(id="dx", patient_id="pt-ada", system=system, code=code, display="recorded diagnosis",  # type: ignore[arg-type]
                  recorded_at=datetime(2026, 1, 1, tzinfo=UTC)),))
    assert label in sensitivities(chart)


def test_prune_empty_keeps_zero_and_false() -> None:
    assert prune_empty({"a": 0, "b": False, "c": [{}, {"d": ""}], "e": {"f": []}}) == {"a": 0, "b": False}
