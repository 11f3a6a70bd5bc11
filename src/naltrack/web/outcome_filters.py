"""The program outcomes page's filters and the report's month, read from the query string.

The page is a GET form, so the address keeps the filters (a manager can bookmark or send it).
A bad value is named with its field and the limit, next to its field; the figures are then
computed without that filter, and the page says so.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from naltrack.domain.episodes import INDICATION_LABELS, INDICATIONS
from naltrack.domain.errors import InvalidInput
from naltrack.domain.regimens import FORM_LABELS, FORMS

#: The query-string names of the filters, in the form's order.
FILTER_FIELDS = ("clinic", "form", "indication", "start", "end")
FIELD_LABELS = {"clinic": "Clinic", "form": "Form of the first dose", "indication": "Indication",
                "start": "Started from", "end": "Started up to", "month": "Month"}
#: A date the form accepts: the program's records start long after, and nothing is dated in the far future.
EARLIEST = date(2000, 1, 1)


@dataclass
class Filters:
    """What the manager chose (as typed), the errors by field, and the valid choices."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    clinic: str | None = None
    form: str | None = None
    indication: str | None = None
    start: date | None = None
    end: date | None = None

    def kept(self) -> list[tuple[str, str]]:
        """The filters set and valid, as ``(name, value)`` in the form's order (the downloads carry them)."""
        chosen = [(name, self.values.get(name, "")) for name in FILTER_FIELDS if name not in self.errors]
        return [(name, value) for name, value in chosen if value]

    def refuse(self, error: InvalidInput) -> bool:
        """Name a filter the use case refused on its field and leave it out; ``False`` for another error."""
        if error.field not in FILTER_FIELDS or error.field in self.errors:
            return False
        self.errors[error.field] = f"{error.value!r} {error.rule}"
        setattr(self, error.field, None)
        return True

    def described(self, clinics: Mapping[str, str]) -> list[tuple[str, str]]:
        """Each filter in words, "all" where none is chosen (the report's heading)."""
        period = "any day"
        if self.start or self.end:
            first, last = self.start or "the first", self.end or "the report's day"
            period = f"from {first} to {last}"
        return [
            ("Clinic", clinics.get(self.clinic, self.clinic) if self.clinic else "all clinics"),
            ("Form", FORM_LABELS[self.form] if self.form else "all forms"),
            ("Indication", INDICATION_LABELS[self.indication] if self.indication else "all indications"),
            ("Treatment started", period),
        ]


FORM_CHOICES: tuple[tuple[str, str], ...] = tuple((f, FORM_LABELS[f]) for f in FORMS)
INDICATION_CHOICES: tuple[tuple[str, str], ...] = tuple((i, INDICATION_LABELS[i]) for i in INDICATIONS)


def _choice(filters: Filters, name: str, choices: tuple[tuple[str, str], ...]) -> str | None:
    value = filters.values.get(name, "")
    if not value:
        return None
    if value not in {key for key, _ in choices}:
        filters.errors[name] = f"{value!r} is not one of {', '.join(key for key, _ in choices)}"
        return None
    return value


def _day(filters: Filters, name: str, today: date) -> date | None:
    value = filters.values.get(name, "")
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        filters.errors[name] = f"{value!r} is not a date (YYYY-MM-DD)"
        return None
    if not EARLIEST <= day <= today:
        filters.errors[name] = f"{value} must be between {EARLIEST.isoformat()} and today, {today.isoformat()}"
        return None
    return day


def read_filters(params: Mapping[str, str], today: date) -> Filters:
    """The filters of a query string (the clinics are the use case's to check: :meth:`Filters.refuse`)."""
    filters = Filters(values={name: params.get(name, "").strip() for name in FILTER_FIELDS})
    filters.clinic = filters.values["clinic"] or None
    filters.form = _choice(filters, "form", FORM_CHOICES)
    filters.indication = _choice(filters, "indication", INDICATION_CHOICES)
    filters.start = _day(filters, "start", today)
    filters.end = _day(filters, "end", today)
    if filters.start and filters.end and filters.end < filters.start:
        filters.errors["end"] = f"{filters.end.isoformat()} is before the start {filters.start.isoformat()}"
        filters.end = None
    return filters


@dataclass(frozen=True)
class ReportMonth:
    """A calendar month of the monthly report: its label and its last day."""

    year: int
    month: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])


def last_full_month(today: date) -> ReportMonth:
    """The month before ``today``'s: the default month of the report."""
    return ReportMonth(today.year - 1, 12) if today.month == 1 else ReportMonth(today.year, today.month - 1)


def read_month(value: str, today: date) -> tuple[ReportMonth | None, str | None]:
    """A ``YYYY-MM`` month up to ``today``'s, or the error naming the value and the limit."""
    parts = value.strip().split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4 or not 1 <= int(parts[1]) <= 12:
        return None, f"{value!r} is not a month (YYYY-MM)"
    month = ReportMonth(int(parts[0]), int(parts[1]))
    if month.key > f"{today.year:04d}-{today.month:02d}" or month.year < EARLIEST.year:
        return None, f"{value} must be between {EARLIEST.year}-01 and this month, {today.year:04d}-{today.month:02d}"
    return month, None
