"""Import of whole charts (from FHIR R4, :mod:`naltrack.adapters.fhir.r4_import`): all or nothing,
idempotent, written and audited like any other record.

One :func:`~naltrack.services.access.run_audited` call: new patients through
:func:`~naltrack.services.record_writes.write_patient`, new records through
:func:`~naltrack.services.record_writes.write_records` (the checks of every record write), one
audit entry per patient and per record written, all in one transaction. Record ids are the source's ids:

* a record not stored yet is created;
* a record stored with the same content (its current version, following the corrections) is left as it is,
  so importing the same data twice changes nothing;
* a record whose content changed at the source (a condition now resolved, a medicine stopped, an amended
  result) is corrected (:func:`~naltrack.services.records.write_correction`: the stored version becomes
  entered-in-error, the new one supersedes it), and a record the source now marks entered-in-error is
  retracted; both are reported as corrected.

Two people never merge: an imported patient whose source id, or one of whose identifiers (system and
value), names a stored patient with other demographics (:func:`~naltrack.domain.identity.match_person`) is
refused, naming the id or identifier and what disagrees, and nothing is written.
A dry run checks the same and writes nothing (one audit entry for the access).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime

from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import InvalidInput
from naltrack.domain.identity import Demographics, PartialDate, match_person
from naltrack.domain.patients import Patient
from naltrack.domain.person_data import Identifier
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.roles import KIND_CATEGORY
from naltrack.services.access import Access, authorize, run_audited
from naltrack.services.context import AppContext
from naltrack.services.record_writes import check_record, kind_of, write_patient, write_records
from naltrack.services.records import write_correction
from naltrack.services.security import new_id
from naltrack.services.security_ports import SecureUnitOfWork
from naltrack.services.unit_of_work import RECORD_TYPES, chart_in

#: The source's patient id as the evidence :func:`~naltrack.domain.identity.match_person` compares (it is the
#: stored patient's id, whatever identifiers either side carries).
_SOURCE_ID = "urn:naltrack:import-source-id"
#: Fields that say who stored a record and which version it is, not what it says.
_BOOKKEEPING = frozenset({"id", "status", "supersedes", "recorded_at", "recorded_by", "version"})


@dataclass
class ImportOutcome:
    """What an import wrote (or, in a dry run, would write)."""

    patients_created: int = 0
    patients_unchanged: int = 0
    records_created: Counter[str] = field(default_factory=Counter)
    records_unchanged: int = 0
    records_corrected: Counter[str] = field(default_factory=Counter)


def chart_records(chart: PatientChart) -> list[ClinicalRecord]:
    """Every record of ``chart``, kind by kind."""
    return [r for kind in RECORD_TYPES for r in getattr(chart, kind)]


def same_content(a: ClinicalRecord, b: ClinicalRecord) -> bool:
    """Whether two records of one type say the same (ids, status, versions and who stored them aside)."""
    return type(a) is type(b) and all(getattr(a, f.name) == getattr(b, f.name)
                                      for f in fields(a) if f.name not in _BOOKKEEPING)


class _Versions:
    """The stored records of one patient, each id leading to the current version of its chain of corrections."""

    def __init__(self, chart: PatientChart | None) -> None:
        records = chart_records(chart) if chart is not None else []
        self.by_key = {(type(r), r.id): r for r in records}
        self.successor = {(type(r), r.supersedes): r.id for r in records if r.supersedes is not None}

    def current(self, cls: type[ClinicalRecord], record_id: str) -> ClinicalRecord | None:
        """The newest version of the chain ``record_id`` belongs to, or ``None`` when it is not stored."""
        if (cls, record_id) not in self.by_key:
            return None
        while (cls, record_id) in self.successor:
            record_id = self.successor[(cls, record_id)]
        return self.by_key[(cls, record_id)]


def demographics_of(patient: Patient) -> Demographics:
    """What an imported patient says about the person, for :func:`~naltrack.domain.identity.match_person`."""
    return Demographics(family=patient.family_name, given=patient.given_name,
                        birth_date=PartialDate.of(patient.birth_date), identifiers=patient.all_identifiers)


def check_same_person(uow: SecureUnitOfWork, imported: Patient, stored: Patient | None) -> None:
    """Refuse an imported patient whose source id, or identifier, names a stored patient (of the same clinic: another
    clinic's patients are not disclosed) whose demographics disagree."""
    demographics = demographics_of(imported)
    if stored is not None:  # the source id is the stored patient's id: it links them, as an identifier would
        link = Identifier(_SOURCE_ID, imported.id)
        match = match_person(replace(stored, identifiers=(*stored.identifiers, link)),
                             replace(demographics, identifiers=(link,)))
        if match.outcome == "different":
            raise InvalidInput(f"Patient/{imported.id}", imported.id,
                               f"is already the source id of another person in naltrack ({'; '.join(match.reasons)}):"
                               " two people are never merged")
    for identifier in imported.identifiers:
        for known in uow.patients.find_by_identifier(identifier.system, identifier.value):
            match = match_person(known, demographics)
            if known.clinic_id == imported.clinic_id and match.outcome == "different":
                raise InvalidInput(f"Patient/{imported.id}.identifier", f"{identifier.system}|{identifier.value}",
                                   f"already identifies another person in naltrack ({'; '.join(match.reasons)}):"
                                   " two people are never merged")


def import_charts(ctx: AppContext, actor: Actor, charts: Sequence[PatientChart], now: datetime, *,
                  dry_run: bool = False, retracted: Mapping[str, frozenset[str]] | None = None) -> ImportOutcome:
    """Store what is new or changed in ``charts`` into the actor's clinic, all or nothing.

    ``retracted`` names, per patient id, the source ids the source now marks entered-in-error.

    Raises
    ------
    InvalidInput
        A patient of another clinic, a patient not of the actor's clinic, a different person under a known
        source id or identifier, or an event after ``now``.
    NotFound
        An unknown RxNorm code, or a regimen, implant or injection referenced but not imported.
    AccessDenied
        The actor may not create patients or one of the record kinds.
    """
    access = Access(actor=actor, action="read" if dry_run else "create", category="clinical-views", now=now,
                    record_type="fhir-import", detail=f"FHIR R4 import of {len(charts)} patient(s)")
    gone = retracted or {}

    def body(uow: SecureUnitOfWork, access: Access) -> ImportOutcome:
        # an import registers patients: refused up front to a role that may not, even when nothing is new
        authorize(uow, access, category="demographics", action="read" if dry_run else "create")
        outcome = ImportOutcome()
        new_records: list[ClinicalRecord] = []
        changes: list[tuple[ClinicalRecord, ClinicalRecord | None]] = []
        for chart in charts:
            stored = uow.patients.find(chart.patient.id)
            if stored is not None and stored.clinic_id != actor.clinic_id:
                raise InvalidInput(f"Patient/{chart.patient.id}", chart.patient.id, "is a patient of another clinic")
            check_same_person(uow, chart.patient, stored)
            if stored is None:
                outcome.patients_created += 1
                if not dry_run:
                    write_patient(uow, access, chart.patient)
            versions = _Versions(chart_in(uow, stored) if stored is not None else None)
            new_records += _sort(chart, versions, gone.get(chart.patient.id, frozenset()), changes, outcome)
        outcome.patients_unchanged = len(charts) - outcome.patients_created
        outcome.records_created.update(type(r).__name__ for r in new_records)
        outcome.records_corrected.update(type(old).__name__ for old, _ in changes)
        if dry_run:
            for record in [*new_records, *(new for _, new in changes if new is not None)]:
                check_record(record, now)
        else:
            if new_records:  # imported now, by the actor, whatever the source said
                write_records(uow, access, [replace(r, recorded_at=now) for r in new_records], now)
            _write_changes(uow, access, changes, now)
        return outcome

    return run_audited(ctx.uow, access, body)


def _sort(chart: PatientChart, versions: _Versions, retracted: frozenset[str],
          changes: list[tuple[ClinicalRecord, ClinicalRecord | None]], outcome: ImportOutcome) -> list[ClinicalRecord]:
    """The new records of ``chart``; the changed ones go to ``changes`` as ``(stored, correction)``, a retracted
    one as ``(stored, None)``; the rest are counted unchanged."""
    new: list[ClinicalRecord] = []
    sent = {(type(r), r.id) for r in chart_records(chart)}
    for record in chart_records(chart):
        stored = versions.current(type(record), record.id)
        if stored is None:
            new.append(record)
        elif not stored.is_active or same_content(stored, record):
            outcome.records_unchanged += 1  # retracted here, or as stored: a retraction is not undone by a source
        else:
            changes.append((stored, replace(record, id=new_id(), supersedes=None)))
    for cls in RECORD_TYPES.values():
        for record_id in sorted(retracted):
            stored = versions.current(cls, record_id)
            # the current version sent beside its retracted predecessor (naltrack's own export) stays
            if stored is not None and stored.is_active and (cls, stored.id) not in sent:
                changes.append((stored, None))
    return new


def _write_changes(uow: SecureUnitOfWork, access: Access, changes: list[tuple[ClinicalRecord, ClinicalRecord | None]],
                   now: datetime) -> None:
    """Correct or retract each stored record, as the actor, one audit entry each."""
    for stored, correction in changes:
        kind = kind_of(stored)
        authorize(uow, access, category=KIND_CATEGORY[kind], action="update" if correction else "retract")
        if correction is not None:
            write_correction(uow, access, kind, stored, replace(correction, recorded_at=now,
                                                                 recorded_by=access.actor.user.id), now)
        else:
            uow.records.update(replace(stored, status="entered-in-error", version=stored.version + 1))
            access.wrote(kind, stored.id, stored.patient_id, category=KIND_CATEGORY[kind],
                         detail="entered-in-error at the source")
