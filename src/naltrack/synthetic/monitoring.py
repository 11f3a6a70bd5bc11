"""Monitoring series: urine drug screens, liver tests, questionnaires and drinking diaries.

Analytes and LOINC codes as in :mod:`naltrack.domain.observations` (clinical.md §8.3).
Liver-test reference ranges are typical adult ranges (ASSUMED; labs print their own);
a few patients' tests rise during treatment (clinical.md §2.7). Questionnaires are
scored on submit (:func:`naltrack.domain.questionnaires.score_answers`), so totals and bands are the real ones.
Heavy drinking days are 5+ drinks for men and 4+ for women (clinical.md §6).
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import numpy as np

from naltrack.domain.observations import AnalyteResult, DrinkingDay, LabResult, QuestionnaireResponse, UrineDrugScreen
from naltrack.domain.questionnaires import score_answers
from naltrack.domain.safety import SafetyAssessment
from naltrack.instruments import get_instrument
from naltrack.synthetic.builder import PatientBuilder

#: (LOINC, name, unit, reference low, reference high, typical value) of the liver panel.
LIVER_PANEL: tuple[tuple[str, str, str, float, float, float], ...] = (
    ("1742-6", "ALT", "U/L", 7.0, 56.0, 24.0),
    ("1920-8", "AST", "U/L", 10.0, 40.0, 24.0),
    ("2324-2", "GGT", "U/L", 8.0, 61.0, 30.0),
    ("1975-2", "Bilirubin, total", "mg/dL", 0.1, 1.2, 0.6),
)
PANEL = ("opiates", "fentanyl", "buprenorphine", "methadone", "oxycodone", "cocaine", "amphetamines",
         "benzodiazepines", "cannabinoids")


def screen(b: PatientBuilder, day: date, opioid_positive: bool, *, drinking: bool = False) -> UrineDrugScreen:
    """One point-of-care screen; ``opioid_positive`` puts fentanyl (and often opiates) on board."""
    rng = b.rng
    positives: set[str] = set()
    if opioid_positive:
        positives.add("fentanyl" if rng.random() < 0.8 else "opiates")
        if rng.random() < 0.35:
            positives.add("opiates")
    if rng.random() < 0.18:
        positives.add("cannabinoids")
    if b.indication == "stimulant" and rng.random() < 0.5:
        positives.add("amphetamines" if rng.random() < 0.6 else "cocaine")
    elif rng.random() < 0.05:
        positives.add("cocaine")
    analytes = PANEL + (("alcohol-etg",) if b.indication in ("AUD", "OUD+AUD") else ())
    if drinking:
        positives.add("alcohol-etg")
    results = tuple(AnalyteResult(a, "positive" if a in positives else "negative") for a in analytes)  # type: ignore[arg-type]
    return b.add(UrineDrugScreen, collected_at=b.clinic_time(day), results=results)


def liver_panel(b: PatientBuilder, day: date, rise: float) -> float:
    """The four liver tests on ``day``; ``rise`` multiplies ALT/AST/GGT. Returns ALT as x ULN."""
    collected = b.clinic_time(day)
    alcohol = 1.6 if b.indication in ("AUD", "OUD+AUD") else 1.0
    alt_ratio = 0.0
    for loinc, name, unit, low, high, typical in LIVER_PANEL:
        factor = float(b.rng.lognormal(0.0, 0.25))
        if name in ("AST", "GGT"):
            factor *= alcohol
        value = typical * factor * (rise if name != "Bilirubin, total" else 1.0 + (rise - 1.0) * 0.2)
        value = round(value, 1 if unit == "mg/dL" else 0)
        b.add(LabResult, loinc=loinc, name=name, value=max(value, 0.1), unit=unit, collected_at=collected,
              reference_low=low, reference_high=high)
        if name == "ALT":
            alt_ratio = value / high
    return alt_ratio


@functools.cache
def _options(instrument_id: str) -> tuple[np.ndarray, tuple[tuple[bool, tuple[float, ...]], ...]]:
    """Per item of an instrument: the number of steps above its lowest answer, and whether it is continuous with its
    answers in order (a continuous item: the low and high ends of its range)."""
    items = get_instrument(instrument_id).items
    steps = np.array([max(len(item.allowed) - 1, 0) for item in items])
    answers = tuple((True, (float(item.low or 0.0), float(item.high or 100.0))) if item.is_continuous
                    else (False, tuple(sorted(item.allowed))) for item in items)
    return steps, answers


def answers_for(b: PatientBuilder, instrument_id: str, severity: float) -> tuple[float, ...]:
    """Answers drawn around ``severity`` (0 none to 1 worst), all items in one draw."""
    steps, options = _options(instrument_id)
    levels = np.clip(severity + b.rng.normal(0.0, 0.12, size=len(options)), 0.0, 1.0)
    drawn = b.rng.binomial(steps, levels)
    answers: list[float] = []
    for (continuous, allowed), level, step in zip(options, levels.tolist(), drawn.tolist(), strict=True):
        if continuous:
            low, high = allowed
            answers.append(float(round(low + (high - low) * level)))
        else:
            answers.append(float(allowed[step]))
    return tuple(answers)


def questionnaire(b: PatientBuilder, instrument_id: str, day: date, severity: float) -> QuestionnaireResponse:
    """A scored response; PHQ-9 item 9 is above 0 only occasionally (a safety flag in the demo)."""
    answers = list(answers_for(b, instrument_id, severity))
    if instrument_id == "phq-9":
        answers[8] = float(b.rng.integers(1, 3)) if b.chance(b.params.phq9_item9_positive) else 0.0
    response = record_response(b, instrument_id, day, answers)
    if instrument_id == "phq-9" and answers[8] > 0:
        safety_assessment(b, response)
    return response


def record_response(b: PatientBuilder, instrument_id: str, day: date, answers: list[float]) -> QuestionnaireResponse:
    """A response with these answers, scored on submit (its total, band and flags are the real ones)."""
    result = score_answers(b.patient.sex_at_birth, instrument_id, answers)
    return b.add(QuestionnaireResponse, instrument=instrument_id, answers=tuple(answers),
                 completed_at=b.clinic_time(day), total=float(result.total), band=result.band,
                 flags=tuple(result.flags))


def safety_assessment(b: PatientBuilder, response: QuestionnaireResponse) -> SafetyAssessment | None:
    """A counselor's suicide-risk assessment of a PHQ-9 with item 9 above 0, the same day or within a
    week: low risk, a safety plan and the crisis line, follow-up within a week (closes MON-PHQ9-ITEM9).
    One that would fall on or after the program's last day is not made yet: the alert is open today."""
    same_day = b.chance(b.params.phq9_item9_assessed_same_day)
    assessed_at = response.completed_at + (timedelta(hours=1) if same_day else b.days(1, 7))
    if not b.is_past(assessed_at.date()):
        return None
    return b.add(SafetyAssessment, assessed_at=assessed_at, risk_level="low",
                 actions=("safety-plan", "crisis-line-988", "follow-up-booked"),
                 assessed_by=b.staff_member("counselors"), assessor_role="counselor", response_id=response.id,
                 follow_up_on=assessed_at.date() + timedelta(days=7))


def drinking_diary(b: PatientBuilder, start: date, stop: date, on_treatment: bool) -> list[tuple[date, float]]:
    """Daily standard drinks for the first weeks; naltrexone lowers heavy drinking (clinical.md §6)."""
    heavy = 5.0 if b.patient.sex_at_birth == "male" else 4.0
    p_drink = float(b.rng.beta(3, 5)) * (0.6 if on_treatment else 1.0)
    entries: list[tuple[date, float]] = []
    last = min(stop, start + timedelta(days=b.params.diary_days))
    day = start
    while day <= last:
        if b.chance(b.params.diary_completion):
            drinks = 0.0
            if b.chance(p_drink):
                drinks = float(min(b.rng.poisson(heavy - 1.5) + 1, 25))
            b.add(DrinkingDay, day=day, standard_drinks=drinks)
            entries.append((day, drinks))
        day += timedelta(days=1)
    return entries
