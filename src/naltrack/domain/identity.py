"""Is the person another system describes one of naltrack's patients? Linking on strong evidence only.

Membership of a substance use disorder program is itself protected: 42 CFR Part 2 (§ 2.12,
§ 2.13) forbids disclosing that a person is a patient of a Part 2 program without consent, and
its records may be disclosed only about the person the consent names. A wrong link discloses a
patient's Part 2 record to someone else's chart, and a wrong merge writes one person's records
into another's. So a link needs two independent kinds of evidence that agree:

1. an identifier the other system recorded, with the same ``system`` and ``value`` as one of the
   patient's identifiers (the clinic's MRN or an identifier recorded at intake or import). A bare
   naltrack record id is not evidence: it is a key of one database, which any system can echo or
   reuse (:data:`~naltrack.domain.person_data.NALTRACK_ID_SYSTEM` is never compared);
2. demographics that agree: the family name and the full birth date, and the given name where
   both sides have one. Names are compared without case, accents, spaces or punctuation
   (``"Núñez-O'Brien"`` agrees with ``"NUNEZ OBRIEN"``); a family or given name agrees with any
   name the patient has on record (current, old or maiden).

:func:`match_person` answers with one of four outcomes, and only ``"same"`` allows a link:

* ``"same"``: an identifier in common and the family name and full birth date agree;
* ``"different"``: an identifier in common but a name or the birth date disagrees: a different
  person under a known identifier, which the caller refuses (an import) or ignores (CDS);
* ``"insufficient"``: an identifier in common, nothing disagrees, but the family name or the full
  birth date is missing (a birth date of year or year and month only cannot confirm);
* ``"unknown"``: no identifier in common.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from naltrack.domain.errors import InvalidInput
from naltrack.domain.patients import Patient
from naltrack.domain.person_data import NALTRACK_ID_SYSTEM, Identifier

MatchOutcome = Literal["same", "different", "insufficient", "unknown"]


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, the month or the day (FHIR ``date``: ``1974``, ``1974-12``, ``1974-12-25``).

    Examples
    --------
    >>> PartialDate.parse("1974-12")
    PartialDate(year=1974, month=12, day=None)
    >>> PartialDate.parse("1974-12").agrees_with(date(1974, 12, 25))
    True
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise InvalidInput("birth_date", str(self), "a day needs a month")
        try:
            date(self.year, self.month or 1, self.day or 1)
        except (ValueError, TypeError) as error:
            raise InvalidInput("birth_date", str(self), "is not a calendar date") from error

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
        parts = text.split("-")
        if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
            raise InvalidInput("birth_date", text, "must be YYYY, YYYY-MM or YYYY-MM-DD")
        numbers = [int(p) for p in parts] + [None, None]
        return cls(numbers[0], numbers[1], numbers[2])  # type: ignore[arg-type]

    @classmethod
    def of(cls, day: date) -> PartialDate:
        return cls(day.year, day.month, day.day)

    @property
    def is_full(self) -> bool:
        return self.day is not None

    def agrees_with(self, day: date) -> bool:
        """Every part that is known equals that part of ``day``."""
        return (self.year == day.year and self.month in (None, day.month) and self.day in (None, day.day))

    def __str__(self) -> str:
        return "-".join([f"{self.year:04d}"] + [f"{p:02d}" for p in (self.month, self.day) if p is not None])


@dataclass(frozen=True)
class Demographics:
    """What another system says about a person: names, birth date (maybe partial or absent), identifiers."""

    family: str | None = None
    given: str | None = None
    birth_date: PartialDate | None = None
    identifiers: tuple[Identifier, ...] = ()


@dataclass(frozen=True)
class IdentityMatch:
    """The outcome of :func:`match_person`, the identifiers both sides share and why it is not ``same``."""

    outcome: MatchOutcome
    shared: tuple[Identifier, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def is_same(self) -> bool:
        """True only for ``same``: the one outcome that allows linking or merging."""
        return self.outcome == "same"


def normalized_name(name: str | None) -> str:
    """A name without case, accents, spaces or punctuation, for comparing.

    Examples
    --------
    >>> normalized_name("Núñez-O'Brien")
    'nunezobrien'
    >>> normalized_name(" ")
    ''
    """
    if name is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch)).casefold()


def _first_given(name: str | None) -> str:
    words = (name or "").split()
    return normalized_name(words[0]) if words else ""


def may_be_same_person(patient: Patient, family: str, given: str, birth_date: date) -> bool:
    """Whether a person about to be registered may be ``patient`` already: a possible duplicate.

    Parameters
    ----------
    patient
        A patient already on record.
    family, given
        The family and given names entered; only the first given name is compared.
    birth_date
        The birth date entered.

    Returns
    -------
    bool
        True when the birth date is the same and the family name and first given name agree with a
        name the patient has on record (current, old or maiden), ignoring case, accents, spaces and
        punctuation. This only asks the registrar to look: it never links or merges (see
        :func:`match_person` for that).

    Examples
    --------
    >>> ada = Patient(id="p1", clinic_id="c1", given_name="Ada Mae", family_name="Núñez",
    ...               birth_date=date(1990, 5, 1), sex_at_birth="female")
    >>> may_be_same_person(ada, "NUNEZ", "ada", date(1990, 5, 1))
    True
    >>> may_be_same_person(ada, "Nunez", "Ada", date(1990, 5, 2))
    False
    >>> may_be_same_person(ada, "Nunez", "Eva", date(1990, 5, 1))
    False
    """
    if patient.birth_date != birth_date or not normalized_name(family) or not _first_given(given):
        return False
    return not _disagreements(patient, Demographics(family, given, PartialDate.of(birth_date)))


def shared_identifiers(patient: Patient, demographics: Demographics) -> tuple[Identifier, ...]:
    """The patient's identifiers (MRN included) whose system and value the demographics also hold.

    naltrack record ids (:data:`NALTRACK_ID_SYSTEM`) are never shared evidence.
    """
    theirs = {i.key for i in demographics.identifiers if i.system != NALTRACK_ID_SYSTEM}
    return tuple(i for i in patient.all_identifiers if i.key in theirs and i.system != NALTRACK_ID_SYSTEM)


def _disagreements(patient: Patient, demographics: Demographics) -> list[str]:
    families = {normalized_name(patient.family_name)} | {normalized_name(n.family) for n in patient.names}
    givens = {_first_given(patient.given_name)} | {_first_given(" ".join(n.given)) for n in patient.names}
    out = []
    family = normalized_name(demographics.family)
    if family and family not in families:
        out.append("the family name differs")
    given = _first_given(demographics.given)
    if given and given not in givens:
        out.append("the given name differs")
    if demographics.birth_date is not None and not demographics.birth_date.agrees_with(patient.birth_date):
        out.append("the birth date differs")
    return out


def match_person(patient: Patient, demographics: Demographics) -> IdentityMatch:
    """Whether ``demographics`` describe ``patient``: ``same``, ``different``, ``insufficient`` or ``unknown``.

    Parameters
    ----------
    patient
        naltrack's patient, with the identifiers on record (its MRN among them).
    demographics
        What the other system sent: identifiers, family and given name, birth date (maybe partial).

    Returns
    -------
    IdentityMatch
        ``same`` only with an identifier in common (system and value) and an agreeing family name
        and full birth date (and given name, where both have one); see the module docstring for why
        anything less never links (42 CFR Part 2).

    Examples
    --------
    >>> from naltrack.domain.patients import Patient
    >>> mrn = Identifier("http://hospital.example.org/mrn", "A-77")
    >>> ada = Patient(id="p1", clinic_id="c1", given_name="Ada", family_name="Lane",
    ...               birth_date=date(1990, 5, 1), sex_at_birth="female", identifiers=(mrn,))
    >>> match_person(ada, Demographics("LANE", "ada", PartialDate(1990, 5, 1), (mrn,))).outcome
    'same'
    >>> match_person(ada, Demographics("Lane", "Ada", PartialDate(1991, 5, 1), (mrn,))).outcome
    'different'
    >>> match_person(ada, Demographics("Lane", "Ada", PartialDate(1990, 5, 1), ())).outcome
    'unknown'
    """
    shared = shared_identifiers(patient, demographics)
    if not shared:
        return IdentityMatch("unknown", reasons=("no identifier in common",))
    disagreements = _disagreements(patient, demographics)
    if disagreements:
        return IdentityMatch("different", shared, tuple(disagreements))
    missing = []
    if not normalized_name(demographics.family):
        missing.append("no family name to compare")
    if demographics.birth_date is None or not demographics.birth_date.is_full:
        shown = "none" if demographics.birth_date is None else str(demographics.birth_date)
        missing.append(f"no full birth date to compare ({shown})")
    if missing:
        return IdentityMatch("insufficient", shared, tuple(missing))
    return IdentityMatch("same", shared)
