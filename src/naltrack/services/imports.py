"""Import of whole charts (from FHIR R4, :mod:`naltrack.adapters.fhir.r4_import`): all or nothing,
idempotent, written and audited like any other record.

One :func:`~naltrack.services.access.run_audited` call: new patients through
:func:`~naltrack.services.record_writes.write_patient`, new records through
:func:`~naltrack.services.record_writes.write_records` (the checks of every record write), one
audit entry per patient and per record written, all in one transaction. A patient or record
whose id is already stored is left as it is, so importing the same data twice changes nothing.
A dry run checks the same and writes nothing (one audit entry for the access).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import InvalidInput
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.security.accounts import Actor
from naltrack.services.access import Access, authorize, run_audited
from naltrack.services.context import AppContext
from naltrack.services.record_writes import check_record, write_patient, write_records
from naltrack.services.security_ports import SecureUnitOfWork
from naltrack.services.unit_of_work import RECORD_TYPES


@dataclass
class ImportOutcome:
    """What an import wrote (or, in a dry run, would write)."""

    patients_created: int = 0
    patients_unchanged: int = 0
    records_created: Counter[str] = field(default_factory=Counter)
    records_unchanged: int = 0


def chart_records(chart: PatientChart) -> list[ClinicalRecord]:
    """Every record of ``chart``, kind by kind."""
    return [r for kind in RECORD_TYPES for r in getattr(chart, kind)]


def import_charts(ctx: AppContext, actor: Actor, charts: Sequence[PatientChart], now: datetime, *,
                  dry_run: bool = False) -> ImportOutcome:
    """Store what is new in ``charts`` into the actor's clinic, all or nothing.

    Raises
    ------
    InvalidInput
        A patient of another clinic, a patient not of the actor's clinic, or an event after ``now``.
    NotFound
        An unknown RxNorm code, or a regimen, implant or injection referenced but not imported.
    AccessDenied
        The actor may not create patients or one of the record kinds.
    """
    access = Access(actor=actor, action="read" if dry_run else "create", category="clinical-views", now=now,
                    record_type="fhir-import", detail=f"FHIR R4 import of {len(charts)} patient(s)")

    def body(uow: SecureUnitOfWork, access: Access) -> ImportOutcome:
        # an import registers patients: refused up front to a role that may not, even when nothing is new
        authorize(uow, access, category="demographics", action="read" if dry_run else "create")
        outcome = ImportOutcome()
        new_records: list[ClinicalRecord] = []
        for chart in charts:
            stored = uow.patients.find(chart.patient.id)
            if stored is not None and stored.clinic_id != actor.clinic_id:
                raise InvalidInput(f"Patient/{chart.patient.id}", chart.patient.id, "is a patient of another clinic")
            if stored is None:
                outcome.patients_created += 1
                if not dry_run:
                    write_patient(uow, access, chart.patient)
            for record in chart_records(chart):
                if uow.records.find(type(record), record.id) is None:
                    new_records.append(record)
                else:
                    outcome.records_unchanged += 1
        outcome.patients_unchanged = len(charts) - outcome.patients_created
        outcome.records_created.update(type(r).__name__ for r in new_records)
        if dry_run:
            for record in new_records:
                check_record(record, now)
        elif new_records:  # imported now, by the actor, whatever the source said
            write_records(uow, access, [replace(r, recorded_at=now) for r in new_records], now)
        return outcome

    return run_audited(ctx.uow, access, body)
