"""Valid domain objects with readable defaults: ``make_patient(family_name="Lane")``.

Every factory takes keyword overrides; ids are unique unless given.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from naltrack.domain.administrations import ImplantInsertion, ImplantRemoval, Injection, OralDose
from naltrack.domain.care import (
    AdverseEvent,
    Appointment,
    CareDocument,
    CounselingSession,
    InjectionSiteDetails,
    PlannedProcedure,
    SupportGroupAttendance,
)
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

_ids = itertools.count(1)
#: The moment the tests treat as "now" unless they say otherwise.
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
PATIENT_ID = "p-test-1"
CLINIC_ID = "c-test"


def next_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


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


def make_screen(**overrides: Any) -> UrineDrugScreen:
    return _record(UrineDrugScreen, "uds", {
        "collected_at": datetime(2026, 2, 1, 10, tzinfo=UTC),
        "results": (AnalyteResult("fentanyl", "positive"), AnalyteResult("opiates", "negative"))}, overrides)


def make_one_of_each(patient_id: str = PATIENT_ID) -> list[ClinicalRecord]:
    """One record of every clinical type, nested value objects filled in, linked where they link."""
    p = {"patient_id": patient_id}
    day = date(2026, 2, 2)
    at = datetime(2026, 2, 2, 9, 30, tzinfo=UTC)
    regimen = make_regimen(**p)
    shot = make_injection(regimen_id=regimen.id, **p)
    implant = _record(ImplantInsertion, "imp", {"inserted_at": at, "dose_mg": 1000.0, "product": "implant 1000 mg",
                                                "inserted_by": "Dr. Test", "expected_duration_days": 60}, p)
    return [
        _record(Episode, "ep", {"indication": "OUD", "level_of_care": "IOP", "start": date(2026, 1, 2),
                                "end": date(2026, 2, 20), "discharge_reason": "completed",
                                "referral_source": "inpatient detox"}, p),
        _record(Diagnosis, "dx", {"system": "icd10cm", "code": "F11.20", "display": "Opioid dependence",
                                  "onset": date(2020, 1, 1)}, p),
        regimen, make_oral_regimen(**p), shot, make_oral_dose(regimen_id=regimen.id, **p), implant,
        _record(ImplantRemoval, "rem", {"implant_id": implant.id, "removed_at": at, "reason": "surgery planned",
                                        "removed_by": "Dr. Test"}, p),
        _record(MedicationUse, "med", {"rxnorm": "1725059", "start": day, "days_supply": 30}, p),
        _record(SubstanceUseReport, "sur", {"substance": "fentanyl", "last_use": date(2026, 1, 1),
                                            "reported_on": day, "route": "smoked"}, p),
        _record(DrinkingDay, "dd", {"day": day, "standard_drinks": 4.5}, p),
        make_lab(**p), make_screen(**p),
        _record(NaloxoneChallenge, "nc", {"performed_at": at, "route": "sc", "passed": False,
                                          "signs": ("yawning", "rhinorrhea")}, p),
        _record(QuestionnaireResponse, "q", {"instrument": "phq-9", "answers": (1.0,) * 8 + (2.0,),
                                             "completed_at": at, "total": 10.0, "band": "moderate",
                                             "flags": ("item-9-positive",)}, p),
        _record(Allergy, "al", {"substance": "other", "reaction": "rash", "criticality": "low"}, p),
        _record(AdverseEvent, "ae", {"kind": "injection-site-reaction", "onset": day, "ctcae_grade": 2,
                                     "injection_id": shot.id, "resolved_on": date(2026, 2, 9), "outcome": "resolved",
                                     "site": InjectionSiteDetails("left", 3.5, necrosis=False)}, p),
        _record(CounselingSession, "cs", {"kind": "group", "held_on": day, "duration_min": 90,
                                          "counselor": "Cora Test", "group_id": "g1", "note": "relapse prevention"}, p),
        _record(SupportGroupAttendance, "sg", {"fellowship": "SMART", "attended_on": day}, p),
        _record(Appointment, "ap", {"kind": "injection", "starts_at": datetime(2026, 3, 2, 14, tzinfo=UTC),
                                    "clinician": "RN Test"}, p),
        _record(PlannedProcedure, "pp", {"planned_on": date(2026, 6, 1), "description": "knee arthroscopy"}, p),
        _record(CareDocument, "doc", {"kind": "wallet-card", "issued_on": day}, p),
    ]
