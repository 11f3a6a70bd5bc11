"""Clinics and patients (demographics, identifiers, contacts, pregnancy and breastfeeding status).

The identity data follow the US Core Patient profile's must-support elements (US Core 6.1,
https://hl7.org/fhir/us/core/StructureDefinition-us-core-patient.html): identifiers (system and
value), names with their use, telecom, address, and the race and ethnicity extensions with the
OMB categories (https://hl7.org/fhir/us/core/StructureDefinition-us-core-race.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from naltrack.domain.errors import InvalidInput
from naltrack.domain.limits import check_limits
from naltrack.domain.person_data import (
    NALTRACK_ID_SYSTEM,
    Address,
    ContactPoint,
    HumanName,
    Identifier,
    RaceEthnicity,
    mrn_system,
)
from naltrack.domain.units import require_choice, require_text

SexAtBirth = Literal["female", "male", "intersex", "unknown"]
SEXES: tuple[SexAtBirth, ...] = ("female", "male", "intersex", "unknown")
ContactKind = Literal["phone", "email", "address", "emergency-contact"]
CONTACT_KINDS: tuple[ContactKind, ...] = ("phone", "email", "address", "emergency-contact")
#: At most this many identifiers, contact points, addresses and other names per patient.
MAX_IDENTIFIERS = 20
MAX_CONTACT_POINTS = 10
MAX_ADDRESSES = 10
MAX_NAMES = 10


#: The longest clinic phone number kept (an international number with an extension fits).
CLINIC_PHONE_MAX = 40
_PHONE = re.compile(r"\+?[0-9(][0-9 ()./-]*[0-9](?: ?(?:x|ext\.?) ?[0-9]{1,6})?")


@dataclass(frozen=True)
class Clinic:
    """A clinic: the tenant a user and a patient belong to. ``timezone`` is an IANA name."""

    id: str
    name: str
    timezone: str = "America/New_York"
    phone: str | None = None
    """How patients and an emergency team reach the clinic: printed on the wallet card and the documents."""

    def __post_init__(self) -> None:
        require_text("clinic.id", self.id, 64)
        require_text("clinic.name", self.name)
        if self.phone is not None:
            require_text("clinic.phone", self.phone, CLINIC_PHONE_MAX)
            if not _PHONE.fullmatch(self.phone):
                raise InvalidInput("clinic.phone", self.phone, "must be a phone number: digits, spaces, "
                                   "+ ( ) - . / and an extension (e.g. (212) 555-0142 x12)")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise InvalidInput("clinic.timezone", self.timezone, "must be an IANA time zone name") from error

    @property
    def zone(self) -> ZoneInfo:
        """The clinic's time zone: every clinical date of its patients is a day of this zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Contact:
    """A way to reach the patient or a person they named."""

    kind: ContactKind
    value: str
    name: str | None = None
    """The person reached, for an ``emergency-contact``; ``None`` when the phone, e-mail or address is the
    patient's own."""

    def __post_init__(self) -> None:
        require_choice("contact.kind", self.kind, CONTACT_KINDS)
        require_text("contact.value", self.value)


@dataclass(frozen=True)
class ReproductiveStatus:
    """Pregnancy and breastfeeding as last recorded, with the date it was recorded.

    ``None`` means unknown: rules that need it answer ``review``, never ``ready``.
    """

    pregnant: bool | None
    breastfeeding: bool | None
    as_of: date


def combine_reproductive(findings: list[tuple[date, bool | None, bool | None]]) -> ReproductiveStatus | None:
    """One status from dated findings ``(day, pregnant, breastfeeding)``, whatever their order.

    The latest day gives the pregnancy status; on that day "pregnant" wins over a negative
    test, and a negative over "unknown" (the safe side, clinical.md §2.6). Breastfeeding is the
    latest finding that states it: a pregnancy test says nothing about it, so it never erases it.

    Examples
    --------
    >>> combine_reproductive([(date(2026, 3, 1), True, True), (date(2026, 3, 1), False, None)])
    ReproductiveStatus(pregnant=True, breastfeeding=True, as_of=datetime.date(2026, 3, 1))
    >>> combine_reproductive([]) is None
    True
    """
    if not findings:
        return None
    as_of = max(day for day, _, _ in findings)
    return ReproductiveStatus(pregnant=_safe_side([p for day, p, _ in findings if day == as_of]),
                              breastfeeding=_safe_side(_latest_stated(findings)), as_of=as_of)


def _latest_stated(findings: list[tuple[date, bool | None, bool | None]]) -> list[bool | None]:
    """The breastfeeding answers of the latest day that states one (none if no finding does)."""
    stated = [(day, breastfeeding) for day, _, breastfeeding in findings if breastfeeding is not None]
    last = max((day for day, _ in stated), default=None)
    return [breastfeeding for day, breastfeeding in stated if day == last]


def _safe_side(answers: list[bool | None]) -> bool | None:
    """Yes if any answer says yes, else no if any says no, else unknown."""
    return True if True in answers else False if False in answers else None


@dataclass(frozen=True, kw_only=True)
class Patient:
    """A person in the program.

    Examples
    --------
    >>> Patient(id="p1", clinic_id="c1", given_name="Ada", family_name="Lane",
    ...         birth_date=date(1990, 5, 1), sex_at_birth="female").age_on(date(2026, 4, 30))
    35
    """

    id: str
    clinic_id: str
    given_name: str
    family_name: str
    birth_date: date
    sex_at_birth: SexAtBirth
    """The sex the clinical rules read (heavy drinking, pregnancy status, the AUDIT-C bands); ``gender`` is
    the identity the patient states, shown and exported but read by no rule."""
    gender: str | None = None
    mrn: str | None = None
    """The clinic's medical record number, matched exactly (no spaces around it); other systems' numbers go
    in ``identifiers``."""
    reproductive: ReproductiveStatus | None = None
    contacts: tuple[Contact, ...] = field(default_factory=tuple)
    identifiers: tuple[Identifier, ...] = field(default_factory=tuple)
    telecom: tuple[ContactPoint, ...] = field(default_factory=tuple)
    address: tuple[Address, ...] = field(default_factory=tuple)
    race: RaceEthnicity | None = None
    ethnicity: RaceEthnicity | None = None
    names: tuple[HumanName, ...] = field(default_factory=tuple)
    version: int = 1

    def __post_init__(self) -> None:
        require_text("patient.id", self.id, 64)
        require_text("patient.clinic_id", self.clinic_id, 64)
        require_text("patient.given_name", self.given_name, 100)
        require_text("patient.family_name", self.family_name, 100)
        require_choice("patient.sex_at_birth", self.sex_at_birth, SEXES)
        if not isinstance(self.birth_date, date):
            raise InvalidInput("patient.birth_date", self.birth_date, "must be a date")
        if self.birth_date.year < 1900:
            raise InvalidInput("patient.birth_date", self.birth_date.isoformat(), "must be after 1900")
        if self.mrn is not None:
            if not self.mrn.strip() or self.mrn != self.mrn.strip():
                raise InvalidInput("patient.mrn", self.mrn, "must not be blank or start or end with spaces "
                                                            "(leave it out when there is none)")
            require_text("patient.mrn", self.mrn, 64)
        self._check_identity()
        check_limits(self)

    def _check_identity(self) -> None:
        for name, items, limit in (("identifiers", self.identifiers, MAX_IDENTIFIERS),
                                   ("telecom", self.telecom, MAX_CONTACT_POINTS),
                                   ("address", self.address, MAX_ADDRESSES), ("names", self.names, MAX_NAMES)):
            if len(items) > limit:
                raise InvalidInput(f"patient.{name}", len(items), f"must hold at most {limit} entries")
        keys = [i.key for i in self.identifiers]
        if len(set(keys)) != len(keys):
            raise InvalidInput("patient.identifiers", keys, "must not repeat a system and value")
        for item in self.identifiers:
            if item.system == NALTRACK_ID_SYSTEM:
                raise InvalidInput("patient.identifiers", item.value, "a naltrack record id is not an identifier")
            if item.system == mrn_system(self.clinic_id):
                raise InvalidInput("patient.identifiers", item.value, "the clinic's own MRN belongs in patient.mrn")
        if self.race is not None and self.race.kind != "race":
            raise InvalidInput("patient.race", self.race.kind, "must be a race, not an ethnicity")
        if self.ethnicity is not None and self.ethnicity.kind != "ethnicity":
            raise InvalidInput("patient.ethnicity", self.ethnicity.kind, "must be an ethnicity, not a race")

    @property
    def mrn_identifier(self) -> Identifier | None:
        """The clinic's medical record number as an identifier (system :func:`mrn_system`, type ``MR``)."""
        return None if self.mrn is None else Identifier(mrn_system(self.clinic_id), self.mrn, "MR")

    @property
    def all_identifiers(self) -> tuple[Identifier, ...]:
        """The clinic's MRN (when recorded) followed by every other identifier."""
        mrn = self.mrn_identifier
        return self.identifiers if mrn is None else (mrn, *self.identifiers)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day``."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)
