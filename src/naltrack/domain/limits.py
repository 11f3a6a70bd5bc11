"""The storage limits every value must fit, in one place: text lengths, integer range,
UTC offsets, the range of dates, ids and JSON nesting.

The text lengths are the column lengths of the relational schema
(``adapters/db/tables.py``; a test keeps the two equal). Every record and patient
constructor calls :func:`check_limits`, so a value that the database could not store is
refused as :class:`~naltrack.domain.errors.InvalidInput` before it reaches storage. The
REST API states the same limits in its schema (``api/schemas.py`` reads them from here).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from naltrack.domain import person_data
from naltrack.domain.errors import InvalidInput

#: Longest id (record, patient, clinic, user): ``VARCHAR(64)``.
ID_MAX_LENGTH = 64
#: Longest name of a person (a patient's, a clinician's): ``VARCHAR(100)``.
PERSON_NAME_MAX_LENGTH = 100
#: Longest title or short description (a product, a lab test, a reason): ``VARCHAR(200)``.
TITLE_MAX_LENGTH = 200
#: Longest code (RxNorm, ICD-10-CM, UCUM unit): ``VARCHAR(32)``.
CODE_MAX_LENGTH = 32
#: Longest LOINC code: ``VARCHAR(16)``.
LOINC_MAX_LENGTH = 16
#: Longest lot number or instrument name: ``VARCHAR(40)``.
LOT_MAX_LENGTH = 40
#: Longest short label (a route, a gender, an MRN, a time zone, a score band): ``VARCHAR(64)``.
LABEL_MAX_LENGTH = 64
#: Longest short note (the reason for a dose decision or an override): ``VARCHAR(500)``.
NOTE_MAX_LENGTH = 500
#: Longest free text (notes, descriptions in ``TEXT`` columns and text inside JSON columns).
FREE_TEXT_MAX_LENGTH = 2000
#: Range of every stored integer (``INTEGER`` columns are 32-bit on PostgreSQL).
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
#: Longest action, category or purpose in the audit log: ``VARCHAR(32)``.
AUDIT_LABEL_MAX_LENGTH = 32
#: Longest detail of an audit entry: ``VARCHAR(500)``.
AUDIT_DETAIL_MAX_LENGTH = 500
#: Largest UTC offset of a time, either way (the real zones span -12:00 to +14:00).
MAX_UTC_OFFSET = timedelta(hours=14)
#: The dates naltrack accepts, first and last (birth dates included; wider ones are typing errors).
DATE_RANGE = (date(1900, 1, 1), date(2100, 12, 31))
#: Deepest nesting of arrays and objects in a JSON body.
MAX_JSON_DEPTH = 32

#: Text fields by name, at their column's length; names not listed are free text, ids are :data:`ID_MAX_LENGTH`.
TEXT_MAX_LENGTH: dict[str, int] = {
    **dict.fromkeys(("recorded_by", "prescriber", "observed_by", "given_by", "inserted_by", "removed_by",
                     "counselor", "clinician", "assessed_by", "decided_by", "given_name", "family_name", "site"),
                    PERSON_NAME_MAX_LENGTH),
    **dict.fromkeys(("referral_source", "display", "implant_product", "product", "reason", "name", "reaction"),
                    TITLE_MAX_LENGTH),
    **dict.fromkeys(("code", "rxnorm", "unit"), CODE_MAX_LENGTH),
    **dict.fromkeys(("lot", "instrument"), LOT_MAX_LENGTH),
    **dict.fromkeys(("route", "gender", "mrn", "timezone", "band"), LABEL_MAX_LENGTH),
    "loinc": LOINC_MAX_LENGTH,
    "override_reason": NOTE_MAX_LENGTH,
}
#: Where one class's field differs from the field name's length: ``(class name, field) -> length``.
TEXT_MAX_LENGTH_OF: dict[tuple[str, str], int] = {
    ("PlannedProcedure", "description"): TITLE_MAX_LENGTH, ("DoseDecision", "reason"): NOTE_MAX_LENGTH,
    **person_data.TEXT_LIMITS,  # a patient's identifiers, names, contact points, addresses, race and ethnicity
}


def is_id_field(name: str) -> bool:
    """Whether field ``name`` holds an id (``id``, ``*_id``, ``supersedes``)."""
    return name in ("id", "supersedes") or name.endswith("_id")


def text_limit(owner: str, name: str) -> int:
    """The longest text field ``name`` of class ``owner`` may hold.

    Examples
    --------
    >>> text_limit("Injection", "lot"), text_limit("Injection", "patient_id"), text_limit("Regimen", "note")
    (40, 64, 2000)
    """
    if (owner, name) in TEXT_MAX_LENGTH_OF:
        return TEXT_MAX_LENGTH_OF[(owner, name)]
    if is_id_field(name):
        return ID_MAX_LENGTH
    return TEXT_MAX_LENGTH.get(name, FREE_TEXT_MAX_LENGTH)


def check_text(field: str, value: str, max_length: int) -> None:
    """Refuse text with a NUL character (PostgreSQL cannot store it) or longer than ``max_length``."""
    if "\x00" in value:
        raise InvalidInput(field, value[:40], "must not contain the NUL character")
    if len(value) > max_length:
        raise InvalidInput(field, f"{value[:20]}...", f"is longer than {max_length} characters")


def check_int(field: str, value: int) -> None:
    """Refuse an integer outside the 32-bit range of the columns."""
    if not INT32_MIN <= value <= INT32_MAX:
        raise InvalidInput(field, value, f"must be between {INT32_MIN} and {INT32_MAX}")


def check_date(field: str, value: date) -> None:
    """Refuse a date outside :data:`DATE_RANGE` (a time is judged by its own calendar date)."""
    first, last = DATE_RANGE
    day = value.date() if isinstance(value, datetime) else value
    if not first <= day <= last:
        raise InvalidInput(field, value.isoformat(), f"must be from {first.isoformat()} to {last.isoformat()}")


def check_offset(field: str, value: datetime) -> None:
    """Refuse a time whose UTC offset is beyond :data:`MAX_UTC_OFFSET` either way."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        limit = int(MAX_UTC_OFFSET.total_seconds() // 3600)
        raise InvalidInput(field, value.isoformat(), f"has a UTC offset beyond -{limit:02d}:00..+{limit:02d}:00")


def check_value(field: str, owner: str, name: str, value: Any) -> None:
    """Check one value of field ``name`` of class ``owner`` against its storage limit (nested values too)."""
    if isinstance(value, str):
        check_text(field, value, text_limit(owner, name))
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        return
    elif isinstance(value, int):
        check_int(field, value)
    elif isinstance(value, datetime):
        check_offset(field, value)
        check_date(field, value)
    elif isinstance(value, date):
        check_date(field, value)
    elif isinstance(value, tuple | list):
        for item in value:
            check_value(field, owner, name, item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        check_limits(value, field)


@cache
def _label(cls: type) -> str:
    """``ImplantInsertion`` -> ``implant_insertion``: how error fields name a class."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def check_limits(obj: Any, prefix: str | None = None) -> None:
    """Refuse a dataclass instance with any value its storage could not hold.

    Raises
    ------
    InvalidInput
        Naming the field (``prefix.field``, the class's name by default), the value and the limit.

    Examples
    --------
    >>> from datetime import timezone
    >>> @dataclasses.dataclass
    ... class Visit:
    ...     at: datetime
    >>> check_limits(Visit(datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=14)))))
    >>> try:
    ...     check_limits(Visit(datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59)))))
    ... except InvalidInput as error:
    ...     print(error)
    visit.at: '2026-01-01T00:00:00+23:59' has a UTC offset beyond -14:00..+14:00
    """
    cls: type = type(obj)
    label = prefix or _label(cls)
    for name in _field_names(cls):
        check_value(f"{label}.{name}", cls.__name__, name, getattr(obj, name))
