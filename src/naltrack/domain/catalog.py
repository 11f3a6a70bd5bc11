"""The medication catalog: RxNorm codes, classes and the traps of public value sets.

Every entry names where its code was seen (``../shared/reference/codes.md``, cited as
``codes.md §N``). Classes are assigned by *product*, not by ingredient, because the
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

from dataclasses import dataclass
from typing import Literal

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


def _m(code: str, display: str, cls: MedicationClass, ingredient: str, source: str, **kw: object) -> Medication:
    return Medication(code, display, cls, ingredient, source=source, **kw)  # type: ignore[arg-type]


def _ingredient(code: str, name: str, cls: MedicationClass, **kw: object) -> Medication:
    """An RxNorm ingredient (term type IN), listed in codes.md §1, named by its ingredient."""
    return _m(code, name, cls, name, "codes.md §1", tty="IN", **kw)


_ENTRIES: tuple[Medication, ...] = (
    # Naltrexone therapy (codes.md §1, §2a)
    _ingredient("7243", "naltrexone", "naltrexone-oral"),
    _m("1483744", "naltrexone hydrochloride 50 MG Oral Tablet", "naltrexone-oral", "naltrexone",
       "codes.md §2a", strength_mg=50.0),
    _m("637213", "naltrexone 380 MG Injection", "naltrexone-xr", "naltrexone", "codes.md §2a",
       strength_mg=380.0, note="Vivitrol; HCPCS J2315 bills 1 mg units (clinical.md §8.1)"),
    _m("NTX-IMPLANT", "naltrexone subcutaneous implant (compounded, not FDA-approved)",
       "naltrexone-implant", "naltrexone", "clinical.md §1.3", tty="local", system=LOCAL),
    # Naltrexone-containing products that are not naltrexone therapy (codes.md §2b)
    _m("1551468", "bupropion 90 MG / naltrexone 8 MG ER Oral Tablet (Contrave)", "naltrexone-not-mat",
       "bupropion/naltrexone", "codes.md §2b", note="weight loss; not OUD/AUD therapy"),
    _m("863845", "morphine 100 MG / naltrexone 4 MG ER Oral Capsule (Embeda)", "opioid-analgesic",
       "morphine/naltrexone", "codes.md §2b", opioid_action="long"),
    _m("1806701", "oxycodone 10 MG / naltrexone 1.2 MG ER Oral Capsule (Troxyca)", "opioid-analgesic",
       "oxycodone/naltrexone", "codes.md §2b", opioid_action="long"),
    # Opioid ingredients (codes.md §1)
    _ingredient("7052", "morphine", "opioid-analgesic", opioid_action="short"),
    _ingredient("2670", "codeine", "opioid-analgesic", opioid_action="short"),
    _ingredient("5489", "hydrocodone", "opioid-analgesic", opioid_action="short"),
    _ingredient("7804", "oxycodone", "opioid-analgesic", opioid_action="short"),
    _ingredient("7814", "oxymorphone", "opioid-analgesic", opioid_action="short"),
    _ingredient("3423", "hydromorphone", "opioid-analgesic", opioid_action="short"),
    _ingredient("4337", "fentanyl", "opioid-analgesic", opioid_action="fentanyl"),
    _ingredient("6754", "meperidine", "opioid-analgesic", opioid_action="short"),
    _ingredient("10689", "tramadol", "opioid-analgesic", opioid_action="short"),
    _ingredient("787390", "tapentadol", "opioid-analgesic", opioid_action="short"),
    _ingredient("6378", "levorphanol", "opioid-analgesic", opioid_action="long"),
    _ingredient("23088", "dihydrocodeine", "opioid-analgesic", opioid_action="short"),
    _ingredient("7676", "opium", "opioid-analgesic", opioid_action="short"),
    _ingredient("1841", "butorphanol", "mixed-agonist-antagonist", opioid_action="short"),
    _ingredient("8001", "pentazocine", "mixed-agonist-antagonist", opioid_action="short"),
    _ingredient("7238", "nalbuphine", "mixed-agonist-antagonist", opioid_action="short"),
    _ingredient("1819", "buprenorphine", "buprenorphine-oud", opioid_action="buprenorphine"),
    _ingredient("6813", "methadone", "methadone", opioid_action="methadone"),
    _ingredient("6468", "loperamide", "peripheral-opioid-antidiarrheal",
                note="peripheral mu agonist; not named in the naltrexone label (clinical.md §4, UNCONFIRMED)"),
    _m(KRATOM_CODE, "kratom (Mitragyna speciosa; mitragynine) product", "kratom", "mitragynine",
       "no RxNorm code (codes.md has none)", tty="local", system=LOCAL, opioid_action="kratom",
       note="mu-opioid partial agonist: opioid exposure; matched by the words kratom or mitragyn* in the text"),
    _ingredient("3289", "dextromethorphan", "non-opioid-antitussive",
                note="not a mu-opioid agonist (codes.md §3 trap 7)"),
    # Opioid products (codes.md §2i-2m, 2o, 2p)
    _m("1049621", "oxycodone hydrochloride 5 MG Oral Tablet", "opioid-analgesic", "oxycodone",
       "codes.md §2i", opioid_action="short", strength_mg=5.0),
    _m("1049696", "oxycodone hydrochloride 5 MG Oral Capsule", "opioid-analgesic", "oxycodone",
       "codes.md §2i", opioid_action="short", strength_mg=5.0),
    _m("857002", "acetaminophen 325 MG / hydrocodone bitartrate 5 MG Oral Tablet", "opioid-analgesic",
       "hydrocodone", "codes.md §2j", opioid_action="short"),
    _m("995868", "codeine phosphate 2 MG/ML / guaifenesin 20 MG/ML Oral Solution", "opioid-antitussive",
       "codeine", "codes.md §2k", opioid_action="short"),
    _m("995226", "codeine phosphate 0.5 MG/ML / guaifenesin 15 MG/ML Oral Solution", "opioid-antitussive",
       "codeine", "codes.md §2k", opioid_action="short"),
    _m("991486", "codeine phosphate 2 MG/ML / promethazine hydrochloride 1.25 MG/ML Oral Solution",
       "opioid-antitussive", "codeine", "codes.md §2l", opioid_action="short"),
    _m("1190572", "atropine sulfate 0.025 MG / diphenoxylate hydrochloride 2.5 MG Oral Tablet",
       "opioid-antidiarrheal", "diphenoxylate", "codes.md §2m", opioid_action="short"),
    _m("1190568", "atropine sulfate 0.005 MG/ML / diphenoxylate hydrochloride 0.5 MG/ML Oral Solution",
       "opioid-antidiarrheal", "diphenoxylate", "codes.md §2m", opioid_action="short"),
    _m("245134", "72 HR fentanyl 0.025 MG/HR Transdermal System", "opioid-analgesic", "fentanyl",
       "codes.md §2o", opioid_action="fentanyl"),
    _m("245135", "72 HR fentanyl 0.05 MG/HR Transdermal System", "opioid-analgesic", "fentanyl",
       "codes.md §2o", opioid_action="fentanyl"),
    _m("312289", "naloxone 0.5 MG / pentazocine 50 MG Oral Tablet", "mixed-agonist-antagonist",
       "pentazocine", "codes.md §2p", opioid_action="short",
       note="contains naloxone but is not a rescue product (codes.md §3 trap 2)"),
    _m("250473", "heroin 10 MG Oral Tablet", "illicit-opioid", "heroin", "codes.md §2p", opioid_action="short"),
    # Buprenorphine (codes.md §2c-2g)
    _m("1010600", "buprenorphine 2 MG / naloxone 0.5 MG Sublingual Film", "buprenorphine-oud",
       "buprenorphine/naloxone", "codes.md §2c", opioid_action="buprenorphine",
       note="OUD treatment, not naloxone rescue (codes.md §3 trap 2)"),
    _m("1010604", "buprenorphine 8 MG / naloxone 2 MG Sublingual Film", "buprenorphine-oud",
       "buprenorphine/naloxone", "codes.md §2c", opioid_action="buprenorphine"),
    _m("351266", "buprenorphine 2 MG / naloxone 0.5 MG Sublingual Tablet", "buprenorphine-oud",
       "buprenorphine/naloxone", "codes.md §2d", opioid_action="buprenorphine"),
    _m("351267", "buprenorphine 8 MG / naloxone 2 MG Sublingual Tablet", "buprenorphine-oud",
       "buprenorphine/naloxone", "codes.md §2d", opioid_action="buprenorphine"),
    _m("351264", "buprenorphine 2 MG Sublingual Tablet", "buprenorphine-oud", "buprenorphine",
       "codes.md §2e", opioid_action="buprenorphine"),
    _m("351265", "buprenorphine 8 MG Sublingual Tablet", "buprenorphine-oud", "buprenorphine",
       "codes.md §2e", opioid_action="buprenorphine"),
    _m("1996184", "0.5 ML buprenorphine 200 MG/ML Prefilled Syringe (Sublocade 100 mg)", "buprenorphine-oud",
       "buprenorphine", "codes.md §2f", opioid_action="long-acting-buprenorphine"),
    _m("1996192", "1.5 ML buprenorphine 200 MG/ML Prefilled Syringe (Sublocade 300 mg)", "buprenorphine-oud",
       "buprenorphine", "codes.md §2f", opioid_action="long-acting-buprenorphine"),
    *(_m(code, f"{volume} buprenorphine {conc} MG/ML Prefilled Syringe (Brixadi)", "buprenorphine-oud",
         "buprenorphine", "codes.md §2f", opioid_action="long-acting-buprenorphine")
      for code, volume, conc in (("2639021", "0.16 ML", "50"), ("2639029", "0.32 ML", "50"),
                                 ("2639031", "0.48 ML", "50"), ("2639033", "0.64 ML", "50"),
                                 ("2639036", "0.18 ML", "356"), ("2639041", "0.27 ML", "356"))),
    _m("1797650", "buprenorphine 74.2 MG Drug Implant (Probuphine)", "buprenorphine-oud", "buprenorphine",
       "codes.md §2f", opioid_action="long-acting-buprenorphine"),
    _m("238129", "1 ML buprenorphine 0.3 MG/ML Injection (Buprenex)", "buprenorphine-pain", "buprenorphine",
       "codes.md §2f", opioid_action="buprenorphine", note="analgesic injection, not OUD treatment"),
    _m("904880", "168 HR buprenorphine 0.005 MG/HR Transdermal System (Butrans)", "buprenorphine-pain",
       "buprenorphine", "codes.md §2g", opioid_action="buprenorphine"),
    _m("1716057", "buprenorphine 0.15 MG Buccal Film (Belbuca)", "buprenorphine-pain", "buprenorphine",
       "codes.md §2g", opioid_action="buprenorphine"),
    # Methadone (codes.md §2h)
    _m("864706", "methadone hydrochloride 10 MG Oral Tablet", "methadone", "methadone", "codes.md §2h",
       opioid_action="methadone"),
    _m("864718", "methadone hydrochloride 5 MG Oral Tablet", "methadone", "methadone", "codes.md §2h",
       opioid_action="methadone"),
    _m("864761", "methadone hydrochloride 1 MG/ML Oral Solution", "methadone", "methadone", "codes.md §2h",
       opioid_action="methadone"),
    _m("991147", "methadone hydrochloride 10 MG/ML Oral Solution", "methadone", "methadone", "codes.md §2h",
       opioid_action="methadone"),
    _m("864978", "methadone hydrochloride 40 MG Tablet for Oral Suspension", "methadone", "methadone",
       "codes.md §2h", opioid_action="methadone"),
    # Overdose reversal (codes.md §2n)
    _ingredient("7242", "naloxone", "opioid-reversal"),
    _m("1725059", "naloxone hydrochloride 40 MG/ML Nasal Spray (4 mg)", "opioid-reversal", "naloxone", "codes.md §2n"),
    _m("1870933", "naloxone hydrochloride 20 MG/ML Nasal Spray (2 mg)", "opioid-reversal", "naloxone", "codes.md §2n"),
    _m("2540703", "naloxone hydrochloride 80 MG/ML Nasal Spray (8 mg)", "opioid-reversal", "naloxone", "codes.md §2n"),
    _m("1659929", "1 ML naloxone hydrochloride 0.4 MG/ML Injection", "opioid-reversal", "naloxone", "codes.md §2n"),
    _m("2596175", "0.4 ML naloxone hydrochloride 25 MG/ML Auto-Injector", "opioid-reversal", "naloxone",
       "codes.md §2n"),
    _m("2592953", "2 ML nalmefene 1 MG/ML Injection", "opioid-reversal", "nalmefene", "codes.md §2n"),
    _m("2639721", "nalmefene 27 MG/ML Nasal Spray", "opioid-reversal", "nalmefene", "codes.md §2n"),
    # AUD drugs, bupropion, thioridazine (codes.md §2q)
    _m("197623", "disulfiram 250 MG Oral Tablet", "disulfiram", "disulfiram", "codes.md §2q"),
    _m("197624", "disulfiram 500 MG Oral Tablet", "disulfiram", "disulfiram", "codes.md §2q"),
    _m("835726", "acamprosate calcium 333 MG Delayed Release Oral Tablet", "acamprosate", "acamprosate",
       "codes.md §2q"),
    _ingredient("42347", "bupropion", "bupropion"),
    _m("993541", "24 HR bupropion hydrochloride 150 MG Extended Release Oral Tablet", "bupropion",
       "bupropion", "codes.md §2q"),
    _m("993518", "12 HR bupropion hydrochloride 150 MG Extended Release Oral Tablet", "bupropion",
       "bupropion", "codes.md §2q"),
    _ingredient("10502", "thioridazine", "thioridazine"),
    _m("198274", "thioridazine 25 MG Oral Tablet", "thioridazine", "thioridazine", "codes.md §2q"),
    # Anticoagulants (codes.md §1, §2r)
    _ingredient("11289", "warfarin", "anticoagulant"),
    _m("855332", "warfarin sodium 5 MG Oral Tablet", "anticoagulant", "warfarin", "codes.md §2r"),
    _ingredient("1364430", "apixaban", "anticoagulant"),
    _m("1364445", "apixaban 5 MG Oral Tablet", "anticoagulant", "apixaban", "codes.md §2r"),
    _ingredient("1114195", "rivaroxaban", "anticoagulant"),
    _m("1232086", "rivaroxaban 20 MG Oral Tablet", "anticoagulant", "rivaroxaban", "codes.md §2r"),
    # More anticoagulants for the bleeding review (clinical.md §2.5): codes.md §3 names the eCQM set
    # "Anticoagulants for All Indications" (2.16.840.1.113762.1.4.1248.22) for this check; these SCDs are
    # from its eCQM Update 2025-05-08 expansion (not listed in codes.md §2r).
    *(_m(code, display, "anticoagulant", ingredient, "codes.md §3 (eCQM 2.16.840.1.113762.1.4.1248.22)")
      for code, display, ingredient in (
          ("1037045", "dabigatran etexilate 150 MG Oral Capsule", "dabigatran"),
          ("1037179", "dabigatran etexilate 75 MG Oral Capsule", "dabigatran"),
          ("1599555", "edoxaban 60 MG Oral Tablet", "edoxaban"),
          ("1599551", "edoxaban 30 MG Oral Tablet", "edoxaban"),
          ("1361615", "heparin sodium, porcine 5000 UNT/ML Injectable Solution", "heparin"),
          ("1798389", "1 ML heparin sodium, porcine 5000 UNT/ML Prefilled Syringe", "heparin"),
          ("854235", "0.4 ML enoxaparin sodium 100 MG/ML Prefilled Syringe", "enoxaparin"),
          ("854241", "0.8 ML enoxaparin sodium 100 MG/ML Prefilled Syringe", "enoxaparin"),
          ("978755", "1 ML dalteparin sodium 10000 UNT/ML Prefilled Syringe", "dalteparin"),
          ("861360", "0.5 ML fondaparinux sodium 5 MG/ML Prefilled Syringe", "fondaparinux"),
      )),
)

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
