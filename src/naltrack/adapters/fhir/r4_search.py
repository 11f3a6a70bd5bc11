"""FHIR R4 Patient search parameters over rendered Patient resources (https://hl7.org/fhir/R4/search.html).

=============  ========  ==============================================================================
parameter      type      matches
=============  ========  ==============================================================================
``_id``        token     the resource id
``name``       string    the start of any family, given, prefix, suffix or text of any name
``family``     string    the start of any family name
``given``      string    the start of any given name
``identifier`` token     ``system|value``, ``|value`` (no system), ``value`` (any system), ``system|``
``birthdate``  date      ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, with the prefix ``eq`` (default), ``ne``,
                         ``gt``, ``lt``, ``ge`` or ``le``; the search value and the birth date are each a
                         range of days and compare as FHIR's date search says
=============  ========  ==============================================================================

String matching ignores case and accents (FHIR: "case- and accent-insensitive", starts with).
Values separated by commas are alternatives (OR); repeated parameters must all hold (AND).
A value that cannot be read raises :class:`~naltrack.errors.InvalidInput` naming the parameter.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from naltrack.adapters.fhir.r4_common import FhirResource
from naltrack.errors import InvalidInput

SEARCH_PARAMETER = "http://hl7.org/fhir/SearchParameter/"


def defined_by(kind: str, definition: str) -> tuple[str, str]:
    """A search parameter of FHIR type ``kind`` and the URL of the FHIR SearchParameter ``definition``."""
    return kind, SEARCH_PARAMETER + definition


#: The Patient search parameters, with their FHIR type and the SearchParameter that defines them.
PATIENT_PARAMS: dict[str, tuple[str, str]] = {
    "_id": defined_by("token", "Resource-id"), "name": defined_by("string", "Patient-name"),
    "family": defined_by("string", "individual-family"), "given": defined_by("string", "individual-given"),
    "identifier": defined_by("token", "Patient-identifier"), "birthdate": defined_by("date", "individual-birthdate"),
}
_DATE = re.compile(r"^(eq|ne|gt|lt|ge|le)?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
Match = Callable[[FhirResource], bool]


def folded(text: str) -> str:
    """``text`` without case and accents, for string search.

    >>> folded("Zoë MÜLLER")
    'zoe muller'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def day_range(text: str, name: str = "birthdate") -> tuple[date, date]:
    """The first and last day of a FHIR date of year, month or day precision.

    >>> day_range("1988-02")
    (datetime.date(1988, 2, 1), datetime.date(1988, 2, 29))
    """
    found = _DATE.match(text)
    if found is None or found.group(1):
        raise InvalidInput(name, text, "must be a date YYYY, YYYY-MM or YYYY-MM-DD")
    return _span(name, text, found)


def _span(name: str, text: str, found: re.Match[str]) -> tuple[date, date]:
    year, month, day = int(found.group(2)), found.group(3), found.group(4)
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            last = calendar.monthrange(year, int(month))[1]
            return date(year, int(month), 1), date(year, int(month), last)
        one = date(year, int(month), int(day))
    except ValueError:
        raise InvalidInput(name, text, "is not a calendar date") from None
    return one, one


def _birthdate_test(value: str) -> Match:
    found = _DATE.match(value)
    if found is None or int(found.group(2)) < 1:
        raise InvalidInput("birthdate", value, "must be [eq|ne|gt|lt|ge|le]YYYY[-MM[-DD]]")
    prefix = found.group(1) or "eq"
    low, high = _span("birthdate", value, found)
    compare: dict[str, Callable[[date, date], bool]] = {
        "eq": lambda start, end: low <= start and end <= high,
        "ne": lambda start, end: not (low <= start and end <= high),
        "gt": lambda start, end: end > high,
        "lt": lambda start, end: start < low,
        "ge": lambda start, end: end >= low,
        "le": lambda start, end: start <= high,
    }
    test = compare[prefix]

    def matches(resource: FhirResource) -> bool:
        born = resource.get("birthDate")
        if not isinstance(born, str) or _DATE.match(born) is None:
            return False
        return test(*day_range(born))

    return matches


def _names(resource: FhirResource, parts: Sequence[str]) -> Iterator[str]:
    for name in resource.get("name", []):
        for part in parts:
            value = name.get(part)
            yield from (folded(v) for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))


def _string_test(parts: Sequence[str], value: str) -> Match:
    wanted = folded(value)
    return lambda resource: any(n.startswith(wanted) for n in _names(resource, parts))


def _identifier_test(value: str) -> Match:
    system, bar, code = value.rpartition("|")
    if not bar:
        return lambda r: any(i.get("value") == value for i in r.get("identifier", []))
    if not code:
        return lambda r: any(i.get("system") == system for i in r.get("identifier", []))
    return lambda r: any(i.get("value") == code and i.get("system", "") == system for i in r.get("identifier", []))


_STRING_PARTS = {"name": ("family", "given", "prefix", "suffix", "text"), "family": ("family",), "given": ("given",)}


def _value_test(param: str, value: str) -> Match:
    if param in _STRING_PARTS:
        return _string_test(_STRING_PARTS[param], value)
    if param == "identifier":
        return _identifier_test(value)
    if param == "birthdate":
        return _birthdate_test(value)
    if param == "_id":
        return lambda resource: resource.get("id") == value
    raise InvalidInput(param, value, f"is not a Patient search parameter ({', '.join(PATIENT_PARAMS)})")


def patient_matcher(params: Mapping[str, Sequence[str]]) -> Match:
    """A test of a Patient resource against every parameter (AND) and any of each one's comma-separated
    values (OR); empty values are ignored. Raises ``InvalidInput`` for a value that cannot be read."""
    tests: list[list[Match]] = []
    for param, values in params.items():
        for given in values:
            options = [_value_test(param, v) for v in given.split(",") if v]
            if options:
                tests.append(options)

    def matches(resource: Any) -> bool:
        return all(any(option(resource) for option in options) for options in tests)

    return matches
