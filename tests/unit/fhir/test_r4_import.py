"""Import checks without a database: any invalid resource stops the import before storage is touched."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from naltrack.adapters.fhir.r4_export import export_chart
from naltrack.adapters.fhir.r4_import import ImportRefused, group_by_patient, import_path, load_resources
from naltrack.adapters.fhir.r4_samples import sample_chart
from naltrack.domain.security.accounts import Actor, User
from naltrack.services.context import AppContext

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures" / "fhir"
NOW = datetime(2026, 3, 12, tzinfo=UTC)
IMPORTER = Actor(User(id="u1", username="dr.import", role="prescriber", clinic_id="c1"), "test")
RESOURCES = export_chart(sample_chart(), provenance=False)


def _no_storage() -> object:
    raise AssertionError("storage was opened although the data has problems")


CORRUPTIONS = {
    "status": lambda r: r.update(status=12),
    "unknown element": lambda r: r.update(colour="blue"),
    "bad date": lambda r: r.update(meta={"lastUpdated": "yesterday"}),
    "no type": lambda r: r.pop("resourceType"),
}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(min_value=0, max_value=len(RESOURCES) - 1), how=st.sampled_from(sorted(CORRUPTIONS)))
def test_one_corrupted_resource_refuses_the_whole_import_naming_it(tmp_path_factory: pytest.TempPathFactory,
                                                                    index: int, how: str) -> None:
    resources = json.loads(json.dumps(RESOURCES))
    CORRUPTIONS[how](resources[index])
    path = tmp_path_factory.mktemp("imp") / "bundle.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "transaction",
                                "entry": [{"resource": r} for r in resources]}))
    with pytest.raises(ImportRefused, match="nothing imported") as caught:
        import_path(AppContext(uow=_no_storage), IMPORTER, path, now=NOW)  # type: ignore[arg-type]
    positions = [p.resource for p in caught.value.report.problems]
    assert any(p.startswith(f"bundle.json#entry[{index}]") for p in positions), positions


def test_ndjson_lines_and_bundle_entries_carry_their_positions() -> None:
    items, problems = load_resources(FIXTURES / "ndjson")
    assert problems == []
    assert {i.position for i in items if i.resource["resourceType"] == "Observation"} == {
        "Observation.ndjson:1", "Observation.ndjson:2", "Observation.ndjson:3"}
    items, _ = load_resources(FIXTURES / "synthea" / "Mara401_Rowe822.json")
    assert items[0].position == "Mara401_Rowe822.json#entry[0]" and items[0].full_url.startswith("urn:uuid:")


def test_resources_are_grouped_by_the_patient_they_reference_by_full_url() -> None:
    items, _ = load_resources(FIXTURES / "synthea")
    groups, orphans = group_by_patient(items)
    assert sorted(len(g) for g in groups.values()) == [8, 9]
    assert [o.resource["resourceType"] for o in orphans] == ["Provenance", "Provenance"]


def test_a_folder_without_fhir_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ImportRefused, match="holds no .json or .ndjson file"):
        import_path(AppContext(uow=_no_storage), IMPORTER, tmp_path, now=NOW)  # type: ignore[arg-type]


def test_files_that_hold_only_a_bulk_export_log_are_refused(tmp_path: Path) -> None:
    (tmp_path / "log.ndjson").write_text(json.dumps({"exportId": "e1", "eventId": "kickoff"}) + "\n")
    with pytest.raises(ImportRefused) as caught:
        import_path(AppContext(uow=_no_storage), IMPORTER, tmp_path, now=NOW)  # type: ignore[arg-type]
    report = caught.value.report
    assert [str(p) for p in report.problems] == [f"{tmp_path}: (file): holds no FHIR resources"]
    assert report.ignored == ["log.ndjson: holds no FHIR resources (a bulk export log or manifest), ignored"]
