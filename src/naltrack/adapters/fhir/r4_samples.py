"""Synthetic patient charts for the FHIR and CDS Hooks examples, tests and benchmarks.

Every person here is invented. :func:`sample_chart` builds a full record (every record type
the export maps) for a patient on XR-NTX; :func:`sample_charts` builds ``n`` varied charts
from a seed.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from naltrack.domain import observations as obs
from naltrack.domain.administrations import ImplantInsertion, ImplantRemoval, Injection, OralDose
from naltrack.domain.chart import PatientChart
from naltrack.domain.episodes import Diagnosis, Episode
from naltrack.domain.patients import Contact, Patient, ReproductiveStatus
from naltrack.domain.regimens import Regimen


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def sample_patient(pid: str = "pt-ada", *, sex: str = "female", birth: date = date(1988, 3, 14)) -> Patient:
    return Patient(
        id=pid, clinic_id="clinic-1", given_name="Ada", family_name="Quill", birth_date=birth,
        sex_at_birth=sex,  # type: ignore[arg-type]
        mrn=f"MRN-{pid}", reproductive=ReproductiveStatus(pregnant=False, breastfeeding=False,
                                                          as_of=date(2026, 1, 2)),
        contacts=(Contact("phone", "555-0100"), Contact("emergency-contact", "555-0199", name="Bo Quill")),
    )


def sample_chart(pid: str = "pt-ada", *, last_injection: date = date(2026, 3, 2),
                 injections: int = 2) -> PatientChart:
    """A patient with OUD on XR-NTX, with the last of ``injections`` shots on ``last_injection``."""
    start = last_injection - timedelta(days=28 * (injections - 1))
    recorded = _at(start - timedelta(days=3), 9)
    shots = tuple(
        Injection(id=f"{pid}-inj-{n}", patient_id=pid, given_at=_at(start + timedelta(days=28 * n)),
                  side="left" if n % 2 == 0 else "right", lot=f"LOT{n:03d}", expiry=date(2027, 6, 30),
                  needle_length_in=1.5, given_by="nurse.kim", regimen_id=f"{pid}-reg-1",
                  recorded_at=_at(start + timedelta(days=28 * n), 11), recorded_by="nurse.kim")
        for n in range(injections)
    )
    screen_day = start - timedelta(days=1)
    return PatientChart(
        patient=sample_patient(pid),
        episodes=(Episode(id=f"{pid}-ep-1", patient_id=pid, indication="OUD", level_of_care="OP",
                          start=start - timedelta(days=14)),),
        diagnoses=(Diagnosis(id=f"{pid}-dx-1", patient_id=pid, system="icd10cm", code="F11.20",
                             display="Opioid dependence, uncomplicated", onset=date(2024, 5, 1),
                             recorded_at=recorded, recorded_by="dr.okafor"),),
        regimens=(Regimen(id=f"{pid}-reg-1", patient_id=pid, kind="xr-ntx-q4w", start=start,
                          prescriber="dr.okafor", rxnorm="637213", recorded_at=recorded, recorded_by="dr.okafor"),
                  Regimen(id=f"{pid}-reg-0", patient_id=pid, kind="oral-daily", start=start - timedelta(days=3),
                          end=start - timedelta(days=1), dose_mg=50.0, days_supply=3, prescriber="dr.okafor")),
        oral_doses=(OralDose(id=f"{pid}-od-1", patient_id=pid, taken_at=_at(start - timedelta(days=2)),
                             dose_mg=25.0, dose_status="observed", observed_by="nurse.kim",
                             regimen_id=f"{pid}-reg-0"),),
        injections=shots,
        medications=(obs.MedicationUse(id=f"{pid}-med-1", patient_id=pid, rxnorm="197623", start=date(2025, 11, 1),
                                       source="reported"),),
        substance_use=(obs.SubstanceUseReport(id=f"{pid}-su-1", patient_id=pid, substance="fentanyl",
                                              last_use=start - timedelta(days=12),
                                              reported_on=start - timedelta(days=4)),),
        drinking_days=(obs.DrinkingDay(id=f"{pid}-dd-1", patient_id=pid, day=start - timedelta(days=5),
                                       standard_drinks=2.0),),
        labs=(obs.LabResult(id=f"{pid}-lab-alt", patient_id=pid, loinc="1742-6", name="ALT", value=38.0, unit="U/L",
                            reference_high=40.0, collected_at=_at(screen_day, 8), recorded_at=_at(screen_day, 12),
                            recorded_by="lab.feed"),),
        screens=(obs.UrineDrugScreen(id=f"{pid}-uds-1", patient_id=pid, collected_at=_at(screen_day, 8),
                                     results=tuple(obs.AnalyteResult(analyte, "negative")
                                                   for analyte in ("opiates", "fentanyl", "buprenorphine"))),),
        naloxone_challenges=(obs.NaloxoneChallenge(id=f"{pid}-nc-1", patient_id=pid, performed_at=_at(start, 9),
                                                   route="sc", passed=True),),
        questionnaires=(obs.QuestionnaireResponse(id=f"{pid}-q-1", patient_id=pid, instrument="PHQ-9",
                                                  answers=(1, 1, 0, 1, 0, 0, 1, 0, 0), completed_at=_at(start, 8),
                                                  total=4, band="minimal"),),
        allergies=(obs.Allergy(id=f"{pid}-al-1", patient_id=pid, substance="carboxymethylcellulose",
                               reaction="urticaria", criticality="low"),),
    )


def implant_chart(pid: str = "pt-imp", inserted: date = date(2026, 1, 10), removed: date | None = None) -> PatientChart:
    """A patient with a 1,800 mg implant, optionally removed."""
    implant = ImplantInsertion(id=f"{pid}-imp-1", patient_id=pid, inserted_at=_at(inserted), dose_mg=1800.0,
                               product="compounded naltrexone pellet", inserted_by="dr.okafor",
                               expected_duration_days=90)
    removals: tuple[ImplantRemoval, ...] = ()
    if removed is not None:
        removals = (ImplantRemoval(id=f"{pid}-rm-1", patient_id=pid, implant_id=implant.id,
                                   removed_at=_at(removed), reason="planned surgery", removed_by="dr.okafor"),)
    return PatientChart(patient=sample_patient(pid, sex="male"), implants=(implant,), implant_removals=removals)


def sample_charts(n: int, seed: int = 7) -> list[PatientChart]:
    """``n`` charts on XR-NTX with 1 to 6 injections, last shot in early 2026."""
    rng = random.Random(seed)
    return [sample_chart(f"pt-{k:05d}", last_injection=date(2026, 1, 5) + timedelta(days=rng.randrange(60)),
                         injections=rng.randint(1, 6)) for k in range(n)]
