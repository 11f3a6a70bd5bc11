"""Pre-dose decisions in the FHIR export: an override is a labelled DetectedIssue naming the dose and the reason,
a dose held or refused a MedicationAdministration not done, and neither reads back as a dose given."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from naltrack.adapters.fhir.bundle_reader import read_bundle
from naltrack.adapters.fhir.r4_common import is_part2_labelled
from naltrack.adapters.fhir.r4_export import export_chart
from naltrack.adapters.fhir.r4_samples import sample_chart
from naltrack.domain.dose_decisions import DoseDecision


def test_an_override_and_a_held_dose_export_as_valid_labelled_resources() -> None:
    chart = sample_chart()
    shot = chart.injections[-1]
    override = DoseDecision(id="dd-over", patient_id=chart.patient.id, form="xr-ntx", decided_at=shot.given_at,
                            outcome="given", dose_class="first", decided_by="dr.okafor", dose_id=shot.id,
                            overridden=("RDY-OPIOID-FREE", "RDY-UDS-POSITIVE"),
                            override_reason="codeine prescribed and stopped; challenge passed")
    held = DoseDecision(id="dd-held", patient_id=chart.patient.id, form="oral",
                        decided_at=shot.given_at + timedelta(days=3), outcome="held", dose_class="continuation",
                        decided_by="nurse.kim", reason="ALT 6x ULN this morning; prescriber to review")
    plain = replace(override, id="dd-plain", overridden=(), override_reason=None)
    resources = export_chart(replace(chart, dose_decisions=(override, held, plain)))  # validates each one
    by_id = {r["id"]: r for r in resources}
    issue = by_id["dd-over"]
    assert (issue["resourceType"], issue["status"], issue["severity"]) == ("DetectedIssue", "final", "high")
    assert issue["implicated"] == [{"reference": f"MedicationAdministration/{shot.id}"}]
    assert issue["detail"].endswith("given despite: RDY-OPIOID-FREE, RDY-UDS-POSITIVE.")
    assert issue["mitigation"][0]["action"]["coding"][0]["code"] == "OVERRIDE"
    assert issue["extension"][0]["valueString"] == "codeine prescribed and stopped; challenge passed"
    not_done = by_id["dd-held"]
    assert (not_done["resourceType"], not_done["status"]) == ("MedicationAdministration", "not-done")
    assert not_done["statusReason"] == [{"text": "Held by staff: ALT 6x ULN this morning; prescriber to review"}]
    assert is_part2_labelled(issue) and is_part2_labelled(not_done)
    assert "dd-plain" not in by_id
    again = read_bundle({"resourceType": "Bundle", "type": "collection",
                         "entry": [{"resource": r} for r in resources]})
    assert len(again.oral_doses) == len(chart.oral_doses) and len(again.injections) == len(chart.injections)
