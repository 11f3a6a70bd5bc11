"""Reading the files of an import: bulk folders with their log and manifest, searchset bundles, JSON limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from naltrack.adapters.fhir.bulk_files import (
    MAX_DEPTH,
    Ignored,
    Located,
    UnreadableJson,
    json_depth,
    load_files,
    parse_json,
)
from naltrack.adapters.fhir.r4_common import ValidationProblem

PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1980-01-01"}


def _write(folder: Path, name: str, *lines: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_a_bulk_folder_reads_resources_and_ignores_its_log_and_manifest(tmp_path: Path) -> None:
    _write(tmp_path, "Patient.000.ndjson", PATIENT)
    _write(tmp_path, "log.ndjson", {"exportId": "e1", "eventId": "kickoff"}, {"exportId": "e1", "eventId": "done"})
    (tmp_path / "manifest.json").write_text(json.dumps({"transactionTime": "2026-01-01T00:00:00Z", "output": []}))
    items = list(load_files(tmp_path))
    assert [i.position for i in items if isinstance(i, Located)] == ["Patient.000.ndjson:1"]
    assert [str(i) for i in items if isinstance(i, Ignored)] == [
        "log.ndjson: holds no FHIR resources (a bulk export log or manifest), ignored",
        "manifest.json: is not a FHIR resource (a manifest or other file), ignored"]


def test_a_line_without_resource_type_among_resources_is_a_problem(tmp_path: Path) -> None:
    _write(tmp_path, "Patient.000.ndjson", PATIENT, {"id": "p2"})
    (problem,) = [i for i in load_files(tmp_path) if isinstance(i, ValidationProblem)]
    assert str(problem) == "Patient.000.ndjson:2: resourceType: is missing (every line is one resource)"


def test_a_searchset_leaves_out_its_outcome_entries(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": PATIENT, "search": {"mode": "match"}},
        {"resource": {"resourceType": "OperationOutcome", "issue": []}, "search": {"mode": "outcome"}}]}
    (tmp_path / "everything.json").write_text(json.dumps(bundle))
    items = list(load_files(tmp_path / "everything.json"))
    assert [type(i).__name__ for i in items] == ["Located", "Ignored"]
    assert str(items[1]) == "everything.json#entry[1]: a search outcome, not data, ignored"


def test_a_history_bundle_is_refused(tmp_path: Path) -> None:
    (tmp_path / "h.json").write_text(json.dumps({"resourceType": "Bundle", "type": "history", "entry": []}))
    (problem,) = load_files(tmp_path / "h.json")
    assert str(problem) == ("h.json: Bundle.type: 'history' must be one of transaction, collection, batch, "
                            "searchset")


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)])
def test_json_nested_too_deep_is_refused_without_recursion(text: str) -> None:
    with pytest.raises(UnreadableJson, match=f"is nested deeper than {MAX_DEPTH} levels"):
        parse_json(text)


def test_json_at_the_depth_limit_is_read_and_bad_json_names_where() -> None:
    text = '{"a":' * (MAX_DEPTH - 1) + "[1]" + "}" * (MAX_DEPTH - 1)
    assert json_depth(parse_json(text)) == MAX_DEPTH
    with pytest.raises(UnreadableJson, match=r"is not valid JSON \(Expecting value\) \(line 1 column 7\)"):
        parse_json('{"a": }')


def test_a_folder_that_cannot_be_listed_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Path, pattern: str) -> list[Path]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "rglob", refuse)
    (problem,) = load_files(tmp_path)
    assert str(problem) == f"{tmp_path}: (folder): cannot be read (Permission denied)"
