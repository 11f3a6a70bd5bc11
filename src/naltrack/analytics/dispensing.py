"""The program's naltrexone doses as dispensing rows: the input of HEDIS POD from naltrack's own records.

One row a dose given (:class:`naltrack.analytics.courses.Dose`), in the columns of the dispensing CSV
that :func:`naltrack.analytics.pod.measure_pod` reads (``patient_id,date,rxnorm,days_supply``), with
the days each dose supplies (:func:`naltrack.analytics.adherence.days_supplied`): an XR-NTX injection
31 days (clinical.md §7.2), an implant its recorded duration (POD counts no naltrexone implant: the
row is written and ignored), an oral dose its days supply, else its own day.
:func:`write_dispensing_csv` exports the rows, so POD from the program's records and POD from the
exported file can be compared.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from naltrack.analytics.adherence import days_supplied
from naltrack.analytics.courses import PatientCourse
from naltrack.analytics.pod_rules import COLUMNS
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds


@dataclass(frozen=True)
class DispensingRow:
    """One dispensing or administration: the patient, the clinic-local day, the RxNorm code, the days supply."""

    patient_id: str
    date: date
    rxnorm: str
    days_supply: int | None

    def as_text(self) -> dict[str, str]:
        """The row as the CSV holds it (column name to text)."""
        supply = "" if self.days_supply is None else str(self.days_supply)
        return dict(zip(COLUMNS, (self.patient_id, self.date.isoformat(), self.rxnorm, supply), strict=True))


def dispensing_rows(courses: Iterable[PatientCourse], thresholds: Thresholds = DEFAULT) -> list[DispensingRow]:
    """Every dose of ``courses`` as a dispensing row, ordered by patient, day and code.

    Examples
    --------
    >>> from naltrack.analytics.courses import Dose
    >>> course = PatientCourse(patient_id="p", clinic_id="c", sex_at_birth="male", birth_date=date(1990, 1, 1),
    ...     doses=(Dose(date(2026, 1, 1), "oral", "1483744"), Dose(date(2026, 1, 8), "xr-ntx", "637213")))
    >>> [(r.date.day, r.rxnorm, r.days_supply) for r in dispensing_rows([course])]
    [(1, '1483744', 1), (8, '637213', 31)]
    """
    # sorted as plain tuples (patient, day, code, supply), then made rows: two doses that tie are the same row
    fields = sorted((course.patient_id, dose.on, dose.rxnorm, days_supplied(dose, thresholds))
                    for course in courses for dose in course.doses)
    return [DispensingRow(*row) for row in fields]


def write_dispensing_csv(rows: Iterable[DispensingRow], handle: TextIO) -> None:
    """Write ``rows`` as a dispensing CSV (header ``patient_id,date,rxnorm,days_supply``) to ``handle``."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.as_text()[column] for column in COLUMNS)
