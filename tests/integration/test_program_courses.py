"""The program's courses of treatment read set-based (adapters/db/read_models/outcomes.py), on SQLite and
PostgreSQL: each fact of a hand-built program, in each clinic's own days, active records only."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests import seeding
from tests.factories import (
    make_drinking_day,
    make_dx,
    make_implant,
    make_injection,
    make_med,
    make_oral_dose,
    make_response,
)

from naltrack.adapters.db.read_models.outcomes import program_courses
from naltrack.adapters.db.security_repository import SqlSecureUnitOfWork
from naltrack.analytics.courses import BamEntry, Dose, DrinkingEntry, Interval, PatientCourse, Screen
from naltrack.domain.administrations import Injection
from naltrack.domain.care import Appointment, CareDocument, CounselingSession
from naltrack.domain.coverage import estimate_protection_end
from naltrack.domain.dose_decisions import DoseDecision
from naltrack.domain.episodes import Episode
from naltrack.domain.observations import AnalyteResult, UrineDrugScreen
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.regimens import Regimen
from naltrack.services.read_models import ProgramClinic

NEW_YORK, AUCKLAND = ZoneInfo("America/New_York"), ZoneInfo("Pacific/Auckland")
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 2 March in New York, 3 March in Auckland
#: A Brief Addiction Monitor response in form order (items 1-6, 7A-7G, 8-17): use 9, risk 16, protective 3.
HEAVY_USE_BAM = [3, 3, 2, 4, 3, 2, 1, 0, 0, 0, 2, 0, 0, 3, 1, 0, 3, 0, 1, 0, 2, 1, 1]
CLINICS = (ProgramClinic("c1", date(2026, 3, 2), NEW_YORK), ProgramClinic("c2", date(2026, 3, 3), AUCKLAND))


def at(day: date, hour: int = 14) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def patient(pid: str, clinic: str = "c1") -> Patient:
    return Patient(id=pid, clinic_id=clinic, given_name="Sam", family_name=pid, birth_date=date(1985, 1, 1),
                   sex_at_birth="male")


def screen(pid: str, day: date, **results: str) -> UrineDrugScreen:
    return UrineDrugScreen(id=f"{pid}-uds-{day}", patient_id=pid, collected_at=at(day),
                           results=tuple(AnalyteResult(a, r) for a, r in results.items()))  # type: ignore[arg-type]


def injected(pid: str) -> list[object]:
    """An OUD patient: two episodes, an injection with its first-dose check, screens, contacts, naloxone."""
    shot = make_injection(id=f"{pid}-i1", patient_id=pid, given_at=at(date(2026, 1, 12)), regimen_id=f"{pid}-r")
    wrong = make_injection(id=f"{pid}-i0", patient_id=pid, given_at=at(date(2026, 1, 2)), status="entered-in-error")
    return [
        Episode(id=f"{pid}-e2", patient_id=pid, indication="OUD+AUD", level_of_care="OP", start=date(2026, 2, 20)),
        Episode(id=f"{pid}-e1", patient_id=pid, indication="OUD", level_of_care="IOP", start=date(2026, 1, 5),
                end=date(2026, 2, 10), discharge_reason="transferred"),
        make_dx("F11.20", "Opioid dependence, uncomplicated", id=f"{pid}-dx", patient_id=pid,
                onset=date(2025, 12, 1)),
        Regimen(id=f"{pid}-r", patient_id=pid, kind="xr-ntx-q4w", start=date(2026, 1, 12), rxnorm="637213"),
        shot, wrong,
        DoseDecision(id=f"{pid}-dd", patient_id=pid, form="xr-ntx", decided_at=at(date(2026, 1, 12)), outcome="given",
                     dose_class="first", decided_by="u-rx", dose_id=shot.id),
        screen(pid, date(2026, 1, 5), opiates="positive", fentanyl="negative"),
        screen(pid, date(2026, 2, 1), opiates="negative", fentanyl="invalid", cocaine="positive"),
        screen(pid, date(2026, 2, 15), cocaine="negative"),
        CounselingSession(id=f"{pid}-cs1", patient_id=pid, kind="group", held_on=date(2026, 1, 20), duration_min=60,
                          counselor="C. Lee"),
        CounselingSession(id=f"{pid}-cs2", patient_id=pid, kind="individual", held_on=date(2026, 1, 27),
                          duration_min=50, counselor="C. Lee", attended=False),
        Appointment(id=f"{pid}-a1", patient_id=pid, kind="prescriber", starts_at=at(date(2026, 2, 3), 2),
                    appointment_status="fulfilled"),  # 2 Feb at 21:00 in New York
        Appointment(id=f"{pid}-a2", patient_id=pid, kind="prescriber", starts_at=at(date(2026, 3, 20)),
                    appointment_status="booked"),
        CareDocument(id=f"{pid}-doc", patient_id=pid, kind="naloxone-education", issued_on=date(2026, 1, 5)),
        make_med("1725059", date(2026, 2, 20), id=f"{pid}-nx", patient_id=pid, source="prescribed"),
        replace(make_response("bam", HEAVY_USE_BAM, date(2026, 1, 6)), id=f"{pid}-bam", patient_id=pid),
    ]


def oral(pid: str) -> list[object]:
    """A 30-day oral prescription, and an order without a supply whose first dose was given over a finding."""
    daily = Regimen(id=f"{pid}-r1", patient_id=pid, kind="oral-daily", start=date(2026, 2, 1), rxnorm="1483744",
                    days_supply=30)
    return [
        daily,
        Regimen(id=f"{pid}-r2", patient_id=pid, kind="oral-daily", start=date(2026, 1, 20), rxnorm="1483744"),
        make_oral_dose(id=f"{pid}-o1", patient_id=pid, taken_at=at(date(2026, 1, 20)), regimen_id=f"{pid}-r2"),
        make_oral_dose(id=f"{pid}-o2", patient_id=pid, taken_at=at(date(2026, 1, 21)), dose_status="missed",
                       observed_by=None, regimen_id=f"{pid}-r2"),
        make_oral_dose(id=f"{pid}-o3", patient_id=pid, taken_at=at(date(2026, 2, 2)), regimen_id=daily.id),
        DoseDecision(id=f"{pid}-dd", patient_id=pid, form="oral", decided_at=at(date(2026, 1, 20)), outcome="given",
                     dose_class="first", decided_by="u-rx", dose_id=f"{pid}-o1", overridden=("RDY-OPIOID-FREE",),
                     override_reason="abstinent, confirmed by a naloxone challenge"),
    ]


def implanted(pid: str) -> list[object]:
    """An AUD diagnosis without an episode, an implant with a recorded duration, a drinking diary (Auckland)."""
    implant = replace(make_implant(date(2026, 1, 10), duration_days=60), id=f"{pid}-m", patient_id=pid,
                      inserted_at=datetime(2026, 1, 10, 23, 30, tzinfo=UTC))  # 11 January in Auckland
    return [
        make_dx("F10.20", "Alcohol dependence, uncomplicated", id=f"{pid}-dx", patient_id=pid, onset=None),
        implant,
        *[replace(make_drinking_day(date(2026, 1, d), drinks), id=f"{pid}-dd{d}", patient_id=pid)
          for d, drinks in ((3, 6.0), (4, 0.0), (1, 8.0))],
    ]


@pytest.fixture()
def program(storage):
    records = [*injected("p1"), *oral("p2"), *implanted("p3")]
    seeding.seed(lambda: SqlSecureUnitOfWork(storage.engine),
                 clinics=[Clinic(id="c1", name="Harbor", timezone="America/New_York"),
                          Clinic(id="c2", name="Bay", timezone="Pacific/Auckland")],
                 patients=[patient("p1"), patient("p2"), patient("p3", "c2"), patient("p4")],
                 records=records, now=NOW)  # type: ignore[arg-type]
    return storage


def courses(store, clinics=CLINICS) -> dict[str, PatientCourse]:
    with store.engine.connect() as connection:
        read = program_courses(connection, clinics)
    return {course.patient_id: course for course in read}


def test_an_injected_patients_course_holds_each_fact_of_the_active_records(program) -> None:
    course = courses(program)["p1"]
    assert (course.clinic_id, course.sex_at_birth, course.birth_date) == ("c1", "male", date(1985, 1, 1))
    assert (course.indication, course.assessed_on, course.discharged_on, course.discharge_reason) == (
        "OUD", date(2026, 1, 5), date(2026, 2, 10), "transferred")
    assert course.diagnosed_on == date(2026, 3, 2)  # the day recorded; its onset (2025-12-01) is no encounter
    assert course.doses == (Dose(date(2026, 1, 12), "xr-ntx", "637213"),)  # the retracted injection left out
    assert (course.first_dose_on, course.first_form, course.ready_on) == (date(2026, 1, 12), "xr-ntx",
                                                                          date(2026, 1, 12))
    assert course.screens == (Screen(date(2026, 1, 5), False, True), Screen(date(2026, 2, 1), True, None),
                              Screen(date(2026, 2, 15), None, None))
    # counseling attended, the visit seen (2 February in New York), the dose; not the session missed or the booking
    assert course.treatment_contacts == (date(2026, 1, 12), date(2026, 1, 20), date(2026, 2, 2))
    assert course.naloxone_offered == (date(2026, 1, 5), date(2026, 2, 20))
    assert course.bam == (BamEntry(date(2026, 1, 6), 9, 16, 3),)  # the worked example of the BAM's scoring


def test_the_blocked_run_ends_on_the_charts_end_of_protection_and_its_next_day_is_a_lapse(program) -> None:
    course = courses(program)["p1"]
    chart = seeding.stored_chart(lambda: SqlSecureUnitOfWork(program.engine), "p1")
    end = estimate_protection_end(chart, date(2026, 3, 2), NEW_YORK)
    assert course.protected == (Interval(date(2026, 1, 13), end),) and course.treated == course.protected
    assert course.lapses == (end + timedelta(days=1),)


def test_an_oral_prescription_supplies_its_days_and_a_dose_without_one_its_own_day(program) -> None:
    course = courses(program)["p2"]
    assert course.doses == (Dose(date(2026, 1, 20), "oral", "1483744", 1),
                            Dose(date(2026, 2, 1), "oral", "1483744", 30))
    assert course.treated[-1] == Interval(date(2026, 2, 1), date(2026, 3, 2))  # 30 days, through as_of
    assert course.ready_on is None  # its first dose was given over a finding
    assert course.treatment_contacts == (date(2026, 1, 20), date(2026, 2, 2))  # not the dose missed


def test_a_patient_of_another_zone_reads_its_own_days_and_its_diagnosis_gives_the_indication(program) -> None:
    course = courses(program)["p3"]
    assert (course.clinic_id, course.indication, course.assessed_on) == ("c2", "AUD", None)
    assert course.diagnosed_on == NOW.astimezone(AUCKLAND).date()  # the day recorded, in Auckland
    assert course.doses == (Dose(date(2026, 1, 11), "implant", "NTX-IMPLANT"),)
    assert course.protected[-1].end == date(2026, 3, 3)  # the recorded 60 days reach past as_of: cut there
    assert course.lapses == ()
    assert course.drinking == tuple(DrinkingEntry(date(2026, 1, d), x) for d, x in ((1, 8.0), (3, 6.0), (4, 0.0)))


def test_a_patient_without_records_has_an_empty_course_and_clinics_not_asked_for_are_left_out(program) -> None:
    everyone = courses(program)
    assert list(everyone) == ["p1", "p2", "p3", "p4"]
    assert everyone["p4"] == PatientCourse(patient_id="p4", clinic_id="c1", sex_at_birth="male",
                                           birth_date=date(1985, 1, 1))
    assert list(courses(program, CLINICS[1:])) == ["p3"]
    assert courses(program, ()) == {}


def test_facts_after_a_clinics_as_of_are_left_out(program) -> None:
    course = courses(program, (ProgramClinic("c1", date(2026, 2, 1), NEW_YORK),))["p1"]
    assert course.screens == (Screen(date(2026, 1, 5), False, True), Screen(date(2026, 2, 1), True, None))
    assert (course.discharged_on, course.naloxone_offered) == (None, (date(2026, 1, 5),))
    assert course.protected[-1].end <= date(2026, 2, 1)


def test_a_correction_replaces_the_injection_it_corrects(program) -> None:
    with SqlSecureUnitOfWork(program.engine) as uow:
        old = uow.records.get(Injection, "p1-i1")
        uow.records.update(replace(old, status="entered-in-error", version=old.version + 1))
        uow.records.add(replace(old, id="p1-i1b", given_at=at(date(2026, 1, 14)), supersedes=old.id))
        uow.commit()
    assert courses(program)["p1"].doses == (Dose(date(2026, 1, 14), "xr-ntx", "637213"),)
