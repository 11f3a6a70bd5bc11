"""Observations: labs, urine drug screens, substance use, challenges, questionnaires,
medication use outside the program, and allergies.

Codes: LOINC for labs and screens (clinical.md §8.3), analytes keyed by the screen codes
of the CDC value sets (opiates 19295-5, fentanyl 59673-4, buprenorphine 93494-3,
methadone 19550-3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, get_args

from naltrack.domain.catalog import get_medication
from naltrack.domain.errors import InvalidInput
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.units import (
    LAB_UNITS,
    require_aware,
    require_choice,
    require_finite,
    require_not_before,
    require_range,
    require_text,
)

LOINC = "http://loinc.org"

Analyte = Literal[
    "opiates", "fentanyl", "buprenorphine", "methadone", "oxycodone",
    "cocaine", "amphetamines", "benzodiazepines", "cannabinoids", "alcohol-etg",
]
ANALYTES: tuple[Analyte, ...] = get_args(Analyte)
#: Analytes whose positive result means opioids are on board.
OPIOID_ANALYTES: frozenset[str] = frozenset({"opiates", "fentanyl", "buprenorphine", "methadone", "oxycodone"})
#: Screening LOINC per analyte (clinical.md §8.3; oxycodone and non-opioids: LOINC screen codes).
ANALYTE_LOINC: dict[str, str] = {
    "opiates": "19295-5", "fentanyl": "59673-4", "buprenorphine": "93494-3", "methadone": "19550-3",
    "oxycodone": "16249-5", "cocaine": "3398-5", "amphetamines": "19343-3",
    "benzodiazepines": "16195-0", "cannabinoids": "18282-4", "alcohol-etg": "58378-1",
}
ScreenResult = Literal["positive", "negative", "invalid"]

Substance = Literal[
    "heroin", "fentanyl", "prescription-opioids", "methadone", "buprenorphine",
    "alcohol", "cocaine", "methamphetamine", "benzodiazepines", "cannabis",
]
SUBSTANCES: tuple[Substance, ...] = get_args(Substance)

#: Liver tests the rules read (clinical.md §8.3).
LIVER_LOINC: dict[str, str] = {"1742-6": "ALT", "1920-8": "AST", "2324-2": "GGT", "1975-2": "Bilirubin, total"}
PLATELETS_LOINC = "777-3"


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
        require_choice("screen.result", self.result, ("positive", "negative", "invalid"))

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


@dataclass(frozen=True, kw_only=True)
class DrinkingDay(ClinicalRecord):
    """A drinking-diary day (timeline follow-back): standard drinks on that day."""

    day: date
    standard_drinks: float

    def __post_init__(self) -> None:
        super().__post_init__()
        require_range("drinking_day.standard_drinks", self.standard_drinks, 0, 60, "standard drinks")


@dataclass(frozen=True, kw_only=True)
class NaloxoneChallenge(ClinicalRecord):
    """A naloxone challenge (clinical.md §2.2): IV 0.2 + 0.6 mg or SC 0.8 mg, 20 min observation.

    ``passed`` means no withdrawal signs; a failed challenge contraindicates naltrexone.
    """

    performed_at: datetime
    route: Literal["iv", "sc"]
    passed: bool
    signs: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        super().__post_init__()
        require_aware("naloxone_challenge.performed_at", self.performed_at)
        require_choice("naloxone_challenge.route", self.route, ("iv", "sc"))
        if self.passed and self.signs:
            raise InvalidInput("naloxone_challenge.signs", self.signs, "must be empty when the challenge passed")


MedicationSource = Literal["prescribed", "dispensed", "reported"]


@dataclass(frozen=True, kw_only=True)
class MedicationUse(ClinicalRecord):
    """A medication outside the naltrexone regimen: prescribed, dispensed or reported.

    ``last_dose`` is the last day taken when known; an open ``end`` means still taking it.
    """

    rxnorm: str
    start: date
    end: date | None = None
    last_dose: date | None = None
    source: MedicationSource = "prescribed"
    days_supply: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        get_medication(self.rxnorm)  # raises NotFound for an unknown code
        require_choice("medication.source", self.source, ("prescribed", "dispensed", "reported"))
        require_not_before("medication.end", self.end, self.start, "the start")
        if self.days_supply is not None:
            require_range("medication.days_supply", self.days_supply, 1, 365, "days")

    def is_active_on(self, day: date) -> bool:
        if not self.is_active or self.start > day:
            return False
        end = self.end
        if end is None and self.days_supply is not None:
            end = date.fromordinal(self.start.toordinal() + self.days_supply - 1)
        return end is None or day <= end


AllergySubstance = Literal["naltrexone", "polylactide-co-glycolide", "carboxymethylcellulose", "other"]


@dataclass(frozen=True, kw_only=True)
class Allergy(ClinicalRecord):
    """Hypersensitivity to naltrexone or a component of the XR-NTX kit (clinical.md §2.5)."""

    substance: AllergySubstance
    reaction: str | None = None
    criticality: Literal["low", "high", "unable-to-assess"] = "high"
    verified: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        require_choice("allergy.substance", self.substance,
                       ("naltrexone", "polylactide-co-glycolide", "carboxymethylcellulose", "other"))


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
