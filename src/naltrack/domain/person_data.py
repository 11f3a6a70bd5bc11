"""A person's identity data: identifiers, names, contact points, addresses, race and ethnicity.

Shaped after the US Core Patient must-support elements (US Core 6.1): ``Identifier`` (system and
value), ``HumanName`` (use, family, given), ``ContactPoint`` (system, value, use), ``Address`` (use,
line, city, state, postalCode, country), and the US Core race and ethnicity extensions, whose
``ombCategory`` codes are the OMB categories of the CDC Race & Ethnicity code system
(urn:oid:2.16.840.1.113883.6.238), or the null flavors UNK and ASKU. Each value checks itself
when built and raises :class:`~naltrack.domain.errors.InvalidInput` naming the field, the value
and the limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from naltrack.domain.errors import InvalidInput
from naltrack.domain.units import require_choice, require_text

#: The system of naltrack's own record ids: an id is a key of one database, never a person's identifier.
NALTRACK_ID_SYSTEM = "urn:naltrack:patient"
#: A clinic's MRN system is this prefix followed by the clinic's id (:func:`mrn_system`).
MRN_SYSTEM_PREFIX = "urn:naltrack:mrn:"
#: OMB race categories (CDC Race & Ethnicity codes) with their displays, as US Core binds them.
OMB_RACE = {"1002-5": "American Indian or Alaska Native", "2028-9": "Asian",
            "2054-5": "Black or African American", "2076-8": "Native Hawaiian or Other Pacific Islander",
            "2106-3": "White"}
#: OMB ethnicity categories.
OMB_ETHNICITY = {"2135-2": "Hispanic or Latino", "2186-5": "Not Hispanic or Latino"}
#: Null flavors US Core allows in ``ombCategory`` (HL7 v3 NullFlavor).
NULL_FLAVORS = {"UNK": "Unknown", "ASKU": "Asked but no answer"}
_CDC_CODE = re.compile(r"\d{4}-\d")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")

NameUse = Literal["usual", "official", "temp", "nickname", "anonymous", "old", "maiden"]
NAME_USES: tuple[NameUse, ...] = ("usual", "official", "temp", "nickname", "anonymous", "old", "maiden")
TelecomSystem = Literal["phone", "fax", "email", "pager", "url", "sms", "other"]
TELECOM_SYSTEMS: tuple[TelecomSystem, ...] = ("phone", "fax", "email", "pager", "url", "sms", "other")
ContactUse = Literal["home", "work", "temp", "old", "mobile"]
CONTACT_USES: tuple[ContactUse, ...] = ("home", "work", "temp", "old", "mobile")
AddressUse = Literal["home", "work", "temp", "old", "billing"]
ADDRESS_USES: tuple[AddressUse, ...] = ("home", "work", "temp", "old", "billing")


def mrn_system(clinic_id: str) -> str:
    """The identifier system of a clinic's medical record numbers.

    Examples
    --------
    >>> mrn_system("c1")
    'urn:naltrack:mrn:c1'
    """
    return f"{MRN_SYSTEM_PREFIX}{clinic_id}"


#: The longest text of each field, ``(class, field) -> characters``: the column lengths of the
#: ``patient_identifiers`` table and the lengths the API schema states.
TEXT_LIMITS: dict[tuple[str, str], int] = {
    ("Identifier", "system"): 255, ("Identifier", "value"): 100, ("Identifier", "type_code"): 16,
    ("HumanName", "family"): 100, ("HumanName", "given"): 100, ("ContactPoint", "value"): 254,
    ("Address", "line"): 200, ("Address", "city"): 100, ("Address", "state"): 50, ("Address", "postal_code"): 20,
    ("Address", "country"): 60, ("CodeDisplay", "display"): 100, ("RaceEthnicity", "text"): 200,
}


def _check_text(record: object, label: str, name: str) -> None:
    """Each text of field ``name`` (one, a tuple of them, or ``None`` when optional) within its limit."""
    value = getattr(record, name)
    limit = TEXT_LIMITS[(type(record).__name__, name)]
    for text in value if isinstance(value, tuple) else () if value is None else (value,):
        require_text(f"{label}.{name}", text, limit)


@dataclass(frozen=True)
class Identifier:
    """An identifier a system gave the person: ``system`` is a URI, ``type_code`` an HL7 v2-0203 code.

    Examples
    --------
    >>> Identifier("http://hospital.example.org/mrn", "12345", "MR").key
    ('http://hospital.example.org/mrn', '12345')
    """

    system: str
    value: str
    type_code: str | None = None

    def __post_init__(self) -> None:
        require_text("identifier.system", self.system, TEXT_LIMITS[("Identifier", "system")])
        if not _URI.fullmatch(self.system):
            raise InvalidInput("identifier.system", self.system, "must be a URI (http://..., urn:oid:...)")
        require_text("identifier.value", self.value, TEXT_LIMITS[("Identifier", "value")])
        if self.value != self.value.strip():
            raise InvalidInput("identifier.value", self.value, "must not start or end with spaces")
        _check_text(self, "identifier", "type_code")

    @property
    def key(self) -> tuple[str, str]:
        """What identifies: the system and the value (the type only describes)."""
        return self.system, self.value


@dataclass(frozen=True)
class HumanName:
    """A name the person has or had (``use`` as in FHIR: ``old`` and ``maiden`` are past names)."""

    use: NameUse | None
    family: str | None = None
    given: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.use is not None:
            require_choice("name.use", self.use, NAME_USES)
        _check_text(self, "name", "family")
        if len(self.given) > 5:
            raise InvalidInput("name.given", len(self.given), "must hold at most 5 names")
        _check_text(self, "name", "given")
        if self.family is None and not self.given:
            raise InvalidInput("name", self.use or "", "needs a family or a given name")


@dataclass(frozen=True)
class ContactPoint:
    """A phone number, e-mail address or other way to reach the person, with its use."""

    system: TelecomSystem
    """FHIR ``ContactPoint.system``: how to reach the person (``phone``, ``email``, ...); an e-mail value
    needs an @."""
    value: str
    use: ContactUse | None = None

    def __post_init__(self) -> None:
        require_choice("telecom.system", self.system, TELECOM_SYSTEMS)
        require_text("telecom.value", self.value, TEXT_LIMITS[("ContactPoint", "value")])
        if self.use is not None:
            require_choice("telecom.use", self.use, CONTACT_USES)
        if self.system == "email" and "@" not in self.value:
            raise InvalidInput("telecom.value", self.value, "an e-mail address needs an @")


@dataclass(frozen=True)
class Address:
    """A postal address (US Core: line, city, state, postalCode, country, use)."""

    line: tuple[str, ...] = field(default_factory=tuple)
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    use: AddressUse | None = None

    def __post_init__(self) -> None:
        if len(self.line) > 4:
            raise InvalidInput("address.line", len(self.line), "must hold at most 4 lines")
        for name in ("line", "city", "state", "postal_code", "country"):
            _check_text(self, "address", name)
        if self.use is not None:
            require_choice("address.use", self.use, ADDRESS_USES)
        if not (self.line or self.city or self.state or self.postal_code or self.country):
            raise InvalidInput("address", "", "needs a line, city, state, postal code or country")


@dataclass(frozen=True)
class CodeDisplay:
    """A code of the CDC Race & Ethnicity code system (or a null flavor) with its display."""

    code: str
    display: str

    def __post_init__(self) -> None:
        if not (_CDC_CODE.fullmatch(self.code) or self.code in NULL_FLAVORS):
            raise InvalidInput("race_ethnicity.code", self.code,
                               "must be a CDC race/ethnicity code (nnnn-n), UNK or ASKU")
        require_text("race_ethnicity.display", self.display, TEXT_LIMITS[("CodeDisplay", "display")])


@dataclass(frozen=True)
class RaceEthnicity:
    """Self-reported race or ethnicity: OMB categories, detailed codes and the text as given.

    ``categories`` are OMB categories (up to 5 for race, 1 for ethnicity); ``detailed`` any finer
    codes of the CDC code system; ``text`` the words the person used (US Core requires it, so
    :attr:`display_text` falls back to the categories' displays).
    """

    kind: Literal["race", "ethnicity"]
    categories: tuple[CodeDisplay, ...] = field(default_factory=tuple)
    detailed: tuple[CodeDisplay, ...] = field(default_factory=tuple)
    text: str | None = None

    def __post_init__(self) -> None:
        require_choice("race_ethnicity.kind", self.kind, ("race", "ethnicity"))
        allowed = (OMB_RACE if self.kind == "race" else OMB_ETHNICITY) | NULL_FLAVORS
        for category in self.categories:
            if category.code not in allowed:
                raise InvalidInput(f"{self.kind}.category", category.code,
                                   f"must be one of the OMB {self.kind} categories {', '.join(allowed)}")
        limit = 5 if self.kind == "race" else 1
        if len(self.categories) > limit:
            raise InvalidInput(f"{self.kind}.categories", len(self.categories), f"must hold at most {limit}")
        if len(self.detailed) > 10:
            raise InvalidInput(f"{self.kind}.detailed", len(self.detailed), "must hold at most 10")
        _check_text(self, self.kind, "text")
        if not (self.categories or self.detailed or self.text):
            raise InvalidInput(self.kind, "", "needs a category, a detailed code or a text")

    @property
    def display_text(self) -> str:
        """The text as given, else the displays of the codes joined."""
        return self.text or ", ".join(c.display for c in (*self.categories, *self.detailed))
