"""Record and patient use cases over the in-memory secure unit of work: each runs in one audited
transaction and writes exactly one audit entry per record written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.factories import (
    CLINIC_ID,
    EVERY_FINDING_CLEARED,
    NOW,
    PATIENT_ID,
    make_clinic,
    make_injection,
    make_lab,
    make_one_of_each,
    make_oral_dose,
    make_oral_regimen,
    make_patient,
    make_regimen,
)
from tests.unit.services.fakes import FakeSecureUnitOfWork, FakeSecurityRepository

from naltrack.domain.administrations import ImplantRemoval
from naltrack.domain.care import Appointment
from naltrack.domain.errors import Conflict, InvalidInput, NotFound
from naltrack.domain.observations import DrinkingDay, LabResult
from naltrack.domain.patients import Patient
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.roles import AccessDenied
from naltrack.errors import StaleVersion
from naltrack.services import patients as patient_cases
from naltrack.services import records as cases
from naltrack.services.context import AppContext
from naltrack.services.doses import UNCONFIRMED
from naltrack.services.stats import count_records

NURSE = Actor(User(id="u-nurse", username="nurse.test", role="nurse", clinic_id=CLINIC_ID), source="unit")
PRESCRIBER = Actor(User(id="u-rx", username="rx.test", role="prescriber", clinic_id=CLINIC_ID), source="unit")


class Program:
    """An in-memory program: one unit of work shared by every call, and its context."""

    def __init__(self) -> None:
        self.uow = FakeSecureUnitOfWork()
        self.ctx = AppContext(uow=lambda: self.uow)
        patient_cases.register_clinic(self.ctx, make_clinic())
        with self.uow:
            self.uow.patients.add(make_patient())
            self.uow.commit()
        self.uow.commits = 0

    def add(self, records: Sequence[ClinicalRecord], actor: Actor = PRESCRIBER) -> list[ClinicalRecord]:
        cleared = EVERY_FINDING_CLEARED if actor.role == "prescriber" else UNCONFIRMED
        return cases.create_records(self.ctx, actor, records, NOW, cleared)

    def add_one(self, record: ClinicalRecord, actor: Actor = PRESCRIBER) -> ClinicalRecord:
        return self.add([record], actor)[0]

    def audit(self) -> list[Any]:
        return list(self.uow.security_store.audit)

    def chart(self) -> Any:
        return cases.load_chart(self.ctx, PRESCRIBER, PATIENT_ID, NOW)


@pytest.fixture()
def uow() -> Program:
    return Program()


def test_create_stamps_recorded_at_with_now_and_recorded_by_with_the_actor(uow: Program) -> None:
    stored = uow.add_one(make_lab(recorded_by="someone else"))
    assert (stored.recorded_at, stored.recorded_by) == (NOW, "u-rx")
    assert uow.uow.store.records[(type(stored), stored.id)] == stored


def test_create_keeps_an_explicit_recorded_at(uow: Program) -> None:
    earlier = NOW - timedelta(days=1)
    assert uow.add_one(make_lab(recorded_at=earlier)).recorded_at == earlier


def test_one_record_is_one_audit_entry_in_the_same_commit(uow: Program) -> None:
    stored = uow.add_one(make_lab())
    assert uow.uow.commits == 1
    [entry] = uow.audit()
    assert (entry.actor, entry.action, entry.category, entry.record_type, entry.record_id, entry.patient_id,
            entry.outcome) == ("u-rx", "create", "labs", "labs", stored.id, PATIENT_ID, "allowed")


def test_a_batch_of_n_records_writes_n_audit_entries_in_one_commit(uow: Program) -> None:
    regimen = make_oral_regimen()
    batch = uow.add([regimen, make_oral_dose(regimen_id=regimen.id), make_lab()])
    assert uow.uow.commits == 1
    decision = uow.chart().dose_decisions[0]
    assert (decision.dose_id, decision.outcome, decision.form) == (batch[1].id, "given", "oral")
    assert [(e.record_type, e.record_id, e.category) for e in uow.audit()[:4]] == [
        ("regimens", batch[0].id, "regimens"), ("oral_doses", batch[1].id, "administrations"),
        ("labs", batch[2].id, "labs"), ("dose_decisions", decision.id, "administrations")]
    assert count_records(uow.uow)["records"] == len(uow.audit()) - 1 == 4  # and the chart read


def test_a_failure_at_the_audit_append_leaves_no_record(uow: Program, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: FakeSecurityRepository, event: Any) -> Any:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(FakeSecurityRepository, "append_audit", broken)
    with pytest.raises(RuntimeError, match="audit store down"):
        uow.add([make_lab(), make_oral_dose()])
    assert count_records(uow.uow)["records"] == 0


def test_injection_dated_after_now_is_rejected_naming_field_and_now(uow: Program) -> None:
    shot = make_injection(given_at=NOW + timedelta(minutes=1), expiry=date(2027, 1, 1))
    with pytest.raises(InvalidInput, match=r"^injection\.given_at: '2026-03-02T15:01:00\+00:00' is in the future "
                                           r"\(now 2026-03-02T15:00:00\+00:00\)"):
        uow.add_one(shot)
    assert count_records(uow.uow)["records"] == 0
    [entry] = uow.audit()  # the refusal, in a transaction of its own
    assert (entry.outcome, entry.patient_id) == ("invalid", PATIENT_ID)


def test_drinking_day_after_today_is_rejected(uow: Program) -> None:
    day = DrinkingDay(id="d1", patient_id=PATIENT_ID, day=NOW.date() + timedelta(days=1), standard_drinks=2)
    with pytest.raises(InvalidInput, match=r"drinking_day\.day: '2026-03-03' is in the future \(today 2026-03-02\)"):
        uow.add_one(day)


def test_future_appointment_is_accepted(uow: Program) -> None:
    visit = Appointment(id="a1", patient_id=PATIENT_ID, kind="injection", starts_at=NOW + timedelta(days=3))
    assert uow.add_one(visit).id == "a1"


def test_naive_now_is_rejected(uow: Program) -> None:
    with pytest.raises(InvalidInput, match="^now: .* must be a timezone-aware date-time"):
        cases.create_records(uow.ctx, PRESCRIBER, [make_lab()], datetime(2026, 3, 2, 15))


def test_unknown_patient_is_not_found(uow: Program) -> None:
    with pytest.raises(NotFound, match="patient 'ghost' not found"):
        uow.add_one(make_lab(patient_id="ghost"))


def test_another_clinics_patient_is_not_found(uow: Program) -> None:
    with uow.uow:
        uow.uow.patients.add(make_patient(id="p-far", clinic_id="c-far", mrn="MRN-F"))
        uow.uow.commit()
    with pytest.raises(NotFound, match="patient 'p-far' not found"):
        uow.add_one(make_lab(patient_id="p-far"))
    assert count_records(uow.uow)["records"] == 0


def test_a_role_that_may_not_create_the_kind_is_denied(uow: Program) -> None:
    counselor = Actor(User(id="u-c", username="c.test", role="counselor", clinic_id=CLINIC_ID))
    with pytest.raises(AccessDenied, match="role 'counselor' may not create labs"):
        uow.add_one(make_lab(), counselor)
    assert count_records(uow.uow)["records"] == 0


def test_unknown_rxnorm_on_a_regimen_is_not_found(uow: Program) -> None:
    with pytest.raises(NotFound, match="'9999999' not found"):
        uow.add_one(make_regimen(rxnorm="9999999"))


def test_removal_of_an_unknown_implant_is_not_found(uow: Program) -> None:
    removal = ImplantRemoval(id="r1", patient_id=PATIENT_ID, implant_id="imp-x", removed_at=NOW,
                             reason="infection", removed_by="Dr. Test")
    with pytest.raises(NotFound, match="implant 'imp-x' not found"):
        uow.add_one(removal)


def test_dose_may_name_a_regimen_of_the_same_batch(uow: Program) -> None:
    regimen = make_oral_regimen()
    uow.add([make_oral_dose(regimen_id=regimen.id), regimen])
    assert count_records(uow.uow)["records"] == 3  # the dose, its order and its pre-dose decision


def test_regimen_of_another_patient_is_not_found(uow: Program) -> None:
    with uow.uow:
        uow.uow.patients.add(make_patient(id="p2", mrn="MRN-2"))
        uow.uow.commit()
    theirs = uow.add_one(make_regimen(patient_id="p2"))
    with pytest.raises(NotFound, match=f"regimen '{theirs.id}' not found"):
        uow.add_one(make_injection(regimen_id=theirs.id))


def test_one_of_each_loads_into_the_chart(uow: Program) -> None:
    records = make_one_of_each()
    uow.add(records)
    chart = uow.chart()
    assert chart.patient == make_patient()
    assert len(chart.injections) == 1 and len(chart.regimens) == 3 and len(chart.documents) == 1
    assert chart.adverse_events[0].site is not None
    given = {d.dose_id for d in chart.dose_decisions if d.outcome == "given"}
    assert given == {chart.injections[0].id, chart.implants[0].id, chart.oral_doses[0].id}
    assert len([e for e in uow.audit() if e.action == "create"]) == len(records) + len(given)


def test_an_empty_batch_is_rejected(uow: Program) -> None:
    with pytest.raises(InvalidInput, match="^records: 0 must hold at least one record"):
        uow.add([])


@given(position=st.integers(0, 3), minutes_ahead=st.integers(1, 60 * 24 * 400))
@settings(max_examples=40, deadline=None)
def test_a_batch_with_any_future_record_writes_nothing(position: int, minutes_ahead: int) -> None:
    program = Program()
    batch = [make_lab(), make_oral_dose(), make_injection()]
    bad = make_lab(collected_at=NOW + timedelta(minutes=minutes_ahead))
    batch.insert(position, bad)
    with pytest.raises(InvalidInput, match=r"lab\.collected_at"):
        program.add(batch)
    assert count_records(program.uow)["records"] == 0
    assert [e.outcome for e in program.audit()] == ["invalid"]


@given(offset_minutes=st.integers(-60 * 24 * 365, 60 * 24 * 365))
@settings(max_examples=60, deadline=None)
def test_an_administration_is_accepted_exactly_when_not_after_now(offset_minutes: int) -> None:
    program = Program()
    dose = make_oral_dose(taken_at=NOW + timedelta(minutes=offset_minutes), dose_status="taken", observed_by=None)
    if offset_minutes > 0:
        with pytest.raises(InvalidInput, match="is in the future"):
            program.add_one(dose)
    else:
        program.add_one(dose)
    assert count_records(program.uow)["oral_doses"] == int(offset_minutes <= 0)


def _lab_like(new: cases.NewRecord, **changes: Any) -> LabResult:
    return make_lab(**new.fields, **changes)


def test_correct_record_supersedes_and_keeps_the_old_version(uow: Program) -> None:
    old = uow.add([make_regimen(), make_injection(lot="VX-TYPO")])[1]
    new = cases.correct_record(uow.ctx, PRESCRIBER, "injections", old.id, 1,
                               lambda n: make_injection(**n.fields, lot="VX26001"), NOW)
    chart = uow.chart()
    stored_old = next(i for i in chart.injections if i.id == old.id)
    assert stored_old.status == "entered-in-error" and stored_old.version == 2
    assert new.supersedes == old.id and new.status == "active"
    assert [i.lot for i in chart.active_injections()] == ["VX26001"]
    correction = [e for e in uow.audit() if e.action == "update"]
    assert [(e.record_id, e.detail) for e in correction] == [(new.id, f"supersedes {old.id}")]


def test_correct_record_needs_the_same_type(uow: Program) -> None:
    old = uow.add([make_regimen(), make_injection()])[1]
    with pytest.raises(Conflict, match="Injection can only be corrected by another"):
        cases.correct_record(uow.ctx, PRESCRIBER, "injections", old.id, 1, lambda n: _lab_like(n), NOW)


def test_correction_with_a_bad_value_leaves_the_old_record_active(uow: Program) -> None:
    old = uow.add_one(make_lab())
    with pytest.raises(InvalidInput, match="is in the future"):
        cases.correct_record(uow.ctx, PRESCRIBER, "labs", old.id, 1,
                             lambda n: _lab_like(n, collected_at=NOW + timedelta(days=1)), NOW)
    assert uow.chart().labs[0].status == "active"


def test_correction_naming_a_stale_version_is_refused(uow: Program) -> None:
    old = uow.add_one(make_lab())
    cases.correct_record(uow.ctx, PRESCRIBER, "labs", old.id, 1, lambda n: _lab_like(n, value=31.0), NOW)
    with pytest.raises(StaleVersion, match="version 1 is stale: the record is at version 2"):
        cases.correct_record(uow.ctx, PRESCRIBER, "labs", old.id, 1, lambda n: _lab_like(n, value=32.0), NOW)


def test_retract_marks_entered_in_error_with_one_entry(uow: Program) -> None:
    old = uow.add_one(make_lab())
    retired = cases.retract_record(uow.ctx, PRESCRIBER, "labs", old.id, 1, NOW)
    assert (retired.status, retired.version) == ("entered-in-error", 2)
    assert [(e.action, e.record_id) for e in uow.audit()][-1] == ("retract", old.id)
    with pytest.raises(StaleVersion, match="version 1 is stale"):
        cases.retract_record(uow.ctx, PRESCRIBER, "labs", old.id, 1, NOW)


def test_list_records_newest_first_with_the_total(uow: Program) -> None:
    labs = uow.add([make_lab(collected_at=NOW - timedelta(days=d)) for d in (3, 1, 2)])
    page = cases.list_records(uow.ctx, PRESCRIBER, "labs", PATIENT_ID, cases.RecordFilter(), 2, 0, NOW)
    assert page.total == 3
    assert [r.id for r in page.items] == [labs[1].id, labs[2].id]


def test_register_clinic_twice_conflicts(uow: Program) -> None:
    with pytest.raises(Conflict, match="clinic 'c-test' already exists"):
        patient_cases.register_clinic(uow.ctx, make_clinic())


def _register(uow: Program, **values: Any) -> Patient:
    return patient_cases.register_patient(uow.ctx, PRESCRIBER, lambda base: make_patient(**{**values, **base}), NOW)


def test_register_patient_gets_a_new_id_the_actors_clinic_and_one_entry(uow: Program) -> None:
    patient = _register(uow, id="ignored", clinic_id="ignored", mrn="MRN-7")
    assert patient.id != "ignored" and patient.clinic_id == CLINIC_ID
    [entry] = uow.audit()
    assert (entry.action, entry.record_type, entry.record_id, entry.category) == (
        "create", "patients", patient.id, "demographics")


def test_register_patient_with_a_used_mrn_is_refused(uow: Program) -> None:
    with pytest.raises(InvalidInput, match="patient.mrn: 'MRN-1' is already used in this clinic"):
        _register(uow)


def test_list_patients_pages_and_counts(uow: Program) -> None:
    for k in range(7):
        _register(uow, family_name=f"Zed{k}", mrn=f"Z{k}")
    page = patient_cases.list_patients(uow.ctx, PRESCRIBER, None, 3, 6, NOW)
    assert page.total == 8
    assert [p.family_name for p in page.items] == ["Zed5", "Zed6"]
    assert patient_cases.list_patients(uow.ctx, PRESCRIBER, "zed", 500, 0, NOW).total == 7


@pytest.mark.parametrize("limit", [0, 501, True])
def test_list_patients_rejects_bad_limits(uow: Program, limit: int) -> None:
    with pytest.raises(InvalidInput, match="^limit: .* must be between 1 and 500"):
        patient_cases.list_patients(uow.ctx, PRESCRIBER, None, limit, 0, NOW)


def test_create_rejects_non_records(uow: Program) -> None:
    with pytest.raises(InvalidInput, match="^record: 'Patient' is not a clinical record type"):
        uow.add_one(make_patient())  # type: ignore[arg-type]


def test_regimen_end_before_start_never_reaches_the_store() -> None:
    with pytest.raises(InvalidInput, match=r"regimen\.end: '2025-12-31' is before the start"):
        replace(make_regimen(), end=date(2025, 12, 31))
