"""``meta.versionId`` of exported resources comes from the version of the record each one carries."""

from __future__ import annotations

from dataclasses import replace

from naltrack.adapters.fhir.exchange import record_versions, with_versions
from naltrack.adapters.fhir.r4_common import find_problems
from naltrack.adapters.fhir.r4_export import export_chart
from naltrack.adapters.fhir.r4_samples import sample_chart


def test_each_resource_carries_the_version_of_its_record() -> None:
    chart = sample_chart("pt-v")
    diagnosis = replace(chart.diagnoses[0], version=3)
    questionnaire = replace(chart.questionnaires[0], version=2)
    chart = replace(chart, patient=replace(chart.patient, version=4), diagnoses=(diagnosis,),
                    questionnaires=(questionnaire,))
    resources = with_versions(export_chart(chart), chart)
    by_type = {r["resourceType"]: r for r in resources}
    assert by_type["Patient"]["meta"]["versionId"] == "4"
    assert by_type["Condition"]["meta"]["versionId"] == "3"
    assert by_type["QuestionnaireResponse"]["meta"]["versionId"] == "2"  # one Identifier, not a list
    assert all(find_problems(r) == [] for r in resources)


def test_a_resource_without_a_naltrack_record_gets_no_version() -> None:
    chart = sample_chart("pt-v")
    provenance = next(r for r in with_versions(export_chart(chart), chart) if r["resourceType"] == "Provenance")
    assert "versionId" not in provenance.get("meta", {})
    assert record_versions(chart)[chart.diagnoses[0].id] == 1
