"""Import of FHIR R4 data: transaction or collection Bundles (Synthea writes transaction bundles,
one per patient) and NDJSON files (FHIR Bulk Data, one resource per line), or a folder of them.

All or nothing, in three steps:

1. **Load** (:mod:`.bulk_files`): every resource with its position (``file#entry[3]`` or ``file:12``). A
   Bundle of another type than ``transaction``, ``collection``, ``batch`` or ``searchset`` is refused; files
   that hold no resources (a bulk export's ``log.ndjson``) are ignored and listed in the report.
2. **Check**: every resource validates with fhir.resources R4B (see :mod:`.r4_common` for why R4B),
   then each patient's resources go through the bundle reader, the one FHIR -> domain mapping.
   Any problem, anywhere, names the resource and the element path, and nothing is written.
3. **Write**: through the record use cases (:func:`naltrack.services.imports.import_charts`):
   new patients and records in one transaction, written and audited under the importing user,
   one audit entry per patient and per record. Record ids are the source ids: a record already
   stored as sent is left as it is (importing the same data twice changes nothing); one whose
   content or status changed at the source is corrected and reported as corrected; a patient
   whose source id or identifier names another person is refused.

MedicationAdministrations are read by the bundle reader itself: naltrack's exported doses,
injections and implants come back as such (side, lot, needle length included); an outside
administration lacking those facts arrives as a medication use whose last dose is its date.
Resource types the reader does not map (Encounter, Claim, ...) are counted in the report as skipped.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from naltrack.adapters.fhir.bulk_files import Located, load_files
from naltrack.adapters.fhir.bundle_reader import read_bundle_detailed
from naltrack.adapters.fhir.r4_common import ValidationProblem, find_problems, resource_label
from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import DomainError, InvalidInput
from naltrack.domain.errors import ImportRefused as ImportRefused
from naltrack.domain.security.accounts import Actor
from naltrack.services.context import AppContext
from naltrack.services.imports import chart_records, import_charts
from naltrack.services.record_writes import check_record


@dataclass
class ImportReport:
    """What an import did, or would have done: counts, skipped types and problems."""

    resources: int = 0
    patients_created: int = 0
    patients_unchanged: int = 0
    records_created: Counter[str] = field(default_factory=Counter)
    records_unchanged: int = 0
    records_corrected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    ignored: list[str] = field(default_factory=list)
    problems: list[ValidationProblem] = field(default_factory=list)
    #: Per patient id, the source ids now marked entered-in-error (their stored records are retracted).
    retracted: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "resources": self.resources, "patients_created": self.patients_created,
                "patients_unchanged": self.patients_unchanged, "records_created": dict(self.records_created),
                "records_unchanged": self.records_unchanged, "records_corrected": dict(self.records_corrected),
                "skipped": dict(self.skipped), "ignored": self.ignored, "problems": [str(p) for p in self.problems]}


# 1. Load ---------------------------------------------------------------------------------------

def load_resources(path: Path, report: ImportReport | None = None) -> tuple[list[Located], list[ValidationProblem]]:
    """Every resource under ``path`` (a .json bundle, an .ndjson file, or a folder of them); files that hold
    no resources (a bulk export's ``log.ndjson``) are noted in ``report.ignored``."""
    found: list[Located] = []
    problems: list[ValidationProblem] = []
    for item in load_files(path):
        if isinstance(item, Located):
            found.append(item)
        elif isinstance(item, ValidationProblem):
            problems.append(item)
        elif report is not None:
            report.ignored.append(str(item))
    return found, problems


# 2. Check --------------------------------------------------------------------------------------

def _reference(resource: dict[str, Any], key: str) -> str | None:
    ref = resource.get(key)
    return str(ref["reference"]) if isinstance(ref, dict) and isinstance(ref.get("reference"), str) else None


def _subject(resource: dict[str, Any]) -> str | None:
    return _reference(resource, "subject") or _reference(resource, "patient")


def group_by_patient(items: list[Located]) -> tuple[dict[str, list[Located]], list[Located]]:
    """Each Patient's resources (by the references ``Patient/id`` or its ``fullUrl``, with the Medications they
    name by ``medicationReference``), and the rest."""
    groups: dict[str, list[Located]] = {}
    aliases: dict[str, str] = {}
    medicines: dict[str, Located] = {}
    for item in items:
        kind, rid = item.resource.get("resourceType"), item.resource.get("id")
        if kind == "Patient":
            key = f"Patient/{rid or item.full_url}"
            groups[key] = [item]
            aliases[key] = key
            if item.full_url:
                aliases[item.full_url] = key
        elif kind == "Medication":
            medicines.update({k: item for k in (f"Medication/{rid}", item.full_url) if k})
    others: list[Located] = []
    named: set[tuple[str, int]] = set()  # (patient, Medication) pairs already in the patient's group
    for item in items:
        if item.resource.get("resourceType") in ("Patient", "Medication"):
            continue
        owner = aliases.get(_subject(item.resource) or "")
        (groups[owner] if owner else others).append(item)
        medicine = medicines.get(_reference(item.resource, "medicationReference") or "")
        if owner and medicine is not None and (owner, id(medicine)) not in named:
            groups[owner].append(medicine)
            named.add((owner, id(medicine)))
    used = {medicine for _, medicine in named}
    return groups, others + [m for m in {id(m): m for m in medicines.values()}.values() if id(m) not in used]


def read_charts(items: list[Located], clinic_id: str, report: ImportReport) -> list[PatientChart]:
    """Validate every resource and read each patient's chart; problems go to ``report``."""
    invalid: set[int] = set()
    for item in items:
        found = find_problems(item.resource, item.position)
        if found:
            invalid.add(id(item))
            report.problems += found
    groups, orphans = group_by_patient(items)
    for item in orphans:
        report.skipped[f"{item.resource.get('resourceType')} (no patient in the data)"] += 1
    charts = []
    for group in groups.values():
        if any(id(item) in invalid for item in group):
            continue  # already reported; the reader would only repeat it
        bundle = {"resourceType": "Bundle", "type": "collection",
                  "entry": [{"resource": i.resource,
                             **({"fullUrl": i.full_url} if i.full_url else {})} for i in group]}
        try:
            result = read_bundle_detailed(bundle, clinic_id=clinic_id)
        except DomainError as error:  # the reader names the element path of anything it cannot read
            report.problems.append(_reader_problem(error, group))
            continue
        for line in (*result.skipped, *result.unrecognized_medications):
            report.skipped[_skipped_kind(line)] += 1
        if result.retracted:
            report.retracted[result.chart.patient.id] = frozenset(result.retracted)
        charts.append(_scoped_ids(result.chart))
    return charts


def _reader_problem(error: Exception, group: list[Located]) -> ValidationProblem:
    field_name = getattr(error, "field", "")
    where = group[0].position
    if field_name.startswith("Bundle.entry["):
        index = int(field_name[len("Bundle.entry["):].split("]", 1)[0])
        if 0 <= index < len(group):
            where = resource_label(group[index].resource, group[index].position)
        field_name = field_name.split("]", 1)[1].lstrip(".").removeprefix("resource.") or "(resource)"
    return ValidationProblem(where, field_name or "(resource)", str(error))


def _skipped_kind(line: str) -> str:
    words = line.split(": ", 1)[-1].split()
    return words[0] if words else "resource"


def _scoped_ids(chart: PatientChart) -> PatientChart:
    """Screens get ids from their time; scope them to the patient (a digest: ids hold 64 characters)."""
    screens = tuple(replace(s, id="uds-" + hashlib.sha1(f"{chart.patient.id}|{s.id}".encode()).hexdigest()[:32])
                    if s.id.startswith("uds-") else s for s in chart.screens)
    return replace(chart, screens=screens)


# 3. Write --------------------------------------------------------------------------------------

def check_records(charts: list[PatientChart], now: datetime, report: ImportReport) -> None:
    """Every problem of every record that needs no database (timing, codes), named by the record."""
    for chart in charts:
        for record in chart_records(chart):
            try:
                check_record(record, now)
            except DomainError as error:
                field_name = getattr(error, "field", "").rsplit(".", 1)[-1] or "(record)"
                report.problems.append(ValidationProblem(f"{type(record).__name__}/{record.id}", field_name,
                                                         str(error)))


def write_charts(ctx: AppContext, actor: Actor, charts: list[PatientChart], now: datetime, report: ImportReport,
                 *, dry_run: bool = False) -> None:
    """Store what is new through the record use cases, all or nothing; a refusal becomes a problem."""
    try:
        outcome = import_charts(ctx, actor, charts, now, dry_run=dry_run, retracted=report.retracted)
    except DomainError as error:
        where = getattr(error, "field", "") if isinstance(error, InvalidInput) else ""
        report.problems.append(ValidationProblem(where or "(import)", "(records)", str(error)))
        return
    report.patients_created = outcome.patients_created
    report.patients_unchanged = outcome.patients_unchanged
    report.records_created.update(outcome.records_created)
    report.records_unchanged = outcome.records_unchanged
    report.records_corrected.update(outcome.records_corrected)


def import_path(ctx: AppContext, actor: Actor, path: Path, *, now: datetime, dry_run: bool = False) -> ImportReport:
    """Import everything under ``path`` into the actor's clinic, or nothing.

    Raises :class:`ImportRefused` naming each problem.
    """
    report = ImportReport()
    items, problems = load_resources(path, report)
    report.resources = len(items)
    report.problems += problems
    if not items and not problems:  # only logs or manifests: nothing the user meant to import was found
        report.problems.append(ValidationProblem(str(path), "(file)", "holds no FHIR resources"))
    charts = read_charts(items, actor.clinic_id, report)
    check_records(charts, now, report)
    if not report.problems:
        write_charts(ctx, actor, charts, now, report, dry_run=dry_run)
    if report.problems:
        raise ImportRefused(report)
    return report
