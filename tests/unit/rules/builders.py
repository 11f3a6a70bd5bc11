"""Small builders of synthetic charts for the rule tests.

``make_chart(**overrides)`` returns the chart of a patient who is ready for XR-NTX on
``DAY``: OUD, heroin last used 10 days before, a negative urine screen yesterday, COWS 0
today, normal liver tests. Override any chart field (``screens=()``) to take a fact away,
or add records with the small ``make_*`` functions.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from typing import Any

from naltrack.domain.administrations import ImplantInsertion, Injection, OralDose
from naltrack.domain.care import AdverseEvent, CareDocument, InjectionSiteDetails, PlannedProcedure
from naltrack.domain.chart import PatientChart
from naltrack.domain.episodes import Diagnosis, Episode
from naltrack.domain.observations import (
    Allergy,
    AnalyteResult,
    DrinkingDay,
    LabResult,
    MedicationUse,
    NaloxoneChallenge,
    QuestionnaireResponse,
    SubstanceUseReport,
    UrineDrugScreen,
)
from naltrack.domain.patients import Patient
from naltrack.domain.regimens import Regimen
from naltrack.instruments import score

DAY = date(2026, 3, 10)
PID = "p-test"
_ids = count(1)


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def ago(days: int, on: date = DAY) -> date:
    return on - timedelta(days=days)


def make_patient(**overrides: Any) -> Patient:
    fields: dict[str, Any] = dict(id=PID, clinic_id="c1", given_name="Sam", family_name="Rivera",
                                  birth_date=date(1990, 6, 1), sex_at_birth="male")
    fields.update(overrides)
    return Patient(**fields)


def make_episode(indication: str = "OUD", start: date | None = None) -> Episode:
    return Episode(id=_id("ep"), patient_id=PID, indication=indication, level_of_care="OP",  # type: ignore[arg-type]
                   start=start or ago(30))


def make_report(substance: str, last_use: date, reported_on: date | None = None) -> SubstanceUseReport:
    return SubstanceUseReport(id=_id("su"), patient_id=PID, substance=substance,  # type: ignore[arg-type]
                              last_use=last_use, reported_on=reported_on or max(last_use, ago(1)))


def make_screen(day: date, **results: str) -> UrineDrugScreen:
    """``make_screen(day, fentanyl="positive")``; unnamed opioid analytes are negative."""
    analytes = {"opiates": "negative", "fentanyl": "negative", "buprenorphine": "negative",
                "methadone": "negative", "oxycodone": "negative"}
    analytes.update(results)
    return UrineDrugScreen(id=_id("uds"), patient_id=PID, collected_at=at(day),
                           results=tuple(AnalyteResult(a, r) for a, r in analytes.items()))  # type: ignore[arg-type]


def make_response(instrument: str, answers: list[float], day: date, sex: str | None = None) -> QuestionnaireResponse:
    s = score(instrument, answers, sex=sex)
    return QuestionnaireResponse(id=_id("qr"), patient_id=PID, instrument=s.instrument, answers=tuple(answers),
                                 completed_at=at(day), total=s.total, band=s.band, flags=s.flags)


def make_cows(total: int, day: date = DAY) -> QuestionnaireResponse:
    """A COWS response with the given total (built from items of 1 point, then 4s)."""
    answers = [0] * 11
    remaining = total
    for i in range(11):
        if remaining == 0:
            break
        step = 4 if remaining >= 4 and i in (0, 4, 5, 7, 8, 9) else 1
        answers[i] = step
        remaining -= step
    if remaining:
        raise ValueError(f"cannot build a COWS total of {total}")
    return make_response("cows", answers, day)


def make_lab(loinc: str, value: float, ref_high: float = 40.0, day: date | None = None, name: str = "lab",
             unit: str = "U/L", ref_low: float | None = None) -> LabResult:
    return LabResult(id=_id("lab"), patient_id=PID, loinc=loinc, name=name, value=value, unit=unit,
                     collected_at=at(day or ago(2)), reference_high=ref_high, reference_low=ref_low)


def make_med(rxnorm: str, start: date, end: date | None = None, **kw: Any) -> MedicationUse:
    return MedicationUse(id=_id("med"), patient_id=PID, rxnorm=rxnorm, start=start, end=end, **kw)


def make_dx(code: str, display: str, system: str = "icd10cm", **kw: Any) -> Diagnosis:
    return Diagnosis(id=_id("dx"), patient_id=PID, system=system, code=code, display=display, **kw)  # type: ignore[arg-type]


def make_allergy(substance: str, **kw: Any) -> Allergy:
    return Allergy(id=_id("al"), patient_id=PID, substance=substance, **kw)  # type: ignore[arg-type]


def make_challenge(passed: bool, day: date = DAY) -> NaloxoneChallenge:
    return NaloxoneChallenge(id=_id("nc"), patient_id=PID, performed_at=at(day), route="sc", passed=passed,
                             signs=() if passed else ("yawning", "piloerection"))


def make_drinking_day(day: date, drinks: float = 4.0) -> DrinkingDay:
    return DrinkingDay(id=_id("dd"), patient_id=PID, day=day, standard_drinks=drinks)


def make_injection(day: date, side: str = "left") -> Injection:
    return Injection(id=_id("inj"), patient_id=PID, given_at=at(day), side=side, lot="L1",  # type: ignore[arg-type]
                     expiry=day + timedelta(days=300), needle_length_in=1.5, given_by="RN Lee")


def make_oral_dose(day: date, dose_mg: float = 50.0, hour: int = 9) -> OralDose:
    return OralDose(id=_id("od"), patient_id=PID, taken_at=at(day, hour), dose_mg=dose_mg)


def make_implant(day: date, dose_mg: float = 1000.0, duration_days: int | None = None) -> ImplantInsertion:
    return ImplantInsertion(id=_id("imp"), patient_id=PID, inserted_at=at(day), dose_mg=dose_mg,
                            product="compounded pellets", inserted_by="Dr Ng", expected_duration_days=duration_days)


def make_regimen(kind: str = "xr-ntx-q4w", start: date | None = None, **kw: Any) -> Regimen:
    if kind.startswith("xr-ntx"):
        kw.setdefault("dose_mg", 380.0)
    return Regimen(id=_id("rx"), patient_id=PID, kind=kind, start=start or ago(60), **kw)  # type: ignore[arg-type]


def make_adverse_event(kind: str, onset: date, **kw: Any) -> AdverseEvent:
    if kind == "injection-site-reaction":
        kw.setdefault("site", InjectionSiteDetails(side="left", induration_cm=2.0))
    return AdverseEvent(id=_id("ae"), patient_id=PID, kind=kind, onset=onset, ctcae_grade=kw.pop("grade", 2),  # type: ignore[arg-type]
                        **kw)


def make_procedure(day: date, description: str = "knee arthroscopy") -> PlannedProcedure:
    return PlannedProcedure(id=_id("proc"), patient_id=PID, planned_on=day, description=description)


def make_document(kind: str = "emergency-pain-guidance", day: date | None = None) -> CareDocument:
    return CareDocument(id=_id("doc"), patient_id=PID, kind=kind, issued_on=day or ago(20))  # type: ignore[arg-type]


def liver_labs(alt: float = 25.0, ast: float = 22.0, day: date | None = None) -> tuple[LabResult, LabResult]:
    return (make_lab("1742-6", alt, day=day, name="ALT"), make_lab("1920-8", ast, day=day, name="AST"))


def make_chart(**overrides: Any) -> PatientChart:
    """The chart of a patient ready for XR-NTX on ``DAY``; override any field."""
    chart = PatientChart(
        patient=make_patient(),
        episodes=(make_episode("OUD"),),
        substance_use=(make_report("heroin", ago(10)),),
        screens=(make_screen(ago(1)),),
        questionnaires=(make_cows(0),),
        labs=liver_labs(),
    )
    return replace(chart, **overrides)


def add(chart: PatientChart, **records: Any) -> PatientChart:
    """Append records to chart fields: ``add(chart, screens=[make_screen(...)])``."""
    return replace(chart, **{k: tuple(getattr(chart, k)) + tuple(v) for k, v in records.items()})
