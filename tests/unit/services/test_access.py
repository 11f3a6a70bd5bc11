"""The audited access path over the in-memory secure unit of work: tenancy, the role matrix,
break-the-glass, and the audit entries written with (or, for a refusal, apart from) the access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.factories import NOW, PATIENT_ID, make_clinic, make_lab, make_patient
from tests.unit.services.fakes import FakeSecureUnitOfWork

from naltrack.domain.errors import Conflict, InvalidInput, NotFound
from naltrack.domain.patients import Patient
from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.consent import open_break_glass
from naltrack.domain.security.roles import AccessDenied
from naltrack.services.access import Access, authorize, patient_in_clinic, run_audited
from naltrack.services.security_ports import SecureUnitOfWork

OTHER_PATIENT = "p-other-clinic"


@pytest.fixture()
def uow() -> FakeSecureUnitOfWork:
    uow = FakeSecureUnitOfWork()
    with uow:
        uow.clinics.add(make_clinic())
        uow.patients.add(make_patient())
        uow.patients.add(make_patient(id=OTHER_PATIENT, clinic_id="c-elsewhere", mrn="MRN-9"))
        uow.commit()
    uow.commits = 0
    return uow


def actor(role: str, clinic_id: str = "c-test") -> Actor:
    return Actor(User(id=f"u-{role}", username=f"{role}.test", role=role, clinic_id=clinic_id),  # type: ignore[arg-type]
                 source="10.0.0.7")


def read_patient(uow: SecureUnitOfWork, access: Access) -> Patient:
    patient = patient_in_clinic(uow, access, PATIENT_ID)
    authorize(uow, access)
    return patient


def test_an_allowed_read_writes_exactly_one_audit_entry_in_its_transaction(uow: FakeSecureUnitOfWork) -> None:
    access = Access(actor("prescriber"), "read", "labs", NOW)
    patient = run_audited(lambda: uow, access, read_patient)
    assert patient.id == PATIENT_ID
    assert uow.commits == 1
    [entry] = uow.security_store.audit
    assert (entry.seq, entry.actor, entry.clinic_id, entry.action, entry.category, entry.patient_id) == (
        1, "u-prescriber", "c-test", "read", "labs", PATIENT_ID)
    assert (entry.outcome, entry.purpose, entry.source, entry.at) == ("allowed", "treatment", "10.0.0.7", NOW)


def test_a_write_of_two_records_gets_one_entry_per_record_with_the_records() -> None:
    uow = FakeSecureUnitOfWork()
    with uow:
        uow.patients.add(make_patient())
        uow.commit()
    labs = [make_lab(), make_lab(value=40.0)]

    def write(uow: SecureUnitOfWork, access: Access) -> None:
        patient_in_clinic(uow, access, PATIENT_ID)
        authorize(uow, access)
        for lab in labs:
            uow.records.add(lab)
            access.wrote("labs", lab.id, lab.patient_id)

    run_audited(lambda: uow, Access(actor("nurse"), "create", "labs", NOW), write)
    assert [(e.record_type, e.record_id, e.outcome) for e in uow.security_store.audit] == [
        ("labs", labs[0].id, "allowed"), ("labs", labs[1].id, "allowed")]
    assert {r.id for r in uow.store.records.values()} == {labs[0].id, labs[1].id}


def test_a_refusal_is_audited_in_a_transaction_of_its_own(uow: FakeSecureUnitOfWork) -> None:
    with pytest.raises(AccessDenied, match="role 'front-desk' may not read labs"):
        run_audited(lambda: uow, Access(actor("front-desk"), "read", "labs", NOW), read_patient)
    [entry] = uow.security_store.audit
    assert (entry.outcome, entry.patient_id, entry.category) == ("denied", PATIENT_ID, "labs")
    assert entry.detail == "role 'front-desk' may not read labs"
    assert uow.commits == 1


def test_another_clinics_patient_is_not_found_exactly_like_a_missing_one(uow: FakeSecureUnitOfWork) -> None:
    messages = []
    for patient_id in (OTHER_PATIENT, "p-never-registered"):
        with uow, pytest.raises(NotFound) as raised:
            patient_in_clinic(uow, Access(actor("prescriber"), "read", "labs", NOW), patient_id)
        messages.append(str(raised.value).replace(patient_id, "<id>"))
    assert messages[0] == messages[1]


def test_reading_another_clinics_patient_is_audited_as_not_found(uow: FakeSecureUnitOfWork) -> None:
    def read_other(uow: SecureUnitOfWork, access: Access) -> Patient:
        return patient_in_clinic(uow, access, OTHER_PATIENT)

    with pytest.raises(NotFound):
        run_audited(lambda: uow, Access(actor("prescriber"), "read", "demographics", NOW), read_other)
    assert [(e.outcome, e.patient_id) for e in uow.security_store.audit] == [("not-found", OTHER_PATIENT)]


@pytest.mark.parametrize(("error", "outcome"), [(Conflict("lab-1 was changed by someone else"), "conflict"),
                                                (InvalidInput("lab.value", -1, "must be positive"), "invalid")])
def test_a_failed_write_rolls_back_its_records_and_leaves_only_the_failure_entry(
        uow: FakeSecureUnitOfWork, error: Exception, outcome: str) -> None:
    lab = make_lab()

    def fail_after_writing(uow: SecureUnitOfWork, access: Access) -> None:
        patient_in_clinic(uow, access, PATIENT_ID)
        uow.records.add(lab)
        raise error

    with pytest.raises(type(error)):
        run_audited(lambda: uow, Access(actor("nurse"), "create", "labs", NOW), fail_after_writing)
    assert uow.store.records == {}
    [entry] = uow.security_store.audit
    assert (entry.outcome, entry.record_id, entry.detail) == (outcome, None, str(error))


def test_an_error_outside_the_domain_leaves_nothing_at_all(uow: FakeSecureUnitOfWork) -> None:
    def crash(uow: SecureUnitOfWork, access: Access) -> None:
        uow.records.add(make_lab())
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        run_audited(lambda: uow, Access(actor("nurse"), "create", "labs", NOW), crash)
    assert (uow.store.records, uow.security_store.audit, uow.commits) == ({}, [], 0)


def test_invalid_input_before_any_patient_is_named_is_not_audited(uow: FakeSecureUnitOfWork) -> None:
    def bad_query(uow: SecureUnitOfWork, access: Access) -> None:
        raise InvalidInput("limit", 0, "must be at least 1")

    with pytest.raises(InvalidInput, match="limit"):
        run_audited(lambda: uow, Access(actor("nurse"), "read", "labs", NOW), bad_query)
    assert uow.security_store.audit == []


def open_grant(uow: FakeSecureUnitOfWork, user_id: str, patient_id: str = PATIENT_ID, minutes: int = 30) -> str:
    grant = open_break_glass("g-1", user_id, patient_id, "unresponsive in the waiting room", NOW, minutes=minutes)
    with uow:
        uow.security.add_break_glass(grant)
        uow.commit()
    uow.commits = 0
    return grant.id


def test_a_break_the_glass_grant_in_force_opens_a_closed_category_and_is_named(uow: FakeSecureUnitOfWork) -> None:
    grant_id = open_grant(uow, "u-nurse")
    run_audited(lambda: uow, Access(actor("nurse"), "read", "counseling", NOW + timedelta(minutes=10)),
                read_patient)
    [entry] = uow.security_store.audit
    assert (entry.outcome, entry.purpose, entry.detail) == ("allowed", "emergency", f"break-the-glass {grant_id}")


@pytest.mark.parametrize(("role", "action", "minutes_later"), [
    ("nurse", "read", 30),          # the grant has expired
    ("nurse", "create", 10),        # a grant opens reading only
    ("counselor", "read", 10),      # not a role that treats in an emergency
])
def test_break_the_glass_opens_nothing_else(uow: FakeSecureUnitOfWork, role: str, action: str,
                                            minutes_later: int) -> None:
    open_grant(uow, f"u-{role}")
    access = Access(actor(role), action, "labs" if role == "counselor" else "counseling",
                    NOW + timedelta(minutes=minutes_later))
    with pytest.raises(AccessDenied, match=f"may not {action}"):
        run_audited(lambda: uow, access, read_patient)
    assert [(e.outcome, e.purpose) for e in uow.security_store.audit] == [("denied", "treatment")]


def test_a_grant_for_another_patient_does_not_open_this_one(uow: FakeSecureUnitOfWork) -> None:
    open_grant(uow, "u-nurse", patient_id="p-someone-else")
    with pytest.raises(AccessDenied, match="role 'nurse' may not read counseling"):
        run_audited(lambda: uow, Access(actor("nurse"), "read", "counseling", NOW), read_patient)


def test_rollback_discards_security_writes_too(uow: FakeSecureUnitOfWork) -> None:
    with uow:
        uow.security.append_audit(Access(actor("nurse"), "read", "labs", NOW).event("allowed"))
        uow.records.add(make_lab())
    assert (uow.security_store.audit, uow.store.records) == ([], {})
