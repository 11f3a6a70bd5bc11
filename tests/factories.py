"""Valid domain objects with readable defaults: ``make_patient(family_name="Lane")``.

Every record factory takes keyword overrides; ids are unique unless given. The chart
builders at the end serve the rule tests: ``make_chart(**overrides)`` is the chart of a
patient ready for XR-NTX on ``DAY`` (OUD, heroin last used 10 days before, a negative
urine screen yesterday, COWS 0 today, normal liver tests); override any chart field
(``screens=()``) to take a fact away, or ``add(chart, screens=[...])`` to add records.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from naltrack.domain.administrations import ImplantInsertion, ImplantRemoval, Injection, OralDose
from naltrack.domain.care import (
    AdverseEvent,
    Appointment,
    CareDocument,
    CounselingSession,
    InjectionSiteDetails,
    NoteSection,
    PlannedProcedure,
    SupportGroupAttendance,
)
from naltrack.domain.chart import PatientChart
from naltrack.domain.dose_decisions import DoseDecision
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
from naltrack.domain.patients import Clinic, Contact, Patient, ReproductiveStatus
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.regimens import Regimen, ScheduledDose
from naltrack.domain.rules.base import RULES
from naltrack.domain.safety import SafetyAssessment
from naltrack.instruments import score
from naltrack.services.doses import DoseAuthorisation

_ids = itertools.count(1)
#: The moment the tests treat as "now" unless they say otherwise.
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
PATIENT_ID = "p-test-1"
CLINIC_ID = "c-test"
#: The day the rule tests assess a chart on.
DAY = date(2026, 3, 10)
#: The opioid analytes of a urine screen, all negative unless a test says otherwise.
OPIOID_ANALYTES = ("opiates", "fentanyl", "buprenorphine", "methadone", "oxycodone")


def next_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def at(day: date, hour: int = 9) -> datetime:
    """``day`` at ``hour`` o'clock UTC."""
    return datetime.combine(day, time(hour), tzinfo=UTC)


def ago(days: int, on: date = DAY) -> date:
    return on - timedelta(days=days)


def make_clinic(**overrides: Any) -> Clinic:
    return Clinic(**{"id": CLINIC_ID, "name": "Test Street Clinic", "timezone": "America/New_York", **overrides})


def make_patient(**overrides: Any) -> Patient:
    values: dict[str, Any] = {
        "id": PATIENT_ID, "clinic_id": CLINIC_ID, "given_name": "Ada", "family_name": "Testwell",
        "birth_date": date(1990, 5, 1), "sex_at_birth": "female", "gender": "woman", "mrn": "MRN-1",
        "reproductive": ReproductiveStatus(pregnant=False, breastfeeding=False, as_of=date(2026, 1, 5)),
        "contacts": (Contact("phone", "555-0100"), Contact("emergency-contact", "555-0101", name="Bea Testwell")),
    }
    return Patient(**{**values, **overrides})


def _record(cls: type[Any], prefix: str, defaults: dict[str, Any], overrides: dict[str, Any]) -> Any:
    values = {"id": next_id(prefix), "patient_id": PATIENT_ID, **defaults, **overrides}
    return cls(**values)


def make_regimen(**overrides: Any) -> Regimen:
    return _record(Regimen, "reg", {"kind": "xr-ntx-q4w", "start": date(2026, 1, 5), "dose_mg": 380.0,
                                    "prescriber": "Dr. Test", "rxnorm": "637213"}, overrides)


def make_oral_regimen(**overrides: Any) -> Regimen:
    return _record(Regimen, "reg", {"kind": "oral-schedule", "start": date(2026, 1, 5), "dose_mg": 150.0,
                                    "schedule": (ScheduledDose("mon", 100.0), ScheduledDose("wed", 100.0),
                                                 ScheduledDose("fri", 150.0)), "rxnorm": "1483744"}, overrides)


def make_injection(**overrides: Any) -> Injection:
    return _record(Injection, "inj", {"given_at": datetime(2026, 2, 2, 14, 30, tzinfo=UTC), "side": "left",
                                      "lot": "VX26001", "expiry": date(2027, 1, 31), "needle_length_in": 2.0,
                                      "given_by": "RN Test"}, overrides)


def make_oral_dose(**overrides: Any) -> OralDose:
    return _record(OralDose, "dose", {"taken_at": datetime(2026, 2, 2, 9, tzinfo=UTC), "dose_mg": 50.0,
                                      "dose_status": "observed", "observed_by": "RN Test"}, overrides)


def make_lab(**overrides: Any) -> LabResult:
    return _record(LabResult, "lab", {"loinc": "1742-6", "name": "ALT", "value": 31.0, "unit": "U/L",
                                      "collected_at": datetime(2026, 2, 1, 10, tzinfo=UTC),
                                      "reference_low": 7.0, "reference_high": 56.0}, overrides)


def opioid_panel(**results: str) -> tuple[AnalyteResult, ...]:
    """``opioid_panel(fentanyl="positive")``: the opioid analytes, negative unless named."""
    found = {analyte: "negative" for analyte in OPIOID_ANALYTES} | results
    return tuple(AnalyteResult(analyte, result) for analyte, result in found.items())  # type: ignore[arg-type]


def make_screen(**overrides: Any) -> UrineDrugScreen:
    """A urine screen negative for every opioid analyte unless ``results`` says otherwise."""
    return _record(UrineDrugScreen, "uds", {"collected_at": datetime(2026, 2, 1, 10, tzinfo=UTC),
                                            "results": opioid_panel()}, overrides)


def make_one_of_each(patient_id: str = PATIENT_ID) -> list[ClinicalRecord]:
    """One record of every clinical type, nested value objects filled in, linked where they link."""
    p = {"patient_id": patient_id}
    day = date(2026, 2, 2)
    at = datetime(2026, 2, 2, 9, 30, tzinfo=UTC)
    regimen, oral = make_regimen(**p, indication="OUD+AUD"), make_oral_regimen(**p)
    shot = make_injection(regimen_id=regimen.id, **p)
    phq9 = _record(QuestionnaireResponse, "q", {"instrument": "phq-9", "answers": (1.0,) * 8 + (2.0,),
                                                "completed_at": at, "total": 10.0, "band": "moderate",
                                                "flags": ("item-9-positive",)}, p)
    implant = _record(ImplantInsertion, "imp", {"inserted_at": at, "dose_mg": 1000.0, "product": "implant 1000 mg",
                                                "inserted_by": "Dr. Test", "expected_duration_days": 60}, p)
    return [
        _record(Episode, "ep", {"indication": "OUD", "level_of_care": "IOP", "start": date(2026, 1, 2),
                                "end": date(2026, 2, 20), "discharge_reason": "completed",
                                "referral_source": "inpatient detox"}, p),
        _record(Diagnosis, "dx", {"system": "icd10cm", "code": "F11.20", "display": "Opioid dependence",
                                  "onset": date(2020, 1, 1)}, p),
        regimen, oral, make_implant_regimen(**p), shot, make_oral_dose(regimen_id=oral.id, **p), implant,
        _record(ImplantRemoval, "rem", {"implant_id": implant.id, "removed_at": at, "reason": "surgery planned",
                                        "removed_by": "Dr. Test"}, p),
        _record(MedicationUse, "med", {"rxnorm": "1725059", "start": day, "days_supply": 30}, p),
        _record(SubstanceUseReport, "sur", {"substance": "fentanyl", "last_use": date(2026, 1, 1),
                                            "reported_on": day, "route": "smoked"}, p),
        _record(DrinkingDay, "dd", {"day": day, "standard_drinks": 4.5}, p),
        make_lab(**p), make_screen(**p),
        _record(NaloxoneChallenge, "nc", {"performed_at": at, "route": "sc", "passed": False,
                                          "signs": ("yawning", "rhinorrhea")}, p),
        phq9,
        _record(Allergy, "al", {"substance": "other", "reaction": "rash", "criticality": "low"}, p),
        _record(AdverseEvent, "ae", {"kind": "injection-site-reaction", "onset": day, "ctcae_grade": 2,
                                     "injection_id": shot.id, "resolved_on": date(2026, 2, 9), "outcome": "resolved",
                                     "site": InjectionSiteDetails("left", 3.5, necrosis=False)}, p),
        _record(CounselingSession, "cs", {"kind": "group", "held_on": day, "duration_min": 90,
                                          "counselor": "Cora Test", "group_id": "g1", "note": "relapse prevention",
                                          "note_format": "dap", "note_sections": (
                                              NoteSection("data", "discussed cravings"),
                                              NoteSection("assessment", "engaged"), NoteSection("plan", "weekly"))}, p),
        _record(SupportGroupAttendance, "sg", {"fellowship": "SMART", "attended_on": day}, p),
        _record(Appointment, "ap", {"kind": "injection", "starts_at": datetime(2026, 3, 2, 14, tzinfo=UTC),
                                    "clinician": "RN Test"}, p),
        _record(PlannedProcedure, "pp", {"planned_on": date(2026, 6, 1), "description": "knee arthroscopy"}, p),
        _record(CareDocument, "doc", {"kind": "wallet-card", "issued_on": day}, p),
        make_safety_assessment(response_id=phq9.id, assessed_at=at + timedelta(hours=1), risk_level="moderate",
                               follow_up_on=date(2026, 2, 5), note="safety plan reviewed", **p),
        _record(DoseDecision, "dd", {"form": "oral", "decided_at": at - timedelta(days=1), "outcome": "held",
                                     "dose_class": "continuation", "decided_by": "u-nurse",
                                     "reason": "vomiting since last night; prescriber to review"}, p),
    ]


def make_safety_assessment(**overrides: Any) -> SafetyAssessment:
    """A counselor's low-risk safety assessment on ``DAY`` (override any field)."""
    return _record(SafetyAssessment, "sa", {"assessed_at": at(DAY, 14), "risk_level": "low",
                                            "actions": ("safety-plan", "crisis-line-988"),
                                            "assessed_by": "Cora Test", "assessor_role": "counselor"}, overrides)


# Chart builders for the rule tests: records dated relative to ``DAY``.

def make_man(**overrides: Any) -> Patient:
    """The patient of the rule tests: a man, so no pregnancy rule applies unless a test makes one."""
    return make_patient(**{"given_name": "Sam", "family_name": "Rivera", "sex_at_birth": "male", "gender": "man",
                           "reproductive": None, **overrides})


def make_episode(indication: str = "OUD", **overrides: Any) -> Episode:
    return _record(Episode, "ep", {"indication": indication, "level_of_care": "OP", "start": ago(30)}, overrides)


def make_report(substance: str, last_use: date, reported_on: date | None = None) -> SubstanceUseReport:
    return _record(SubstanceUseReport, "su", {"substance": substance, "last_use": last_use,
                                              "reported_on": reported_on or max(last_use, ago(1))}, {})


def make_response(instrument: str, answers: list[float], day: date, sex: str | None = None) -> QuestionnaireResponse:
    s = score(instrument, answers, sex=sex)
    return _record(QuestionnaireResponse, "qr", {"instrument": s.instrument, "answers": tuple(answers),
                                                 "completed_at": at(day), "total": s.total, "band": s.band,
                                                 "flags": s.flags}, {})


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


def make_med(rxnorm: str, start: date, end: date | None = None, **overrides: Any) -> MedicationUse:
    return _record(MedicationUse, "med", {"rxnorm": rxnorm, "start": start, "end": end}, overrides)


def make_dx(code: str, display: str, system: str = "icd10cm", **overrides: Any) -> Diagnosis:
    return _record(Diagnosis, "dx", {"system": system, "code": code, "display": display}, overrides)


def make_allergy(substance: str, **overrides: Any) -> Allergy:
    return _record(Allergy, "al", {"substance": substance}, overrides)


def make_challenge(passed: bool, day: date = DAY) -> NaloxoneChallenge:
    return _record(NaloxoneChallenge, "nc", {"performed_at": at(day), "route": "sc", "passed": passed,
                                             "signs": () if passed else ("yawning", "piloerection")}, {})


def make_drinking_day(day: date, drinks: float = 4.0) -> DrinkingDay:
    return _record(DrinkingDay, "dd", {"day": day, "standard_drinks": drinks}, {})


def make_implant(day: date, dose_mg: float = 1000.0, duration_days: int | None = None) -> ImplantInsertion:
    return _record(ImplantInsertion, "imp", {"inserted_at": at(day), "dose_mg": dose_mg,
                                             "product": "compounded pellets", "inserted_by": "Dr Ng",
                                             "expected_duration_days": duration_days}, {})


def make_adverse_event(kind: str, onset: date, grade: int = 2, **overrides: Any) -> AdverseEvent:
    if kind == "injection-site-reaction":
        overrides.setdefault("site", InjectionSiteDetails(side="left", induration_cm=2.0))
    return _record(AdverseEvent, "ae", {"kind": kind, "onset": onset, "ctcae_grade": grade}, overrides)


def make_procedure(day: date, description: str = "knee arthroscopy") -> PlannedProcedure:
    return _record(PlannedProcedure, "proc", {"planned_on": day, "description": description}, {})


def make_document(kind: str = "emergency-pain-guidance", day: date | None = None) -> CareDocument:
    return _record(CareDocument, "doc", {"kind": kind, "issued_on": day or ago(20)}, {})


def recent_lab(loinc: str, value: float, **overrides: Any) -> LabResult:
    """A lab two days before ``DAY`` with only an upper reference limit (40 U/L) unless overridden."""
    return make_lab(**{"loinc": loinc, "name": "lab", "value": value, "reference_low": None,
                       "reference_high": 40.0, "collected_at": at(ago(2)), **overrides})


def liver_labs(alt: float = 25.0, ast: float = 22.0, day: date | None = None) -> tuple[LabResult, LabResult]:
    when = {"collected_at": at(day)} if day else {}
    return recent_lab("1742-6", alt, name="ALT", **when), recent_lab("1920-8", ast, name="AST", **when)


def make_chart(**overrides: Any) -> PatientChart:
    """The chart of a patient ready for XR-NTX on ``DAY``; override any field."""
    chart = PatientChart(
        patient=make_man(),
        episodes=(make_episode("OUD"),),
        substance_use=(make_report("heroin", ago(10)),),
        screens=(make_screen(collected_at=at(ago(1))),),
        questionnaires=(make_cows(0),),
        labs=liver_labs(),
    )
    return replace(chart, **overrides)


def add(chart: PatientChart, **records: Any) -> PatientChart:
    """Append records to chart fields: ``add(chart, screens=[make_screen(...)])``."""
    return replace(chart, **{k: tuple(getattr(chart, k)) + tuple(v) for k, v in records.items()})


#: A prescriber's override with every review item confirmed: for tests about writing records, not about
#: the pre-dose check (tests/unit/domain/test_pre_dose.py and the dose-check tests test the check itself).
#: Stops (no order, a same-day duplicate) still stop.
EVERY_FINDING_CLEARED = DoseAuthorisation(
    confirmed=frozenset(f"{rule.id}{n}" for rule in RULES for n in ("", "/2", "/3", "/4", "/5")),
    override_reason="cleared for a test of record writing")


def make_implant_regimen(**overrides: Any) -> Regimen:
    return _record(Regimen, "reg", {"kind": "implant", "start": date(2026, 1, 5), "dose_mg": 1000.0,
                                    "implant_product": "implant 1000 mg", "expected_duration_days": 60}, overrides)
