"""Patient courses built by hand for the outcome-measure tests: days are counted from ``D0``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from naltrack.analytics.courses import Dose, Interval, PatientCourse

D0 = date(2026, 1, 1)
XR_NTX, ORAL_NTX, IMPLANT = "637213", "1483744", "NTX-IMPLANT"


def day(n: int) -> date:
    """The day ``n`` days after ``D0``."""
    return D0 + timedelta(days=n)


def runs(*spans: tuple[int, int]) -> tuple[Interval, ...]:
    """Treated intervals from (first, last) day numbers, both included."""
    return tuple(Interval(day(a), day(b)) for a, b in spans)


def injections(*days: int) -> tuple[Dose, ...]:
    return tuple(Dose(day(n), "xr-ntx", XR_NTX) for n in days)


def make_course(pid: str = "p", **overrides: Any) -> PatientCourse:
    """A course with readable defaults: a male patient of clinic ``c1`` with an OUD episode and nothing else."""
    fields: dict[str, Any] = {"patient_id": pid, "clinic_id": "c1", "sex_at_birth": "male",
                              "birth_date": date(1990, 1, 1), "indication": "OUD"}
    fields.update(overrides)
    return PatientCourse(**fields)


def treated_course(pid: str, first: int, *spans: tuple[int, int], form: str = "xr-ntx",
                   **overrides: Any) -> PatientCourse:
    """A course whose first dose is on day ``first`` and whose treated days are ``spans``."""
    return make_course(pid, first_dose_on=day(first), first_form=form, treated=runs(*spans), **overrides)
