"""Generate a synthetic program and load it in bulk.

One ``np.random.default_rng(seed)`` stream drives everything, patient after patient, so
the same seed and end date give the same program whatever the batch size. Patients are
written in batches, one transaction per batch, through the repositories' bulk inserts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date

import numpy as np

from naltrack.domain.errors import Conflict
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.records import ClinicalRecord
from naltrack.services.unit_of_work import KIND_OF, UnitOfWorkFactory
from naltrack.synthetic.journey import build_patient
from naltrack.synthetic.params import ProgramParams
from naltrack.synthetic.people import make_clinics, make_staff

#: Patients written per transaction.
BATCH_PATIENTS = 500


def generate_clinics(seed: int, params: ProgramParams | None = None) -> list[Clinic]:
    """The clinics of the program with this seed."""
    return make_clinics(seed, (params or ProgramParams()).n_clinics)


def generate_patients(n_patients: int, seed: int, end: date,
                      params: ProgramParams | None = None) -> Iterator[tuple[Patient, list[ClinicalRecord]]]:
    """Yield ``(patient, records)`` for ``n_patients`` patients; ``end`` is the program's "today"."""
    params = params or ProgramParams()
    rng = np.random.default_rng(seed)
    clinics = generate_clinics(seed, params)
    staff = [make_staff(k) for k in range(len(clinics))]
    for i in range(n_patients):
        k = int(rng.integers(len(clinics)))
        yield build_patient(rng, params, f"s{seed}-p{i + 1:06d}", f"S{seed}-{i + 1:06d}", clinics[k], staff[k], end)


def load_program(uow_factory: UnitOfWorkFactory, *, n_patients: int, seed: int, end: date,
                 params: ProgramParams | None = None, batch_patients: int = BATCH_PATIENTS,
                 progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Write a synthetic program; returns the counts written per kind.

    Raises
    ------
    Conflict
        When the program of this seed is already in the database.
    """
    clinics = generate_clinics(seed, params)
    with uow_factory() as uow:
        if uow.clinics.find(clinics[0].id) is not None:
            raise Conflict(f"the synthetic program with seed {seed} is already loaded; use another --seed")
        for clinic in clinics:
            uow.clinics.add(clinic)
        uow.commit()
    counts: Counter[str] = Counter(clinics=len(clinics))
    batch: list[tuple[Patient, list[ClinicalRecord]]] = []
    for bundle in generate_patients(n_patients, seed, end, params):
        batch.append(bundle)
        if len(batch) >= batch_patients:
            _write(uow_factory, batch, counts, progress)
            batch = []
    if batch:
        _write(uow_factory, batch, counts, progress)
    return dict(counts)


def _write(uow_factory: UnitOfWorkFactory, batch: list[tuple[Patient, list[ClinicalRecord]]],
           counts: Counter[str], progress: Callable[[int], None] | None) -> None:
    records = [record for _, chart in batch for record in chart]
    with uow_factory() as uow:
        uow.patients.add_many(patient for patient, _ in batch)
        uow.records.add_many(records)
        uow.commit()
    counts["patients"] += len(batch)
    counts.update(KIND_OF[type(record)] for record in records)
    if progress is not None:
        progress(len(batch))
