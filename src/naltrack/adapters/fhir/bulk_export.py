"""A bulk FHIR export to a folder as a set of Part 2 disclosures: all made and recorded, or none.

Each patient's consented records are written as FHIR R4 (:func:`~.exchange.render_disclosure`) into a
staging folder beside the destination, one ``<Type>.ndjson`` per type, with ``NOTICE.txt`` (42 CFR
2.32). Then one transaction records every disclosure (:func:`naltrack.services.consents.disclose_all`)
and, before it commits, writes each disclosure's Consent and AuditEvent and moves the staging folder
into place. Any failure on the way removes the staging folder: nothing is written and no disclosure
is recorded as made. A record that cannot be written as FHIR is left out and named; a patient whose
stored records cannot be read, or whose Patient cannot be written, is left out and named; neither stops
the export.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from naltrack.adapters.fhir.exchange import (
    consented_categories,
    disclosed_references,
    disclosure_resources,
    render_disclosure,
)
from naltrack.adapters.fhir.r4_files import NdjsonWriter
from naltrack.domain.errors import Conflict, DisclosureRefused, DomainError, InvalidInput
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.roles import CLINICAL_CATEGORIES
from naltrack.services import consents as consent_cases
from naltrack.services.context import AppContext
from naltrack.services.security_ports import Disclosure, SecureUnitOfWork


@dataclass
class BulkExport:
    """What an export wrote: resources per type, the patients disclosed, those left out and why, and the
    records left out because they cannot be written as FHIR R4."""

    counts: dict[str, int] = field(default_factory=dict)
    disclosed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    not_written: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Staged:
    patient_id: str
    categories: tuple[str, ...]
    records: list[str]
    labels: list[dict[str, Any]]


def refuse_unconsented(ctx: AppContext, actor: Actor, patient_id: str, recipient: str, purpose: str,
                       now: datetime) -> str:
    """The audited refusal of a disclosure no consent covers, as text; nothing is ever recorded as made (a
    consent signed meanwhile is refused by the delivery, which the next export will honour)."""
    refusal: DomainError = DisclosureRefused("no consent in force covers this recipient and purpose")

    def never(_uow: SecureUnitOfWork, _made: list[Disclosure]) -> None:
        raise refusal

    try:
        consent_cases.disclose_all(ctx, actor, [(patient_id, CLINICAL_CATEGORIES)], recipient, purpose, now, never)
    except DomainError as error:
        refusal = error
    return f"{patient_id}: {refusal}"


def export_disclosures(ctx: AppContext, actor: Actor, patient_ids: list[str], recipient: str, purpose: str,
                       now: datetime, out_dir: Path) -> BulkExport:
    """Disclose each patient's consented records to ``recipient`` as NDJSON in ``out_dir`` (new or empty)."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InvalidInput("--out", str(out_dir), "must be a new or empty folder")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        result, staged = _stage(ctx, actor, patient_ids, recipient, purpose, now, stage)

        def deliver(uow: SecureUnitOfWork, made: list[Disclosure]) -> None:
            by_patient = {s.patient_id: s for s in staged}
            with NdjsonWriter(stage) as writer:
                for disclosure in made:
                    one = by_patient[disclosure.patient_id]
                    writer.write(disclosure_resources(uow, disclosure, one.records, actor, one.labels))
            for kind, n in writer.counts.items():
                result.counts[kind] = result.counts.get(kind, 0) + n
            (stage / "NOTICE.txt").write_text(ctx.redisclosure_notice + "\n", encoding="utf-8")
            if out_dir.exists():
                out_dir.rmdir()
            os.replace(stage, out_dir)

        consent_cases.disclose_all(ctx, actor, [(s.patient_id, s.categories) for s in staged], recipient,
                                   purpose, now, deliver)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    result.disclosed = [s.patient_id for s in staged]
    return result


def _stage(ctx: AppContext, actor: Actor, patient_ids: list[str], recipient: str, purpose: str, now: datetime,
           stage: Path) -> tuple[BulkExport, list[_Staged]]:
    """Write each consented patient's records into ``stage``, one patient at a time (memory stays flat)."""
    result = BulkExport()
    staged: list[_Staged] = []
    with NdjsonWriter(stage) as writer:
        for patient_id in patient_ids:
            with ctx.uow() as uow:
                categories = consented_categories(uow, patient_id, recipient, purpose, now)
                patient = uow.patients.find(patient_id) if categories else None
                if patient is not None and patient.clinic_id != actor.clinic_id:
                    patient = None  # refused below as "not found", audited, like any other clinic's patient
                try:
                    rendered = render_disclosure(uow, patient, categories) if patient is not None else None
                except Conflict as error:  # a stored record cannot be read, or the Patient cannot be written
                    result.not_written.append(f"{patient_id}: left out: {error}")
                    continue
            if rendered is None:
                result.refused.append(refuse_unconsented(ctx, actor, patient_id, recipient, purpose, now))
                continue
            resources = rendered.export.resources
            writer.write(resources)
            result.not_written += [f"{patient_id}: {problem}" for problem in rendered.export.problems]
            staged.append(_Staged(patient_id, categories, disclosed_references(resources), rendered.labels))
    result.counts = dict(writer.counts)
    return result, staged
