"""What an EHR's code means: RxNorm products and OUD/AUD diagnoses beyond the catalog.

An EHR may send any RxNorm code for a product (IN, PIN, MIN, SCD, SBD, GPCK, BPCK, BN), and any
SNOMED CT or ICD-10-CM code for a diagnosis. The catalog (:mod:`naltrack.domain.catalog`) knows
about sixty products; this module widens it in three layers, in this order:

1. the catalog entry for the code, when there is one;
2. the committed code tables (``code_tables/*.json``, written by ``scripts/generate_code_tables.py``
   from public value sets: the CDC opioid CDS IG, VSAC and eCQM sets; ``docs/terminology.md``);
3. the ingredient words RxNorm names carry, in the code's display or the medicine's text
   (:func:`classify_product_name`).

Classes are the catalog's (:data:`~naltrack.domain.catalog.MedicationClass`) and are assigned by
*product*, because the public value sets mislead when read by ingredient (codes.md §3,
"Cross-cutting traps"; clinical.md §4, §8.1):

- bupropion/naltrexone (Contrave) is ``naltrexone-not-mat``: it blocks opioids but is not MAT;
- morphine/naltrexone (Embeda) and oxycodone/naltrexone (Troxyca) are ``opioid-analgesic``;
- methylnaltrexone (Relistor) does not name the word "naltrexone" and is not classified;
- buprenorphine/naloxone is ``buprenorphine-oud``, pentazocine/naloxone ``mixed-agonist-antagonist``:
  only naloxone or nalmefene alone is ``opioid-reversal`` (rescue);
- Butrans, Belbuca, Buprenex and sub-milligram sublingual tablets are ``buprenorphine-pain``;
- codeine, dihydrocodeine or hydrocodone with a cough/cold partner is ``opioid-antitussive``;
- dextromethorphan is ``non-opioid-antitussive`` (not a mu agonist); loperamide is
  ``peripheral-opioid-antidiarrheal`` (opioid exposure only above a daily amount).

A diagnosis is OUD or AUD (clinical.md §8.2) when it is an ICD-10-CM F11 or F10 code, or a SNOMED CT
concept that names an opioid or alcohol *use disorder* (abuse, dependence, alcoholism, use disorder,
harmful use, withdrawal); poisonings, overdoses and fetal or neonatal effects are not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from naltrack.domain.brand_names import BRANDS
from naltrack.domain.catalog import (
    LOCAL,
    RXNORM,
    Medication,
    MedicationClass,
    OpioidAction,
    find_medication,
    names_kratom,
)

ConditionKind = Literal["oud", "aud"]

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
#: Names of the same code systems: FHIR URIs, OIDs, and ``Diagnosis.system`` ("icd10cm", "snomed").
#: WHO ICD-10 shares the F10/F11 categories.
ICD10_SYSTEMS = frozenset({ICD10CM, "http://hl7.org/fhir/sid/icd-10", "urn:oid:2.16.840.1.113883.6.90",
                           "urn:oid:2.16.840.1.113883.6.3", "icd10cm"})
SNOMED_SYSTEMS = frozenset({SNOMED, "urn:oid:2.16.840.1.113883.6.96", "snomed"})
RXNORM_TABLE = "rxnorm_classes.json"
CONDITION_TABLE = "snomed_oud_aud.json"

# Mu agonists, in the order a combination is named by (codes.md §1); the fentanyl family has its own
# opioid-free interval (catalog ``opioid_action="fentanyl"``).
_FENTANYLS = ("fentanyl", "sufentanil", "alfentanil", "remifentanil", "carfentanil")
_AGONISTS = (*_FENTANYLS, "oxycodone", "oxymorphone", "hydromorphone", "hydrocodone", "benzhydrocodone",
             "dihydrocodeine", "codeine", "morphine", "ethylmorphine", "meperidine", "pethidine", "tramadol",
             "tapentadol", "levorphanol", "levomethadyl", "oliceridine", "propoxyphene", "opium", "papaveretum",
             "tilidine", "normethadone", "dipipanone", "dextromoramide", "meptazinol", "phenazocine", "pholcodine")
_MIXED = ("pentazocine", "butorphanol", "nalbuphine")
_ANTITUSSIVE_OPIOIDS = ("codeine", "dihydrocodeine", "hydrocodone")
_ANTITUSSIVE_ONLY = ("pholcodine",)
# Cough/cold partners that make a codeine or hydrocodone liquid an antitussive (codes.md §2k, §2l).
_COUGH_PARTNERS = ("guaifenesin", "promethazine", "chlorpheniramine", "pseudoephedrine", "homatropine",
                   "brompheniramine", "phenylephrine", "pyrilamine", "triprolidine", "carbinoxamine",
                   "chlorcyclizine", "phenylpropanolamine")
_HEROIN = ("heroin", "diacetylmorphine", "diamorphine")
_LONG_ACTING = ("extended release", "12 hr ", "24 hr ", "72 hr ", "168 hr ", "transdermal", "levorphanol")
# Products for the other interaction and safety checks of the catalog (clinical.md §2.5, §4).
_OTHER: tuple[tuple[str, MedicationClass], ...] = (
    ("disulfiram", "disulfiram"), ("acamprosate", "acamprosate"), ("thioridazine", "thioridazine"),
    ("warfarin", "anticoagulant"), ("apixaban", "anticoagulant"), ("rivaroxaban", "anticoagulant"),
    ("dabigatran", "anticoagulant"), ("edoxaban", "anticoagulant"), ("heparin", "anticoagulant"),
    ("enoxaparin", "anticoagulant"), ("dalteparin", "anticoagulant"), ("fondaparinux", "anticoagulant"),
    ("argatroban", "anticoagulant"), ("bivalirudin", "anticoagulant"), ("desirudin", "anticoagulant"),
    ("bupropion", "bupropion"), ("dextromethorphan", "non-opioid-antitussive"),
)


@dataclass(frozen=True)
class ProductClass:
    """What a product name says: its class, its ingredient(s) and how long its opioid acts."""

    medication_class: MedicationClass
    ingredient: str
    opioid_action: OpioidAction | None = None


def _named(word: str, text: str) -> bool:
    """True when ``text`` names ``word`` as a word start (``apomorphine`` does not name morphine)."""
    return re.search(rf"\b{word}", text) is not None


def _normalise(text: str) -> str:
    words = " ".join(text.lower().split()) + " "
    for brand, generic in BRANDS.items():
        if _named(brand, words):
            words += f" {generic} "
    return words


def classify_product_name(text: str) -> ProductClass | None:
    """The class of a product from its RxNorm name or free text, or ``None`` when it names none.

    Parameters
    ----------
    text
        An RxNorm display ("buprenorphine 8 MG / naloxone 2 MG Sublingual Film") or a medicine's
        free text ("Vivitrol 380 mg IM").

    Returns
    -------
    ProductClass or None
        The catalog class by product (the traps of the module docstring), the ingredient(s) and the
        opioid action (``None`` for a non-opioid).

    Examples
    --------
    >>> classify_product_name("bupropion 90 MG / naltrexone 8 MG Extended Release Oral Tablet").medication_class
    'naltrexone-not-mat'
    >>> classify_product_name("morphine sulfate 20 MG / naltrexone 0.8 MG Extended Release Oral Capsule")
    ProductClass(medication_class='opioid-analgesic', ingredient='morphine/naltrexone', opioid_action='long')
    >>> classify_product_name("buprenorphine 8 MG / naloxone 2 MG Sublingual Tablet").medication_class
    'buprenorphine-oud'
    >>> classify_product_name("apomorphine 30 MG/ML Injectable Solution") is None
    True
    """
    words = _normalise(text)
    if not words.strip():
        return None
    if names_kratom(words):
        return ProductClass("kratom", "mitragynine", "kratom")
    for rule in (_naltrexone, _buprenorphine, _named_opioid, _agonist, _antagonist):
        found = rule(words)
        if found is not None:
            return found
    return next((ProductClass(cls, word) for word, cls in _OTHER if _named(word, words)), None)


def _agonists_in(words: str) -> list[str]:
    return [a for a in _AGONISTS if _named(a, words)]


def _naltrexone(words: str) -> ProductClass | None:
    if not _named("naltrexone", words):
        return None
    if _named("bupropion", words):
        return ProductClass("naltrexone-not-mat", "bupropion/naltrexone")
    agonists = _agonists_in(words)
    if agonists:  # Embeda, Troxyca: the naltrexone is sequestered (codes.md §3 trap 1)
        return ProductClass("opioid-analgesic", f"{agonists[0]}/naltrexone", "long")
    if "implant" in words or "pellet" in words:
        return ProductClass("naltrexone-implant", "naltrexone")
    if "oral" not in words and any(w in words for w in ("inject", "suspension", "syringe", " kit", "380 mg")):
        return ProductClass("naltrexone-xr", "naltrexone")
    return ProductClass("naltrexone-oral", "naltrexone")


def _buprenorphine(words: str) -> ProductClass | None:
    if not _named("buprenorphine", words):
        return None
    with_naloxone = _named("naloxone", words)
    ingredient = "buprenorphine/naloxone" if with_naloxone else "buprenorphine"
    if not with_naloxone and _is_pain_buprenorphine(words):
        return ProductClass("buprenorphine-pain", ingredient, "buprenorphine")
    # Sublocade (200 MG/ML), Brixadi (50 and 356 MG/ML) and the Probuphine implant act for weeks.
    if "implant" in words or ("syringe" in words and "0.3 mg/ml" not in words):
        return ProductClass("buprenorphine-oud", ingredient, "long-acting-buprenorphine")
    return ProductClass("buprenorphine-oud", ingredient, "buprenorphine")


def _is_pain_buprenorphine(words: str) -> bool:
    """Butrans (transdermal), Belbuca (buccal film), Buprenex (0.3 MG/ML injection) and sub-milligram
    sublingual tablets treat pain, not OUD (codes.md §2e-§2g)."""
    if "transdermal" in words or "buccal" in words or "0.3 mg/ml" in words:
        return True
    strength = re.search(r"buprenorphine(?: hydrochloride)? ([\d.]+) mg sublingual", words)
    return strength is not None and float(strength.group(1)) < 1.0


def _named_opioid(words: str) -> ProductClass | None:
    """Methadone, heroin, the mixed agonist-antagonists and the opioid antidiarrheals."""
    if _named("methadone", words) or _named("levomethadone", words):
        return ProductClass("methadone", "methadone", "methadone")
    if any(_named(h, words) for h in _HEROIN):
        return ProductClass("illicit-opioid", "heroin", "short")
    mixed = [m for m in _MIXED if _named(m, words)]
    if mixed:
        return ProductClass("mixed-agonist-antagonist", mixed[0], "short")
    if _named("diphenoxylate", words) or _named("difenoxin", words):
        return ProductClass("opioid-antidiarrheal", "diphenoxylate", "short")
    if _named("paregoric", words) or "opium tincture" in words:
        return ProductClass("opioid-antidiarrheal", "opium", "short")
    if _named("loperamide", words):
        return ProductClass("peripheral-opioid-antidiarrheal", "loperamide")
    return None


def _agonist(words: str) -> ProductClass | None:
    agonists = _agonists_in(words)
    if not agonists:
        return None
    first = agonists[0]
    with_cough_partner = any(_named(p, words) for p in _COUGH_PARTNERS)
    if first in _ANTITUSSIVE_ONLY or (first in _ANTITUSSIVE_OPIOIDS and with_cough_partner):
        return ProductClass("opioid-antitussive", first, "short")
    if first in _FENTANYLS:
        return ProductClass("opioid-analgesic", first, "fentanyl")
    action: OpioidAction = "long" if any(w in words for w in _LONG_ACTING) else "short"
    return ProductClass("opioid-analgesic", first, action)


def _antagonist(words: str) -> ProductClass | None:
    """Naloxone or nalmefene alone: overdose rescue (combinations were classified before this)."""
    found = next((w for w in ("naloxone", "nalmefene") if _named(w, words)), None)
    return ProductClass("opioid-reversal", found) if found else None


@cache
def _table(name: str) -> dict[str, Any]:
    """One committed code table, read once from the package data."""
    text = resources.files("naltrack.domain.code_tables").joinpath(name).read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(text)
    return table


def rxnorm_table() -> dict[str, dict[str, Any]]:
    """The generated RxNorm table: code -> ``{"class", "ingredient", "action", "display", "tty", "in"}``."""
    codes: dict[str, dict[str, Any]] = _table(RXNORM_TABLE)["codes"]
    return codes


def excluded_rxnorm() -> dict[str, str]:
    """Codes of the source sets the table leaves out on purpose, with the reason (not classified)."""
    excluded: dict[str, str] = _table(RXNORM_TABLE)["excluded"]
    return excluded


def condition_table() -> dict[str, dict[str, dict[str, str]]]:
    """The generated diagnosis table: ``{"snomed": {code: {"kind", "display"}}, "icd10cm": {...}}``."""
    codes: dict[str, dict[str, dict[str, str]]] = _table(CONDITION_TABLE)["codes"]
    return codes


def resolve_rxnorm(code: str, display: str | None = None) -> Medication | None:
    """The catalog-shaped entry for any RxNorm (or local) code, or ``None`` when nothing is known.

    The catalog entry first; else the generated table's row (its source recorded in ``source``);
    else the product class read from ``display`` (its ``source`` says so). A code the table leaves out
    on purpose (:func:`excluded_rxnorm`) is ``None`` whatever its display. The returned
    :class:`~naltrack.domain.catalog.Medication` answers ``is_opioid`` and ``opioid_action`` like a
    catalog entry, so the rules can take it where they take one.

    Parameters
    ----------
    code
        The code sent (RxNorm, or the local ``urn:naltrack:medication`` codes of the catalog).
    display
        The coding's display or the concept's text, if any.

    Examples
    --------
    >>> resolve_rxnorm("1049640", "oxycodone hydrochloride 40 MG Oral Tablet").opioid_action
    'short'
    >>> resolve_rxnorm("999999999", "Vivitrol 380 mg injection").medication_class
    'naltrexone-xr'
    >>> resolve_rxnorm("999999999") is None
    True
    """
    key = str(code).strip()
    entry = find_medication(key)
    if entry is not None:
        return entry
    if key in excluded_rxnorm():  # e.g. "naloxone 2 MG", a component of buprenorphine/naloxone: not rescue
        return None
    row = rxnorm_table().get(key)
    if row is not None:
        return Medication(key, row["display"], row["class"], row["ingredient"], tty=row["tty"],
                          opioid_action=row["action"], source=f"code table {RXNORM_TABLE}")
    found = classify_product_name(display or "")
    if found is None:
        return None
    system = RXNORM if key.isdigit() else LOCAL
    return Medication(key, display or "", found.medication_class, found.ingredient, tty="text", system=system,
                      opioid_action=found.opioid_action, source="ingredient words of the display")


def classify_rxnorm(code: str, display: str | None = None) -> MedicationClass | None:
    """The catalog class of any RxNorm code (catalog, then code table, then display words).

    Examples
    --------
    >>> classify_rxnorm("1551468"), classify_rxnorm("863845"), classify_rxnorm("1010600")
    ('naltrexone-not-mat', 'opioid-analgesic', 'buprenorphine-oud')
    >>> classify_rxnorm("0", "Kratom capsules")
    'kratom'
    """
    med = resolve_rxnorm(code, display)
    return med.medication_class if med is not None else None


_OPIOID_WORDS = ("opioid", "opiate", "narcotic", "opium", "methadone", "buprenorphine", "fentanyl", *_HEROIN,
                 "morphine", "codeine", "oxycodone", "hydrocodone", "hydromorphone")
_ALCOHOL_WORDS = ("alcohol", "ethanol", "ethyl alcohol")
_DISORDER_WORDS = ("abuse", "dependen", "alcoholism", "use disorder", "harmful use", "harmful pattern of use",
                   "addiction", "withdrawal")
_NOT_A_DISORDER_OF_USE = ("poisoning", "overdose", "toxic effect", "fetal", "fetus", "neonatal", "newborn",
                          "maternal", "transmitted", "(finding)")


def classify_condition_text(display: str) -> ConditionKind | None:
    """OUD or AUD from a diagnosis name: an opioid or alcohol word and a use-disorder word.

    Examples
    --------
    >>> classify_condition_text("Opioid dependence, on agonist therapy (disorder)")
    'oud'
    >>> classify_condition_text("Chronic alcoholism in remission"), classify_condition_text("Alcoholic cirrhosis")
    ('aud', None)
    >>> classify_condition_text("Accidental poisoning caused by heroin (disorder)") is None
    True
    """
    # "Combined drug dependence, excluding opioids" names opioids only to leave them out.
    words = re.sub(r"excluding opioids?|non-opioid", "", display.lower())
    if not any(w in words for w in _DISORDER_WORDS) or any(w in words for w in _NOT_A_DISORDER_OF_USE):
        return None
    if any(_named(w, words) for w in _OPIOID_WORDS):
        return "oud"
    if any(_named(w, words) for w in _ALCOHOL_WORDS):
        return "aud"
    return None


def icd10_kind(code: str) -> ConditionKind | None:
    """``oud`` for ICD-10-CM F11.x, ``aud`` for F10.x (clinical.md §8.2), with or without the dot; a
    category range such as ``F10-F19`` (every substance) is no diagnosis code.

    >>> icd10_kind("F1120"), icd10_kind("F10.10"), icd10_kind("F10-F19")
    ('oud', 'aud', None)
    """
    compact = code.strip().upper().replace(".", "")
    kind: ConditionKind | None = None
    if re.fullmatch(r"F1[01][0-9A-Z]{0,4}", compact):
        kind = "oud" if compact.startswith("F11") else "aud"
    return kind


def classify_condition(system: str, code: str, display: str | None = None) -> ConditionKind | None:
    """OUD or AUD for a SNOMED CT or ICD-10(-CM) diagnosis code, else ``None``.

    ICD-10-CM (and WHO ICD-10) by the F11/F10 category; SNOMED CT by the generated table of the public value sets'
    concepts; a code neither knows falls back to its display words (:func:`classify_condition_text`).

    Examples
    --------
    >>> classify_condition(ICD10CM, "F11.20"), classify_condition(ICD10CM, "F1020")
    ('oud', 'aud')
    >>> classify_condition(SNOMED, "66590003"), classify_condition(SNOMED, "38341003")
    ('aud', None)
    """
    if system in ICD10_SYSTEMS:
        return icd10_kind(code)
    if system in SNOMED_SYSTEMS:
        row = condition_table()["snomed"].get(code.strip())
        if row is not None:
            return "oud" if row["kind"] == "oud" else "aud"
    return classify_condition_text(display) if display else None
