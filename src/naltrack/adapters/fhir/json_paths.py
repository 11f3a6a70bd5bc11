"""Walking FHIR JSON as plain dicts, with errors that name the element path.

``At(value, "Bundle.entry[3].resource")`` carries a JSON value and where it is; every
accessor that fails raises :class:`~naltrack.domain.errors.InvalidInput` whose field is
the full path (e.g. ``Bundle.entry[3].resource.valueQuantity.unit``), so a clinician or
an integrator can find the element at once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from naltrack.domain.errors import InvalidInput

#: The largest magnitude of a number read (a JSON integer can be longer than any float holds).
_LARGEST = 1e15
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: FHIR R4 dateTime/instant with a time: seconds required, fraction optional, zone checked apart.
_MAX_OFFSET = timedelta(hours=14)
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$")


@dataclass(frozen=True)
class At:
    """A JSON value and its element path."""

    value: Any
    path: str

    def get(self, key: str) -> At | None:
        """The child element, or ``None`` when absent or null."""
        if not isinstance(self.value, dict):
            raise InvalidInput(self.path, _short(self.value), "must be a JSON object")
        child = self.value.get(key)
        return None if child is None else At(child, f"{self.path}.{key}")

    def need(self, key: str, why: str) -> At:
        """The child element; raises naming the path when it is absent."""
        child = self.get(key)
        if child is None:
            raise InvalidInput(f"{self.path}.{key}", None, f"is required ({why})")
        return child

    def items(self) -> list[At]:
        """The elements of a JSON array (an absent array is empty)."""
        if not isinstance(self.value, list):
            raise InvalidInput(self.path, _short(self.value), "must be a JSON array")
        return [At(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def list_of(self, key: str) -> list[At]:
        child = self.get(key)
        return [] if child is None else child.items()

    def text(self) -> str:
        if not isinstance(self.value, str):
            raise InvalidInput(self.path, _short(self.value), "must be a string")
        return self.value

    def number(self) -> float:
        v = self.value
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or abs(v) > _LARGEST:
            raise InvalidInput(self.path, _short(v), f"must be a number (at most {_LARGEST:g} either way)")
        return float(v)

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise InvalidInput(self.path, _short(self.value), "must be true or false")
        return self.value

    def day(self) -> date:
        """A FHIR date or dateTime, as the calendar day it names (full dates only)."""
        raw = self.text()
        if _DATE.match(raw):
            return self._calendar_day(raw)
        return self.moment().date()

    def moment(self) -> datetime:
        """A FHIR dateTime as an aware datetime; a date alone is taken as midnight UTC."""
        raw = self.text()
        if _DATE.match(raw):
            return datetime.combine(self._calendar_day(raw), datetime.min.time(), tzinfo=UTC)
        shape = _DATE_TIME.match(raw)
        if shape is None:
            raise InvalidInput(self.path, raw, "is not a full FHIR date (YYYY-MM-DD) or dateTime "
                                               "(YYYY-MM-DDThh:mm:ss+zz:zz)")
        if shape.group(2) is None:
            raise InvalidInput(self.path, raw, "has a time but no time zone (FHIR requires one)")
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        offset = parsed.utcoffset() if parsed is not None else None
        if parsed is None or offset is None or abs(offset) > _MAX_OFFSET:
            raise InvalidInput(self.path, raw, "is not a real date and time (month, day, hour, minute or "
                                               "offset out of range)")
        return parsed

    def _calendar_day(self, raw: str) -> date:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(self.path, raw, "is not a real calendar date (month 01-12, day within the month)") \
                from None


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 60 else f"{text[:57]}..."


def codings(concept: At | None) -> list[tuple[tuple[str, str], str]]:
    """``((system, code), display)`` for every coding of a CodeableConcept (text-only gives none)."""
    if concept is None:
        return []
    out = []
    for coding in concept.list_of("coding"):
        system, code = coding.get("system"), coding.get("code")
        if system is None or code is None:
            continue
        display = coding.get("display")
        out.append(((system.text(), code.text().strip()), display.text() if display else ""))
    return out


def concept_text(concept: At | None) -> str:
    """The human text of a CodeableConcept: ``text`` or the first display."""
    if concept is None:
        return ""
    text = concept.get("text")
    if text is not None:
        return text.text()
    return next((display for _, display in codings(concept) if display), "")


def reference_id(reference: At | None) -> str | None:
    """The id in ``{"reference": "Patient/123"}`` (or a ``urn:uuid:`` full URL)."""
    if reference is None:
        return None
    ref = reference.get("reference")
    if ref is None:
        return None
    raw = ref.text()
    return raw.rsplit("/", 1)[-1] if "/" in raw and not raw.startswith("urn:") else raw
