"""A patient's record list under construction: ids, local times and the shared random stream."""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np

from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.records import ClinicalRecord, supersede
from naltrack.synthetic.params import ProgramParams
from naltrack.synthetic.people import Staff

R = TypeVar("R", bound=ClinicalRecord)


@dataclass
class PatientBuilder:
    """Collects the records of one synthetic patient; every record passes its domain validator."""

    rng: np.random.Generator
    params: ProgramParams
    patient: Patient
    clinic: Clinic
    staff: Staff
    end: date
    indication: str = "OUD"
    bam_risk: float = 0.6
    """The patient's level of Brief Addiction Monitor risk factors at intake (0 none to 1 most)."""
    bam_protection: float = 0.4
    """The same for the protective factors."""
    records: list[ClinicalRecord] = field(default_factory=list)
    _tz: ZoneInfo | None = None
    _count: int = 0

    def new_id(self) -> str:
        """A fresh record id (reserve one to name a record before building it)."""
        self._count += 1
        return f"{self.patient.id}-{self._count:04d}"

    def build(self, cls: type[R], *, record_id: str | None = None, **fields: Any) -> R:
        """Build a record of ``cls`` for this patient without keeping it (yet)."""
        return cls(id=record_id or self.new_id(), patient_id=self.patient.id,
                   recorded_by="synthetic-program", **fields)

    def add(self, cls: type[R], *, record_id: str | None = None, **fields: Any) -> R:
        """Build a record of ``cls`` for this patient and keep it."""
        record = self.build(cls, record_id=record_id, **fields)
        self.records.append(record)
        return record

    def correct(self, index: int, **changes: Any) -> None:
        """Correct the record at ``index``: the old version stays, entered-in-error."""
        old = self.records[index]
        retired, new = supersede(old, replace(old, id=self.new_id(), **changes))
        self.records[index] = replace(retired, version=old.version + 1)
        self.records.append(new)

    def at(self, day: date, hour: int = 9, minute: int = 0) -> datetime:
        """A time on ``day`` in the clinic's time zone."""
        if self._tz is None:
            self._tz = ZoneInfo(self.clinic.timezone)
        return datetime.combine(day, time(hour, minute), tzinfo=self._tz)

    def clinic_time(self, day: date) -> datetime:
        """A random clinic-hours time on ``day`` (8:00 to 16:45)."""
        return self.at(day, int(self.rng.integers(8, 17)), int(self.rng.integers(0, 4)) * 15)

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, options: tuple[str, ...] | list[str], p: list[float] | tuple[float, ...] | None = None) -> str:
        """One of ``options``, uniformly or with probabilities ``p`` (one uniform draw either way)."""
        u = float(self.rng.random())
        if p is None:
            return str(options[min(int(u * len(options)), len(options) - 1)])
        index = bisect.bisect_right(list(itertools.accumulate(p)), u * sum(p))
        return str(options[min(index, len(options) - 1)])

    def days(self, low: int, high: int) -> timedelta:
        """A random whole number of days in ``[low, high]``."""
        return timedelta(days=int(self.rng.integers(low, high + 1)))

    def is_past(self, day: date) -> bool:
        """Events are recorded only for days before the program end date ("today")."""
        return day < self.end

    def staff_member(self, kind: str) -> str:
        people: tuple[str, ...] = getattr(self.staff, kind)
        return people[int(self.rng.integers(len(people)))]
