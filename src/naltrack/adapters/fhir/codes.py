"""The codes the FHIR bundle reader understands, keyed on ``(system, code)``.

Keying on the pair matters: LOINC 2106-3 (hCG in urine) is also CDC Race code 2106-3
"White" (clinical.md §5, code-quality warning), so a code alone means nothing.

Sources: clinical.md §5 (instrument totals), §8.3 (labs, urine drug screens, pregnancy);
codes.md §4 (SNOMED findings); Synthea's positive/negative result values (anchors.md §5.1);
the qualitative answers of US labs (:data:`RESULT_VALUE`, sources there).
The local codes in ``urn:naltrack:observation`` are the ones naltrack's own export writes
(``r4_observations``), for facts no public code covers (clinical.md §10, codes.md §6).
"""

from __future__ import annotations

from typing import TypeVar

# The code systems are the export's (one home); re-exported for the reader.
from naltrack.adapters.fhir.r4_common import ICD10CM as ICD10CM
from naltrack.adapters.fhir.r4_common import LOINC as LOINC
from naltrack.adapters.fhir.r4_common import RXNORM as RXNORM
from naltrack.adapters.fhir.r4_common import SNOMED as SNOMED

LOCAL_OBSERVATION = "urn:naltrack:observation"
LOCAL_MEDICATION = "urn:naltrack:medication"
LOCAL_QUESTIONNAIRE = "urn:naltrack:questionnaire:"
BIRTHSEX_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"

Code = tuple[str, str]
V = TypeVar("V")


def _in(system: str, names: dict[str, V]) -> dict[Code, V]:
    """``names`` keyed on ``(system, code)``: one code system, stated once."""
    return {(system, code): name for code, name in names.items()}


#: Urine drug screen analytes by LOINC (clinical.md §8.3: screen, presence and confirmation codes).
SCREEN_ANALYTE: dict[Code, str] = _in(LOINC, {
    **dict.fromkeys(("19295-5", "3879-4", "70151-6", "21431-2", "18390-5"), "opiates"),
    **dict.fromkeys(("59673-4", "58379-9", "95797-7", "40839-3"), "fentanyl"),
    **dict.fromkeys(("93494-3", "58359-1", "82371-6", "3414-0"), "buprenorphine"),
    **dict.fromkeys(("19550-3", "93495-0", "42251-9", "16199-2"), "methadone"),
    "16249-5": "oxycodone", "3398-5": "cocaine", "19343-3": "amphetamines", "16195-0": "benzodiazepines",
    "18282-4": "cannabinoids", "58378-1": "alcohol-etg",
    # Kratom (mitragynine): the LOINC codes Labcorp maps its kratom screen result (75649-4) and mitragynine
    # confirmation (72732-1) to, test 791750 (labcorp.com test menu 38091); not in clinical.md: UNVERIFIED.
    **dict.fromkeys(("75649-4", "72732-1"), "kratom"),
})

V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

#: Qualitative answers of a urine screen or hCG test, read from ``valueCodeableConcept``; one table:
#:
#: * SNOMED CT 10828004 "Positive" and 260385009 "Negative" (as Synthea writes them, anchors.md §5.1);
#:   260373001 "Detected" and 260415000 "Not detected" (the VSAC COVID-19 lab result set
#:   2.16.840.1.113762.1.4.1114.10, which also lists the first two);
#: * LOINC answers of answer list LL1055-4 "Detected|Not det|Equiv|Inconcl|Spec unsat for eval":
#:   LA11882-0 "Detected", LA11883-8 "Not detected"; and of LL2206-2 "Neg|Borderline|Pos|Strong Pos":
#:   LA6576-8 "Positive", LA6577-6 "Negative" (as quoted by the SMART Health Cards vaccination IG's
#:   qualitative lab result value set);
#: * HL7 v3 ObservationInterpretation POS, NEG, DET, ND, read from ``interpretation`` when the value
#:   is absent.
#:
#: Equivocal, inconclusive, borderline or any other answer is not read: it is an error naming the element.
RESULT_VALUE: dict[Code, str] = {
    **_in(SNOMED, {"10828004": "positive", "260385009": "negative", "260373001": "positive", "260415000": "negative"}),
    **_in(LOINC, {"LA11882-0": "positive", "LA11883-8": "negative", "LA6576-8": "positive", "LA6577-6": "negative"}),
}
#: The same answers in ``interpretation`` (HL7 v3 ObservationInterpretation), read only without a value.
RESULT_INTERPRETATION: dict[Code, str] = _in(
    V3_INTERPRETATION, {"POS": "positive", "NEG": "negative", "DET": "positive", "ND": "negative"})
#: The same answers as ``valueString``, compared trimmed, case-insensitively and with runs of spaces as one.
RESULT_TEXT: dict[str, str] = {
    "pos": "positive", "positive": "positive", "detected": "positive",
    "neg": "negative", "negative": "negative", "not detected": "negative",
}

#: Numeric labs the rules read (clinical.md §8.3), with their display names.
LAB_NAME: dict[Code, str] = _in(LOINC, {"1742-6": "ALT", "1920-8": "AST", "2324-2": "GGT", "1975-2": "Bilirubin, total",
                                        "777-3": "Platelets", "26515-7": "Platelets"})

PREGNANCY_STATUS: Code = (LOINC, "82810-3")
HCG_URINE: Code = (LOINC, "2106-3")
#: Pregnancy status answers (SNOMED CT, US Core pregnancy status value set).
PREGNANCY_VALUE: dict[Code, bool | None] = _in(SNOMED, {"77386006": True, "60001007": False, "261665006": None})
BREASTFEEDING: Code = (LOCAL_OBSERVATION, "breastfeeding")

#: Instrument totals (clinical.md §5); instruments without a LOINC use naltrack's local codes.
INSTRUMENT_TOTAL: dict[Code, str] = {
    **_in(LOINC, {"75624-7": "audit", "75626-2": "audit-c", "82667-7": "dast-10", "44261-6": "phq-9",
                  "70274-6": "gad-7"}),
    **_in(LOCAL_OBSERVATION, {"cows-total": "cows", "cage-total": "cage", "cravingvas-total": "craving-vas"}),
}

NALOXONE_CHALLENGE: Code = (LOCAL_OBSERVATION, "naloxone-challenge")
#: Finding "Signs of opioid withdrawal on naloxone challenge test" (codes.md §4): a failed challenge.
CHALLENGE_FAILED: Code = (SNOMED, "1264554000")
CHALLENGE_PASSED: Code = (LOCAL_OBSERVATION, "passed")
#: An equivocal challenge (doubt about withdrawal signs): read as failed by the rules (clinical.md §2.2).
CHALLENGE_EQUIVOCAL: Code = (LOCAL_OBSERVATION, "equivocal")
STANDARD_DRINKS: Code = (LOCAL_OBSERVATION, "standard-drinks")
#: ``last-use-<substance>``: the patient's report of last use, ``valueDateTime`` the day.
LAST_USE_PREFIX = "last-use-"

#: The disorders a naltrexone order treats, by its indication (codes.md §4: SNOMED CT opioid dependence, alcohol
#: dependence); stimulant use has no concept there and is exported as text.
OPIOID_DEPENDENCE = (SNOMED, "75544000", "Opioid dependence (disorder)")
ALCOHOL_DEPENDENCE = (SNOMED, "66590003", "Alcohol dependence (disorder)")
INDICATION_CONCEPTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "OUD": (OPIOID_DEPENDENCE,), "AUD": (ALCOHOL_DEPENDENCE,), "OUD+AUD": (OPIOID_DEPENDENCE, ALCOHOL_DEPENDENCE),
    "stimulant": (),
}

#: Allergy substances recognised by code; the text is read by ``domain.observations.allergen_of`` (clinical.md §2.5).
ALLERGY_CODE: dict[Code, str] = {(RXNORM, "7243"): "naltrexone"}

CONDITION_STATUS: dict[str, str] = {
    "active": "active", "recurrence": "active", "relapse": "active",
    "remission": "in-remission", "inactive": "resolved", "resolved": "resolved",
}
