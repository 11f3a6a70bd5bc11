"""FHIR R4 resources out: a Bundle around them, or one NDJSON file per type (FHIR Bulk Data style)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from naltrack.adapters.fhir.r4_common import FhirResource


def as_bundle(resources: Sequence[FhirResource], bundle_type: str = "collection",
              bundle_id: str | None = None) -> FhirResource:
    """Wrap resources in a Bundle; a ``transaction`` gets PUT requests keyed on type and id."""
    entries = []
    for resource in resources:
        entry: dict[str, Any] = {"fullUrl": f"urn:naltrack:{resource['resourceType']}/{resource['id']}",
                                 "resource": resource}
        if bundle_type == "transaction":
            entry["request"] = {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}
        entries.append(entry)
    bundle: FhirResource = {"resourceType": "Bundle", "type": bundle_type, "entry": entries}
    if bundle_id:
        bundle["id"] = bundle_id
    if bundle_type == "searchset":
        bundle["total"] = len(entries)
    return bundle


def by_type(resources: Iterable[FhirResource]) -> dict[str, list[FhirResource]]:
    """Resources grouped by ``resourceType``, in first-seen order."""
    out: dict[str, list[FhirResource]] = {}
    for resource in resources:
        out.setdefault(resource["resourceType"], []).append(resource)
    return out


class NdjsonWriter:
    """Streams resources to one ``<Type>.ndjson`` per type (FHIR Bulk Data style), patient after patient.

    Use as a context manager; :attr:`counts` gives the resources written per type. A resource already
    written (the same type and id: the clinic's Organization of every patient) is written once.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.counts: dict[str, int] = {}
        self._handles: dict[str, IO[str]] = {}
        self._written: set[tuple[str, str]] = set()

    def __enter__(self) -> NdjsonWriter:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, resources: Iterable[FhirResource]) -> None:
        for resource in resources:
            kind = resource["resourceType"]
            if (kind, resource["id"]) in self._written:
                continue
            self._written.add((kind, resource["id"]))
            handle = self._handles.get(kind)
            if handle is None:
                handle = self._handles[kind] = (self.out_dir / f"{kind}.ndjson").open("w", encoding="utf-8")
            handle.write(json.dumps(resource, separators=(",", ":"), ensure_ascii=False) + "\n")
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles.values():
            handle.close()


def write_ndjson(resources: Iterable[FhirResource], out_dir: Path) -> dict[str, int]:
    """Write one ``<Type>.ndjson`` per resource type; returns counts per type."""
    with NdjsonWriter(out_dir) as writer:
        writer.write(resources)
    return writer.counts
