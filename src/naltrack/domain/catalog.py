"""The medication catalog: RxNorm codes, classes and the traps of public value sets.

The entries are data, read once from ``code_tables/catalog.json``; every entry names where
its code was seen (``../shared/reference/codes.md``, cited as ``codes.md §N``). Classes are assigned by *product*, not by ingredient, because the
public value sets mislead when read by ingredient (codes.md §3, "Cross-cutting traps"):

1. Bupropion/naltrexone (Contrave, 1551468) contains naltrexone but is not MAT.
2. Embeda and Troxyca contain naltrexone but are opioid agonist products.
3. Buprenorphine/naloxone is OUD treatment, not a naloxone rescue product.
4. Butrans, Belbuca and Buprenex are buprenorphine for pain, not OUD treatment.
5. Codeine cough liquids and diphenoxylate sit outside "opioid analgesic" sets.
6. Dextromethorphan is not a mu-opioid agonist.
7. Kratom (mitragynine, a mu-opioid partial agonist) is opioid exposure but has no RxNorm code.

Implants and kratom have no RxNorm or HCPCS code (clinical.md §8.1; codes.md lists none for
kratom), so they use local codes in the ``urn:naltrack:medication`` system.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, get_args

from naltrack.domain.errors import NotFound

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOCAL = "urn:naltrack:medication"

MedicationClass = Literal[
    "naltrexone-oral",
    "naltrexone-xr",
    "naltrexone-implant",
    "naltrexone-not-mat",
    "opioid-analgesic",
    "opioid-antitussive",
    "opioid-antidiarrheal",
    "peripheral-opioid-antidiarrheal",
    "illicit-opioid",
    "mixed-agonist-antagonist",
    "buprenorphine-oud",
    "buprenorphine-pain",
    "methadone",
    "kratom",
    "opioid-reversal",
    "disulfiram",
    "thioridazine",
    "bupropion",
    "acamprosate",
    "anticoagulant",
    "non-opioid-antitussive",
]

#: How long an opioid acts, which sets the opioid-free interval before naltrexone.
#: ``long-acting-buprenorphine`` marks the extended-release depots and implant (Sublocade, Brixadi,
#: Probuphine): the label's "up to two weeks" is for daily agonists (clinical.md §2.1).
#: ``kratom`` and ``loperamide`` (above a daily amount) have their own configurable intervals (``Thresholds``).
OpioidAction = Literal["short", "long", "fentanyl", "buprenorphine", "methadone", "long-acting-buprenorphine",
                       "kratom", "loperamide"]

OPIOID_CLASSES: frozenset[str] = frozenset(
    {
        "opioid-analgesic", "opioid-antitussive", "opioid-antidiarrheal", "illicit-opioid",
        "mixed-agonist-antagonist", "buprenorphine-oud", "buprenorphine-pain", "methadone", "kratom",
    }
)
NALTREXONE_THERAPY_CLASSES: frozenset[str] = frozenset(
    {"naltrexone-oral", "naltrexone-xr", "naltrexone-implant"}
)
#: Products whose naltrexone is released and blocks opioids: naltrexone therapy and Contrave (8 mg per tablet).
#: Embeda and Troxyca are left out: their naltrexone is sequestered in an opioid agonist product (codes.md §3 trap 1).
NALTREXONE_CONTAINING_CLASSES: frozenset[str] = NALTREXONE_THERAPY_CLASSES | {"naltrexone-not-mat"}
#: Words that name a kratom product in a medicine's text or display (there is no RxNorm code to match).
KRATOM_NAMES: tuple[str, ...] = ("kratom", "mitragyn")
KRATOM_CODE = "KRATOM"
LOPERAMIDE_CLASS = "peripheral-opioid-antidiarrheal"


@dataclass(frozen=True)
class Medication:
    """One catalog entry.

    Examples
    --------
    >>> get_medication("637213").medication_class
    'naltrexone-xr'
    >>> is_naltrexone_therapy(get_medication("1551468"))
    False
    """

    code: str
    display: str
    medication_class: MedicationClass
    ingredient: str
    tty: str = "SCD"
    system: str = RXNORM
    opioid_action: OpioidAction | None = None
    strength_mg: float | None = None
    source: str = ""
    note: str = ""

    @property
    def is_opioid(self) -> bool:
        return self.medication_class in OPIOID_CLASSES


_CATALOG_FILE = "catalog.json"


def _medication(entry: dict[str, Any]) -> Medication:
    """One entry of ``code_tables/catalog.json``; a class or action outside the literals fails the import."""
    fields = dict(entry)
    fields["medication_class"] = fields.pop("class")
    if fields.get("system") == "local":
        fields["system"] = LOCAL
    if fields["medication_class"] not in get_args(MedicationClass):
        raise ValueError(f"{_CATALOG_FILE}: {fields['code']}: unknown class {fields['medication_class']!r}")
    if fields.get("opioid_action") not in (None, *get_args(OpioidAction)):
        raise ValueError(f"{_CATALOG_FILE}: {fields['code']}: unknown opioid action {fields['opioid_action']!r}")
    return Medication(**fields)


def _load_entries() -> tuple[Medication, ...]:
    """The catalog, read once from the package data, in file order (grouped as codes.md groups them)."""
    text = resources.files("naltrack.domain.code_tables").joinpath(_CATALOG_FILE).read_text(encoding="utf-8")
    groups: list[dict[str, Any]] = json.loads(text)["groups"]
    return tuple(_medication(entry) for group in groups for entry in group["entries"])


_ENTRIES: tuple[Medication, ...] = _load_entries()
_BY_CODE: dict[str, Medication] = {m.code: m for m in _ENTRIES}


def all_medications() -> tuple[Medication, ...]:
    """Every catalog entry, in catalog order."""
    return _ENTRIES


def find_medication(code: str) -> Medication | None:
    """The entry for an RxNorm (or local) code, or ``None``."""
    return _BY_CODE.get(str(code).strip())


def get_medication(code: str) -> Medication:
    """The entry for a code; raises :class:`NotFound` for an unknown code."""
    med = find_medication(code)
    if med is None:
        raise NotFound("RxNorm code", code)
    return med


def is_naltrexone_therapy(med: Medication) -> bool:
    """True for oral, injectable and implanted naltrexone; False for Contrave, Embeda, Troxyca."""
    return med.medication_class in NALTREXONE_THERAPY_CLASSES


def contains_naltrexone(med: Medication) -> bool:
    """True for a product whose naltrexone blocks opioids: naltrexone therapy and Contrave.

    Contrave (bupropion/naltrexone, 8 mg naltrexone per tablet) contains naltrexone but is not
    OUD/AUD treatment (:func:`is_naltrexone_therapy` is False for it): opioids are contraindicated
    with it and may not work while it is taken (Contrave label; clinical.md §4, §8.1). Embeda and
    Troxyca are opioid agonist products with sequestered naltrexone: False.

    Examples
    --------
    >>> contains_naltrexone(get_medication("1551468")), is_naltrexone_therapy(get_medication("1551468"))
    (True, False)
    >>> contains_naltrexone(get_medication("637213")), contains_naltrexone(get_medication("863845"))
    (True, False)
    """
    return med.medication_class in NALTREXONE_CONTAINING_CLASSES


def names_kratom(text: str) -> bool:
    """True when a medicine's text names kratom or mitragynine (any case).

    Examples
    --------
    >>> names_kratom("Maeng Da KRATOM powder"), names_kratom("7-hydroxymitragynine tablets"), names_kratom("kava")
    (True, True, False)
    """
    words = text.lower()
    return any(name in words for name in KRATOM_NAMES)


#: The catalog code standing for each naltrexone form (a regimen or blockade without its own RxNorm code).
FORM_CODE: dict[str, str] = {"oral": "1483744", "xr-ntx": "637213", "implant": "NTX-IMPLANT"}
#: The naltrexone form of each naltrexone therapy class.
FORM_OF_CLASS: dict[str, str] = {"naltrexone-oral": "oral", "naltrexone-xr": "xr-ntx", "naltrexone-implant": "implant"}
#: The rescue naloxone suggested when none is on file: 4 mg nasal spray (codes.md §2n).
RESCUE_NALOXONE_CODE = "1725059"


def is_rescue_naloxone(med: Medication) -> bool:
    """True for naloxone/nalmefene rescue products; False for buprenorphine/naloxone."""
    return med.medication_class == "opioid-reversal"


def match_medication_text(text: str) -> str | None:
    """The catalog ingredient a free-text medicine names, opioids first (so that buprenorphine/naloxone is
    buprenorphine and Embeda is morphine), or ``None``.

    Examples
    --------
    >>> match_medication_text("Hydromorphone HCl 2 MG Oral Tablet")
    '3423'
    >>> match_medication_text("buprenorphine / naloxone film")
    '1819'
    >>> match_medication_text("bupropion 90 MG / naltrexone 8 MG")
    '1551468'
    >>> match_medication_text("Kratom (Mitragyna speciosa) leaf powder")
    'KRATOM'
    """
    words = text.lower()
    if not words:
        return None
    if names_kratom(words):
        return KRATOM_CODE
    if "naltrexone" in words and "bupropion" in words:
        return "1551468"
    ingredients = [m for m in all_medications() if m.tty == "IN"]
    for med in sorted(ingredients, key=lambda m: not m.is_opioid):
        if med.ingredient in words:
            if med.ingredient == "naltrexone":
                return _naltrexone_form(words)
            return med.code
    return None


def _naltrexone_form(words: str) -> str:
    """The naltrexone entry a text names: the implant, the XR-NTX injection, else the ingredient."""
    if "implant" in words or "pellet" in words:
        return FORM_CODE["implant"]
    if any(w in words for w in ("inject", "380", "vivitrol", "extended-release", "suspension")):
        return FORM_CODE["xr-ntx"]
    return "7243"
