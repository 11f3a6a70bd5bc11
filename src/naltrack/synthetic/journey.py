"""One synthetic patient from referral to discharge (or to the program end date).

Intake (diagnoses, reported last use, screens, baseline liver tests, questionnaires, a Brief Addiction Monitor),
induction after the opioid-free interval (7 to 14 days for OUD, clinical.md §2.1) or a few
days of abstinence for AUD (3 to 7 days, TIP 28, clinical.md §1.1), the course of the
assigned form with its dropout, the monitoring (a BAM about monthly) and care around it, then discharge.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from naltrack.domain.administrations import Injection
from naltrack.domain.episodes import Diagnosis, Episode
from naltrack.domain.observations import (
    Allergy,
    LabResult,
    MedicationUse,
    NaloxoneChallenge,
    SubstanceUseReport,
)
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.regimens import Regimen
from naltrack.synthetic import bam, care, monitoring
from naltrack.synthetic.builder import PatientBuilder
from naltrack.synthetic.params import ProgramParams
from naltrack.synthetic.people import Staff, make_patient
from naltrack.synthetic.treatment import Course, add_targeted_doses, make_regimen, run_course

#: ICD-10-CM codes per indication (clinical.md §8.2; F15.20 other stimulant dependence).
DIAGNOSES: dict[str, tuple[tuple[str, str], ...]] = {
    "OUD": (("F11.20", "Opioid dependence, uncomplicated"),),
    "AUD": (("F10.20", "Alcohol dependence, uncomplicated"),),
    "OUD+AUD": (("F11.20", "Opioid dependence, uncomplicated"), ("F10.20", "Alcohol dependence, uncomplicated")),
    "stimulant": (("F15.20", "Other stimulant dependence, uncomplicated"),),
}
REFERRALS = ("self", "inpatient detox", "emergency department", "primary care", "drug court", "family")


def build_patient(rng: np.random.Generator, params: ProgramParams, patient_id: str, mrn: str,
                  clinic: Clinic, staff: Staff, end: date) -> tuple[Patient, list[ClinicalRecord]]:
    """The patient and every record of their journey."""
    intake = end - timedelta(days=int(rng.integers(1, params.enrolment_days)))
    patient = make_patient(rng, patient_id, mrn, clinic, intake)
    b = PatientBuilder(rng=rng, params=params, patient=patient, clinic=clinic, staff=staff, end=end)
    b.indication = b.pick(tuple(params.indication_mix), tuple(params.indication_mix.values()))
    kind = b.pick(tuple(params.regimen_mix[b.indication]), tuple(params.regimen_mix[b.indication].values()))
    _intake(b, intake)
    opioid = b.indication in ("OUD", "OUD+AUD")
    induction = intake + (b.days(7, 14) if opioid else b.days(3, 7))
    if not b.is_past(induction):
        leave, reason = None, None
        care.appointments(b, induction, "induction", in_care=True)
        care.counseling(b, intake, end)
    elif kind.startswith("xr-ntx") and b.chance(params.xr_ntx_non_start_oud if opioid
                                                else params.xr_ntx_non_start_other):
        leave, reason = _non_start(b, kind, induction)
    else:
        leave, reason = _treat(b, kind, induction)
    care.documents(b, intake, induction if b.is_past(induction) else None, blockade=opioid)
    _episode(b, intake, leave, reason)
    _corrections(b)
    return patient, b.records


def _intake(b: PatientBuilder, day: date) -> None:
    for code, display in DIAGNOSES[b.indication]:
        b.add(Diagnosis, system="icd10cm", code=code, display=display, onset=day - b.days(365, 3650),
              recorded_at=b.at(day))
    opioid = b.indication in ("OUD", "OUD+AUD")
    if opioid:
        substance = b.pick(("fentanyl", "heroin", "prescription-opioids"), (0.6, 0.3, 0.1))
        b.add(SubstanceUseReport, substance=substance, last_use=day - b.days(0, 3), reported_on=day)
    if b.indication in ("AUD", "OUD+AUD"):
        b.add(SubstanceUseReport, substance="alcohol", last_use=day - b.days(0, 2), reported_on=day)
    if b.indication == "stimulant":
        b.add(SubstanceUseReport, substance=b.pick(("methamphetamine", "cocaine")), last_use=day - b.days(0, 5),
              reported_on=day)
    screen = monitoring.screen(b, day, opioid_positive=opioid and b.chance(0.85), drinking=b.indication != "OUD")
    monitoring.liver_panel(b, day, rise=1.0)
    for instrument in ("audit",) if b.indication == "AUD" else ("dast-10", "audit-c"):
        monitoring.questionnaire(b, instrument, day, float(b.rng.beta(5, 3)))
    for instrument in ("phq-9", "gad-7"):
        monitoring.questionnaire(b, instrument, day, float(b.rng.beta(2, 5)))
    b.bam_risk, b.bam_protection = float(b.rng.beta(5, 3)), float(b.rng.beta(3, 5))
    bam.intake_bam(b, day, screen)
    if b.chance(0.003):
        b.add(Allergy, substance="other", reaction="rash", criticality="low")


def _non_start(b: PatientBuilder, kind: str, induction: date) -> tuple[date, str]:
    """Assigned to XR-NTX, never inducted (X:BOT, clinical.md §6): opioids on board or gone."""
    leave = min(induction + b.days(3, 21), b.end - timedelta(days=1))
    if b.indication in ("OUD", "OUD+AUD") and b.chance(0.6):
        b.add(SubstanceUseReport, substance="fentanyl", last_use=induction - b.days(1, 3), reported_on=induction)
        monitoring.screen(b, induction, opioid_positive=True)
    regimen = make_regimen(b, kind, induction)
    b.records.append(replace(regimen, end=leave, note="not started: induction not completed"))
    care.counseling(b, induction - timedelta(days=7), leave)
    return leave, b.pick(("lost-to-follow-up", "left-against-advice"), (0.6, 0.4))


def _treat(b: PatientBuilder, kind: str, start: date) -> tuple[date | None, str | None]:
    opioid = b.indication in ("OUD", "OUD+AUD")
    monitoring.screen(b, start, opioid_positive=False)
    if opioid:
        monitoring.questionnaire(b, "cows", start, float(b.rng.beta(1, 12)))
        if kind != "oral-daily" and b.chance(0.2):
            b.add(NaloxoneChallenge, performed_at=b.clinic_time(start), route=b.pick(("sc", "iv")), passed=True)
        b.add(MedicationUse, rxnorm="1725059", start=start, source="prescribed")  # naloxone (clinical.md §1.2)
    if kind == "xr-ntx-bupropion":
        b.add(MedicationUse, rxnorm="993541", start=start, source="prescribed")
    regimen = make_regimen(b, kind, start)
    course = run_course(b, regimen)
    b.records.append(regimen if course.active_at_end else replace(regimen, end=course.stop))
    _monitor(b, course, regimen)
    care.site_reactions(b, course.injections)
    care.early_effects(b, start)
    care.counseling(b, start - timedelta(days=7), course.stop)
    care.support_groups(b, start, course.stop)
    appointment_kind = "injection" if regimen.form == "xr-ntx" else "prescriber"
    care.appointments(b, course.next_due, appointment_kind, in_care=course.active_at_end)
    if course.active_at_end:
        return None, None
    days_in = (course.stop - course.start).days
    if days_in >= 168 and b.chance(0.6):
        return course.stop, "completed"
    return course.stop, b.pick(("lost-to-follow-up", "left-against-advice", "transferred", "incarcerated"),
                               (0.6, 0.25, 0.1, 0.05))


def _monitor(b: PatientBuilder, course: Course, regimen: Regimen) -> None:
    opioid = b.indication in ("OUD", "OUD+AUD")
    relapse = float(b.rng.beta(1.5, 10)) * (0.6 if regimen.form != "oral" else 1.0)
    mood = float(b.rng.beta(2, 5))
    last_phq = course.start
    for k, visit in enumerate(course.visits[1:], start=1):
        monitoring.screen(b, visit, opioid_positive=opioid and b.chance(relapse),
                          drinking=b.indication != "OUD" and b.chance(0.2))
        if opioid:
            monitoring.questionnaire(b, "craving-vas", visit, max(0.05, 0.6 - 0.06 * k))
        if (visit - last_phq).days >= 26:
            monitoring.questionnaire(b, "phq-9", visit, mood)
            last_phq = visit
    rising = b.chance(b.params.rising_liver_tests)
    growth = float(b.rng.uniform(0.8, 2.5))
    day, k = course.start + timedelta(days=90), 1
    while day <= course.stop and b.is_past(day):
        alt_ratio = monitoring.liver_panel(b, day, rise=1.0 + growth * k if rising else 1.0)
        if rising and alt_ratio > 3 and b.chance(b.params.hepatotoxicity_share_of_rising):
            care.hepatotoxicity(b, day)
            rising = False
        day, k = day + timedelta(days=90), k + 1
    diary = []
    if b.indication in ("AUD", "OUD+AUD"):
        diary = monitoring.drinking_diary(b, course.start, course.stop, on_treatment=True)
        if regimen.kind == "targeted":
            add_targeted_doses(b, regimen, diary)
    bam.bam_series(b, course.start, course.stop, diary)


def _episode(b: PatientBuilder, intake: date, leave: date | None, reason: str | None) -> None:
    level = b.pick(("PHP", "IOP", "OP", "aftercare"), (0.1, 0.3, 0.55, 0.05))
    opioid = b.indication in ("OUD", "OUD+AUD")
    referral = b.pick(REFERRALS, (0.25, 0.3, 0.15, 0.15, 0.1, 0.05) if opioid else (0.35, 0.1, 0.15, 0.25, 0.1, 0.05))
    b.add(Episode, indication=b.indication, level_of_care=level, start=intake, end=leave, discharge_reason=reason,
          referral_source=referral)


def _corrections(b: PatientBuilder) -> None:
    """A few records corrected later: a lot number mistyped, a lab value re-entered."""
    for index in range(len(b.records)):
        record = b.records[index]
        if not b.chance(b.params.correction_rate):
            continue
        if isinstance(record, Injection):
            b.correct(index, lot=record.lot + "A")
        elif isinstance(record, LabResult):
            b.correct(index, value=round(record.value + 1.0, 1))
