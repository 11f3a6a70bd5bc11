"""Record use cases: create (one or a batch), correct, retract, list and read clinical records,
and load a patient's chart. Every face (web, REST API, CLI, FHIR import) calls these.

Each use case takes the application context, the acting user, its inputs and ``now``, and
runs in ONE :func:`~naltrack.services.access.run_audited` call: tenancy, the role matrix, the
checks of :mod:`naltrack.services.record_writes` (timing, codes, references), the write and
its audit entries commit together or not at all. Every record written gets exactly one audit
entry (a batch of N records writes N entries); a correction writes one record (the new
version) and so one entry, which names the version it supersedes; a retraction writes no
new record and gets one entry for the access.

Corrections supersede (the old version stays, entered-in-error; DESIGN.md "Architecture");
both corrections and retractions name the version they expect (If-Match), and a stale
version is a :class:`~naltrack.errors.StaleVersion`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import Conflict, InvalidInput, NotFound
from naltrack.domain.patients import Patient
from naltrack.domain.records import ClinicalRecord, supersede
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.roles import KIND_CATEGORY
from naltrack.errors import StaleVersion
from naltrack.services.access import Access, authorize, authorized_patient, in_clinic, read_patient, run_audited
from naltrack.services.context import AppContext
from naltrack.services.doses import UNCONFIRMED, DoseAuthorisation, decide_doses
from naltrack.services.record_writes import (
    EVENT_TIME_FIELD,
    check_record,
    check_references,
    checked_batch,
    store_checked,
)
from naltrack.services.security import new_id
from naltrack.services.security_ports import SecureUnitOfWork
from naltrack.services.unit_of_work import KIND_OF, RECORD_TYPES, chart_in

#: Largest page one listing returns.
MAX_PAGE = 500


@dataclass(frozen=True)
class Page:
    """A page of results and the total that matched."""

    items: tuple[Any, ...]
    total: int
    limit: int
    offset: int


def check_page(limit: int, offset: int) -> None:
    """``limit`` between 1 and :data:`MAX_PAGE`, ``offset`` 0 or more."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("limit", limit, f"must be between 1 and {MAX_PAGE}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("offset", offset, "must be 0 or more")


@dataclass(frozen=True)
class RecordFilter:
    """Filters of a record listing: status, and a date window on the record's own date."""

    status: str | None = "active"
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class NewRecord:
    """What the use case gives a builder: the new record's id and provenance, and its patient
    (a questionnaire is scored with the patient's sex at birth, :mod:`naltrack.domain.questionnaires`)."""

    id: str
    patient: Patient
    recorded_by: str
    recorded_at: datetime

    @property
    def fields(self) -> dict[str, Any]:
        """The :class:`~naltrack.domain.records.ClinicalRecord` fields: id, patient, provenance."""
        return {"id": self.id, "patient_id": self.patient.id, "recorded_by": self.recorded_by,
                "recorded_at": self.recorded_at}


Builder = Callable[[NewRecord], ClinicalRecord]


def _access(actor: Actor, action: str, kind: str, now: datetime) -> Access:
    if kind not in RECORD_TYPES:
        raise NotFound("record kind", kind)
    return Access(actor=actor, action=action, category=KIND_CATEGORY[kind], now=now, record_type=kind)


def create_records(ctx: AppContext, actor: Actor, records: Sequence[ClinicalRecord], now: datetime,
                   authorisation: DoseAuthorisation = UNCONFIRMED) -> list[ClinicalRecord]:
    """Store a batch of records, all or nothing, written by ``actor`` at ``now``; one audit entry each.

    Each naltrexone dose given by staff passes the pre-dose check (:func:`~naltrack.services.doses.decide_doses`)
    against the chart with the batch's other records, and is stored with its decision; the records returned
    are those given, without the decisions.

    Raises
    ------
    InvalidInput
        An event dated after ``now``, a naive ``now``, or an empty batch.
    NotFound
        A patient outside the actor's clinic, an unknown RxNorm code, regimen or implant.
    AccessDenied
        The actor's role may not create one of the kinds, or overrides the pre-dose check without being a
        prescriber.
    DoseStopped
        The pre-dose check stops a dose: what stops it, nothing written.
    """
    if not records:
        raise InvalidInput("records", 0, "must hold at least one record")
    kinds = {KIND_OF.get(type(r), "records") for r in records}
    kind = kinds.pop() if len(kinds) == 1 else "records"
    access = Access(actor=actor, action="create", category=KIND_CATEGORY.get(kind, "clinical-views"), now=now,
                    record_type=kind)
    def body(uow: SecureUnitOfWork, access: Access) -> list[ClinicalRecord]:
        batch = checked_batch(uow, access, records, now)
        decisions = checked_batch(uow, access, decide_doses(ctx, uow, access, batch, authorisation), now)
        return store_checked(uow, access, [*batch, *decisions])[:len(batch)]

    return run_audited(ctx.uow, access, body)


def create_record(ctx: AppContext, actor: Actor, kind: str, patient_id: str, build: Builder,
                  now: datetime, authorisation: DoseAuthorisation = UNCONFIRMED) -> ClinicalRecord:
    """Build one record of ``kind`` from validated input (``build`` gets a :class:`NewRecord`) and store it;
    a naltrexone dose given by staff passes the pre-dose check first, as in :func:`create_records`."""
    access = _access(actor, "create", kind, now)

    def body(uow: SecureUnitOfWork, access: Access) -> ClinicalRecord:
        patient = authorized_patient(uow, access, patient_id)
        record = build(NewRecord(new_id(), patient, actor.user.id, now))
        if type(record) is not RECORD_TYPES[kind]:
            raise InvalidInput("record", type(record).__name__, f"is not a record of kind {kind}")
        access.record_id = record.id
        batch = checked_batch(uow, access, [record], now)
        decisions = checked_batch(uow, access, decide_doses(ctx, uow, access, batch, authorisation), now)
        return store_checked(uow, access, [*batch, *decisions])[0]

    return run_audited(ctx.uow, access, body)


def correct_record(ctx: AppContext, actor: Actor, kind: str, record_id: str, expected_version: int, build: Builder,
                   now: datetime) -> ClinicalRecord:
    """Supersede ``record_id`` by a new record built from the input; the old one becomes entered-in-error.

    Raises
    ------
    StaleVersion
        ``expected_version`` is not the stored one (someone corrected it meanwhile).
    Conflict
        The record is already entered-in-error.
    """
    access = _access(actor, "update", kind, now)

    def body(uow: SecureUnitOfWork, access: Access) -> ClinicalRecord:
        old, patient = _owned(uow, access, kind, record_id)
        authorize(uow, access)
        _check_version(old.version, expected_version, old.status)
        new = replace(build(NewRecord(new_id(), patient, actor.user.id, now)), recorded_at=now,
                      recorded_by=actor.user.id)
        return write_correction(uow, access, kind, old, new, now)

    return run_audited(ctx.uow, access, body)


def write_correction(uow: SecureUnitOfWork, access: Access, kind: str, old: ClinicalRecord, new: ClinicalRecord,
                     now: datetime) -> ClinicalRecord:
    """Store ``new`` as the correction of the stored ``old`` (which becomes entered-in-error, its version raised),
    inside an open audited transaction: one audit entry naming the version it supersedes."""
    check_record(new, now)
    retired, linked = supersede(old, new)
    check_references(uow, [linked])
    try:
        uow.records.update(replace(retired, version=old.version + 1))
    except Conflict as error:  # another correction committed between our read and our write
        raise StaleVersion(f"version {old.version} is stale: {error}") from error
    uow.records.add(linked)
    access.wrote(kind, linked.id, linked.patient_id, category=KIND_CATEGORY[kind], detail=f"supersedes {old.id}")
    return linked


def retract_record(ctx: AppContext, actor: Actor, kind: str, record_id: str, expected_version: int,
                   now: datetime) -> ClinicalRecord:
    """Mark a record entered-in-error without a replacement."""
    access = _access(actor, "retract", kind, now)

    def body(uow: SecureUnitOfWork, access: Access) -> ClinicalRecord:
        old = _owned(uow, access, kind, record_id)[0]
        authorize(uow, access)
        _check_version(old.version, expected_version, old.status)
        retired = replace(old, status="entered-in-error", version=old.version + 1)
        uow.records.update(retired)
        return retired

    return run_audited(ctx.uow, access, body)


def _check_version(stored: int, expected: int, status: str) -> None:
    if stored != expected:
        raise StaleVersion(f"version {expected} is stale: the record is at version {stored}")
    if status != "active":
        raise Conflict("the record is already entered-in-error")


def _owned(uow: SecureUnitOfWork, access: Access, kind: str, record_id: str) -> tuple[ClinicalRecord, Patient]:
    """The record and its patient, if the patient is of the actor's clinic; NotFound otherwise."""
    return in_clinic(uow, access, kind.rstrip("s"), record_id, uow.records.find(RECORD_TYPES[kind], record_id))


# --- reads -------------------------------------------------------------------------------

def record_day(record: ClinicalRecord) -> date | None:
    """The day a record is about (its event, start, plan or signature), for listing and filters."""
    name = EVENT_TIME_FIELD.get(type(record))
    for field in (name, "start", "starts_at", "planned_on", "issued_on", "onset", "signed_on"):
        value = getattr(record, field, None) if field else None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
    return None


def _matches(record: ClinicalRecord, filters: RecordFilter) -> bool:
    if filters.status is not None and record.status != filters.status:
        return False
    day = record_day(record)
    if day is None:
        return filters.since is None and filters.until is None
    return (filters.since is None or day >= filters.since) and (filters.until is None or day <= filters.until)


def list_records(ctx: AppContext, actor: Actor, kind: str, patient_id: str, filters: RecordFilter, limit: int,
                 offset: int, now: datetime) -> Page:
    """A patient's records of one kind, newest first."""
    check_page(limit, offset)
    access = _access(actor, "read", kind, now)

    def body(uow: SecureUnitOfWork, access: Access) -> Page:
        authorized_patient(uow, access, patient_id)
        rows = [r for r in uow.records.for_patient(patient_id, (kind,)).get(kind, []) if _matches(r, filters)]
        rows.sort(key=lambda r: (record_day(r) or date.min, r.id), reverse=True)
        return Page(tuple(rows[offset:offset + limit]), len(rows), limit, offset)

    return run_audited(ctx.uow, access, body)


def get_record(ctx: AppContext, actor: Actor, kind: str, record_id: str, now: datetime) -> ClinicalRecord:
    """One record of ``kind``, if its patient is of the actor's clinic."""
    access = _access(actor, "read", kind, now)

    def body(uow: SecureUnitOfWork, access: Access) -> ClinicalRecord:
        record = _owned(uow, access, kind, record_id)[0]
        authorize(uow, access)
        return record

    return run_audited(ctx.uow, access, body)


def chart_view(ctx: AppContext, actor: Actor, patient_id: str, view: str, compute: Callable[[PatientChart], Any],
               now: datetime) -> Any:
    """A read view computed from the whole chart (alerts, readiness, coverage), audited as ``view``."""
    access = Access(actor=actor, action="read", category="clinical-views", now=now, record_type=view)
    return read_patient(ctx.uow, access, patient_id, lambda uow, patient: compute(chart_in(uow, patient)))


def load_chart(ctx: AppContext, actor: Actor, patient_id: str, now: datetime) -> PatientChart:
    """Everything recorded about one patient (superseded versions included); an audited read."""
    chart: PatientChart = chart_view(ctx, actor, patient_id, "chart", lambda chart: chart, now)
    return chart
