"""Observations: labs, urine drug screens, substance use, challenges, questionnaires,
medication use outside the program, allergies (with the names of the XR-NTX kit components),
and how dated pregnancy findings combine into one status.

Codes: LOINC for labs and screens (clinical.md §8.3), analytes keyed by the screen codes
of the CDC value sets (opiates 19295-5, fentanyl 59673-4, buprenorphine 93494-3,
methadone 19550-3). Kratom (mitragynine, a mu-opioid partial agonist) is an opioid analyte
and substance; its screen code 75649-4 is the one Labcorp maps its kratom screen result to
(test 791750; the LOINC name is not in the reference: UNVERIFIED).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, get_args

from naltrack.domain.errors import InvalidInput, NotFound
from naltrack.domain.patients import combine_reproductive as combine_reproductive
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.terminology import resolve_rxnorm
from naltrack.domain.units import (
    LAB_UNITS,
    require_aware,
    require_choice,
    require_finite,
    require_not_before,
    require_range,
    require_range_if_given,
    require_text,
)

LOINC = "http://loinc.org"

Analyte = Literal[
    "opiates", "fentanyl", "buprenorphine", "methadone", "oxycodone",
    "cocaine", "amphetamines", "benzodiazepines", "cannabinoids", "alcohol-etg", "kratom",
]
ANALYTES: tuple[Analyte, ...] = get_args(Analyte)
#: Analytes whose positive result means opioids are on board.
OPIOID_ANALYTES: frozenset[str] = frozenset({"opiates", "fentanyl", "buprenorphine", "methadone", "oxycodone",
                                             "kratom"})
#: Screening LOINC per analyte (clinical.md §8.3; oxycodone and non-opioids: LOINC screen codes).
ANALYTE_LOINC: dict[str, str] = {
    "opiates": "19295-5", "fentanyl": "59673-4", "buprenorphine": "93494-3", "methadone": "19550-3",
    "oxycodone": "16249-5", "cocaine": "3398-5", "amphetamines": "19343-3",
    "benzodiazepines": "16195-0", "cannabinoids": "18282-4", "alcohol-etg": "58378-1", "kratom": "75649-4",
}
ScreenResult = Literal["positive", "negative", "invalid"]

Substance = Literal[
    "heroin", "fentanyl", "prescription-opioids", "methadone", "buprenorphine",
    "alcohol", "cocaine", "methamphetamine", "benzodiazepines", "cannabis", "kratom",
]
SUBSTANCES: tuple[Substance, ...] = get_args(Substance)
#: The substances in words.
SUBSTANCE_LABELS: dict[str, str] = {
    "heroin": "Heroin", "fentanyl": "Fentanyl (illicit)", "prescription-opioids": "Prescription opioids",
    "methadone": "Methadone", "buprenorphine": "Buprenorphine", "alcohol": "Alcohol", "cocaine": "Cocaine",
    "methamphetamine": "Methamphetamine", "benzodiazepines": "Benzodiazepines", "cannabis": "Cannabis",
    "kratom": "Kratom"}

#: Liver tests the rules read (clinical.md §8.3).
LIVER_LOINC: dict[str, str] = {"1742-6": "ALT", "1920-8": "AST", "2324-2": "GGT", "1975-2": "Bilirubin, total"}
PLATELETS_LOINC = "777-3"
#: Platelet counts the bleeding rule reads: 777-3 (automated count) and 26515-7 (Blood), both [#/volume].
PLATELET_COUNT_LOINCS: tuple[str, ...] = (PLATELETS_LOINC, "26515-7")


@dataclass(frozen=True, kw_only=True)
class LabResult(ClinicalRecord):
    """A numeric lab result with its unit and reference range.

    Examples
    --------
    >>> from datetime import timezone
    >>> alt = LabResult(id="l1", patient_id="p1", loinc="1742-6", name="ALT", value=120.0,
    ...                 unit="U/L", reference_high=40.0,
    ...                 collected_at=datetime(2026, 3, 1, 9, tzinfo=timezone.utc))
    >>> alt.times_upper_limit
    3.0
    """

    loinc: str
    name: str
    value: float
    unit: str
    """The UCUM unit of ``value`` and of the reference range (one of ``LAB_UNITS``)."""
    collected_at: datetime
    reference_low: float | None = None
    reference_high: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_loinc("lab.loinc", self.loinc)
        require_text("lab.name", self.name)
        require_finite("lab.value", self.value)
        if not self.unit:
            raise InvalidInput("lab.unit", self.unit, "is required (e.g. 'U/L')")
        if self.unit not in LAB_UNITS:
            raise InvalidInput("lab.unit", self.unit, f"is not a known unit ({', '.join(sorted(LAB_UNITS))})")
        require_aware("lab.collected_at", self.collected_at)
        if self.reference_high is not None and self.reference_high <= 0:
            raise InvalidInput("lab.reference_high", self.reference_high, "must be greater than 0")
        if (self.reference_low is not None and self.reference_high is not None
                and self.reference_low > self.reference_high):
            raise InvalidInput("lab.reference_low", self.reference_low,
                               f"is above the reference high {self.reference_high:g}")

    @property
    def times_upper_limit(self) -> float | None:
        """The value as a multiple of the upper limit of normal, or ``None`` without one."""
        if self.reference_high is None:
            return None
        return round(self.value / self.reference_high, 3)


@dataclass(frozen=True)
class AnalyteResult:
    """One analyte of a urine drug screen."""

    analyte: Analyte
    result: ScreenResult
    loinc: str | None = None

    def __post_init__(self) -> None:
        require_choice("screen.analyte", self.analyte, ANALYTES)
        require_choice("screen.result", self.result, get_args(ScreenResult))

    @property
    def code(self) -> str:
        return self.loinc or ANALYTE_LOINC[self.analyte]


@dataclass(frozen=True, kw_only=True)
class UrineDrugScreen(ClinicalRecord):
    """A urine drug screen: one result per analyte tested."""

    collected_at: datetime
    results: tuple[AnalyteResult, ...]
    point_of_care: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        require_aware("screen.collected_at", self.collected_at)
        if not self.results:
            raise InvalidInput("screen.results", (), "needs at least one analyte")
        names = [r.analyte for r in self.results]
        if len(names) != len(set(names)):
            raise InvalidInput("screen.results", names, "names an analyte twice")

    def result_for(self, analyte: str) -> ScreenResult | None:
        return next((r.result for r in self.results if r.analyte == analyte), None)

    @property
    def positive_opioids(self) -> tuple[str, ...]:
        return tuple(r.analyte for r in self.results if r.result == "positive" and r.analyte in OPIOID_ANALYTES)


def negative_for(results: Iterable[AnalyteResult], analytes: Iterable[str] = OPIOID_ANALYTES) -> bool | None:
    """Whether a screen's ``results`` are negative for ``analytes`` (all opioids unless named): ``False`` when one
    is positive, ``True`` when one was tested negative and none positive, ``None`` when none was read.

    Examples
    --------
    >>> screen = (AnalyteResult("opiates", "negative"), AnalyteResult("fentanyl", "invalid"))
    >>> negative_for(screen), negative_for(screen, ("fentanyl",)), negative_for(screen, ("cocaine",))
    (True, None, None)
    """
    read = [r.result for r in results if r.analyte in frozenset(analytes) and r.result != "invalid"]
    return None if not read else "positive" not in read


@dataclass(frozen=True, kw_only=True)
class SubstanceUseReport(ClinicalRecord):
    """The patient's report of the last use of one substance."""

    substance: Substance
    last_use: date
    reported_on: date
    route: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("substance_use.substance", self.substance, SUBSTANCES)
        if self.last_use > self.reported_on:
            raise InvalidInput("substance_use.last_use", self.last_use.isoformat(),
                               f"is after the report date {self.reported_on}")


#: The top of the patient's craving rating: a 0-10 numeric rating, 0 none, 10 the strongest imaginable.
CRAVING_MAX = 10


@dataclass(frozen=True, kw_only=True)
class DrinkingDay(ClinicalRecord):
    """A drinking-diary day (timeline follow-back): standard drinks on that day."""

    day: date
    standard_drinks: float
    craving: int | None = None
    """The day's craving as the patient rates it, 0 (none) to 10 (the strongest), whole numbers; ``None`` when
    not asked (a diary kept by staff)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        require_range("drinking_day.standard_drinks", self.standard_drinks, 0, 60, "standard drinks")
        if self.craving is not None and (isinstance(self.craving, bool) or not isinstance(self.craving, int)
                                         or not 0 <= self.craving <= CRAVING_MAX):
            raise InvalidInput("drinking_day.craving", self.craving, f"must be a whole number from 0 to {CRAVING_MAX}")


ChallengeResult = Literal["passed", "failed", "equivocal"]
#: How a naloxone challenge is given and read (clinical.md §2.2), for the people doing it.
CHALLENGE_ROUTE_LABELS: dict[str, str] = {"sc": "Subcutaneous 0.8 mg", "iv": "Intravenous 0.2 mg, then 0.6 mg"}
#: Signs of opioid withdrawal looked for after naloxone (COWS items, clinical.md §2.2, §2.4).
CHALLENGE_SIGNS: tuple[str, ...] = ("yawning", "rhinorrhea", "lacrimation", "piloerection", "sweating", "mydriasis",
                                    "restlessness", "abdominal cramps", "vomiting", "tachycardia")
CHALLENGE_PROTOCOL = ("Naloxone 0.8 mg SC (or 0.2 mg IV, then 0.6 mg), then watch for 20 minutes. With any sign of "
                      "withdrawal or any doubt, do not give naltrexone; the challenge may be repeated in 24 hours.")


@dataclass(frozen=True, kw_only=True)
class NaloxoneChallenge(ClinicalRecord):
    """A naloxone challenge (clinical.md §2.2): IV 0.2 + 0.6 mg or SC 0.8 mg, 20 min observation.

    ``passed`` means no withdrawal signs; ``equivocal`` records doubt (it never passes). ``signs``
    are kept as recorded, even beside ``passed``: the label says "if any signs or doubt, do not
    give naltrexone", so the readiness rule reads signs or doubt as a failed challenge.

    Examples
    --------
    >>> from datetime import timezone
    >>> when = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
    >>> NaloxoneChallenge(id="n1", patient_id="p1", performed_at=when, route="sc", passed=False,
    ...                   equivocal=True).result
    'equivocal'
    >>> NaloxoneChallenge(id="n2", patient_id="p1", performed_at=when, route="iv", passed=True,
    ...                   signs=("yawning",)).shows_withdrawal
    True
    """

    performed_at: datetime
    route: Literal["iv", "sc"]
    passed: bool
    signs: tuple[str, ...] = field(default_factory=tuple)
    equivocal: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        require_aware("naloxone_challenge.performed_at", self.performed_at)
        require_choice("naloxone_challenge.route", self.route, ("iv", "sc"))
        if self.passed and self.equivocal:
            raise InvalidInput("naloxone_challenge.equivocal", self.equivocal,
                               "an equivocal challenge has not passed (any doubt: do not give naltrexone)")

    @property
    def result(self) -> ChallengeResult:
        """``equivocal``, else ``passed`` or ``failed`` as recorded."""
        if self.equivocal:
            return "equivocal"
        return "passed" if self.passed else "failed"

    @property
    def shows_withdrawal(self) -> bool:
        """True unless the challenge passed with no sign noted: any sign or doubt counts (clinical.md §2.2)."""
        return not self.passed or self.equivocal or bool(self.signs)


MedicationSource = Literal["prescribed", "dispensed", "reported"]
#: The largest daily amount accepted (mg): loperamide misuse of 200-400 mg/day and more has been reported
#: (FDA Drug Safety Communications 2016, 2018; not in clinical.md); the bound only catches typing errors.
MAX_DAILY_DOSE_MG = 10_000.0


@dataclass(frozen=True, kw_only=True)
class MedicationUse(ClinicalRecord):
    """A medication outside the naltrexone regimen: prescribed, dispensed or reported.

    ``last_dose`` is the last day taken when known; an open ``end`` means still taking it.
    ``daily_dose_mg`` is the amount taken per day when known (loperamide above a daily amount
    counts as opioid exposure, :func:`naltrack.domain.rules.facts.loperamide_exposure`).
    ``rxnorm`` is any RxNorm code (RxCUI) or a local code of the catalog; the rules read what
    :func:`~naltrack.domain.terminology.resolve_rxnorm` classifies and pass over the rest.
    """

    rxnorm: str
    start: date
    end: date | None = None
    last_dose: date | None = None
    source: MedicationSource = "prescribed"
    days_supply: int | None = None
    daily_dose_mg: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        # An RxCUI (digits) the terminology does not classify is kept: the outside medication list is whole.
        if not self.rxnorm.strip().isdigit() and resolve_rxnorm(self.rxnorm) is None:
            raise NotFound("RxNorm code", self.rxnorm)
        require_choice("medication.source", self.source, get_args(MedicationSource))
        require_not_before("medication.end", self.end, self.start, "the start")
        require_range_if_given("medication.days_supply", self.days_supply, 1, 365, "days")
        require_range_if_given("medication.daily_dose_mg", self.daily_dose_mg, 0.001, MAX_DAILY_DOSE_MG, "mg per day")

    def is_active_on(self, day: date) -> bool:
        if not self.is_active or self.start > day:
            return False
        end = self.end
        if end is None and self.days_supply is not None:
            end = date.fromordinal(self.start.toordinal() + self.days_supply - 1)
        return end is None or day <= end


AllergySubstance = Literal["naltrexone", "polylactide-co-glycolide", "carboxymethylcellulose", "other"]
ALLERGY_SUBSTANCES: tuple[AllergySubstance, ...] = get_args(AllergySubstance)
#: The allergens in words.
ALLERGY_LABELS: dict[str, str] = {
    "naltrexone": "Naltrexone", "polylactide-co-glycolide": "PLG microspheres (the XR-NTX polymer)",
    "carboxymethylcellulose": "Carboxymethylcellulose (the XR-NTX diluent)", "other": "Other"}
#: Names of naltrexone and the XR-NTX kit components (clinical.md §2.5: naltrexone, the PLG
#: microsphere polymer, carboxymethylcellulose in the diluent), most severe first. Compared
#: case- and punctuation-insensitively: short names as whole words, long ones anywhere in the text.
#: PLGA, poly(lactic-co-glycolic acid) and polyglactin 910 (Vicryl sutures) are the same copolymer.
ALLERGEN_NAMES: tuple[tuple[AllergySubstance, tuple[str, ...]], ...] = (
    ("naltrexone", ("naltrexone", "vivitrol", "revia")),
    ("polylactide-co-glycolide", ("plg", "plga", "polylactide-co-glycolide", "poly(lactic-co-glycolic acid)",
                                  "poly(lactide-co-glycolide)", "polyglactin", "vicryl")),
    ("carboxymethylcellulose", ("carboxymethylcellulose", "carboxymethyl cellulose", "carmellose", "cmc")),
)
_WHOLE_WORD_BELOW = 6


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def allergen_of(text: str) -> AllergySubstance:
    """The substance an allergy's text names: naltrexone, a kit component, or ``other``.

    Examples
    --------
    >>> allergen_of("PLGA (poly(lactic-co-glycolic acid))"), allergen_of("Polyglactin 910 (Vicryl)")
    ('polylactide-co-glycolide', 'polylactide-co-glycolide')
    >>> allergen_of("Sodium Carboxymethyl-Cellulose"), allergen_of("penicillin")
    ('carboxymethylcellulose', 'other')
    """
    words = {_squash(w) for w in re.split(r"[^0-9A-Za-z]+", text) if w}
    squashed = _squash(text)
    for substance, names in ALLERGEN_NAMES:
        for name in map(_squash, names):
            if name in words or (len(name) >= _WHOLE_WORD_BELOW and name in squashed):
                return substance
    return "other"


@dataclass(frozen=True, kw_only=True)
class Allergy(ClinicalRecord):
    """Hypersensitivity to naltrexone or a component of the XR-NTX kit (clinical.md §2.5).

    A synonym of a substance (``"PLGA"``, ``"Vicryl"``, ``"carmellose"``) is stored under its
    name (:func:`allergen_of`); any other text is rejected (record it as ``other``).
    """

    substance: AllergySubstance
    reaction: str | None = None
    criticality: Literal["low", "high", "unable-to-assess"] = "high"
    verified: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.substance not in ALLERGY_SUBSTANCES and isinstance(self.substance, str):
            named = allergen_of(self.substance)
            if named != "other":
                object.__setattr__(self, "substance", named)
        require_choice("allergy.substance", self.substance, ALLERGY_SUBSTANCES)


@dataclass(frozen=True, kw_only=True)
class QuestionnaireResponse(ClinicalRecord):
    """Answers to one instrument, with the score computed on submit."""

    instrument: str
    answers: tuple[float, ...]
    completed_at: datetime
    total: float
    band: str
    flags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text("questionnaire.instrument", self.instrument, 40)
        require_aware("questionnaire.completed_at", self.completed_at)


def require_loinc(field_name: str, code: str) -> None:
    """Reject a string not shaped like a LOINC code (digits, dash, check digit)."""
    head, _, check = str(code).partition("-")
    if not (head.isdigit() and check.isdigit() and len(check) == 1 and 1 <= len(head) <= 7):
        raise InvalidInput(field_name, code, "is not a LOINC code (e.g. 1742-6)")
