"""The program's records as OMOP CDM v5.4 tables (Parquet), for a research network: a Part 2 disclosure.

The records leave the program, so the export is decided and recorded as the FHIR export is (42 CFR 2.31):
only patients of the user's clinic whose consent in force names the recipient and the purpose and covers
:data:`OMOP_CATEGORIES` are written; every other patient is left out, listed, and the refusal audited. The
disclosures are recorded, one audit entry each, in the transaction that moves the finished tables into place
(:func:`naltrack.services.consents.disclose_all`): a failure writes nothing and records nothing. ``NOTICE.txt``
(the 42 CFR 2.32 notice) is written beside the tables.

Patients appear under ``person_id`` 1..n in a random order drawn for each export: no name, record number or
internal id leaves, and two exports cannot be linked by it.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from naltrack.analytics.dispensing import dispensing_rows
from naltrack.analytics.omop import Condition, omop_tables, write_omop_tables
from naltrack.domain.errors import DisclosureRefused, DomainError, InvalidInput
from naltrack.domain.security.accounts import Actor
from naltrack.domain.terminology import classify_condition
from naltrack.services import consents as consent_cases
from naltrack.services.context import AppContext
from naltrack.services.read_models import ProgramClinic
from naltrack.services.security_ports import Disclosure, SecureUnitOfWork

#: What an OMOP export carries: year of birth and sex (person), doses (drug_exposure), diagnoses (conditions).
OMOP_CATEGORIES: tuple[str, ...] = ("demographics", "administrations", "medications", "diagnoses")


@dataclass
class OmopExport:
    """Rows written by table, how many patients were disclosed, and those left out (with the reason)."""

    counts: dict[str, int] = field(default_factory=dict)
    disclosed: int = 0
    refused: list[str] = field(default_factory=list)


def export_omop(ctx: AppContext, actor: Actor, recipient: str, purpose: str, now: datetime,
                out_dir: Path) -> OmopExport:
    """Disclose the consented patients of the user's clinic to ``recipient`` as OMOP tables in ``out_dir``
    (new or empty). Nothing is written when no patient's consent covers the disclosure."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InvalidInput("OUT_DIR", str(out_dir), "must be a new or empty folder")
    with ctx.uow() as uow:
        total = uow.patients.count(clinic_id=actor.clinic_id)
        patient_ids = [p.id for p in uow.patients.search(clinic_id=actor.clinic_id, limit=max(total, 1), offset=0)]
        covered = [pid for pid in patient_ids if any(
            c.is_in_force(now) and c.covers(recipient, purpose, OMOP_CATEGORIES)
            for c in uow.security.consents_for(pid))]
    result = OmopExport()
    result.refused = [_refuse(ctx, actor, pid, recipient, purpose, now) for pid in patient_ids
                      if pid not in covered]
    if not covered:
        return result
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))

    def deliver(uow: SecureUnitOfWork, made: list[Disclosure]) -> None:
        ids = {d.patient_id for d in made}
        clinic = uow.clinics.get(actor.clinic_id)
        as_of = now.astimezone(clinic.zone).date()
        courses = [c for c in uow.read_models.program_courses([ProgramClinic(clinic.id, as_of, clinic.zone)])
                   if c.patient_id in ids]
        order = sorted(ids)
        random.SystemRandom().shuffle(order)
        person_ids = {pid: n for n, pid in enumerate(order, start=1)}
        conditions = _conditions(uow, sorted(ids), clinic.zone)
        tables = omop_tables(dispensing_rows(courses, ctx.thresholds), courses, conditions, person_ids)
        result.counts = write_omop_tables(tables, stage)
        (stage / "NOTICE.txt").write_text(ctx.redisclosure_notice + "\n", encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(stage, out_dir)

    try:
        made = consent_cases.disclose_all(ctx, actor, [(pid, OMOP_CATEGORIES) for pid in covered], recipient,
                                          purpose, now, deliver)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    result.disclosed = len(made)
    return result


def _conditions(uow: SecureUnitOfWork, patient_ids: list[str], zone: ZoneInfo) -> list[Condition]:
    """The OUD and AUD diagnoses the measures count (``PatientCourse.diagnosed_on``): those recorded and not entered
    in error, on the clinic-local day each was recorded."""
    found = []
    for patient_id in patient_ids:
        for record in uow.records.for_patient(patient_id, ["diagnoses"]).get("diagnoses", []):
            system, code = getattr(record, "system", ""), getattr(record, "code", "")
            if (record.status == "active" and record.recorded_at is not None
                    and classify_condition(system, code, getattr(record, "display", None))):
                found.append(Condition(patient_id, code, record.recorded_at.astimezone(zone).date()))
    return found


def _refuse(ctx: AppContext, actor: Actor, patient_id: str, recipient: str, purpose: str, now: datetime) -> str:
    """The audited refusal of a disclosure no consent covers, as text (nothing is recorded as made)."""
    refusal: DomainError = DisclosureRefused("no consent in force covers this recipient, purpose and categories")

    def never(_uow: SecureUnitOfWork, _made: list[Disclosure]) -> None:
        raise refusal

    try:
        consent_cases.disclose_all(ctx, actor, [(patient_id, OMOP_CATEGORIES)], recipient, purpose, now, never)
    except DomainError as error:
        refusal = error
    return f"{patient_id}: {refusal}"
