"""Finding a code by name: medications over the catalog and the RxNorm code table, OUD and AUD
diagnoses over the SNOMED CT and ICD-10-CM code table (:mod:`naltrack.domain.terminology`).

A search splits its text into words; an entry matches when every word starts one of the words of its
name or ingredient (``"oxy 5"`` finds "oxycodone hydrochloride 5 MG Oral Tablet"), or when the text is
its code. A brand the terminology knows (:data:`~naltrack.domain.brand_names.BRANDS`) also finds its
generic ingredient ("Vivitrol" finds naltrexone). The closest names come first: the ingredient itself,
then the shortest names.

A medication's class in words (:func:`medication_group`) is the catalog class by product
(:func:`~naltrack.domain.terminology.resolve_rxnorm`), grouped as the readiness rules see it: buprenorphine
and methadone (each with its own opioid-free interval, clinical.md §2.1), other opioids, and the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from naltrack.domain.brand_names import BRANDS
from naltrack.domain.catalog import OPIOID_CLASSES, Medication, MedicationClass, all_medications
from naltrack.domain.errors import InvalidInput
from naltrack.domain.terminology import ConditionKind, condition_table, excluded_rxnorm, resolve_rxnorm, rxnorm_table

MedicationGroup = Literal["opioid", "buprenorphine", "methadone", "other"]
DiagnosisSystem = Literal["icd10cm", "snomed"]
#: The longest search text read (longer text is cut): a name, never a paragraph.
MAX_SEARCH_CHARS = 100
#: The most matches one search returns.
MAX_MATCHES = 100
#: Ingredients first, then clinical drugs, then brands and packs (RxNorm term types).
_TTY_RANK: dict[str, int] = {"IN": 0, "local": 1, "SCD": 1, "SBD": 2}
_GROUP_OF_CLASS: dict[str, MedicationGroup] = {
    "buprenorphine-oud": "buprenorphine", "buprenorphine-pain": "buprenorphine", "methadone": "methadone"}


@dataclass(frozen=True)
class MedicationMatch:
    """A medication as a search shows it: its code, name, catalog class and class in words."""

    code: str
    display: str
    medication_class: MedicationClass | None
    group: MedicationGroup


@dataclass(frozen=True)
class DiagnosisMatch:
    """An OUD or AUD diagnosis code of the code table, with its name."""

    system: DiagnosisSystem
    code: str
    display: str
    kind: ConditionKind


def _words(text: str) -> tuple[str, ...]:
    """Lower-case words and numbers (a decimal point kept: ``0.5``)."""
    return tuple(re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", text.lower()))


def medication_group(medication_class: str | None) -> MedicationGroup:
    """The class of a medication in words: ``buprenorphine``, ``methadone``, ``opioid`` or ``other``.

    Parameters
    ----------
    medication_class
        A catalog class (:data:`~naltrack.domain.catalog.MedicationClass`), or ``None`` for a code the
        terminology does not classify.

    Returns
    -------
    str
        Buprenorphine for pain or for OUD, methadone, any other opioid (kratom included), else ``other``
        (naltrexone, naloxone, loperamide, the rest).

    Examples
    --------
    >>> medication_group("buprenorphine-pain"), medication_group("opioid-antitussive"), medication_group(None)
    ('buprenorphine', 'opioid', 'other')
    """
    if medication_class in _GROUP_OF_CLASS:
        return _GROUP_OF_CLASS[medication_class]
    return "opioid" if medication_class in OPIOID_CLASSES else "other"


def describe_medication(code: str) -> MedicationMatch:
    """A medication list entry's code as the chart shows it: its name and class, or the bare code when unknown.

    Examples
    --------
    >>> describe_medication("1010600").group, describe_medication("123456789").display
    ('buprenorphine', '123456789')
    """
    med = resolve_rxnorm(code)
    if med is None:
        return MedicationMatch(code, code, None, "other")
    return MedicationMatch(med.code, med.display, med.medication_class, medication_group(med.medication_class))


@cache
def _medication_index() -> tuple[tuple[Medication, frozenset[str]], ...]:
    """The catalog, then the code table's rows the catalog does not hold, each with the words of its names."""
    known = {m.code: m for m in all_medications()}
    excluded = excluded_rxnorm()
    for code in rxnorm_table():
        if code not in known and code not in excluded:
            med = resolve_rxnorm(code)
            if med is not None:
                known[code] = med
    return tuple((m, frozenset(_words(f"{m.display} {m.ingredient}"))) for m in known.values())


def _query(text: str, limit: int) -> tuple[str, tuple[str, ...]]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_MATCHES:
        raise InvalidInput("limit", limit, f"must be a whole number from 1 to {MAX_MATCHES}")
    cut = text.strip()[:MAX_SEARCH_CHARS]
    return cut, _words(cut)


def _generic(term: str) -> str:
    """The ingredient a brand stands for, else the term itself."""
    generic = BRANDS.get(term)
    return generic.split()[0] if generic else term


def _finds(term: str, words: frozenset[str]) -> bool:
    return any(w.startswith(term) or w.startswith(_generic(term)) for w in words)


def _rank(med: Medication, cut: str, terms: tuple[str, ...]) -> tuple[bool, bool, bool, int, int, str]:
    """The code itself, then names holding every word as typed (not through a brand), then the ingredient
    itself, then by term type and the shortest name."""
    named = _words(med.display)
    as_typed = all(any(w.startswith(t) for w in named) for t in terms)
    return (med.code != cut, not as_typed, _words(med.ingredient) != tuple(map(_generic, terms)),
            _TTY_RANK.get(med.tty, 3), len(med.display), med.display)


def search_medications(text: str, limit: int = 20) -> list[MedicationMatch]:
    """Medications whose name matches ``text`` (or whose code it is), closest first.

    Parameters
    ----------
    text
        What the user typed: words of a name ("oxycodone 5"), a brand ("Suboxone") or a code.
    limit
        The most matches returned (1 to :data:`MAX_MATCHES`).

    Returns
    -------
    list of MedicationMatch
        Empty for an empty text.

    Raises
    ------
    InvalidInput
        For a limit outside 1 to :data:`MAX_MATCHES`.

    Examples
    --------
    >>> [(m.code, m.display, m.group) for m in search_medications("oxycodone", 1)]
    [('7804', 'oxycodone', 'opioid')]
    >>> search_medications("methadone", 1)[0].group, search_medications("subox", 1)[0].group
    ('methadone', 'buprenorphine')
    """
    cut, terms = _query(text, limit)
    if not terms:
        return []
    found = [m for m, words in _medication_index()
             if m.code == cut or m.code.lower() == cut.lower() or all(_finds(t, words) for t in terms)]
    found.sort(key=lambda m: _rank(m, cut, terms))
    return [MedicationMatch(m.code, m.display, m.medication_class, medication_group(m.medication_class))
            for m in found[:limit]]


@cache
def _diagnosis_index() -> tuple[tuple[DiagnosisMatch, frozenset[str]], ...]:
    rows: list[tuple[DiagnosisMatch, frozenset[str]]] = []
    for system in ("icd10cm", "snomed"):
        for code, row in condition_table()[system].items():
            if system == "icd10cm" and "." not in code and len(code) > 3:
                continue  # the same code without its dot (F1120 for F11.20)
            match = DiagnosisMatch(system, code, row["display"], "oud" if row["kind"] == "oud" else "aud")
            rows.append((match, frozenset(_words(row["display"]))))
    return tuple(rows)


def find_diagnosis(system: str, code: str) -> DiagnosisMatch | None:
    """The OUD or AUD code of the code table, or ``None`` when the table does not hold it.

    Examples
    --------
    >>> find_diagnosis("icd10cm", "F11.20").kind, find_diagnosis("snomed", "1") is None
    ('oud', True)
    """
    return next((m for m, _ in _diagnosis_index() if m.system == system and m.code == code.strip()), None)


def search_diagnoses(text: str, limit: int = 20) -> list[DiagnosisMatch]:
    """OUD and AUD diagnoses whose name matches ``text``, or whose code starts with it; ICD-10-CM first.

    Parameters
    ----------
    text
        Words of a name ("opioid dependence") or the start of a code ("F11.2", "5602001").
    limit
        The most matches returned (1 to :data:`MAX_MATCHES`).

    Returns
    -------
    list of DiagnosisMatch
        Empty for an empty text.

    Raises
    ------
    InvalidInput
        For a limit outside 1 to :data:`MAX_MATCHES`.

    Examples
    --------
    >>> [(m.code, m.kind) for m in search_diagnoses("F11.20", 1)]
    [('F11.20', 'oud')]
    >>> search_diagnoses("alcohol dependence", 1)[0].kind
    'aud'
    """
    cut, terms = _query(text, limit)
    if not terms:
        return []
    code = cut.upper()
    found = [m for m, words in _diagnosis_index()
             if m.code.upper().startswith(code) or all(any(w.startswith(t) for w in words) for t in terms)]
    found.sort(key=lambda m: (not m.code.upper().startswith(code), m.system != "icd10cm", len(m.display), m.code))
    return found[:limit]
