"""Units, and the checks every record constructor shares.

Every physical quantity in naltrack carries its unit, either in a field name
(``dose_mg``) or in a unit field beside the value when the unit varies (lab results,
UCUM spelling from :data:`LAB_UNITS`).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from naltrack.domain.errors import InvalidInput

#: Units accepted on lab results and observations (UCUM spelling).
LAB_UNITS: frozenset[str] = frozenset(
    {
        "U/L", "[IU]/L", "mg/dL", "umol/L", "g/dL", "g/L", "10*3/uL", "10*9/L", "%",
        "ng/mL", "mIU/mL", "[IU]/mL", "mmol/L", "mL/min", "mL/min/{1.73_m2}", "s", "{ratio}",
        "{score}", "kg", "cm", "kg/m2", "mm[Hg]", "/min", "Cel", "1",
    }
)


def require_finite(field: str, value: float) -> None:
    """Reject NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(field, value, "must be a finite number")


def require_positive(field: str, value: float) -> None:
    """Reject zero, negative and non-finite numbers."""
    require_finite(field, value)
    if value <= 0:
        raise InvalidInput(field, value, "must be greater than 0")


def require_range(field: str, value: float, low: float, high: float, unit: str = "") -> None:
    """Reject a number outside ``[low, high]``."""
    require_finite(field, value)
    if not low <= value <= high:
        suffix = f" {unit}" if unit else ""
        raise InvalidInput(field, value, f"must be between {low:g} and {high:g}{suffix}")


def require_whole_days(field: str, value: int, low: int, high: int) -> None:
    """Reject anything but a whole number of days in ``[low, high]`` (a bool is not a number).

    Examples
    --------
    >>> require_whole_days("what_if.late_days", 7, 0, 60)
    >>> try:
    ...     require_whole_days("what_if.late_days", 7.5, 0, 60)
    ... except InvalidInput as error:
    ...     print(error)
    what_if.late_days: 7.5 must be a whole number of days from 0 to 60
    """
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(field, value, f"must be a whole number of days from {low} to {high}")


def require_range_if_given(field: str, value: float | None, low: float, high: float, unit: str = "") -> None:
    """:func:`require_range` for a value that may be left out: ``None`` (not recorded) passes."""
    if value is not None:
        require_range(field, value, low, high, unit)


def require_choice(field: str, value: object, choices: tuple[str, ...]) -> None:
    """Reject a value that is not one of ``choices``."""
    if value not in choices:
        raise InvalidInput(field, value, f"must be one of {', '.join(choices)}")


def require_text(field: str, value: str | None, max_length: int = 200) -> None:
    """Reject empty or overlong text."""
    if value is None or not str(value).strip():
        raise InvalidInput(field, value, "is required")
    if len(value) > max_length:
        raise InvalidInput(field, f"{value[:20]}...", f"is longer than {max_length} characters")


def require_aware(field: str, value: datetime) -> None:
    """Reject naive datetimes: clinical times are timezone-aware."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, value, "must be a timezone-aware date-time")


def require_not_before(field: str, value: date | None, bound: date, bound_name: str) -> None:
    """Reject a date before ``bound`` (``bound_name`` says what it is); ``None`` (still open) passes.

    Examples
    --------
    >>> require_not_before("episode.end", None, date(2026, 2, 1), "the start")
    >>> try:
    ...     require_not_before("episode.end", date(2026, 1, 31), date(2026, 2, 1), "the start")
    ... except InvalidInput as error:
    ...     print(error)
    episode.end: '2026-01-31' is before the start 2026-02-01
    """
    if value is not None and value < bound:
        raise InvalidInput(field, value.isoformat(), f"is before {bound_name} {bound.isoformat()}")


def require_not_future(field: str, value: datetime | date, now: datetime) -> None:
    """Reject a recorded event dated after ``now`` (the clock is the caller's)."""
    if isinstance(value, datetime):
        if value > now:
            raise InvalidInput(field, value.isoformat(), f"is in the future (now {now.isoformat()})")
    elif value > now.date():
        raise InvalidInput(field, value.isoformat(), f"is in the future (today {now.date()})")


_ICD10CM = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


def require_icd10cm(field: str, code: str) -> None:
    """Reject a string that is not shaped like an ICD-10-CM code (e.g. ``F11.20``)."""
    if not isinstance(code, str) or not _ICD10CM.match(code):
        raise InvalidInput(field, code, "is not an ICD-10-CM code (e.g. F11.20)")
