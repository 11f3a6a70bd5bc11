"""Use cases of the audit trail: verify it, checkpoint it, search it (clinic-scoped, with names), export it.

Verification reads the whole log in one snapshot and is run on demand (``naltrack audit
verify``, the auditor's button), never per page view: the page shows the last verification
and the last checkpoint (:func:`audit_status`). An export is itself audited.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.audit import AuditEntry, AuditEvent
from naltrack.domain.security.audit_checkpoint import Checkpoint
from naltrack.services.access import Access, authorize, run_audited
from naltrack.services.audit_ports import AuditStatus, AuditVerification
from naltrack.services.security_ports import AuditQuery, SecureUnitOfWork, SecureUnitOfWorkFactory

#: What a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting with ``= + - @``, a tab or a carriage
    return gets a leading apostrophe (OWASP, CSV injection).

    Examples
    --------
    >>> neutralise_cell("=HYPERLINK(1)"), neutralise_cell("-1+1"), neutralise_cell("nurse"), neutralise_cell(3)
    ("'=HYPERLINK(1)", "'-1+1", 'nurse', 3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(entry: AuditEntry, fields: Sequence[str]) -> dict[str, object]:
    """``entry``'s ``fields`` as one CSV row: the time in ISO 8601, every cell neutralised."""
    row = asdict(entry)
    row["at"] = entry.at.isoformat()
    return {k: neutralise_cell(row[k]) for k in fields}


def verify_audit(uow_factory: SecureUnitOfWorkFactory, now: datetime) -> AuditVerification:
    """Verify the whole log in one snapshot, against the last checkpoint; the result is recorded."""
    return uow_factory().audit_ledger.verify(now)


def checkpoint_audit(uow_factory: SecureUnitOfWorkFactory, now: datetime) -> Checkpoint:
    """Write a signed checkpoint of the current head outside the database."""
    return uow_factory().audit_ledger.checkpoint(now)


def audit_status(uow_factory: SecureUnitOfWorkFactory) -> AuditStatus:
    """The last checkpoint and the last verification (read from the checkpoint file, not the log)."""
    return uow_factory().audit_ledger.status()


def verify_as_auditor(uow_factory: SecureUnitOfWorkFactory, actor: Actor, now: datetime) -> AuditVerification:
    """An auditor runs the verification from the audit page; the run is audited, with its verdict."""
    access = Access(actor=actor, action="verify", category="audit", now=now, purpose="operations")

    def body(uow: SecureUnitOfWork, access: Access) -> AuditVerification:
        authorize(uow, access, action="read")
        verification = verify_audit(uow_factory, now)
        access.detail = verification.report.describe()[:500]
        return verification

    return run_audited(uow_factory, access, body)


@dataclass(frozen=True)
class AuditPage:
    """One clinic's entries (newest first), how many the clinic has, and the names behind the ids."""

    entries: list[AuditEntry]
    total: int
    names: dict[str, str]

    def name(self, key: str | None) -> str:
        """The name behind an id (a user's or a patient's), else the id itself."""
        return "" if key is None else self.names.get(key, key)


def search_clinic_audit(uow_factory: SecureUnitOfWorkFactory, actor: Actor, query: AuditQuery,
                        now: datetime) -> AuditPage:
    """The auditor's search of their own clinic's entries only; the search itself is audited."""
    access = Access(actor=actor, action="read", category="audit", now=now, purpose="operations")

    def body(uow: SecureUnitOfWork, access: Access) -> AuditPage:
        authorize(uow, access)
        entries = uow.security.search_audit(query, clinic_id=actor.clinic_id)
        ids = {key for e in entries for key in (e.actor, e.patient_id) if key}
        return AuditPage(entries, uow.security.count_audit(actor.clinic_id),
                         uow.security.audit_names(actor.clinic_id, ids))

    return run_audited(uow_factory, access, body)


def export_audit(uow_factory: SecureUnitOfWorkFactory, actor: str, fmt: str, since: datetime | None,
                 now: datetime) -> Iterator[AuditEntry]:
    """Every entry (from ``since``), in order; the export is audited first (who, which format, from when)."""
    with uow_factory() as uow:
        uow.security.append_audit(AuditEvent(
            at=now, actor=actor, clinic_id=None, action="export", category="audit", purpose="operations",
            detail=f"format {fmt}" + (f", since {since.isoformat()}" if since is not None else "")))
        uow.commit()
    with uow_factory() as uow:
        for entry in uow.security.iter_audit():
            if since is None or entry.at >= since:
                yield entry
