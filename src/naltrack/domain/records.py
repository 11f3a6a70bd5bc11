"""What every clinical record shares: identity, its patient, and its version status.

Clinical records are never deleted or overwritten. A correction is a new record whose
``supersedes`` names the old one; the old one stays, with status ``entered-in-error``
(as FHIR marks it). :func:`current` keeps the records that are in force.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, TypeVar, get_args

from naltrack.domain.errors import Conflict, InvalidInput
from naltrack.domain.limits import check_limits

RecordStatus = Literal["active", "entered-in-error"]
RECORD_STATUSES: tuple[RecordStatus, ...] = get_args(RecordStatus)


@dataclass(frozen=True, kw_only=True)
class ClinicalRecord:
    """Base of every record that belongs to a patient."""

    id: str
    patient_id: str
    status: RecordStatus = "active"
    """``active``, or ``entered-in-error`` once a correction or a retraction has replaced it (it is kept,
    never deleted)."""
    supersedes: str | None = None
    """The id of the record this one corrects; that record is then ``entered-in-error``."""
    recorded_at: datetime | None = None
    """When the record was entered (provenance), not when the event happened."""
    recorded_by: str | None = None
    version: int = 1
    """Counts the edits of non-clinical fields, such as an appointment's status. A correction or a
    retraction names the version it replaces (If-Match); a stale one is refused (``StaleVersion``)."""

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidInput("id", self.id, "is required")
        if not self.patient_id:
            raise InvalidInput("patient_id", self.patient_id, "is required")
        if self.status not in RECORD_STATUSES:
            raise InvalidInput("status", self.status, "must be active or entered-in-error")
        if self.supersedes is not None and self.supersedes == self.id:
            raise InvalidInput("supersedes", self.supersedes, "cannot name the record itself")
        check_limits(self)

    @property
    def is_active(self) -> bool:
        return self.status == "active"


R = TypeVar("R", bound=ClinicalRecord)


def current(records: Iterable[R]) -> list[R]:
    """The records in force: not entered-in-error.

    Examples
    --------
    >>> a = ClinicalRecord(id="a", patient_id="p")
    >>> b = ClinicalRecord(id="b", patient_id="p", status="entered-in-error")
    >>> [r.id for r in current([a, b])]
    ['a']
    """
    return [r for r in records if r.status == "active"]


def supersede(old: R, new: R) -> tuple[R, R]:
    """Mark ``old`` entered-in-error and link ``new`` to it.

    Returns the pair ``(retired_old, new_linked)``; neither input is changed.

    Raises
    ------
    Conflict
        If ``old`` is already entered-in-error, or the two belong to different patients.
    """
    if not old.is_active:
        raise Conflict(f"record {old.id} is already entered-in-error")
    if old.patient_id != new.patient_id:
        raise Conflict(f"record {new.id} belongs to another patient than {old.id}")
    if type(old) is not type(new):
        raise Conflict(f"a {type(old).__name__} can only be corrected by another")
    retired = replace(old, status="entered-in-error")
    linked = replace(new, supersedes=old.id)
    return retired, linked
