"""A safety assessment exports as a valid FHIR R4 Procedure (SNOMED 225337009) with the Part 2 labels."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from tests.factories import make_safety_assessment

from naltrack.adapters.fhir.r4_common import is_part2_labelled
from naltrack.adapters.fhir.r4_export import export_chart
from naltrack.adapters.fhir.r4_samples import sample_chart


def test_the_chart_export_carries_the_assessment_as_a_labelled_procedure() -> None:
    chart = sample_chart()
    response = chart.questionnaires[0]
    assessment = make_safety_assessment(patient_id=chart.patient.id, response_id=response.id, risk_level="high",
                                        assessed_at=response.completed_at + timedelta(hours=1),
                                        follow_up_on=date(2030, 1, 1), note="seen with family",
                                        actions=("safety-plan", "follow-up-booked"))
    retracted = replace(make_safety_assessment(patient_id=chart.patient.id), status="entered-in-error")
    resources = export_chart(replace(chart, safety_assessments=(assessment, retracted)))  # validates each one
    procedures = {r["id"]: r for r in resources if r["resourceType"] == "Procedure"}
    done = procedures[assessment.id]
    assert (done["status"], done["code"]["coding"][0]["code"]) == ("completed", "225337009")
    assert done["outcome"]["coding"][0]["display"] == "High"
    assert [c["text"] for c in done["followUp"]] == ["Safety plan made or reviewed", "Follow-up booked"]
    assert [n["text"] for n in done["note"]] == ["Follow-up on 2030-01-01", "seen with family"]
    assert done["reasonReference"] == [{"reference": f"QuestionnaireResponse/{response.id}"}]
    assert done["performer"][0]["actor"] == {"display": "Cora Test"} and is_part2_labelled(done)
    assert procedures[retracted.id]["status"] == "entered-in-error"
