"""HTML form input: typed parsing with errors kept next to their field.

A :class:`FormState` holds what the user typed (so a form redraws with the entered
values) and one error per field. Parse errors and domain errors
(:class:`~naltrack.domain.errors.InvalidInput`) both name the value and the limit.
Nothing is saved unless the whole form is valid: the use case runs only when
:attr:`FormState.ok`, in one unit of work.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from naltrack.domain.errors import InvalidInput


@dataclass
class FormState:
    """Entered values, per-field errors, and a form-level notice (e.g. a stale version)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notice: str | None = None

    @classmethod
    def from_form(cls, form: Mapping[str, object]) -> FormState:
        values = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
        return cls(values=values)

    @property
    def ok(self) -> bool:
        return not self.errors and self.notice is None

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def raw(self, name: str) -> str:
        return self.values.get(name, "")

    def _given(self, name: str, required: bool, missing: str) -> str | None:
        """The entered value, or None; an empty required field gets the error ``missing``."""
        value = self.raw(name)
        if not value and required:
            self.add_error(name, missing)
        return value or None

    def text(self, name: str, *, required: bool = True, max_length: int = 200) -> str | None:
        value = self._given(name, required, "is required")
        if value is None:
            return None
        if len(value) > max_length:
            self.add_error(name, f"is {len(value)} characters; the limit is {max_length}")
            return None
        return value

    def choice(self, name: str, choices: tuple[str, ...], *, required: bool = True) -> str | None:
        value = self._given(name, required, f"is required: choose one of {', '.join(choices)}")
        if value is None:
            return None
        if value not in choices:
            self.add_error(name, f"{value!r} is not one of {', '.join(choices)}")
            return None
        return value

    def number(self, name: str, low: float, high: float, unit: str = "", *, required: bool = True) -> float | None:
        suffix = f" {unit}" if unit else ""
        value = self._given(name, required, f"is required (between {low:g} and {high:g}{suffix})")
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            self.add_error(name, f"{value!r} is not a number")
            return None
        if not math.isfinite(number) or not low <= number <= high:
            self.add_error(name, f"{value} must be between {low:g} and {high:g}{suffix}")
            return None
        return number

    def day(self, name: str, *, required: bool = True) -> date | None:
        value = self._given(name, required, "is required (YYYY-MM-DD)")
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.add_error(name, f"{value!r} is not a date (YYYY-MM-DD)")
            return None

    def moment(self, name: str, tz: ZoneInfo, *, required: bool = True) -> datetime | None:
        """A ``datetime-local`` field, read in the clinic's time zone."""
        value = self._given(name, required, "is required (date and time)")
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.add_error(name, f"{value!r} is not a date and time (YYYY-MM-DDTHH:MM)")
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)

    def version(self, name: str = "version") -> int | None:
        value = self.raw(name)
        return int(value) if value.isdigit() else None

    def apply(self, error: InvalidInput, fields: Mapping[str, str]) -> None:
        """Put a domain error next to its field (``fields`` maps domain field -> form field)."""
        name = fields.get(error.field) or fields.get(error.field.rsplit(".", 1)[-1]) or "_form"
        self.add_error(name, f"{error.value!r} {error.rule}")
