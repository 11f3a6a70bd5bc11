"""FHIR import rate: ``naltrack fhir import`` beside fhir.resources parse-only, on the same files.

The files are synthetic: ``n`` patients on XR-NTX (:func:`naltrack.adapters.fhir.r4_samples.sample_charts`)
exported by naltrack as one transaction Bundle per patient, Synthea-style, in a temporary folder.

* naltrack: :func:`naltrack.adapters.fhir.r4_import.import_path` into a fresh SQLite database: read the
  files, validate every resource with fhir.resources R4B, map each patient through the bundle reader,
  write patients, records and audit entries in one transaction.
* baseline: ``fhir.resources.R4B`` parse only: ``Bundle.model_validate`` of each file, nothing else.

Goal (issue 7): naltrack at least 50% of the parse-only rate.
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import Figure


def write_files(folder: Path, patients: int) -> int:
    from naltrack.adapters.fhir.r4_export import as_bundle, export_chart
    from naltrack.adapters.fhir.r4_samples import sample_charts

    total = 0
    for chart in sample_charts(patients, seed=11):
        resources = export_chart(chart, validate=False)
        total += len(resources)
        (folder / f"{chart.patient.id}.json").write_text(json.dumps(as_bundle(resources, "transaction")))
    return total


def parse_only(folder: Path) -> float:
    from fhir.resources.R4B.bundle import Bundle

    start = time.perf_counter()
    for file in sorted(folder.glob("*.json")):
        Bundle.model_validate(json.loads(file.read_text()))
    return time.perf_counter() - start


def naltrack_import(folder: Path, database: Path) -> tuple[float, int]:
    from naltrack.adapters.fhir.r4_import import import_path
    from naltrack.bootstrap import Storage
    from naltrack.domain.patients import Clinic
    from naltrack.domain.security.accounts import Actor
    from naltrack.services.context import AppContext
    from naltrack.services.patients import register_clinic
    from naltrack.services.security import add_user

    now = datetime(2026, 6, 1, tzinfo=UTC)
    storage = Storage(f"sqlite:///{database}")
    ctx = AppContext(uow=storage.secure_uow)
    register_clinic(ctx, Clinic(id="clinic-1", name="Benchmark clinic"))
    importer = Actor(add_user(ctx.uow, "bench.import", "benchmark importer 42", "prescriber", "clinic-1", now), "cli")
    start = time.perf_counter()
    report = import_path(ctx, importer, folder, now=now)
    seconds = time.perf_counter() - start
    storage.close()
    return seconds, sum(report.records_created.values())


def run(quick: bool = False) -> list[Figure]:
    patients = 50 if quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bundles"
        folder.mkdir()
        resources = write_files(folder, patients)
        parse_only(folder)  # warm the model classes
        baseline_s = min(parse_only(folder) for _ in range(2))
        seconds, records = naltrack_import(folder, Path(tmp) / "naltrack.db")
    return [
        Figure(f"import rate ({patients:,} patients, {resources:,} resources, {records:,} records stored)",
               resources / seconds, "resources/s", "fhir.resources R4B parse only", resources / baseline_s,
               goal=">= 0.5x the baseline"),
    ]
