"""Record use cases over the in-memory unit of work."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.factories import (
    NOW,
    PATIENT_ID,
    make_clinic,
    make_injection,
    make_lab,
    make_one_of_each,
    make_oral_dose,
    make_patient,
    make_regimen,
)
from tests.unit.services.fakes import FakeUnitOfWork

from naltrack.domain.administrations import ImplantRemoval
from naltrack.domain.care import Appointment
from naltrack.domain.errors import Conflict, InvalidInput, NotFound
from naltrack.domain.observations import DrinkingDay
from naltrack.services import records as cases
from naltrack.services.stats import count_records


@pytest.fixture()
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    cases.register_clinic(uow, make_clinic())
    cases.register_patient(uow, make_patient())
    return uow


def test_add_record_stamps_recorded_at_with_now(uow: FakeUnitOfWork) -> None:
    stored = cases.add_record(uow, make_lab(), now=NOW)
    assert stored.recorded_at == NOW
    assert uow.store.records[(type(stored), stored.id)] == stored


def test_add_record_keeps_an_explicit_recorded_at(uow: FakeUnitOfWork) -> None:
    earlier = NOW - timedelta(days=1)
    assert cases.add_record(uow, make_lab(recorded_at=earlier), now=NOW).recorded_at == earlier


def test_injection_dated_after_now_is_rejected_naming_field_and_now(uow: FakeUnitOfWork) -> None:
    shot = make_injection(given_at=NOW + timedelta(minutes=1), expiry=date(2027, 1, 1))
    with pytest.raises(InvalidInput, match=r"^injection\.given_at: '2026-03-02T15:01:00\+00:00' is in the future "
                                           r"\(now 2026-03-02T15:00:00\+00:00\)"):
        cases.add_record(uow, shot, now=NOW)
    assert uow.commits == 2  # clinic and patient only


def test_drinking_day_after_today_is_rejected(uow: FakeUnitOfWork) -> None:
    day = DrinkingDay(id="d1", patient_id=PATIENT_ID, day=NOW.date() + timedelta(days=1), standard_drinks=2)
    with pytest.raises(InvalidInput, match=r"drinking_day\.day: '2026-03-03' is in the future \(today 2026-03-02\)"):
        cases.add_record(uow, day, now=NOW)


def test_future_appointment_is_accepted(uow: FakeUnitOfWork) -> None:
    visit = Appointment(id="a1", patient_id=PATIENT_ID, kind="injection", starts_at=NOW + timedelta(days=3))
    assert cases.add_record(uow, visit, now=NOW).id == "a1"


def test_naive_now_is_rejected(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidInput, match="^now: .* must be a timezone-aware date-time"):
        cases.add_record(uow, make_lab(), now=datetime(2026, 3, 2, 15))


def test_unknown_patient_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="patient 'ghost' not found"):
        cases.add_record(uow, make_lab(patient_id="ghost"), now=NOW)


def test_unknown_rxnorm_on_a_regimen_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="'9999999' not found"):
        cases.add_record(uow, make_regimen(rxnorm="9999999"), now=NOW)


def test_removal_of_an_unknown_implant_is_not_found(uow: FakeUnitOfWork) -> None:
    removal = ImplantRemoval(id="r1", patient_id=PATIENT_ID, implant_id="imp-x", removed_at=NOW,
                             reason="infection", removed_by="Dr. Test")
    with pytest.raises(NotFound, match="implant 'imp-x' not found"):
        cases.add_record(uow, removal, now=NOW)


def test_dose_may_name_a_regimen_of_the_same_batch(uow: FakeUnitOfWork) -> None:
    regimen = make_regimen()
    cases.add_records(uow, [make_oral_dose(regimen_id=regimen.id), regimen], now=NOW)
    assert count_records(uow)["records"] == 2


def test_regimen_of_another_patient_is_not_found(uow: FakeUnitOfWork) -> None:
    cases.register_patient(uow, make_patient(id="p2", mrn="MRN-2"))
    theirs = cases.add_record(uow, make_regimen(patient_id="p2"), now=NOW)
    with pytest.raises(NotFound, match=f"regimen '{theirs.id}' not found"):
        cases.add_record(uow, make_injection(regimen_id=theirs.id), now=NOW)


def test_one_of_each_loads_into_the_chart(uow: FakeUnitOfWork) -> None:
    records = make_one_of_each()
    cases.add_records(uow, records, now=NOW)
    chart = cases.load_chart(uow, PATIENT_ID)
    assert chart.patient == make_patient()
    assert len(chart.injections) == 1 and len(chart.regimens) == 2 and len(chart.documents) == 1
    assert chart.adverse_events[0].site is not None


@given(position=st.integers(0, 3), minutes_ahead=st.integers(1, 60 * 24 * 400))
@settings(max_examples=40, deadline=None)
def test_a_batch_with_any_future_record_writes_nothing(position: int, minutes_ahead: int) -> None:
    uow = FakeUnitOfWork()
    cases.register_clinic(uow, make_clinic())
    cases.register_patient(uow, make_patient())
    batch = [make_lab(), make_oral_dose(), make_injection()]
    bad = make_lab(collected_at=NOW + timedelta(minutes=minutes_ahead))
    batch.insert(position, bad)
    with pytest.raises(InvalidInput, match=r"lab\.collected_at"):
        cases.add_records(uow, batch, now=NOW)
    assert count_records(uow)["records"] == 0


@given(offset_minutes=st.integers(-60 * 24 * 365, 60 * 24 * 365))
@settings(max_examples=60, deadline=None)
def test_an_administration_is_accepted_exactly_when_not_after_now(offset_minutes: int) -> None:
    uow = FakeUnitOfWork()
    cases.register_clinic(uow, make_clinic())
    cases.register_patient(uow, make_patient())
    dose = make_oral_dose(taken_at=NOW + timedelta(minutes=offset_minutes))
    if offset_minutes > 0:
        with pytest.raises(InvalidInput, match="is in the future"):
            cases.add_record(uow, dose, now=NOW)
    else:
        cases.add_record(uow, dose, now=NOW)
    assert count_records(uow)["oral_doses"] == int(offset_minutes <= 0)


def test_correct_record_supersedes_and_keeps_the_old_version(uow: FakeUnitOfWork) -> None:
    old = cases.add_record(uow, make_injection(lot="VX-TYPO"), now=NOW)
    new = cases.correct_record(uow, old.id, make_injection(lot="VX26001"), now=NOW)
    chart = cases.load_chart(uow, PATIENT_ID)
    stored_old = next(i for i in chart.injections if i.id == old.id)
    assert stored_old.status == "entered-in-error" and stored_old.version == 2
    assert new.supersedes == old.id and new.status == "active"
    assert [i.lot for i in chart.active_injections()] == ["VX26001"]


def test_correct_record_needs_the_same_type(uow: FakeUnitOfWork) -> None:
    old = cases.add_record(uow, make_injection(), now=NOW)
    with pytest.raises(NotFound, match=f"'{old.id}' not found"):
        cases.correct_record(uow, old.id, make_lab(), now=NOW)


def test_correction_with_a_bad_value_leaves_the_old_record_active(uow: FakeUnitOfWork) -> None:
    old = cases.add_record(uow, make_lab(), now=NOW)
    with pytest.raises(InvalidInput, match="is in the future"):
        cases.correct_record(uow, old.id, make_lab(collected_at=NOW + timedelta(days=1)), now=NOW)
    assert cases.load_chart(uow, PATIENT_ID).labs[0].status == "active"


def test_correction_for_another_patient_conflicts(uow: FakeUnitOfWork) -> None:
    cases.register_patient(uow, make_patient(id="p2", mrn="MRN-2"))
    old = cases.add_record(uow, make_lab(), now=NOW)
    with pytest.raises(Conflict, match="belongs to another patient"):
        cases.correct_record(uow, old.id, make_lab(patient_id="p2"), now=NOW)


def test_register_clinic_twice_conflicts(uow: FakeUnitOfWork) -> None:
    with pytest.raises(Conflict, match="clinic 'c-test' already exists"):
        cases.register_clinic(uow, make_clinic())


def test_register_patient_twice_conflicts(uow: FakeUnitOfWork) -> None:
    with pytest.raises(Conflict, match="patient 'p-test-1' already exists"):
        cases.register_patient(uow, make_patient())


def test_list_patients_pages_and_counts(uow: FakeUnitOfWork) -> None:
    for k in range(7):
        cases.register_patient(uow, make_patient(id=f"q{k}", family_name=f"Zed{k}", mrn=f"Z{k}"))
    page = cases.list_patients(uow, limit=3, offset=6)
    assert page.total == 8
    assert [p.id for p in page.items] == ["q5", "q6"]
    assert cases.list_patients(uow, text="zed", limit=500).total == 7


@pytest.mark.parametrize("limit", [0, 501, True])
def test_list_patients_rejects_bad_limits(uow: FakeUnitOfWork, limit: int) -> None:
    with pytest.raises(InvalidInput, match="^limit: .* must be between 1 and 500"):
        cases.list_patients(uow, limit=limit)


def test_add_record_rejects_non_records(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidInput, match="^record: 'Patient' is not a clinical record type"):
        cases.add_record(uow, make_patient(), now=NOW)  # type: ignore[arg-type]


def test_regimen_end_before_start_never_reaches_the_store() -> None:
    with pytest.raises(InvalidInput, match=r"regimen\.end: '2025-12-31' is before the start"):
        replace(make_regimen(), end=date(2025, 12, 31))
