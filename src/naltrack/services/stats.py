"""Counts per record type of the configured database (``naltrack stats``)."""

from __future__ import annotations

from naltrack.services.unit_of_work import AbstractUnitOfWork

#: Groups reported beside the per-type counts.
GROUPS: dict[str, tuple[str, ...]] = {
    "administrations": ("oral_doses", "injections", "implants", "implant_removals"),
    "observations": ("labs", "screens", "substance_use", "drinking_days", "questionnaires",
                     "naloxone_challenges", "medications", "allergies"),
    "care": ("adverse_events", "counseling", "support_groups", "appointments", "procedures", "documents"),
}


def count_records(uow: AbstractUnitOfWork) -> dict[str, int]:
    """``{"clinics": n, "patients": n, <each record kind>: n, "administrations": n, ...}``.

    Record counts include superseded versions (they are rows too).
    """
    with uow:
        counts = {"clinics": len(uow.clinics.list()), "patients": uow.patients.count()}
        counts.update(uow.records.count_by_kind())
    for group, kinds in GROUPS.items():
        counts[group] = sum(counts.get(kind, 0) for kind in kinds)
    counts["records"] = sum(v for k, v in counts.items() if k not in GROUPS and k not in ("clinics", "patients"))
    return counts
